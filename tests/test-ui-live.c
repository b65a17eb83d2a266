/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nd-latency-panel.h"
#include "ui-fixture.h"

/* The live explorer's own state (issue 12): the first knob turn on the trained model, the busy
 * state and cancellation, memory after a large model. */

static char *
default_weights (void)
{
  return g_test_build_filename (G_TEST_DIST, "..", "assets", "weights",
                                "parnet-fashion-mnist.safetensors", NULL);
}

/* The default start: the bundled trained ParNet. */
static void
setup_trained (Fixture *f, gconstpointer data)
{
  NdWindowOptions o = { .lambda = -1 };

  fixture_setup_options (f, &o);
}

/* Whether a label that is on screen (mapped) shows @text. */
static gboolean
mapped_label_shows (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
      && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (mapped_label_shows (c, text))
      return TRUE;
  return FALSE;
}

static GtkWidget *
find_name (GtkWidget *widget, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_name (c, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Streams 3 → 2 on the trained ParNet keeps its weights (the two streams' tensors), a width
 * change falls back to random weights; both say so in one line with Undo, the loader's key
 * list only in Details, never a knob error. Undo brings the trained model back. */
static void
test_first_knob_turn (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  NdInferenceResult *r = nd_window_get_result (w);
  double width = r->spec.width;

  g_assert_false (r->random_weights);
  g_assert_cmpint (r->spec.streams, ==, 3);

  drive (f, "streams", g_variant_new_int32 (2), NULL);
  r = nd_window_get_result (w);
  g_assert_cmpint (r->spec.streams, ==, 2);
  g_assert_false (r->random_weights);
  g_assert_cmpint (r->weights_status, ==, ND_WEIGHTS_SUBSET);
  g_test_message ("toast: %s", nd_window_get_toast (w));
  g_assert_nonnull (strstr (nd_window_get_toast (w), "Kept the trained weights"));
  g_assert_nonnull (strstr (nd_window_get_details (w), "unexpected keys"));
  g_assert_null (nd_window_get_knob_error (w, "streams"));
  g_assert_null (nd_window_get_knob_error (w, "general"));
  g_assert_false (mapped_label_shows (GTK_WIDGET (w), "unexpected keys"));

  drive (f, "width", g_variant_new_double (0.5), NULL);
  r = nd_window_get_result (w);
  g_assert_true (r->random_weights);
  g_assert_cmpint (r->weights_status, ==, ND_WEIGHTS_RANDOM);
  g_test_message ("toast: %s", nd_window_get_toast (w));
  g_assert_nonnull (strstr (nd_window_get_toast (w), "random weights now"));
  g_assert_nonnull (strstr (nd_window_get_details (w), "shape"));
  g_assert_null (nd_window_get_knob_error (w, "width"));
  g_assert_false (mapped_label_shows (GTK_WIDGET (w), "has shape"));
  g_assert_true (window_shows (f, "Random weights", TRUE));

  /* Undo: the trained 2-stream model again, at its own width */
  {
    guint64 gen = r->generation;

    nd_window_undo_notice (w);
    r = wait_weights (f, gen);
  }
  g_assert_cmpfloat (r->spec.width, ==, width);
  g_assert_cmpint (r->spec.streams, ==, 2);
  g_assert_false (r->random_weights);
  {
    g_autofree char *path = default_weights ();

    assert_title_names (f, path);
  }
}

/* A model that takes seconds to build: spinner on and views dimmed at once, the header and
 * latency line never show the old model's numbers meanwhile (live results of the old model
 * keep coming), and newer requests cancel the build in flight. */
static void
test_busy (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  NdInference *inf = nd_window_get_inference (w);
  GtkWidget *spinner = ui_find_type (GTK_WIDGET (w), GTK_TYPE_SPINNER);
  guint cancelled0 = nd_inference_get_n_cancelled (inf);
  guint64 results, gen;
  gint64 until;

  g_action_group_change_action_state (G_ACTION_GROUP (w), "live", g_variant_new_boolean (TRUE));
  g_assert_false (nd_window_get_busy (w));
  g_assert_nonnull (spinner);
  g_assert_false (gtk_widget_get_visible (spinner));

  g_action_group_change_action_state (G_ACTION_GROUP (w), "model",
                                      g_variant_new_string ("parnet-l"));
  g_assert_true (nd_window_get_busy (w));
  g_assert_true (gtk_widget_get_visible (spinner));
  g_assert_true (gtk_spinner_get_spinning (GTK_SPINNER (spinner)));
  /* old results keep arriving; none of their numbers reach the header */
  results = nd_window_get_n_results (w);
  until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_assert_true (window_shows (f, "Building the model…", TRUE));
      g_assert_false (window_shows (f, "GMACs", FALSE));
      g_assert_false (window_shows (f, "warm median", FALSE));
    }
  g_assert_cmpuint (nd_window_get_n_results (w), >, results);

  /* newer requests: each cancels the build before it */
  g_action_group_change_action_state (G_ACTION_GROUP (w), "model",
                                      g_variant_new_string ("parnet-s"));
  g_action_group_change_action_state (G_ACTION_GROUP (w), "resolution",
                                      g_variant_new_int32 (64));
  g_action_group_change_action_state (G_ACTION_GROUP (w), "width",
                                      g_variant_new_double (0.25));
  gen = f->rebuilt_generation;
  WAIT_UNTIL (f->rebuilt_generation > gen && !nd_window_get_busy (w), 120);
  g_test_message ("%u builds cancelled", nd_inference_get_n_cancelled (inf) - cancelled0);
  g_assert_cmpuint (nd_inference_get_n_cancelled (inf), >, cancelled0);
  g_assert_cmpstr (nd_window_get_result (w)->spec.name, ==, "parnet-s");
  g_assert_cmpint (nd_window_get_result (w)->graph->in_h, ==, 64);
  g_assert_false (gtk_widget_get_visible (spinner));
  /* the views are bright again and the header shows the new model */
  {
    guint64 painted = f->painted;

    WAIT_UNTIL (f->painted > painted + 1, 10);
  }
  g_assert_true (window_shows (f, "GMACs", TRUE));
  g_assert_false (window_shows (f, "Building the model…", FALSE));
  g_action_group_change_action_state (G_ACTION_GROUP (w), "live", g_variant_new_boolean (FALSE));
}

static void
wait_measured (Fixture *f)
{
  WAIT_UNTIL (nd_window_get_result (f->window)->rebuilt == FALSE
              && nd_window_get_result (f->window)->block_diff != NULL
              && !nd_window_get_busy (f->window), 300);
}

/* ParNet-XL at 224 and back to the default trained model: resident memory within 1.5× of the
 * first start (the allocator gives the large plan buffers back). */
static void
test_memory (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  g_autofree char *path = default_weights ();
  g_autoptr(GError) error = NULL;
  double rss0, rss_xl, rss_back;
  guint64 gen;

  wait_measured (f);
  rss0 = nd_window_get_rss_mb ();
  gen = nd_window_get_result (w)->generation;
  g_action_group_change_action_state (G_ACTION_GROUP (w), "model",
                                      g_variant_new_string ("parnet-xl"));
  WAIT_UNTIL (f->rebuilt_generation > gen, 300);
  wait_measured (f);
  g_assert_cmpint (nd_window_get_result (w)->graph->in_h, ==, 224);
  rss_xl = nd_window_get_rss_mb ();

  gen = nd_window_get_result (w)->generation;
  g_assert_true (nd_window_open_weights (w, path, &error));
  g_assert_no_error (error);
  wait_weights (f, gen);
  wait_measured (f);
  rss_back = nd_window_get_rss_mb ();
  g_test_message ("RSS: first start %.0f MB, ParNet-XL 224 %.0f MB, back %.0f MB", rss0, rss_xl,
                  rss_back);
  g_assert_cmpfloat (rss_xl, >, rss0);
  g_assert_cmpfloat (rss_back, <=, 1.5 * rss0);
}

/* The latency history has one series per model and knob set, named in its legend: fused →
 * unfused → fused again joins the first series, another resolution starts a third. */
static void
test_history_series (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  NdLatencyPanel *panel = ND_LATENCY_PANEL (ui_find_type (GTK_WIDGET (w),
                                                       ND_TYPE_LATENCY_PANEL));
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (w), "fused");
  gboolean fused = g_variant_get_boolean (state);
  const char * const *names;
  int n, h;

  WAIT_UNTIL (nd_window_get_n_history (w) >= 1, 60);
  h = nd_window_get_n_history (w);
  names = nd_latency_panel_get_series (panel, &n);
  g_assert_cmpint (n, ==, 1);
  g_assert_nonnull (strstr (names[0], "parnet-s"));
  g_assert_nonnull (strstr (names[0], "64 px"));

  drive (f, "fused", g_variant_new_boolean (!fused), NULL);
  WAIT_UNTIL (nd_window_get_n_history (w) >= h + 1, 60);
  drive (f, "fused", g_variant_new_boolean (fused), NULL);
  WAIT_UNTIL (nd_window_get_n_history (w) >= h + 2, 60);
  names = nd_latency_panel_get_series (panel, &n);
  g_assert_cmpint (n, ==, 2);
  g_assert_nonnull (strstr (names[0], fused ? "· fused ·" : "· unfused ·"));
  g_assert_nonnull (strstr (names[1], fused ? "· unfused ·" : "· fused ·"));

  drive (f, "resolution", g_variant_new_int32 (96), NULL);
  WAIT_UNTIL (nd_window_get_n_history (w) >= h + 3, 60);
  names = nd_latency_panel_get_series (panel, &n);
  for (int k = 0; k < n; k++)
    g_test_message ("series %d: %s", k, names[k]);
  g_assert_cmpint (n, ==, 3);
  g_assert_nonnull (strstr (names[2], "96 px"));
  if (g_getenv ("ND_HISTORY_SCREENSHOT") != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_action_group_change_action_state (G_ACTION_GROUP (w), "view",
                                          g_variant_new_string ("latency"));
      {
        guint64 painted = f->painted;

        WAIT_UNTIL (f->painted > painted + 1, 10);
      }
      nd_window_save_screenshot (w, g_getenv ("ND_HISTORY_SCREENSHOT"), &error);
      g_assert_no_error (error);
    }
}

static void
spawn_or_die (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s%s", argv[0], error->message, out, err);
}

/* A checkpoint with two state dicts (state_dict, state_dict_ema: different weights): the
 * window says which it uses (the loader's default, EMA) in a drop-down listing both; choosing
 * the other reruns the model on it; a file with one state dict hides the chooser. */
static void
test_checkpoint_entries (Fixture *f, gconstpointer data)
{
  const char *python = "/usr/bin/python3";
  g_autofree char *cli = g_test_build_filename (G_TEST_BUILT, "..", "app", "cli",
                                                "nondeep-cli", NULL);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "data",
                                                   "write-entries-checkpoint.py", NULL);
  g_autofree char *fashion = default_weights ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *t1 = NULL, *t2 = NULL, *f1 = NULL, *ckpt = NULL;
  g_autofree char *arg1 = NULL, *arg2 = NULL;
  g_autofree float *logits = NULL;
  const char * const *entries;
  NdWindow *w = f->window;
  NdInferenceResult *r;
  GtkWidget *dropdown;
  guint64 gen;
  gint64 n;
  gboolean differ = FALSE;

  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("/usr/bin/python3 is not installed");
      return;
    }
  dir = g_dir_make_tmp ("nd-ui-entries-XXXXXX", &error);
  g_assert_no_error (error);
  t1 = g_build_filename (dir, "t1.safetensors", NULL);
  t2 = g_build_filename (dir, "t2.safetensors", NULL);
  f1 = g_build_filename (dir, "fused.safetensors", NULL);
  ckpt = g_build_filename (dir, "two.pth.tar", NULL);
  {
    const char *a[] = { cli, "fuse", "--model", "parnet-s", "--width", "0.25", "--seed", "1",
                        "-o", f1, "--training-output", t1, NULL };
    const char *b[] = { cli, "fuse", "--model", "parnet-s", "--width", "0.25", "--seed", "2",
                        "-o", f1, "--training-output", t2, NULL };

    spawn_or_die (a);
    spawn_or_die (b);
  }
  arg1 = g_strconcat ("state_dict=", t1, NULL);
  arg2 = g_strconcat ("state_dict_ema=", t2, NULL);
  {
    const char *c[] = { python, script, ckpt, arg1, arg2, NULL };

    spawn_or_die (c);
  }

  g_assert_false (nd_window_get_entry_chooser_visible (w));
  gen = nd_window_get_result (w)->generation;
  g_assert_true (nd_window_open_weights (w, ckpt, &error));
  g_assert_no_error (error);
  r = wait_weights (f, gen);
  entries = nd_window_get_weights_entries (w);
  g_assert_nonnull (entries);
  g_assert_cmpuint (g_strv_length ((char **) entries), ==, 2);
  g_assert_cmpstr (entries[0], ==, "state_dict");
  g_assert_cmpstr (entries[1], ==, "state_dict_ema");
  g_assert_cmpstr (nd_window_get_weights_entry (w), ==, "state_dict_ema");
  g_assert_true (nd_window_get_entry_chooser_visible (w));
  dropdown = find_name (GTK_WIDGET (w), "entry-dropdown");
  g_assert_nonnull (dropdown);
  g_assert_true (gtk_widget_get_mapped (dropdown));
  g_assert_cmpstr (gtk_string_object_get_string (
                     gtk_drop_down_get_selected_item (GTK_DROP_DOWN (dropdown))), ==,
                   "state_dict_ema");
  n = r->logits->numel;
  logits = g_memdup2 (r->logits->data, n * sizeof (float));

  /* the user picks the other one in the drop-down */
  gen = r->generation;
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  r = wait_weights (f, gen);
  g_assert_cmpstr (nd_window_get_weights_entry (w), ==, "state_dict");
  g_assert_cmpstr (gtk_string_object_get_string (
                     gtk_drop_down_get_selected_item (GTK_DROP_DOWN (dropdown))), ==,
                   "state_dict");
  g_assert_true (nd_window_get_entry_chooser_visible (w));
  g_assert_cmpint (r->logits->numel, ==, n);
  for (gint64 i = 0; i < n; i++)
    differ |= r->logits->data[i] != logits[i];
  g_assert_true (differ);
  /* and back by its action */
  gen = r->generation;
  g_action_group_change_action_state (G_ACTION_GROUP (w), "entry",
                                      g_variant_new_string ("state_dict_ema"));
  r = wait_weights (f, gen);
  for (gint64 i = 0; i < n; i++)
    g_assert_cmpfloat (r->logits->data[i], ==, logits[i]);

  /* one state dict: no chooser */
  gen = r->generation;
  g_assert_true (nd_window_open_weights (w, fashion, &error));
  g_assert_no_error (error);
  wait_weights (f, gen);
  g_assert_false (nd_window_get_entry_chooser_visible (w));
  g_unlink (t1);
  g_unlink (t2);
  g_unlink (f1);
  g_unlink (ckpt);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/live/first-knob-turn", Fixture, NULL, setup_trained, test_first_knob_turn,
              fixture_teardown);
  g_test_add ("/ui/live/busy", Fixture, NULL, fixture_setup, test_busy, fixture_teardown);
  g_test_add ("/ui/live/memory", Fixture, NULL, setup_trained, test_memory, fixture_teardown);
  /* after the memory test, which measures the process from its own start */
  g_test_add ("/ui/live/history-series", Fixture, NULL, fixture_setup, test_history_series,
              fixture_teardown);
  g_test_add ("/ui/live/checkpoint-entries", Fixture, NULL, fixture_setup,
              test_checkpoint_entries, fixture_teardown);
  return g_test_run ();
}
