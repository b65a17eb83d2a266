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

/* nd_colormap_rgb24 at ND_COLORMAP_TABLE_SIZE evenly spaced t, for drawing many cells:
 * table[nd_colormap_index (t)] is within 1 per channel of nd_colormap_rgb24 (t), exact at 0
 * and 1. Built once, shared, read-only. */
#define ND_COLORMAP_TABLE_SIZE 1024
const guint32 *nd_colormap_table (NdColormap map);

static inline int
nd_colormap_index (float t)
{
  /* NaN and below 0 take the first entry, as nd_colormap_rgb does */
  if (!(t > 0))
    return 0;
  return t >= 1 ? ND_COLORMAP_TABLE_SIZE - 1 : (int) (t * (ND_COLORMAP_TABLE_SIZE - 1) + 0.5f);
}

G_END_DECLS
