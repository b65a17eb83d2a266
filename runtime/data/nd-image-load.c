/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>

#include "nd-crc32.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-image-load.h"
#include "nd-jpeg-verify.h"

typedef struct
{
  const char *loader;    /* gdk-pixbuf's name for it */
  const char *label;
} Format;

static const Format PNG = { "png", "PNG" };
static const Format JPEG = { "jpeg", "JPEG" };
static const Format WEBP = { "webp", "WebP" };

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

#define img_bad(error, name, ...) nd_set_bad_file ((error), (name), _("image"), __VA_ARGS__)

/* Chunks from IHDR to IEND, each inside the file: a truncated PNG still "loads" in gdk-pixbuf
 * with its missing rows left blank. */
static gboolean
check_png (const guint8 *d, gsize n, const char *name, gboolean whole, guint32 *w, guint32 *h,
           GError **error)
{
  gsize pos = 8;
  gboolean first = TRUE;

  if (!whole)
    {
      if (n < 24 || memcmp (d + 12, "IHDR", 4) != 0)
        return img_bad (error, name, _("the PNG does not start with its IHDR chunk"));
      *w = be32 (d + 16);
      *h = be32 (d + 20);
      return TRUE;
    }

  for (;;)
    {
      guint32 len;

      if (n - pos < 12)
        return img_bad (error, name, _("the PNG ends before its IEND chunk (truncated)"));
      len = be32 (d + pos);
      if (len > 0x7fffffffu || len > n - pos - 12)
        return img_bad (error, name, _("a PNG chunk of %u bytes runs past the end (truncated)"),
                        len);
      if (first && (memcmp (d + pos + 4, "IHDR", 4) != 0 || len != 13))
        return img_bad (error, name, _("the PNG does not start with its IHDR chunk"));
      /* libpng only warns about a bad CRC in an ancillary chunk, and gdk-pixbuf drops its
       * warnings: a damaged file is refused here */
      if (nd_crc32 (d + pos + 4, 4 + (guint64) len) != be32 (d + pos + 8 + len)
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
          && FALSE   /* the fuzzer cannot forge checksums: let its mutations reach libpng */
#endif
         )
        return img_bad (error, name, _("the PNG chunk at byte %zu is corrupt "
                                       "(CRC-32)"), pos);
      if (first)
        {
          *w = be32 (d + pos + 8);
          *h = be32 (d + pos + 12);
        }
      first = FALSE;
      if (memcmp (d + pos + 4, "IEND", 4) == 0)
        return TRUE;
      pos += 12 + (gsize) len;
    }
}

/* Segments from SOI to EOI (the size from the SOF segment): libjpeg pads a truncated file
 * with grey and only warns, which gdk-pixbuf does not report. */
static gboolean
check_jpeg (const guint8 *d, gsize n, const char *name, gboolean whole, guint32 *w, guint32 *h,
            GError **error)
{
  gsize pos = 2;

  while (pos < n)
    {
      guint8 m;

      if (d[pos] != 0xff)
        return img_bad (error, name, _("a JPEG segment does not start with a marker"));
      while (pos < n && d[pos] == 0xff)
        pos++;
      if (pos >= n)
        break;
      m = d[pos++];
      if (m == 0xd9)
        return *w > 0 ? TRUE : img_bad (error, name, _("the JPEG has no frame header"));
      if ((m >= 0xd0 && m <= 0xd7) || m == 0x01)
        continue;
      if (n - pos < 2 || (((gsize) d[pos] << 8) | d[pos + 1]) < 2
          || (((gsize) d[pos] << 8) | d[pos + 1]) > n - pos)
        break;
      if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
        {
          if ((((gsize) d[pos] << 8) | d[pos + 1]) < 7)
            return img_bad (error, name, _("a JPEG frame header is too short"));
          *h = ((guint32) d[pos + 3] << 8) | d[pos + 4];
          *w = ((guint32) d[pos + 5] << 8) | d[pos + 6];
          if (!whole)
            return TRUE;
        }
      pos += ((gsize) d[pos] << 8) | d[pos + 1];
      if (m != 0xda)
        continue;
      /* entropy-coded data: up to the next marker that is not stuffing (FF00) or a restart */
      while (pos + 1 < n && !(d[pos] == 0xff && d[pos + 1] != 0
                              && !(d[pos + 1] >= 0xd0 && d[pos + 1] <= 0xd7)))
        pos++;
      if (pos + 1 >= n)
        break;
    }
  return img_bad (error, name, _("the JPEG ends before its end-of-image marker (truncated)"));
}

