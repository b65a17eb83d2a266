/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-crc32.h"
#include "nd-error.h"
#include "nd-zip.h"

#define EOCD_SIG      0x06054b50u
#define EOCD64_SIG    0x06064b50u
#define LOC64_SIG     0x07064b50u
#define CDIR_SIG      0x02014b50u
#define LOCAL_SIG     0x04034b50u
#define EOCD_SIZE     22
#define CDIR_SIZE     46
#define LOCAL_SIZE    30
/* A state dict has a few hundred tensors; a million entries is far beyond any real file. */
#define MAX_ENTRIES   (1u << 20)

struct _NdZip
{
  const guint8 *data;
  gsize         size;
  char         *name;
  GArray       *entries;   /* NdZipEntry */
  GHashTable   *by_name;   /* name → index + 1 */
  GArray       *flags;     /* guint16 general purpose flags per entry */
  GArray       *checked;   /* gboolean per entry: CRC-32 verified */
};

typedef struct
{
  guint64 begin, end;   /* local header to the end of the data */
  guint   entry;
} Span;

static int
cmp_span (gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;

  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

static guint16
rd16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
rd64 (const guint8 *p)
{
  return (guint64) rd32 (p) | ((guint64) rd32 (p + 4) << 32);
}

static gpointer
zip_bad (GError **error, NdZip *zip, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gpointer
zip_bad (GError **error, NdZip *zip, const char *fmt, ...)
{
  g_autofree char *detail = NULL;
  va_list ap;

  va_start (ap, fmt);
  detail = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
               _("%s: broken zip archive: %s"), zip->name, detail);
  return NULL;
}

gboolean
nd_zip_sniff (const guint8 *data, gsize size)
{
  return size >= 4 && rd32 (data) == LOCAL_SIG;
}

void
nd_zip_free (NdZip *zip)
{
  if (zip == NULL)
    return;
  if (zip->entries != NULL)
    for (guint i = 0; i < zip->entries->len; i++)
      g_free (g_array_index (zip->entries, NdZipEntry, i).name);
  g_clear_pointer (&zip->entries, g_array_unref);
  g_clear_pointer (&zip->flags, g_array_unref);
  g_clear_pointer (&zip->checked, g_array_unref);
  g_clear_pointer (&zip->by_name, g_hash_table_unref);
  g_free (zip->name);
  g_free (zip);
}

/* Reads the zip64 extra field (id 1): the 64-bit values of the fields that were saturated. */
static gboolean
zip64_extra (const guint8 *extra, gsize n, guint64 *usize, guint64 *csize, guint64 *offset)
{
  gsize i = 0;

  while (i + 4 <= n)
    {
      guint16 id = rd16 (extra + i), len = rd16 (extra + i + 2);
      const guint8 *p = extra + i + 4;
      gsize k = 0;

      if (len > n - i - 4)
        return FALSE;
      if (id == 1)
        {
          guint64 *fields[3] = { usize, csize, offset };

          for (int f = 0; f < 3; f++)
            {
              if (*fields[f] != 0xffffffffu)
                continue;
              if (k + 8 > len)
                return FALSE;
              *fields[f] = rd64 (p + k);
              k += 8;
            }
          return TRUE;
        }
      i += 4 + (gsize) len;
    }
  /* no zip64 field: fine only if nothing was saturated */
  return *usize != 0xffffffffu && *csize != 0xffffffffu && *offset != 0xffffffffu;
}

/* Entries (local header + data) may not overlap each other or the central directory: a
 * crafted archive could otherwise give two names the same bytes or hide data in the directory. */
static gboolean
check_spans (NdZip *zip, GArray *spans, guint64 cd_offset, guint64 cd_size, GError **error)
{
  g_array_sort (spans, cmp_span);
  for (guint i = 0; i < spans->len; i++)
    {
      const Span *s = &g_array_index (spans, Span, i);
      const char *name = g_array_index (zip->entries, NdZipEntry, s->entry).name;

      if (i > 0 && s->begin < g_array_index (spans, Span, i - 1).end)
        {
          const Span *p = &g_array_index (spans, Span, i - 1);

          zip_bad (error, zip, _("entries “%s” and “%s” overlap"),
                   g_array_index (zip->entries, NdZipEntry, p->entry).name, name);
          return FALSE;
        }
      if (s->begin < cd_offset + cd_size && cd_offset < s->end)
        {
          zip_bad (error, zip, _("entry “%s” overlaps the central directory"), name);
          return FALSE;
        }
    }
  return TRUE;
}

/* The end of central directory record (zip64 when its fields overflow): where the directory
 * is and how many entries it claims, each checked against the file. */
static gboolean
find_directory (NdZip *zip, guint64 *n_entries, guint64 *cd_offset, guint64 *cd_size,
                GError **error)
{
  const guint8 *data = zip->data;
  gsize size = zip->size, eocd = 0, lo;
  gboolean found = FALSE;

  if (size < EOCD_SIZE)
    return (zip_bad (error, zip, _("the file is too short (%zu bytes)"), size), FALSE);
  /* The end record is within the last 64 KiB + 22 bytes (the comment is at most 65535). */
  lo = size > EOCD_SIZE + 65535 ? size - EOCD_SIZE - 65535 : 0;
  for (gsize p = size - EOCD_SIZE + 1; p-- > lo;)
    if (rd32 (data + p) == EOCD_SIG && rd16 (data + p + 20) <= size - p - EOCD_SIZE)
      {
        eocd = p;
        found = TRUE;
        break;
      }
  if (!found)
    return (zip_bad (error, zip, _("no end of central directory record (truncated file?)")),
            FALSE);
  *n_entries = rd16 (data + eocd + 10);
  *cd_size = rd32 (data + eocd + 12);
  *cd_offset = rd32 (data + eocd + 16);
  if (rd16 (data + eocd + 4) != 0 || rd16 (data + eocd + 6) != 0)
    return (zip_bad (error, zip, _("multi-disk archives are not supported")), FALSE);
  if (*n_entries == 0xffff || *cd_size == 0xffffffffu || *cd_offset == 0xffffffffu)
    {
      guint64 rec;

      if (eocd < 20 || rd32 (data + eocd - 20) != LOC64_SIG)
        return (zip_bad (error, zip, _("zip64 fields without a zip64 locator")), FALSE);
      rec = rd64 (data + eocd - 20 + 8);
      if (rec > size || size - rec < 56 || rd32 (data + rec) != EOCD64_SIG)
        return (zip_bad (error, zip, _("the zip64 end record is out of range")), FALSE);
      *n_entries = rd64 (data + rec + 32);
      *cd_size = rd64 (data + rec + 40);
      *cd_offset = rd64 (data + rec + 48);
    }
  if (*cd_offset > size || *cd_size > size - *cd_offset)
    return (zip_bad (error, zip, _("the central directory (offset %" PRIu64 ", %"
                                  PRIu64 " bytes) is outside the file"),
                    *cd_offset, *cd_size), FALSE);
  if (*n_entries > MAX_ENTRIES || *n_entries > *cd_size / CDIR_SIZE)
    return (zip_bad (error, zip, _("%" PRIu64 " entries do not fit in the central "
                                  "directory"), *n_entries), FALSE);
  return TRUE;
}

/* Entry @i of the directory at @pos (its record ends before @end): checked against its local
 * header and the file, then added; @pos moves to the next record. */
static gboolean
read_entry (NdZip *zip, guint64 i, guint64 *pos, guint64 end, GArray *spans, GError **error)
{
  const guint8 *data = zip->data, *c;
  gsize size = zip->size;
  guint16 flags, method, nlen, xlen, clen, lnlen, lxlen;
  guint64 csize, usize, loff, data_off;
  g_autofree char *name = NULL;
  NdZipEntry e = { 0 };
  Span sp;

  if (end - *pos < CDIR_SIZE || rd32 (data + *pos) != CDIR_SIG)
    return (zip_bad (error, zip, _("central directory entry %" PRIu64 " is broken"), i),
            FALSE);
  c = data + *pos;
  flags = rd16 (c + 8);
  method = rd16 (c + 10);
  csize = rd32 (c + 20);
  usize = rd32 (c + 24);
  nlen = rd16 (c + 28);
  xlen = rd16 (c + 30);
  clen = rd16 (c + 32);
  loff = rd32 (c + 42);
  if ((guint64) nlen + xlen + clen > end - *pos - CDIR_SIZE)
    return (zip_bad (error, zip, _("central directory entry %" PRIu64 " runs past "
                                  "the directory"), i), FALSE);
  if (!zip64_extra (c + CDIR_SIZE + nlen, xlen, &usize, &csize, &loff))
    return (zip_bad (error, zip, _("entry %" PRIu64 " has a broken zip64 field"), i), FALSE);
  if (nlen == 0 || memchr (c + CDIR_SIZE, 0, nlen) != NULL
      || !g_utf8_validate_len ((const char *) c + CDIR_SIZE, nlen, NULL))
    return (zip_bad (error, zip, _("entry %" PRIu64 " has an invalid name"), i), FALSE);
  name = g_strndup ((const char *) c + CDIR_SIZE, nlen);

  /* The local header must agree with the directory. */
  if (loff > size || size - loff < LOCAL_SIZE || rd32 (data + loff) != LOCAL_SIG)
    return (zip_bad (error, zip, _("entry “%s”: no local header at offset %" PRIu64), name,
                    loff), FALSE);
  lnlen = rd16 (data + loff + 26);
  lxlen = rd16 (data + loff + 28);
  data_off = loff + LOCAL_SIZE + lnlen + lxlen;
  if (lnlen != nlen || data_off > size || memcmp (data + loff + LOCAL_SIZE, name, nlen) != 0)
    return (zip_bad (error, zip, _("entry “%s”: the local header does not match"), name),
            FALSE);
  if (method == 0 && csize != usize)
    return (zip_bad (error, zip, _("entry “%s”: stored with %" PRIu64 " bytes but "
                                  "declares %" PRIu64), name, csize, usize), FALSE);
  if (csize > size - data_off)
    return (zip_bad (error, zip, _("entry “%s”: %" PRIu64 " bytes at offset %"
                                  PRIu64 " run past the end of the file (truncated?)"),
                    name, csize, data_off), FALSE);
  if (g_hash_table_contains (zip->by_name, name))
    return (zip_bad (error, zip, _("entry “%s” appears twice"), name), FALSE);
  e.name = g_steal_pointer (&name);
  e.offset = data_off;
  e.size = method == 0 ? usize : csize;
  e.method = method;
  e.crc32 = rd32 (c + 16);
  sp = (Span) { loff, data_off + csize, zip->entries->len };
  g_array_append_val (spans, sp);
  g_array_append_val (zip->entries, e);
  g_array_append_val (zip->flags, flags);
  g_array_set_size (zip->checked, zip->entries->len);
  g_hash_table_insert (zip->by_name, e.name, GUINT_TO_POINTER (zip->entries->len));
  *pos += CDIR_SIZE + (guint64) nlen + xlen + clen;
  return TRUE;
}

NdZip *
nd_zip_open (const guint8 *data, gsize size, const char *name, GError **error)
{
  g_autoptr(NdZip) zip = g_new0 (NdZip, 1);
  guint64 n_entries, cd_size, cd_offset, pos;
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));

  zip->data = data;
  zip->size = size;
  zip->name = g_strdup (name ? name : "archive");
  zip->entries = g_array_new (FALSE, TRUE, sizeof (NdZipEntry));
  zip->flags = g_array_new (FALSE, TRUE, sizeof (guint16));
  zip->checked = g_array_new (FALSE, TRUE, sizeof (gboolean));
  zip->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  if (!find_directory (zip, &n_entries, &cd_offset, &cd_size, error))
    return NULL;
  pos = cd_offset;
  for (guint64 i = 0; i < n_entries; i++)
    if (!read_entry (zip, i, &pos, cd_offset + cd_size, spans, error))
      return NULL;
  if (!check_spans (zip, spans, cd_offset, cd_size, error))
    return NULL;
  return g_steal_pointer (&zip);
}

