/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "nd-dataset.h"
#include "nd-error.h"
#include "nd-file.h"

#define DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define MAX_ITEMS 1000000
#define MAX_SIDE 1024

/* Reads a whole gzip file, refusing more than @limit bytes of output. */
static GBytes *
read_gzip (const char *path, gsize limit, GError **error)
{
  /* the compressed file through nd_file_read (regular files only: a FIFO must not block) */
  g_autoptr(GBytes) packed = nd_file_read (path, limit, error);
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GZlibDecompressor) dec = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 buf[65536];
  gssize n;

  if (packed == NULL)
    return NULL;
  raw = g_memory_input_stream_new_from_bytes (packed);
  dec = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  in = g_converter_input_stream_new (raw, G_CONVERTER (dec));
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, error)) > 0)
    {
      if (out->len + (gsize) n > limit)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                       _("%s: larger than any dataset file this reader accepts"), path);
          return NULL;
        }
      g_byte_array_append (out, buf, n);
    }
  if (n < 0)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint8 *
read_idx (const char *path, guint32 magic, int ndims, guint32 *dims, GError **error)
{
  g_autoptr(GBytes) bytes = read_gzip (path, 4 + 4 * 3 + (gsize) MAX_ITEMS * 28 * 28 * 4, error);
  const guint8 *p;
  gsize size, need = 1;

  if (bytes == NULL)
    return NULL;
  p = g_bytes_get_data (bytes, &size);
  if (size < 4 + 4 * (gsize) ndims || be32 (p) != magic)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s: not an IDX file of the expected kind"), path);
      return NULL;
    }
  for (int i = 0; i < ndims; i++)
    {
      dims[i] = be32 (p + 4 + 4 * i);
      if (dims[i] == 0 || dims[i] > (i == 0 ? MAX_ITEMS : MAX_SIDE))
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                       _("%s: dimension %d is %u, out of range"), path, i, dims[i]);
          return NULL;
        }
      need *= dims[i];
    }
  if (size - 4 - 4 * ndims != need)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s: holds %zu bytes of data, the header says %zu"),
                   path, size - 4 - 4 * ndims, need);
      return NULL;
    }
  return g_memdup2 (p + 4 + 4 * ndims, need);
}

NdDataset *
nd_dataset_load_fashion_mnist (const char *dir, gboolean test_split, GError **error)
{
  g_autoptr(NdDataset) set = g_new0 (NdDataset, 1);
  const char *prefix = test_split ? "t10k" : "train";
  g_autofree char *images = NULL, *labels = NULL, *name_i = NULL, *name_l = NULL;
  guint32 di[3], dl[1];

  if (dir == NULL)
    dir = DEFAULT_DIR;
  name_i = g_strdup_printf ("%s-images-idx3-ubyte.gz", prefix);
  name_l = g_strdup_printf ("%s-labels-idx1-ubyte.gz", prefix);
  images = g_build_filename (dir, name_i, NULL);
  labels = g_build_filename (dir, name_l, NULL);
  if (!g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s not found; install Debian's dataset-fashion-mnist package"), images);
      return NULL;
    }
  set->images = read_idx (images, 0x803, 3, di, error);
  if (set->images == NULL)
    return NULL;
  set->labels = read_idx (labels, 0x801, 1, dl, error);
  if (set->labels == NULL)
    return NULL;
  if (dl[0] != di[0])
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%u images but %u labels"), di[0], dl[0]);
      return NULL;
    }
  set->n = (int) di[0];
  set->rows = (int) di[1];
  set->cols = (int) di[2];
  return g_steal_pointer (&set);
}

void
nd_dataset_free (NdDataset *set)
{
  g_free (set->images);
  g_free (set->labels);
  g_free (set);
}

gboolean
nd_gray_preprocess_parse (const char *text, NdGrayPreprocess *pp, GError **error)
{
  g_auto(GStrv) words = g_strsplit_set (text ? text : "", " \t", -1);

  *pp = (NdGrayPreprocess) { .bilinear = FALSE, .size = 32, .mean = 0.2860, .std = 0.3530 };
  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *w = words[i];

      if (*w == '\0' || g_str_equal (w, "gray"))
        continue;
      if (g_str_equal (w, "resize=bilinear"))
        pp->bilinear = TRUE;
      else if (g_str_equal (w, "resize=pad"))
        pp->bilinear = FALSE;
      else if (g_str_has_prefix (w, "size="))
        pp->size = atoi (w + 5);
      else if (g_str_has_prefix (w, "mean="))
        pp->mean = g_ascii_strtod (w + 5, NULL);
      else if (g_str_has_prefix (w, "std="))
        pp->std = g_ascii_strtod (w + 4, NULL);
    }
  if (pp->size < 1 || pp->size > 4096 || !(pp->std > 0))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Unusable preprocessing “%s”"), text);
      return FALSE;
    }
  return TRUE;
}

void
nd_gray_preprocess_pixels (const guint8 *img, int W, int H, const NdGrayPreprocess *pp,
                           float *dst)
{
  int S = pp->size;
  double sy = (double) H / S, sx = (double) W / S;
  int oy = (S - H) / 2, ox = (S - W) / 2;
  /* padding only makes sense for images that fit; anything else is resized */
  gboolean bilinear = pp->bilinear || W > S || H > S;

  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      {
        double v;

        if (bilinear)
          {
            /* half-pixel centres, edge-clamped: torch F.interpolate(align_corners=False) */
            double fy = MAX ((y + 0.5) * sy - 0.5, 0), fx = MAX ((x + 0.5) * sx - 0.5, 0);
            int y0 = MIN ((int) fy, H - 1), x0 = MIN ((int) fx, W - 1);
            int y1 = MIN (y0 + 1, H - 1), x1 = MIN (x0 + 1, W - 1);
            double wy = fy - y0, wx = fx - x0;

            v = (1 - wy) * ((1 - wx) * img[y0 * W + x0] + wx * img[y0 * W + x1])
                + wy * ((1 - wx) * img[y1 * W + x0] + wx * img[y1 * W + x1]);
          }
        else
          {
            int iy = y - oy, ix = x - ox;

            v = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? img[iy * W + ix] : 0;
          }
        dst[y * S + x] = (float) ((v / 255.0 - pp->mean) / pp->std);
      }
}

void
nd_dataset_fill_input (const NdDataset *set, int index, const NdGrayPreprocess *pp,
                       NdTensor *out, int slot)
{
  nd_gray_preprocess_pixels (set->images + (gsize) index * set->rows * set->cols, set->cols,
                             set->rows, pp, out->data + (gsize) slot * pp->size * pp->size);
}
