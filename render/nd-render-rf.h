/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-receptive-field.h"
#include "nd-render-style.h"

G_BEGIN_DECLS

/* The input image (any Cairo surface, may be NULL: a checkerboard) fitted into the area with
 * its aspect kept, and over it the receptive field: the clipped rectangle filled and outlined,
 * the theoretical (unclipped) extent dashed, and its size in pixels. @in_w × @in_h is the
 * network input the field's coordinates refer to. */
void nd_render_rf (cairo_t                *cr,
                   cairo_surface_t        *image,
                   int                     in_w,
                   int                     in_h,
                   const NdReceptiveField *rf,
                   double                  width,
                   double                  height,
                   const NdRenderStyle    *style);

G_END_DECLS
