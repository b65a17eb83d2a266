/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "nd-tensor.h"

G_BEGIN_DECLS

/* Input images as packed RGBA8 (what NdInference takes). */
typedef struct
{
  GBytes *rgba;
  int     width, height, stride;
} NdImage;

void      nd_image_clear        (NdImage     *image);
/* A synthetic pattern: colour ramps, a disc and stripes, so every channel has structure. */
void      nd_image_test_pattern (NdImage     *image,
                                 int          size);
/* Decodes @path through the one image loader (nd-image-load.h). */
gboolean  nd_image_load         (NdImage     *image,
                                 const char  *path,
                                 GError     **error);
/* The network input [1, C, H, W] shown as an RGB picture (min–max stretched). */
cairo_surface_t *nd_image_surface_from_input (const NdTensor *input);

G_END_DECLS
