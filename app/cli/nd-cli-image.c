/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-dataset.h"
#include "nd-error.h"
#include "nd-preprocess.h"

#define MAX_IMAGE_SIDE 16384

/* Decodes @path with gdk-pixbuf (not GTK) and preprocesses it for @model: 1-channel models
 * get the Fashion-MNIST gray path of their weights' metadata; RGB models their family's
 * evaluation preprocessing. */
NdTensor *
nd_cli_load_image (const char *path, NdCliModel *model, GError **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) local = NULL;
  int w, h, stride, nch;
  const guint8 *px;

  if (!gdk_pixbuf_get_file_info (path, &w, &h))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s: not an image this program can read"), path);
      return NULL;
    }
  if (w < 1 || h < 1 || w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s: %d×%d pixels is outside 1–%d per side"), path, w, h, MAX_IMAGE_SIDE);
      return NULL;
    }
  pixbuf = gdk_pixbuf_new_from_file (path, &local);
  if (pixbuf == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE, "%s: %s", path,
                   local->message);
      return NULL;
    }
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  nch = gdk_pixbuf_get_n_channels (pixbuf);
  px = gdk_pixbuf_read_pixels (pixbuf);

  if (model->graph->in_c == 1)
    {
      NdGrayPreprocess pp;
      g_autoptr(NdTensor) t = NULL;

      if (!nd_gray_preprocess_parse (model->preprocess, &pp, error))
        return NULL;
      pp.size = model->graph->in_h;
      t = nd_tensor_new_4d (1, 1, pp.size, pp.size);
      if (!nd_preprocess_gray_input (px, w, h, stride,
                                     nch == 4 ? ND_PIXEL_FORMAT_RGBA8 : ND_PIXEL_FORMAT_RGB8,
                                     &pp, t->data, error))
        return NULL;
      return g_steal_pointer (&t);
    }
  {
    NdPreprocess pp;

    nd_preprocess_for_spec (&model->spec, &pp);
    return nd_preprocess_image (px, w, h, stride,
                                nch == 4 ? ND_PIXEL_FORMAT_RGBA8 : ND_PIXEL_FORMAT_RGB8, &pp,
                                error);
  }
}
