/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-crc32.h"

/* CRC-32 (ISO-HDLC, as zip uses), slicing by eight: a checkpoint of hundreds of MB is checked
 * at memory speed rather than a byte per table lookup. */
static guint32 crc_table[8][256];

static void
crc_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      for (guint32 i = 0; i < 256; i++)
        {
          guint32 c = i;

          for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
          crc_table[0][i] = c;
        }
      for (guint32 i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
          crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
      g_once_init_leave (&once, 1);
    }
}

guint32
nd_crc32 (const guint8 *p, guint64 n)
{
  guint32 c = 0xffffffffu;

  crc_init ();
  while (n >= 8)
    {
      guint32 lo = c ^ ((guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16
                        | (guint32) p[3] << 24);

      c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff]
          ^ crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24]
          ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
      p += 8;
      n -= 8;
    }
  while (n-- > 0)
    c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}