static guint32
le24 (const guint8 *p)
{
  return (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

/* The RIFF length against the file, and the canvas size from the first chunk (VP8X, VP8L or
 * VP8), so that WebP too is sized before the decoder runs. */
static gboolean
check_webp (const guint8 *d, gsize n, const char *name, gboolean whole, guint32 *w, guint32 *h,
            GError **error)
{
  if (whole && (guint64) le32 (d + 4) + 8 > n)
    return img_bad (error, name, _("the WebP file is shorter than its RIFF header says "
                                   "(truncated)"));
  if (n >= 30 && memcmp (d + 12, "VP8X", 4) == 0)
    {
      *w = le24 (d + 24) + 1;
      *h = le24 (d + 27) + 1;
    }
  else if (n >= 25 && memcmp (d + 12, "VP8L", 4) == 0 && d[20] == 0x2f)
    {
      guint32 bits = le32 (d + 21);

      *w = (bits & 0x3fff) + 1;
      *h = ((bits >> 14) & 0x3fff) + 1;
    }
  else if (n >= 30 && memcmp (d + 12, "VP8 ", 4) == 0)
    {
      *w = (d[26] | (guint32) d[27] << 8) & 0x3fff;
      *h = (d[28] | (guint32) d[29] << 8) & 0x3fff;
    }
  else
    return img_bad (error, name, _("the WebP file has no VP8, VP8L or VP8X header"));
  return TRUE;
}

/* The format from the magic bytes and the size its header declares; @whole: the structure
 * checked to the end (PNG chunks and CRCs to IEND, JPEG segments to EOI, the RIFF length). */
static const Format *
sniff (const guint8 *d, gsize n, const char *name, gboolean whole, guint32 *w, guint32 *h,
       GError **error)
{
  *w = *h = 0;
  if (n >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return check_png (d, n, name, whole, w, h, error) ? &PNG : NULL;
  if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
    return check_jpeg (d, n, name, whole, w, h, error) ? &JPEG : NULL;
  if (n >= 16 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0)
    return check_webp (d, n, name, whole, w, h, error) ? &WEBP : NULL;
  img_bad (error, name, _("not a PNG, JPEG or WebP image (other formats are not read)"));
  return NULL;
}

static gboolean
size_ok (guint64 w, guint64 h)
{
  return w >= 1 && h >= 1 && w <= ND_IMAGE_MAX_SIDE && h <= ND_IMAGE_MAX_SIDE
         && w * h <= ND_IMAGE_MAX_PIXELS;
}

typedef struct
{
  int      width, height;
  gboolean too_big;
  guint8  *rows;        /* [height]: rows the decoder delivered */
} SizeCheck;

static void
on_area_updated (GdkPixbufLoader *loader, int x, int y, int width, int height, gpointer data)
{
  SizeCheck *check = data;

  for (int r = MAX (y, 0); check->rows != NULL && r < MIN (y + height, check->height); r++)
    check->rows[r] = 1;
}

/* The decoder's own reading of the header, before it allocates: refused sizes stop it (a 0×0
 * target makes the loaders fail before allocating; 1×1 would decode in full and scale). */
static void
on_size_prepared (GdkPixbufLoader *loader, int width, int height, gpointer data)
{
  SizeCheck *check = data;

  check->width = width;
  check->height = height;
  if (!size_ok (width, height))
    {
      check->too_big = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  g_free (check->rows);
  check->rows = g_malloc0 (height);
}

static GBytes *
to_rgba (GdkPixbuf *pb, const char *name, int *width, int *height, GError **error)
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int nch = gdk_pixbuf_get_n_channels (pb), stride = gdk_pixbuf_get_rowstride (pb);
  const guint8 *px = gdk_pixbuf_read_pixels (pb);
  guint8 *rgba;

  if (gdk_pixbuf_get_colorspace (pb) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_bits_per_sample (pb) != 8 || !size_ok (w, h) || (nch != 3 && nch != 4))
    {
      img_bad (error, name, _("a size or pixel layout this program cannot use (%d×%d, %d "
                              "channels)"), w, h, nch);
      return NULL;
    }
  rgba = g_try_malloc ((gsize) w * h * 4);
  if (rgba == NULL)
    {
      g_autofree char *shown = nd_escape_for_terminal (name);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                   _("Out of memory decoding %s (%d×%d pixels)"), shown, w, h);
      return NULL;
    }
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
  *width = w;
  *height = h;
  return g_bytes_new_take (rgba, (gsize) w * h * 4);
}

/* Feeds the named loader; every decoder error and a short picture are errors. */
static GdkPixbuf *
decode (const Format *fmt, const guint8 *data, gsize size, const char *name, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local = NULL;
  SizeCheck check = { 0 };
  GdkPixbuf *pixbuf;
  gboolean ok;

  loader = gdk_pixbuf_loader_new_with_type (fmt->loader, &local);
  if (loader == NULL)
    {
      img_bad (error, name, _("%s images need gdk-pixbuf's %s loader, which is not installed"),
               fmt->label, fmt->loader);
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &check);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &check);
  ok = gdk_pixbuf_loader_write (loader, data, size, &local);
  /* close () even after a failed write: the loader insists on it */
  ok = gdk_pixbuf_loader_close (loader, ok ? &local : NULL) && ok;
  if (check.too_big)
    img_bad (error, name, _("%d×%d pixels; at most %d per side and %u megapixels are read"),
             check.width, check.height, ND_IMAGE_MAX_SIDE, ND_IMAGE_MAX_PIXELS / 1000000);
  else if (!ok)
    img_bad (error, name, _("the %s decoder failed: %s"), fmt->label,
             local != NULL ? local->message : "?");
  else if (check.rows == NULL || memchr (check.rows, 0, check.height) != NULL)
    img_bad (error, name, _("truncated: only part of its %d rows could be decoded"),
             check.height);
  g_free (check.rows);
  if (check.too_big || !ok || (error != NULL && *error != NULL))
    return NULL;
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      img_bad (error, name, _("it contains no picture"));
      return NULL;
    }
  /* EXIF orientation (the jpeg and png loaders set the "orientation" option) */
  return gdk_pixbuf_apply_embedded_orientation (pixbuf);
}

