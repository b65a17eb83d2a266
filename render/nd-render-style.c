/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-render-style.h"

static void
set4 (double *dst, double r, double g, double b, double a)
{
  dst[0] = r;
  dst[1] = g;
  dst[2] = b;
  dst[3] = a;
}

void
nd_render_style_init (NdRenderStyle *style,
                      gboolean       dark)
{
  g_return_if_fail (style != NULL);

  *style = (NdRenderStyle) { 0 };
  if (dark)
    {
      set4 (style->fg, 0.92, 0.92, 0.92, 1);
      set4 (style->bg, 0.14, 0.14, 0.15, 1);
      set4 (style->muted, 0.55, 0.55, 0.58, 1);
    }
  else
    {
      set4 (style->fg, 0.12, 0.12, 0.14, 1);
      set4 (style->bg, 0.98, 0.98, 0.98, 1);
      set4 (style->muted, 0.55, 0.55, 0.58, 1);
    }
  set4 (style->accent, 0.21, 0.52, 0.89, 1);     /* GNOME blue 3 */
  set4 (style->highlight, 0.90, 0.38, 0.0, 1);   /* orange */
  set4 (style->fused, 0.18, 0.76, 0.49, 1);      /* green */
  set4 (style->unfused, 0.75, 0.38, 0.83, 1);    /* purple */
  style->font_size = 11;
  style->zoom = 1;
}

void
nd_render_set_rgba (cairo_t *cr, const double *rgba)
{
  cairo_set_source_rgba (cr, rgba[0], rgba[1], rgba[2], rgba[3]);
}

void
nd_render_fill_bg (cairo_t *cr, const NdRenderStyle *style, double width, double height)
{
  if (style->bg[3] <= 0)
    return;
  cairo_save (cr);
  nd_render_set_rgba (cr, style->bg);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);
  cairo_restore (cr);
}

void
nd_render_text (cairo_t *cr, const char *text, double x, double y, double align)
{
  cairo_text_extents_t ext;

  if (text == NULL || *text == '\0')
    return;
  cairo_text_extents (cr, text, &ext);
  cairo_move_to (cr, x - align * ext.x_advance, y);
  cairo_show_text (cr, text);
}
