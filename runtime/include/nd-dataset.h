/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-tensor.h"

G_BEGIN_DECLS

/* An image classification set in IDX form (MNIST / Fashion-MNIST: gzip'd big-endian headers,
 * magic 0x803 for images [n, rows, cols] uint8 and 0x801 for labels [n] uint8). */
typedef struct
{
  int     n, rows, cols;
  guint8 *images;   /* n·rows·cols */
  guint8 *labels;   /* n */
} NdDataset;

/* Loads the Fashion-MNIST test (or train) split from @dir (NULL: Debian's
 * /usr/share/datasets/fashion-mnist). Every header field is checked against the data. */
NdDataset *nd_dataset_load_fashion_mnist (const char *dir,
                                          gboolean    test_split,
                                          GError    **error);
void       nd_dataset_free               (NdDataset  *set);

/* How a 28×28 gray image becomes the model input [1, R, R]: pad with zeros or resize
 * (bilinear, half-pixel centres as torch's F.interpolate(align_corners=False)), then
 * (x/255 − mean) / std. Parsed from weights metadata "nondeep.preprocess", e.g.
 * "gray resize=bilinear size=64 mean=0.2860 std=0.3530" or "gray resize=pad size=32 …". */
typedef struct
{
  gboolean bilinear;
  int      size;
  double   mean, std;
} NdGrayPreprocess;

gboolean   nd_gray_preprocess_parse      (const char        *text,
                                          NdGrayPreprocess  *pp,
                                          GError           **error);
/* Preprocesses one gray W×H image into @dst (size × size floats). Images larger than the
 * model input are always resized. */
void       nd_gray_preprocess_pixels     (const guint8           *gray,
                                          int                     width,
                                          int                     height,
                                          const NdGrayPreprocess *pp,
                                          float                  *dst);
/* Writes image @index of @set into @out at batch position @slot ([N, 1, size, size]). */
void       nd_dataset_fill_input         (const NdDataset        *set,
                                          int                     index,
                                          const NdGrayPreprocess *pp,
                                          NdTensor               *out,
                                          int                     slot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdDataset, nd_dataset_free)

G_END_DECLS