GBytes *
nd_image_decode_rgba (const guint8 *data, gsize size, const char *name, int *width, int *height,
                      GError **error)
{
  g_autoptr(GdkPixbuf) upright = NULL;
  g_autoptr(GError) local = NULL;
  const Format *fmt;
  guint32 w, h;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  fmt = sniff (data, size, name, TRUE, &w, &h, error);
  if (fmt == NULL)
    return NULL;
  /* The header's size, before the decoder allocates anything */
  if (!size_ok (w, h))
    {
      img_bad (error, name, _("%u×%u pixels; at most %d per side and %u megapixels are read"),
               w, h, ND_IMAGE_MAX_SIDE, ND_IMAGE_MAX_PIXELS / 1000000);
      return NULL;
    }
  if (fmt == &JPEG && !nd_jpeg_verify (data, size, name, error))
    return NULL;
  upright = decode (fmt, data, size, name, &local);
  if (upright == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return to_rgba (upright, name, width, height, error);
}

GBytes *
nd_image_load_rgba (const char *path, int *width, int *height, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);
  bytes = nd_file_read (path, ND_IMAGE_MAX_FILE, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  return nd_image_decode_rgba (data ? data : (const guint8 *) "", size, path, width, height,
                               error);
}

gboolean
nd_image_probe_file (const char *path, gboolean whole, int *width, int *height, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  const Format *fmt;
  const guint8 *data;
  guint32 w, h;
  gsize size;

  g_return_val_if_fail (path != NULL, FALSE);
  bytes = nd_file_read (path, ND_IMAGE_MAX_FILE, error);
  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &size);
  fmt = sniff (data ? data : (const guint8 *) "", size, path, whole, &w, &h, error);
  if (fmt == NULL)
    return FALSE;
  /* a front end decoding with its own JPEG decoder (GStreamer's jpegdec) gets the same verdict */
  if (whole && fmt == &JPEG && !nd_jpeg_verify (data, size, path, error))
    return FALSE;
  *width = (int) MIN (w, (guint32) G_MAXINT);
  *height = (int) MIN (h, (guint32) G_MAXINT);
  return TRUE;
}
