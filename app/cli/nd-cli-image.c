/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-dataset.h"
#include "nd-error.h"
#include "nd-image-load.h"
#include "nd-preprocess.h"

/* Decodes @path and preprocesses it for @model: 1-channel models
 * get the Fashion-MNIST gray path of their weights' metadata; RGB models their family's
 * evaluation preprocessing. */
NdTensor *
nd_cli_load_image (const char *path, NdCliModel *model, GError **error)
{
  g_autoptr(GBytes) rgba = NULL;
  const guint8 *px;
  int w, h;

  /* the one loader of every front end (runtime/data/nd-image-load.c) */
  rgba = nd_image_load_rgba (path, &w, &h, error);
  if (rgba == NULL)
    return NULL;
  px = g_bytes_get_data (rgba, NULL);

  if (model->graph->in_c == 1)
    {
      NdGrayPreprocess pp;
      g_autoptr(NdTensor) t = NULL;
      int64_t shape[4] = { 1, 1, 0, 0 };

      if (!nd_gray_preprocess_parse (model->preprocess, &pp, error))
        return NULL;
      pp.size = model->graph->in_h;
      shape[2] = shape[3] = pp.size;
      t = nd_tensor_try_new (4, shape, error);
      if (t == NULL
          || !nd_preprocess_gray_input (px, w, h, w * 4, ND_PIXEL_FORMAT_RGBA8, &pp, t->data,
                                        error))
        return NULL;
      return g_steal_pointer (&t);
    }
  {
    NdPreprocess pp;

    nd_preprocess_for_spec (&model->spec, &pp);
    return nd_preprocess_image (px, w, h, w * 4, ND_PIXEL_FORMAT_RGBA8, &pp, error);
  }
}
