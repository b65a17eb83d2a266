/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The input picture as a GdkPaintable that draws at the size it is shown: a 640×480 camera
 * frame shown in a 213×160 box becomes a 213×160 texture in the renderer's own pixel format
 * (box-filtered once per frame), not a full frame that a software renderer converts and scales
 * on every paint. A new frame of the same size only invalidates the contents, never the
 * layout. */
#define ND_TYPE_PREVIEW (nd_preview_get_type ())
G_DECLARE_FINAL_TYPE (NdPreview, nd_preview, ND, PREVIEW, GObject)

NdPreview *nd_preview_new       (void);
/* Packed RGBA8 (straight alpha), kept by reference. */
void       nd_preview_set_image (NdPreview *self,
                                 GBytes    *rgba,
                                 int        width,
                                 int        height,
                                 int        stride);
/* A heat map over the picture: @map [@h × @w], ≥ 0, scaled to its maximum and coloured here
 * once (pale yellow → red, more opaque where higher), drawn into @rect (x, y, width, height
 * in the picture's pixels, clipped to the picture) and scaled by the renderer. NULL removes
 * it. */
void       nd_preview_set_overlay (NdPreview   *self,
                                   const float *map,
                                   int          h,
                                   int          w,
                                   const double *rect);
gboolean   nd_preview_has_overlay (NdPreview *self);
/* The picture shown (transfer none), or NULL. */
GBytes    *nd_preview_get_image   (NdPreview *self);
/* The overlay's colour at @t ∈ [0, 1] as straight RGBA (the legend draws the same ramp). */
void       nd_preview_overlay_rgba (double  t,
                                    double *rgba);
/* Device pixels per logical pixel of the widget showing it. */
void       nd_preview_set_scale (NdPreview *self,
                                 int        scale);

G_END_DECLS
