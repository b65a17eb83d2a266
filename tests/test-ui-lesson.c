/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-lesson-view.h"
#include "nd-lesson.h"
#include "nd-model.h"
#include "nd-preprocess.h"
#include "nd-weights.h"
#include "nd-safetensors.h"
#include "ui-fixture.h"

/* The lesson view on the shipped RepVGG-A0 and a sample image: it computes the steps off the
 * main thread, steps forward and back through its actions (the buttons and ← →), stops at
 * both ends, shows a pitfall. With ND_LESSON_SCREENSHOTS=DIR it saves the window at three
 * steps and at the int8 pitfall (the PNGs in docs/screenshots were made so). */

typedef struct
{
  GtkWidget    *window;
  NdLessonView *view;
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
  const char *dir = g_getenv ("ND_LESSON_SCREENSHOTS");

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
go_to (View *v, const char *id)
{
  nd_lesson_view_set_step (v->view, 0);
  while (g_strcmp0 (nd_lesson_view_get_step_id (v->view), id) != 0)
    {
      guint before = nd_lesson_view_get_step (v->view);

      gtk_widget_activate_action (GTK_WIDGET (v->view), "lesson.next", NULL);
      g_assert_cmpuint (nd_lesson_view_get_step (v->view), ==, before + 1);
    }
}

static void
test_lesson_view (void)
{
  g_autoptr(NdGraph) graph = shipped ("repvgg-a0-w0.25-fmnist.safetensors", "repvgg-a0", 0.25);
  g_autoptr(NdTensor) input = sample_input ();
  View v = { 0 };
  guint n;

  /* reduced motion: steps change at once (and the fade is not waited for) */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  v.view = nd_lesson_view_present (NULL, graph, input, "stage1.1");
  v.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (v.view)));
  g_assert_true (GTK_IS_WINDOW (v.window));
  gtk_window_set_default_size (GTK_WINDOW (v.window), 1000, 720);
  gtk_widget_add_tick_callback (v.window, tick_cb, &v, NULL);
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  n = nd_lesson_view_get_n_steps (v.view);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpstr (nd_lesson_view_get_step_id (v.view), ==, "training");

  /* back at the first step does nothing; forward to the end, then no further */
  gtk_widget_activate_action (GTK_WIDGET (v.view), "lesson.back", NULL);
  g_assert_cmpuint (nd_lesson_view_get_step (v.view), ==, 0);
  for (guint i = 1; i < n; i++)
    {
      gtk_widget_activate_action (GTK_WIDGET (v.view), "lesson.next", NULL);
      g_assert_cmpuint (nd_lesson_view_get_step (v.view), ==, i);
    }
  gtk_widget_activate_action (GTK_WIDGET (v.view), "lesson.next", NULL);
  g_assert_cmpuint (nd_lesson_view_get_step (v.view), ==, n - 1);
  g_assert_cmpstr (nd_lesson_view_get_step_id (v.view), ==, "fused");
  gtk_widget_activate_action (GTK_WIDGET (v.view), "lesson.back", NULL);
  g_assert_cmpstr (nd_lesson_view_get_step_id (v.view), ==, "identity_kernel");

  nd_lesson_view_set_channels (v.view, 3, 3);
  go_to (&v, "bn_folded");
  save (&v, "lesson-1-bn-folded.png");
  go_to (&v, "identity_kernel");
  save (&v, "lesson-2-identity-kernel.png");
  go_to (&v, "fused");
  save (&v, "lesson-3-fused.png");

  /* the pitfall: measured off the main thread, then drawn */
  nd_lesson_view_set_pitfall (v.view, ND_LESSON_PITFALL_INT8);
  g_assert_true (nd_lesson_view_is_busy (v.view));
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  g_assert_nonnull (nd_lesson_view_get_pitfall_result (v.view));
  g_assert_cmpfloat (nd_lesson_view_get_pitfall_result (v.view)->logits_fused_max_rel, >,
                     nd_lesson_view_get_pitfall_result (v.view)->logits_unfused_max_rel);
  save (&v, "lesson-pitfall-int8.png");
  nd_lesson_view_set_pitfall (v.view, -1);
  g_assert_null (nd_lesson_view_get_pitfall_result (v.view));

  gtk_window_destroy (GTK_WINDOW (v.window));
}

static const NdLessonStep *
step_of (NdLessonView *view, const char *id)
{
  const NdLesson *lesson = nd_lesson_view_get_lesson (view);

  for (guint i = 0; lesson != NULL && i < lesson->steps->len; i++)
    if (g_str_equal (((NdLessonStep *) g_ptr_array_index (lesson->steps, i))->id, id))
      return g_ptr_array_index (lesson->steps, i);
  return NULL;
}

/* VanillaNet's λ slider: below 1 the activation step stops being an equivalence. */
static void
test_vanillanet_lambda (void)
{
  g_autoptr(NdGraph) graph = shipped ("vanillanet-5-w0.125-fmnist.safetensors", "vanillanet-5",
                                      0.125);
  g_autoptr(NdTensor) input = sample_input ();
  View v = { 0 };

  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  v.view = nd_lesson_view_present (NULL, graph, input, "stages.0");
  v.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (v.view)));
  gtk_window_set_default_size (GTK_WINDOW (v.window), 1000, 720);
  gtk_widget_add_tick_callback (v.window, tick_cb, &v, NULL);
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  g_assert_true (step_of (v.view, "activation")->valid);
  g_assert_cmpfloat (step_of (v.view, "activation")->max_rel, <=, 1e-5);

  nd_lesson_view_set_lambda (v.view, 0.3);
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  g_assert_false (step_of (v.view, "activation")->valid);
  g_assert_cmpfloat (step_of (v.view, "activation")->max_rel, >, 1e-2);
  /* the conv folding is exact at any λ */
  g_assert_cmpfloat (step_of (v.view, "bn_folded")->max_rel, <=, 1e-5);
  go_to (&v, "activation");
  save (&v, "lesson-vanillanet-lambda.png");

  nd_lesson_view_set_lambda (v.view, -1);
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  g_assert_true (step_of (v.view, "activation")->valid);
  gtk_window_destroy (GTK_WINDOW (v.window));
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/ui/lesson/view", test_lesson_view);
  g_test_add_func ("/ui/lesson/vanillanet-lambda", test_vanillanet_lambda);
  return g_test_run ();
}
