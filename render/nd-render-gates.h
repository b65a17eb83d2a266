/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-render-style.h"

G_BEGIN_DECLS

/* SE/SSE gate values (alpha·σ(z) per channel, in [0, @max_value]) as vertical bars, channel 0
 * on the left; a dashed line marks 1 (the "no change" gate) when it is inside the range. */
void nd_render_gates (cairo_t             *cr,
                      const float         *values,
                      int                  n,
                      double               max_value,
                      double               width,
                      double               height,
                      const NdRenderStyle *style);

/* The same with channel @hover (−1: none) highlighted and, on a chart at least 160 px wide,
 * axes (gate value, channel), the values on bars wide enough for them and a readout of the
 * hovered channel's value. */
void nd_render_gates_hover    (cairo_t             *cr,
                               const float         *values,
                               int                  n,
                               double               max_value,
                               int                  hover,
                               double               width,
                               double               height,
                               const NdRenderStyle *style);

/* The bar index under x, or −1: for a chart without axes (height unknown), and for one of
 * @width × @height. */
int  nd_render_gates_index_at      (int    n,
                                    double width,
                                    double x);
int  nd_render_gates_index_at_full (int    n,
                                    double width,
                                    double height,
                                    double x);

G_END_DECLS
