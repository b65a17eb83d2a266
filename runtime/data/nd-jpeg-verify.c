/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <setjmp.h>
#include <stdio.h>

#include <glib/gi18n-lib.h>
#include <jpeglib.h>

#include "nd-error.h"
#include "nd-jpeg-verify.h"

/* gdk-pixbuf's JPEG loader silences libjpeg's warnings, and libjpeg only *warns* about damaged
 * entropy-coded data ("Corrupt JPEG data: bad Huffman code", "premature end of data segment")
 * while it fills the rest of the picture with guesses. So the scan is decoded once here with
 * every warning an error. At 1/8 scale libjpeg still Huffman-decodes every coefficient (where
 * the damage shows) but skips most of the inverse DCT, so this costs a fraction of a decode. */

typedef struct
{
  struct jpeg_error_mgr pub;
  jmp_buf               escape;
  char                  message[JMSG_LENGTH_MAX];
} Errors;

G_GNUC_NORETURN static void
on_error_exit (j_common_ptr cinfo)
{
  Errors *err = (Errors *) cinfo->err;

  err->pub.format_message (cinfo, err->message);
  longjmp (err->escape, 1);
}

static void
on_message (j_common_ptr cinfo, int level)
{
  Errors *err = (Errors *) cinfo->err;

  /* level -1 is a warning (corrupt data); levels ≥ 0 are trace messages */
  if (level < 0)
    {
      err->pub.format_message (cinfo, err->message);
      longjmp (err->escape, 1);
    }
}

gboolean
nd_jpeg_verify (const guint8 *data, gsize size, const char *name, GError **error)
{
  struct jpeg_decompress_struct cinfo;
  Errors err = { 0 };
  JSAMPARRAY row = NULL;

  cinfo.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = on_error_exit;
  err.pub.emit_message = on_message;
  if (setjmp (err.escape))
    {
      jpeg_destroy_decompress (&cinfo);
      nd_set_bad_file (error, name, _("image"), _("the JPEG data is damaged (%s)"), err.message);
      return FALSE;
    }
  jpeg_create_decompress (&cinfo);
  jpeg_mem_src (&cinfo, data, (unsigned long) size);
  jpeg_read_header (&cinfo, TRUE);
  cinfo.scale_num = 1;
  cinfo.scale_denom = 8;
  cinfo.dct_method = JDCT_IFAST;
  cinfo.do_fancy_upsampling = FALSE;
  jpeg_start_decompress (&cinfo);
  row = cinfo.mem->alloc_sarray ((j_common_ptr) &cinfo, JPOOL_IMAGE,
                                 cinfo.output_width * cinfo.output_components, 1);
  while (cinfo.output_scanline < cinfo.output_height)
    jpeg_read_scanlines (&cinfo, row, 1);
  jpeg_finish_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  return TRUE;
}
