/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <pango/pangocairo.h>

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
nd_render_style_set_dark (NdRenderStyle *style,
                          gboolean       dark)
{
  g_return_if_fail (style != NULL);

  style->dark = dark;
  if (dark)
    {
      /* libadwaita's dark window and view colours, so the drawings sit in the panels. */
      set4 (style->fg, 0.92, 0.92, 0.92, 1);
      set4 (style->bg, 0.118, 0.118, 0.118, 1);
      set4 (style->muted, 0.60, 0.60, 0.63, 1);
      set4 (style->surface, 0.24, 0.24, 0.26, 1);
      set4 (style->on_surface, 0.93, 0.93, 0.93, 1);
      set4 (style->accent, 0.47, 0.68, 0.93, 1);   /* GNOME blue 2, readable on dark */
      set4 (style->highlight, 1.0, 0.56, 0.22, 1);
    }
  else
    {
      set4 (style->fg, 0.12, 0.12, 0.14, 1);
      set4 (style->bg, 0.98, 0.98, 0.98, 1);
      set4 (style->muted, 0.55, 0.55, 0.58, 1);
      set4 (style->surface, 0.86, 0.86, 0.86, 1);
      set4 (style->on_surface, 0.10, 0.10, 0.12, 1);
      set4 (style->accent, 0.21, 0.52, 0.89, 1);   /* GNOME blue 3 */
      set4 (style->highlight, 0.90, 0.38, 0.0, 1); /* orange */
    }
  set4 (style->on_color, 0.10, 0.10, 0.12, 1);
  set4 (style->fused, 0.18, 0.76, 0.49, 1);      /* green */
  set4 (style->unfused, 0.75, 0.38, 0.83, 1);    /* purple */
}

void
nd_render_style_init (NdRenderStyle *style,
                      gboolean       dark)
{
  g_return_if_fail (style != NULL);

  *style = (NdRenderStyle) { 0 };
  nd_render_style_set_dark (style, dark);
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

/* A layout of @text in the cairo_t's font size (the font matrix's scale, which
 * cairo_set_font_size sets and cairo_save/restore keep). */
static PangoLayout *
text_layout (cairo_t *cr, const char *text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_from_string ("Sans");
  cairo_matrix_t m;
  double size;

  cairo_get_font_matrix (cr, &m);
  size = hypot (m.xy, m.yy);
  pango_font_description_set_absolute_size (desc, MAX (size, 0.5) * PANGO_SCALE);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

void
nd_render_text (cairo_t *cr, const char *text, double x, double y, double align)
{
  g_autoptr(PangoLayout) layout = NULL;
  PangoRectangle logical;
  double baseline;

  if (text == NULL || *text == '\0')
    return;
  layout = text_layout (cr, text);
  pango_layout_get_extents (layout, NULL, &logical);
  baseline = (double) pango_layout_get_baseline (layout) / PANGO_SCALE;
  cairo_move_to (cr, x - align * logical.width / (double) PANGO_SCALE, y - baseline);
  pango_cairo_show_layout (cr, layout);
  cairo_new_path (cr);
}

gboolean
nd_render_text_fit (cairo_t *cr, const char *text, double x, double y, double align,
                    double max_w, double min_size)
{
  cairo_matrix_t m;
  double size, w = nd_render_text_width (cr, text);

  cairo_get_font_matrix (cr, &m);
  size = hypot (m.xy, m.yy);
  if (w > max_w)
    size *= max_w / w;
  if (size < min_size || max_w <= 0)
    return FALSE;
  cairo_save (cr);
  cairo_set_font_size (cr, size);
  nd_render_text (cr, text, x, y, align);
  cairo_restore (cr);
  return TRUE;
}

double
nd_render_text_width (cairo_t *cr, const char *text)
{
  g_autoptr(PangoLayout) layout = NULL;
  PangoRectangle logical;

  if (text == NULL || *text == '\0')
    return 0;
  layout = text_layout (cr, text);
  pango_layout_get_extents (layout, NULL, &logical);
  return logical.width / (double) PANGO_SCALE;
}

int
nd_render_text_unknown (cairo_t *cr, const char *text)
{
  g_autoptr(PangoLayout) layout = NULL;

  if (text == NULL || *text == '\0')
    return 0;
  layout = text_layout (cr, text);
  return pango_layout_get_unknown_glyphs_count (layout);
}
