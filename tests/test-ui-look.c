/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-inspector.h"
#include "nd-render-featuremap.h"
#include "ui-fixture.h"

/* The look of the window (issue 12, item 6): dark style in the drawings too, a 1024×700
 * window, the enlarged feature map, the model search. */

/* The share of the screenshot's pixels brighter than 200 (of 255) in luma. */
static double
bright_share (GBytes *png)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_texture_new_from_bytes (png, &error);
  int w, h, n = 0;
  g_autofree guint8 *px = NULL;

  g_assert_no_error (error);
  w = gdk_texture_get_width (texture);
  h = gdk_texture_get_height (texture);
  px = g_malloc ((gsize) w * h * 4);
  gdk_texture_download (texture, px, (gsize) w * 4);
  for (int i = 0; i < w * h; i++)
    {
      /* GDK_MEMORY_DEFAULT: B, G, R, A */
      double luma = 0.0722 * px[4 * i] + 0.7152 * px[4 * i + 1] + 0.2126 * px[4 * i + 2];

      n += luma > 200;
    }
  return (double) n / (w * h);
}

/* Light: the graph, the panels and their drawings are light (most pixels bright). Dark: the
 * drawings follow, so few bright pixels remain (the input picture, feature maps, the
 * coloured boxes). With the drawings kept light (as before) the dark window measured 48 %. */
static void
test_dark (Fixture *f, gconstpointer data)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  g_autoptr(GBytes) light = NULL;
  g_autoptr(GBytes) dark = NULL;
  double l, d;

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  light = screenshot (f, "look-light");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  dark = screenshot (f, "look-dark");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  l = bright_share (light);
  d = bright_share (dark);
  g_test_message ("bright pixels: light %.1f %%, dark %.1f %%", 100 * l, 100 * d);
  g_assert_cmpfloat (l, >, 0.5);
  g_assert_cmpfloat (d, <, 0.15);
}

/* The window can be 1024×700: its minimum size fits. */
static void
test_narrow (Fixture *f, gconstpointer data)
{
  int min_w = 0, min_h = 0;

  gtk_widget_measure (GTK_WIDGET (f->window), GTK_ORIENTATION_HORIZONTAL, -1, &min_w, NULL,
                      NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (f->window), GTK_ORIENTATION_VERTICAL, 1024, &min_h, NULL,
                      NULL, NULL);
  g_test_message ("minimum size %d×%d", min_w, min_h);
  g_assert_cmpint (min_w, <=, 1024);
  g_assert_cmpint (min_h, <=, 700);
}

/* A map enlarged and back, with the hovered cell's value under it. */
static void
test_enlarge (Fixture *f, gconstpointer data)
{
  NdInspector *inspector = ND_INSPECTOR (ui_find_type (GTK_WIDGET (f->window), ND_TYPE_INSPECTOR));

  g_assert_nonnull (inspector);
  nd_inspector_enlarge (inspector, 2);
  g_assert_cmpint (nd_inspector_get_enlarged (inspector), ==, 2);
  g_assert_true (window_shows (f, "Feature map 2 of ", TRUE));
  nd_inspector_set_cell (inspector, 2, 1, 3);
  g_assert_true (window_shows (f, "channel 2 · row 1, column 3 · ", TRUE));
  nd_inspector_enlarge (inspector, -1);
  g_assert_true (window_shows (f, "Output feature maps · ", TRUE));
  /* A click (the gesture's "pressed", at a point the hit-test puts on channel 3) enlarges
   * channel 3; a second click goes back to the grid. */
  {
    GtkWidget *fmap = ui_find_type (GTK_WIDGET (inspector), GTK_TYPE_DRAWING_AREA);
    NdTensor *t = nd_inference_result_block_output (nd_window_get_result (f->window),
                                                    "streams.1.1", NULL);
    GtkEventController *click = NULL;
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (fmap);
    NdRenderStyle style;
    int w = gtk_widget_get_width (fmap), h = gtk_widget_get_height (fmap);
    double px = -1, py = -1;

    g_assert_nonnull (t);
    nd_render_style_init (&style, FALSE);
    for (int y = 0; y < h && px < 0; y++)
      for (int x = 0; x < w && px < 0; x++)
        {
          NdFeatureCell cell;

          if (nd_render_featuremap_cell_at (t, w, h, &style, x + 0.5, y + 0.5, &cell)
              && cell.channel == 3)
            px = x + 0.5, py = y + 0.5;
        }
    g_assert_cmpfloat (px, >=, 0);
    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

        if (GTK_IS_GESTURE_CLICK (c))
          click = c;
      }
    g_assert_nonnull (click);
    g_signal_emit_by_name (click, "pressed", 1, px, py);
    g_assert_cmpint (nd_inspector_get_enlarged (inspector), ==, 3);
    g_assert_true (window_shows (f, "Feature map 3 of ", TRUE));
    g_signal_emit_by_name (click, "pressed", 1, px, py);
    g_assert_cmpint (nd_inspector_get_enlarged (inspector), ==, -1);
  }
  /* A channel the block does not have falls back to the grid. */
  nd_inspector_enlarge (inspector, 100000);
  g_assert_cmpint (nd_inspector_get_enlarged (inspector), ==, -1);
}

/* The model drop-down's search field filters by name: its expression finds "resnet-50" for
 * "resnet-5" and nothing else. */
static void
test_model_search (Fixture *f, gconstpointer data)
{
  GtkDropDown *dropdown = NULL;
  g_autoptr(GtkStringFilter) filter = NULL;
  g_autoptr(GtkFilterListModel) filtered = NULL;
  GtkExpression *expression;

  for (GtkWidget *w = ui_find_type (GTK_WIDGET (f->window), GTK_TYPE_DROP_DOWN); w != NULL;
       w = NULL)
    dropdown = GTK_DROP_DOWN (w);
  g_assert_nonnull (dropdown);
  g_assert_true (gtk_drop_down_get_enable_search (dropdown));
  expression = gtk_drop_down_get_expression (dropdown);
  g_assert_nonnull (expression);
  filter = gtk_string_filter_new (gtk_expression_ref (expression));
  gtk_string_filter_set_search (filter, "resnet-5");
  filtered = gtk_filter_list_model_new (g_object_ref (gtk_drop_down_get_model (dropdown)),
                                        GTK_FILTER (g_object_ref (filter)));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (filtered)), ==, 1);
  {
    g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (filtered), 0);

    g_assert_cmpstr (gtk_string_object_get_string (item), ==, "resnet-50");
  }
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/look/dark", Fixture, NULL, fixture_setup, test_dark, fixture_teardown);
  g_test_add ("/ui/look/narrow", Fixture, NULL, fixture_setup, test_narrow, fixture_teardown);
  g_test_add ("/ui/look/enlarge", Fixture, NULL, fixture_setup, test_enlarge, fixture_teardown);
  g_test_add ("/ui/look/model-search", Fixture, NULL, fixture_setup, test_model_search,
              fixture_teardown);
  return g_test_run ();
}
