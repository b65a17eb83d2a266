/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Perceptual colormaps sampled at t ∈ [0, 1] (clamped; NaN maps to 0). */
typedef enum
{
  ND_COLORMAP_VIRIDIS,   /* feature maps: dark purple → teal → yellow */
  ND_COLORMAP_LATENCY,   /* per-block latency: pale yellow → orange → red */
  ND_COLORMAP_DIVERGING, /* signed values (kernels): blue → white → red, 0.5 is zero */
} NdColormap;

void nd_colormap_rgb (NdColormap  map,
                      double      t,
                      double     *r,
                      double     *g,
                      double     *b);

/* 0xRRGGBB of the same colour rounded to 8 bits, as a Cairo ARGB32 surface stores it. */
guint32 nd_colormap_rgb24 (NdColormap map,
                           double     t);

G_END_DECLS
