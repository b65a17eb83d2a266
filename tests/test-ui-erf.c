/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-erf-view.h"
#include "nd-model.h"
#include "nd-preprocess.h"
#include "nd-safetensors.h"
#include "nd-weights.h"
#include "ui-fixture.h"

/* The gradients window on the shipped Fashion-MNIST ParNet and a sample image: the effective
 * receptive field and Grad-CAM are computed off the main thread, then drawn; the field holds
 * mass (radii > 0, 50 % inside 95 %) and Grad-CAM explains the top class. With
 * ND_ERF_SCREENSHOTS=DIR it saves the window light and dark (docs/screenshots/erf-*.png). */

typedef struct
{
  GtkWidget    *window;
  NdErfView    *view;
  guint64       frames;
  char         *path;      /* the screenshot to save after the next paint */
} View;

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ((View *) data)->frames++;
  return G_SOURCE_CONTINUE;
}

/* A shipped Fashion-MNIST model at the knobs its metadata names (nondeep.knobs). */
static NdGraph *
shipped (const char *file, const char *model, double width)
{
  g_autofree char *path = g_build_filename (ND_SOURCE_ASSETS_DIR, "weights", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdWeightSet) set = nd_safetensors_load (path, NULL, &error);
  NdModelSpec spec;
  NdGraph *graph;

  g_assert_no_error (error);
  g_assert_true (nd_model_spec_parse (model, &spec, &error));
  spec.width = width;
  spec.resolution = 32;
  spec.classes = 10;
  spec.in_channels = 1;
  graph = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  g_assert_true (nd_graph_load_weights (graph, set, &error));
  g_assert_no_error (error);
  return graph;
}

static NdTensor *
sample_input (void)
{
  g_autofree char *path = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples",
                                            "0000-ankle-boot.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (path, &error);
  NdPreprocess pp;
  NdTensor *input;

  g_assert_no_error (error);
  nd_preprocess_for_fashion_mnist (32, 0.2860f, 0.3530f, &pp);
  input = nd_preprocess_image (gdk_pixbuf_read_pixels (pixbuf), gdk_pixbuf_get_width (pixbuf),
                               gdk_pixbuf_get_height (pixbuf), gdk_pixbuf_get_rowstride (pixbuf),
                               gdk_pixbuf_get_has_alpha (pixbuf) ? ND_PIXEL_FORMAT_RGBA8
                                                                 : ND_PIXEL_FORMAT_RGB8,
                               &pp, &error);
  g_assert_no_error (error);
  return input;
}

/* Waits for two painted frames, so the view shows its newest state. */
static void
wait_frames (View *v)
{
  guint64 until = v->frames + 3;

  WAIT_UNTIL (v->frames >= until, 20);
}

/* Renders the window after a paint (before it, a widget waiting for its redraw has nothing
 * to render), as nd_window_save_screenshot() does. */
static void
after_paint_cb (GdkFrameClock *clock, View *v)
{
  int w = gtk_widget_get_width (v->window), h = gtk_widget_get_height (v->window);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (v->window);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, v);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (v->window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, v->path));
  g_test_message ("saved %s", v->path);
  g_clear_pointer (&v->path, g_free);
}

static void
save (View *v, const char *name)
{
  const char *dir = g_getenv ("ND_ERF_SCREENSHOTS");

  wait_frames (v);
  if (dir == NULL)
    return;
  v->path = g_build_filename (dir, name, NULL);
  g_signal_connect (gtk_widget_get_frame_clock (v->window), "after-paint",
                    G_CALLBACK (after_paint_cb), v);
  gtk_widget_queue_draw (v->window);
  WAIT_UNTIL (v->path == NULL, 20);
}

static void
test_erf_view (void)
{
  g_autoptr(NdGraph) graph = shipped ("parnet-fashion-mnist.safetensors", "parnet-s", 0.25);
  g_autoptr(NdTensor) input = sample_input ();
  AdwStyleManager *manager = adw_style_manager_get_default ();
  const char *labels[] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                           "Shirt", "Sneaker", "Bag", "Ankle boot", NULL };
  const NdErf *erf;
  View v = { 0 };

  v.view = nd_erf_view_present (NULL, graph, input, "streams.1", labels);
  v.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (v.view)));
  g_assert_true (GTK_IS_WINDOW (v.window));
  gtk_window_set_default_size (GTK_WINDOW (v.window), 900, 560);
  gtk_widget_add_tick_callback (v.window, tick_cb, &v, NULL);
  g_assert_true (nd_erf_view_is_busy (v.view));
  WAIT_UNTIL (!nd_erf_view_is_busy (v.view), 120);
  erf = nd_erf_view_get_erf (v.view);
  g_assert_nonnull (erf);
  g_assert_cmpfloat (erf->radius_50, >, 0);
  g_assert_cmpfloat (erf->radius_50, <=, erf->radius_95);
  g_assert_cmpint (erf->samples, >, 1);
  /* the trained model calls the ankle boot an ankle boot (class 9) */
  g_assert_cmpint (nd_erf_view_get_class (v.view), ==, 9);
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  save (&v, "erf-gradcam-light.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  save (&v, "erf-gradcam-dark.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  /* a block the model does not have: an error, not a crash */
  nd_erf_view_set_source (v.view, graph, input, "layer9", labels);
  WAIT_UNTIL (!nd_erf_view_is_busy (v.view), 60);
  g_assert_null (nd_erf_view_get_erf (v.view));
  gtk_window_destroy (GTK_WINDOW (v.window));
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/ui/erf/view", test_erf_view);
  return g_test_run ();
}
