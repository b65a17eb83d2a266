/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "nd-dataset.h"
#include "nd-inference-private.h"
#include "nd-preprocess.h"

/* The picture side of a run: the model input made from the RGBA picture, and where that input
 * lies on the picture (so a map on the input's grid can be drawn over it). */

NdTensor *
_nd_inference_make_input (const NdGraph *graph, NdFamily family, const char *preprocess,
                          GBytes *image, int w, int h, int stride, char **input_text,
                          GError **error)
{
  const guint8 *px = g_bytes_get_data (image, NULL);
  NdPreprocess pp;

  if (graph->in_c == 1)
    {
      /* Fashion-MNIST models: the weights' gray path (pad or resize, their mean/std). */
      NdGrayPreprocess gp;
      NdTensor *t;

      if (!nd_gray_preprocess_parse (preprocess, &gp, error))
        return NULL;
      gp.size = graph->in_h;
      g_free (*input_text);
      *input_text = gp.bilinear
                    ? g_strdup_printf (_("gray 28×28 (larger pictures: short side, centre "
                                         "crop), bilinear to %d×%d, mean %.4g std %.4g"),
                                       gp.size, gp.size, gp.mean, gp.std)
                    : g_strdup_printf (_("gray 28×28 (larger pictures: short side, centre "
                                         "crop), centred on a %d×%d canvas, mean %.4g std "
                                         "%.4g"),
                                       gp.size, gp.size, gp.mean, gp.std);
      {
        int64_t shape[4] = { 1, 1, gp.size, gp.size };

        /* the size comes from the model's metadata: fail softly */
        t = nd_tensor_try_new (4, shape, error);
      }
      if (t != NULL && !nd_preprocess_gray_input (px, w, h, stride, ND_PIXEL_FORMAT_RGBA8, &gp,
                                                  t->data, error))
        g_clear_pointer (&t, nd_tensor_unref);
      return t;
    }
  /* The family's official evaluation transform at the side the graph takes. */
  nd_preprocess_for_family (family, graph->in_h, &pp);
  g_free (*input_text);
  *input_text = nd_preprocess_describe (&pp);
  return nd_preprocess_image (px, w, h, stride, ND_PIXEL_FORMAT_RGBA8, &pp, error);
}

/* torchvision's CenterCrop offset, as nd-preprocess.c takes it: round((size − crop) / 2),
 * half to even; a crop larger than the image pads (crop − size) // 2 on the leading side. */
static int
crop_offset (int size, int crop)
{
  if (size >= crop)
    return (int) nearbyint ((size - crop) / 2.0);
  return -((crop - size) / 2);
}

/* The picture rectangle under a resize + centre crop's crop × crop grid (its inner picture
 * centred on the canvas included). */
static void
crop_rect (const NdPreprocess *pp, int width, int height, double *rect)
{
  int rw, rh, inner = pp->crop, pad = 0;
  double sx, sy;

  if (pp->resize == 0)
    {
      /* a warp: the whole picture */
      rect[0] = rect[1] = 0;
      rect[2] = width;
      rect[3] = height;
      return;
    }
  if (pp->inner > 0 && pp->inner < pp->crop)
    {
      inner = pp->inner;
      pad = (pp->crop - inner) / 2;
    }
  nd_preprocess_resized_size (pp, width, height, &rw, &rh);
  sx = (double) width / rw;
  sy = (double) height / rh;
  rect[0] = (crop_offset (rw, inner) - pad) * sx;
  rect[1] = (crop_offset (rh, inner) - pad) * sy;
  rect[2] = pp->crop * sx;
  rect[3] = pp->crop * sy;
}

static void
input_rect (const NdGraph *graph, NdFamily family, const char *preprocess,
                          int width, int height, double *rect)
{
  NdPreprocess pp;
  NdGrayPreprocess gp;
  int side = ND_FASHION_MNIST_SIDE;

  if (graph->in_c != 1)
    {
      nd_preprocess_for_family (family, graph->in_h, &pp);
      crop_rect (&pp, width, height, rect);
      return;
    }
  /* Gray models: a 28 × 28 Fashion-MNIST-sized picture first (nd_preprocess_gray_input), then
   * the weights' 28 → size step: a centred pad when it fits, else a stretch. */
  nd_preprocess_for_gray (side, 0, 1, &pp);
  crop_rect (&pp, width, height, rect);
  if (!nd_gray_preprocess_parse (preprocess, &gp, NULL))
    return;
  gp.size = graph->in_h;   /* as make_input in the worker */
  if (!gp.bilinear && gp.size >= side)
    {
      int off = (gp.size - side) / 2;
      double sx = rect[2] / side, sy = rect[3] / side;

      rect[0] -= off * sx;
      rect[1] -= off * sy;
      rect[2] = gp.size * sx;
      rect[3] = gp.size * sy;
    }
}

void
_nd_inference_attach_image (NdInferenceResult *r, const NdGraph *graph, NdFamily family,
                            const char *preprocess, GBytes *image, int w, int h, int stride)
{
  r->image = g_bytes_ref (image);
  r->image_width = w;
  r->image_height = h;
  r->image_stride = stride;
  input_rect (graph, family, preprocess, w, h, r->input_rect);
}
