/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-teach-page.h"

/* The held-out confusion matrix: cells shaded by the share of their row (true class), the
 * count inside, the class names along the left. */
void
_nd_teach_page_draw_confusion (GtkWidget *area, cairo_t *cr, int width, int height,
                               const NdTeachHead *h)
{
  GdkRGBA fg;
  double label_w, cell;
  int k = h->n_classes;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS   /* gtk_widget_get_color () is GTK 4.10 */
  gtk_style_context_get_color (gtk_widget_get_style_context (area), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  label_w = MIN (80.0, width * 0.35);
  cell = MIN ((width - label_w) / k, (double) height / k);
  if (cell < 4)
    return;
  for (int r = 0; r < k; r++)
    {
      g_autoptr(PangoLayout) name = gtk_widget_create_pango_layout (area,
                                                                    h->classes[r]);
      int row_sum = 0, tw, th;

      for (int c = 0; c < k; c++)
        row_sum += h->confusion[r * k + c];
      pango_layout_set_width (name, (int) ((label_w - 4) * PANGO_SCALE));
      pango_layout_set_ellipsize (name, PANGO_ELLIPSIZE_END);
      pango_layout_get_pixel_size (name, &tw, &th);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, 0, r * cell + (cell - th) / 2);
      pango_cairo_show_layout (cr, name);
      for (int c = 0; c < k; c++)
        {
          int v = h->confusion[r * k + c];
          double share = row_sum > 0 ? (double) v / row_sum : 0;
          g_autofree char *num = g_strdup_printf ("%d", v);
          g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (area, num);

          /* the diagonal (right) in the accent blue, errors in red */
          if (r == c)
            cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.15 + 0.85 * share);
          else
            cairo_set_source_rgba (cr, 0.88, 0.11, 0.14, share > 0 ? 0.15 + 0.85 * share : 0.05);
          cairo_rectangle (cr, label_w + c * cell + 1, r * cell + 1, cell - 2, cell - 2);
          cairo_fill (cr);
          pango_layout_get_pixel_size (layout, &tw, &th);
          if (tw <= cell - 2 && th <= cell - 2)
            {
              gdk_cairo_set_source_rgba (cr, &fg);
              cairo_move_to (cr, label_w + c * cell + (cell - tw) / 2, r * cell + (cell - th) / 2);
              pango_cairo_show_layout (cr, layout);
            }
        }
    }
}

