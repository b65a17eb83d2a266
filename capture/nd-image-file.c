/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "nd-error.h"
#include "nd-image-file.h"

/* Compressed files above this are refused before reading (a 16384² PNG is far smaller). */
#define MAX_FILE_BYTES (G_GINT64_CONSTANT (1) << 30)

typedef struct
{
  int      width, height;
  gboolean too_big;
  guint8  *rows;        /* [height]: rows the decoder delivered */
} SizeCheck;

/* A file cut short still "loads" (gdk-pixbuf's PNG loader closes without error and leaves
 * the rest blank), so count the rows the decoder actually produced. */
static void
on_area_updated (GdkPixbufLoader *loader, int x, int y, int width, int height, gpointer data)
{
  SizeCheck *check = data;

  for (int r = MAX (y, 0); check->rows != NULL && r < MIN (y + height, check->height); r++)
    check->rows[r] = 1;
}

static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer data)
{
  SizeCheck *check = data;

  check->width = width;
  check->height = height;
  if (width < 1 || height < 1 || width > ND_PREPROCESS_MAX_SIDE
      || height > ND_PREPROCESS_MAX_SIDE)
    {
      /* A 0 × 0 target makes the loaders stop before they allocate the full-size pixbuf
       * (a 1 × 1 one would still decode at full size and scale after). */
      check->too_big = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  g_free (check->rows);
  check->rows = g_malloc0 (height);
}

NdFrame *
nd_image_file_load (const char *path, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GdkPixbuf) upright = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *display = NULL;
  SizeCheck check = { 0 };
  gboolean ok;
  GdkPixbuf *pixbuf;
  GStatBuf st;
  gsize len;
  int w, h, nch, stride;
  const guint8 *px;
  guint8 *rgba;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  display = g_filename_display_name (path);
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s does not exist or is not a regular file"), display);
      return NULL;
    }
  if ((gint64) st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s is too large (%" G_GINT64_FORMAT " bytes)"), display,
                   (gint64) st.st_size);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, &local))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s could not be read: %s"), display, local->message);
      return NULL;
    }

  /* The incremental loader reports a file that ends early at close(), where
   * gdk_pixbuf_new_from_file () may hand back a half-grey picture. */
  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &check);
  ok = gdk_pixbuf_loader_write (loader, (const guchar *) contents, len, &local);
  /* close () even after a failed write: the loader insists on it */
  ok = gdk_pixbuf_loader_close (loader, ok ? &local : NULL) && ok;
  if (check.too_big)
    {
      g_free (check.rows);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s is %d×%d pixels; at most %d per side is supported"),
                   display, check.width, check.height, ND_PREPROCESS_MAX_SIDE);
      return NULL;
    }
  if (ok && !check.too_big && check.rows != NULL
      && memchr (check.rows, 0, check.height) != NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s is truncated: only part of its %d rows could be decoded"),
                   display, check.height);
      g_free (check.rows);
      return NULL;
    }
  g_free (check.rows);
  if (!ok)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s is corrupt, truncated or not a supported format: %s"),
                   display, local != NULL ? local->message : "?");
      return NULL;
    }
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s contains no picture"), display);
      return NULL;
    }
  upright = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (upright == NULL || gdk_pixbuf_get_colorspace (upright) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_bits_per_sample (upright) != 8)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s has a pixel layout this program cannot use"), display);
      return NULL;
    }

  w = gdk_pixbuf_get_width (upright);
  h = gdk_pixbuf_get_height (upright);
  nch = gdk_pixbuf_get_n_channels (upright);
  stride = gdk_pixbuf_get_rowstride (upright);
  px = gdk_pixbuf_read_pixels (upright);
  if (w < 1 || h < 1 || w > ND_PREPROCESS_MAX_SIDE || h > ND_PREPROCESS_MAX_SIDE
      || (nch != 3 && nch != 4))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s has an unusable size or layout (%d×%d, %d channels)"),
                   display, w, h, nch);
      return NULL;
    }

  rgba = g_malloc ((gsize) w * h * 4);
  for (int y = 0; y < h; y++)
    {
      const guint8 *in = px + (gsize) y * stride;
      guint8 *out = rgba + (gsize) y * w * 4;

      for (int x = 0; x < w; x++, in += nch, out += 4)
        {
          out[0] = in[0];
          out[1] = in[1];
          out[2] = in[2];
          out[3] = nch == 4 ? in[3] : 255;
        }
    }
  bytes = g_bytes_new_take (rgba, (gsize) w * h * 4);
  return nd_frame_new (bytes, w, h, w * 4, ND_PIXEL_FORMAT_RGBA8);
}
