/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-lesson-view.h"
#include "nd-lesson.h"
#include "nd-model.h"
#include "ui-fixture.h"
#include "ui-views.h"

/* The lesson view on the shipped RepVGG-A0 and a sample image: it computes the steps off the
 * main thread, steps forward and back through its actions (the buttons and ← →), stops at
 * both ends, shows a pitfall. With ND_LESSON_SCREENSHOTS=DIR it saves the window at three
 * steps and at the int8 pitfall (the PNGs in docs/screenshots were made so). */

typedef struct
{
  UiPainted     w;
  NdLessonView *view;
} View;

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
  g_autoptr(NdGraph) graph = ui_shipped_graph ("repvgg-a0-w0.25-fmnist.safetensors", "repvgg-a0", 0.25);
  g_autoptr(NdTensor) input = ui_sample_input ();
  View v = { 0 };
  guint n;

  /* reduced motion: steps change at once (and the fade is not waited for) */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  v.view = nd_lesson_view_present (NULL, graph, input, "stage1.1");
  v.w.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (v.view)));
  g_assert_true (GTK_IS_WINDOW (v.w.window));
  gtk_window_set_default_size (GTK_WINDOW (v.w.window), 1000, 720);
  ui_painted_init (&v.w, v.w.window);
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
  ui_painted_save (&v.w, "ND_LESSON_SCREENSHOTS", "lesson-1-bn-folded.png");
  go_to (&v, "identity_kernel");
  ui_painted_save (&v.w, "ND_LESSON_SCREENSHOTS", "lesson-2-identity-kernel.png");
  go_to (&v, "fused");
  ui_painted_save (&v.w, "ND_LESSON_SCREENSHOTS", "lesson-3-fused.png");

  /* the pitfall: measured off the main thread, then drawn */
  nd_lesson_view_set_pitfall (v.view, ND_LESSON_PITFALL_INT8);
  g_assert_true (nd_lesson_view_is_busy (v.view));
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  g_assert_nonnull (nd_lesson_view_get_pitfall_result (v.view));
  g_assert_cmpfloat (nd_lesson_view_get_pitfall_result (v.view)->logits_fused_max_rel, >,
                     nd_lesson_view_get_pitfall_result (v.view)->logits_unfused_max_rel);
  ui_painted_save (&v.w, "ND_LESSON_SCREENSHOTS", "lesson-pitfall-int8.png");
  nd_lesson_view_set_pitfall (v.view, -1);
  g_assert_null (nd_lesson_view_get_pitfall_result (v.view));

  gtk_window_destroy (GTK_WINDOW (v.w.window));
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
  g_autoptr(NdGraph) graph = ui_shipped_graph ("vanillanet-5-w0.125-fmnist.safetensors", "vanillanet-5",
                                      0.125);
  g_autoptr(NdTensor) input = ui_sample_input ();
  View v = { 0 };

  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  v.view = nd_lesson_view_present (NULL, graph, input, "stages.0");
  v.w.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (v.view)));
  gtk_window_set_default_size (GTK_WINDOW (v.w.window), 1000, 720);
  ui_painted_init (&v.w, v.w.window);
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
  ui_painted_save (&v.w, "ND_LESSON_SCREENSHOTS", "lesson-vanillanet-lambda.png");

  nd_lesson_view_set_lambda (v.view, -1);
  WAIT_UNTIL (!nd_lesson_view_is_busy (v.view), 60);
  g_assert_true (step_of (v.view, "activation")->valid);
  gtk_window_destroy (GTK_WINDOW (v.w.window));
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
