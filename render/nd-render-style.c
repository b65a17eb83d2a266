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

static const cairo_user_data_key_t layout_key;

static double
font_size (cairo_t *cr)
{
  cairo_matrix_t m;

  cairo_get_font_matrix (cr, &m);
  return hypot (m.xy, m.yy);
}

/* @text laid out in @size user units. One layout (and Pango context) per cairo_t, kept on it:
 * a graph draws hundreds of labels per frame, and a fresh context for each cost more than
 * the drawing. The returned layout belongs to @cr. */
static PangoLayout *
text_layout (cairo_t *cr, const char *text, double size)
{
  PangoLayout *layout = cairo_get_user_data (cr, &layout_key);
  const PangoFontDescription *current;
  int want = (int) (MAX (size, 0.5) * PANGO_SCALE);

  if (layout == NULL)
    {
      PangoFontDescription *desc = pango_font_description_from_string ("Sans");

      layout = pango_cairo_create_layout (cr);
      pango_font_description_set_absolute_size (desc, want);
      pango_layout_set_font_description (layout, desc);
      pango_font_description_free (desc);
      cairo_set_user_data (cr, &layout_key, layout, g_object_unref);
    }
  else
    pango_cairo_update_layout (cr, layout);   /* the transform may have changed */
  current = pango_layout_get_font_description (layout);
  if (pango_font_description_get_size (current) != want)
    {
      PangoFontDescription *desc = pango_font_description_copy (current);

      pango_font_description_set_absolute_size (desc, want);
      pango_layout_set_font_description (layout, desc);
      pango_font_description_free (desc);
    }
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static double
layout_width (PangoLayout *layout)
{
  PangoRectangle logical;

  pango_layout_get_extents (layout, NULL, &logical);
  return logical.width / (double) PANGO_SCALE;
}

static void
show (cairo_t *cr, PangoLayout *layout, double x, double y, double align)
{
  double baseline = (double) pango_layout_get_baseline (layout) / PANGO_SCALE;

  cairo_move_to (cr, x - align * layout_width (layout), y - baseline);
  pango_cairo_show_layout (cr, layout);
  cairo_new_path (cr);
}

void
nd_render_text (cairo_t *cr, const char *text, double x, double y, double align)
{
  if (text == NULL || *text == '\0')
    return;
  show (cr, text_layout (cr, text, font_size (cr)), x, y, align);
}

gboolean
nd_render_text_fit (cairo_t *cr, const char *text, double x, double y, double align,
                    double max_w, double min_size)
{
  double size = font_size (cr), w;
  PangoLayout *layout;

  if (text == NULL || *text == '\0' || max_w <= 0)
    return FALSE;
  layout = text_layout (cr, text, size);
  w = layout_width (layout);
  if (w > max_w)
    {
      size *= max_w / w;
      if (size < min_size)
        return FALSE;
      layout = text_layout (cr, text, size);
    }
  else if (size < min_size)
    return FALSE;
  show (cr, layout, x, y, align);
  return TRUE;
}

double
nd_render_text_width (cairo_t *cr, const char *text)
{
  if (text == NULL || *text == '\0')
    return 0;
  return layout_width (text_layout (cr, text, font_size (cr)));
}

int
nd_render_text_unknown (cairo_t *cr, const char *text)
{
  if (text == NULL || *text == '\0')
    return 0;
  return pango_layout_get_unknown_glyphs_count (text_layout (cr, text, font_size (cr)));
}