guint
nd_zip_n_entries (NdZip *zip)
{
  return zip->entries->len;
}

const NdZipEntry *
nd_zip_entry (NdZip *zip, guint i)
{
  g_return_val_if_fail (i < zip->entries->len, NULL);
  return &g_array_index (zip->entries, NdZipEntry, i);
}

const NdZipEntry *
nd_zip_find (NdZip *zip, const char *name)
{
  guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (zip->by_name, name));

  return idx == 0 ? NULL : &g_array_index (zip->entries, NdZipEntry, idx - 1);
}

const guint8 *
nd_zip_entry_data (NdZip *zip, const NdZipEntry *entry, GError **error)
{
  guint i = entry - (const NdZipEntry *) zip->entries->data;

  g_return_val_if_fail (i < zip->entries->len, NULL);
  if (g_array_index (zip->flags, guint16, i) & 1)
    return zip_bad (error, zip, _("entry “%s” is encrypted"), entry->name);
  if (entry->method != 0)
    return zip_bad (error, zip, _("entry “%s” is compressed (method %u); torch.save stores "
                                  "entries uncompressed — was the file re-zipped?"),
                    entry->name, entry->method);
  if (!g_array_index (zip->checked, gboolean, i))
    {
      guint32 crc = nd_crc32 (zip->data + entry->offset, entry->size);

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
      /* the fuzzer cannot forge checksums: let its mutations reach the pickle and tensors */
      crc = entry->crc32;
#endif
      if (crc != entry->crc32)
        return zip_bad (error, zip, _("entry “%s” is corrupt: CRC-32 %08x, the directory says "
                                      "%08x"), entry->name, crc, entry->crc32);
      g_array_index (zip->checked, gboolean, i) = TRUE;
    }
  return zip->data + entry->offset;
}
