/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-render-rf.h"

void
nd_render_rf (cairo_t                *cr,
              cairo_surface_t        *image,
              int                     in_w,
              int                     in_h,
              const NdReceptiveField *rf,
              double                  width,
              double                  height,
              const NdRenderStyle    *style)
{
  double s, ox, oy;
  char buf[96];

  g_return_if_fail (cr != NULL && style != NULL);

  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  if (in_w <= 0 || in_h <= 0)
    goto out;
  s = MIN (width / in_w, (height - style->font_size * 1.6) / in_h);
  if (s <= 0)
    goto out;
  ox = (width - in_w * s) / 2;
  oy = 0;

  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_rectangle (cr, 0, 0, in_w * s, in_h * s);
  cairo_clip (cr);
  if (image != NULL && cairo_surface_get_type (image) == CAIRO_SURFACE_TYPE_IMAGE
      && cairo_image_surface_get_width (image) > 0)
    {
      double iw = cairo_image_surface_get_width (image);
      double ih = cairo_image_surface_get_height (image);

      cairo_scale (cr, in_w * s / iw, in_h * s / ih);
      cairo_set_source_surface (cr, image, 0, 0);
      cairo_paint (cr);
    }
  else
    {
      /* No image: a checkerboard, so the field still reads. */
      double cell = in_w * s / 8;

      for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
          {
            double v = (x + y) % 2 ? 0.8 : 0.6;

            cairo_set_source_rgb (cr, v, v, v);
            cairo_rectangle (cr, x * cell, y * cell, cell, cell * in_h / in_w);
            cairo_fill (cr);
          }
    }
  cairo_restore (cr);

  if (rf == NULL)
    goto out;
  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  cairo_rectangle (cr, rf->x0 * s, rf->y0 * s, (rf->x1 - rf->x0 + 1) * s,
                   (rf->y1 - rf->y0 + 1) * s);
  cairo_set_source_rgba (cr, style->accent[0], style->accent[1], style->accent[2], 0.30);
  cairo_fill_preserve (cr);
  nd_render_set_rgba (cr, style->accent);
  cairo_set_line_width (cr, 2);
  cairo_stroke (cr);
  /* The unclipped extent, centred on the clipped box's centre when it overflows. */
  if (rf->width > rf->x1 - rf->x0 + 1 || rf->height > rf->y1 - rf->y0 + 1)
    {
      const double dash[] = { 5, 4 };
      double cx = (rf->x0 + rf->x1 + 1) / 2.0, cy = (rf->y0 + rf->y1 + 1) / 2.0;

      cairo_set_dash (cr, dash, 2, 0);
      cairo_set_line_width (cr, 1);
      cairo_rectangle (cr, (cx - rf->width / 2.0) * s, (cy - rf->height / 2.0) * s,
                       rf->width * s, rf->height * s);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }
  cairo_restore (cr);
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, style->font_size);
  if (rf->global)
    g_snprintf (buf, sizeof buf, _("receptive field %d×%d px · plus global SE context"),
                rf->width, rf->height);
  else
    g_snprintf (buf, sizeof buf, _("receptive field %d×%d px"), rf->width, rf->height);
  /* Narrow panes: the caption shrinks (to 7 px), then the SE note goes, then the line. */
  if (!nd_render_text_fit (cr, buf, width / 2, in_h * s + style->font_size * 1.3, 0.5,
                           width - 4, 7) && rf->global)
    {
      g_snprintf (buf, sizeof buf, _("receptive field %d×%d px"), rf->width, rf->height);
      nd_render_text_fit (cr, buf, width / 2, in_h * s + style->font_size * 1.3, 0.5,
                          width - 4, 7);
    }
out:
  cairo_restore (cr);
}
