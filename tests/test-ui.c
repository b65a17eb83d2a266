/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "nd-render-graph.h"
#include "nd-weights.h"
#include "nd-window.h"

/* The window under a real (X) display: every knob driven through its action, the model rebuilt,
 * the latency updated, the screenshot changed; an impossible combination explained next to its
 * knob and never applied; a long run that must not leak. Small models keep it quick. */

typedef struct
{
  NdWindow *window;
  guint64   painted;
  guint64   rebuilt_generation;   /* of the newest rebuilt result seen */
  double    rebuilt_knob_ms;
} Fixture;

/* Two results can be dispatched in one main-loop iteration, so the rebuilt one is caught
 * here rather than read back from the window. */
static void
result_cb (NdInference *inference, NdInferenceResult *r, Fixture *f)
{
  if (r->rebuilt)
    {
      f->rebuilt_generation = r->generation;
      f->rebuilt_knob_ms = r->knob_to_result_ms;
    }
}

/* Counts frames; a tick callback keeps the frame clock running under Xvfb. */
static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ((Fixture *) data)->painted++;
  return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until @done holds or @seconds pass. */
#define WAIT_UNTIL(cond, seconds)                                                     \
  G_STMT_START {                                                                        \
    gboolean timed_out_ = FALSE;                                                        \
    guint id_ = g_timeout_add_seconds (seconds, timeout_cb, &timed_out_);              \
    while (!(cond) && !timed_out_)                                                      \
      g_main_context_iteration (NULL, TRUE);                                            \
    if (!timed_out_)                                                                    \
      g_source_remove (id_);                                                            \
    g_assert_true (cond);                                                               \
  } G_STMT_END

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  NdWindowOptions o = { .model = "parnet-s", .width = 0.25, .resolution = 64, .lambda = -1,
                        .select = "streams.1.1" };

  /* ND_UI_TEST_PRESET=1 runs the real preset (224 px, full width) to measure knob latency. */
  if (g_getenv ("ND_UI_TEST_PRESET") != NULL)
    o.width = 0, o.resolution = 0;

  f->window = nd_window_new (NULL, &o);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 800);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (nd_window_get_result (f->window) != NULL
              && nd_window_get_result (f->window)->block_diff != NULL, 120);
  gtk_widget_add_tick_callback (GTK_WIDGET (f->window), tick_cb, f, NULL);
  g_signal_connect (nd_window_get_inference (f->window), "result", G_CALLBACK (result_cb), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static GBytes *
screenshot (Fixture *f, const char *name)
{
  g_autofree char *file = g_strdup_printf ("ui-%s.png", name);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);
  g_autoptr(GError) error = NULL;
  char *data;
  gsize len;

  /* Two painted frames: the views have drawn the newest result. */
  {
    guint64 target = f->painted + 2;

    gtk_widget_queue_draw (GTK_WIDGET (f->window));
    WAIT_UNTIL (f->painted >= target, 10);
  }
  g_assert_true (nd_window_save_screenshot (f->window, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

/* Changes one knob through its action and waits for the rebuilt model's first result and the
 * frame that shows it; returns the time that took in ms. */
static double
drive (Fixture *f, const char *action, GVariant *value, double *knob_ms)
{
  guint64 gen = nd_window_get_result (f->window)->generation;
  gint64 t0 = g_get_monotonic_time ();
  guint64 painted;

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), action, value);
  WAIT_UNTIL (f->rebuilt_generation > gen, 120);
  g_assert_null (nd_window_get_knob_error (f->window, action));
  if (knob_ms != NULL)
    *knob_ms = f->rebuilt_knob_ms;
  painted = f->painted;
  WAIT_UNTIL (f->painted > painted, 10);
  return (g_get_monotonic_time () - t0) / 1000.0;
}

static void
test_knobs (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) shot0 = screenshot (f, "start");
  NdInferenceResult *r = nd_window_get_result (f->window);
  double ms, knob_ms = 0;
  struct
  {
    const char *action;
    GVariant   *value;
  } steps[] = {
    { "streams", g_variant_new_int32 (2) },
    { "width", g_variant_new_double (0.125) },
    { "blocks", g_variant_new_string ("2,3") },
    { "resolution", g_variant_new_int32 (96) },
    { "fused", g_variant_new_boolean (TRUE) },
    { "fused", g_variant_new_boolean (FALSE) },
  };
  g_autoptr(GBytes) prev = NULL;

  /* Measuring the preset: flip fused/unfused first, at full size. */
  if (g_getenv ("ND_UI_TEST_PRESET") != NULL)
    for (int i = 0; i < 2; i++)
      {
        double knob_ms0 = 0, ms0;

        ms0 = drive (f, "fused", g_variant_new_boolean (i == 0), &knob_ms0);
        g_test_message ("preset fused=%d: knob → new latency shown %.0f ms (result %.0f ms)",
                        i == 0, ms0, knob_ms0);
      }

  r = nd_window_get_result (f->window);
  g_assert_cmpint (r->spec.streams, ==, 3);
  g_assert_cmpint (nd_render_graph_n_lanes (r->graph), ==, 3);
  g_assert_cmpfloat (r->total_ms, >, 0);
  prev = g_bytes_ref (shot0);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u", steps[i].action, i);
      g_autoptr(GBytes) shot = NULL;
      double old_total = nd_window_get_result (f->window)->total_ms;
      guint64 old_serial = nd_window_get_result (f->window)->serial;
      guint64 old_gen = nd_window_get_result (f->window)->generation;
      double sum = 0;

      ms = drive (f, steps[i].action, g_variant_ref_sink (steps[i].value), &knob_ms);
      g_variant_unref (steps[i].value);
      r = nd_window_get_result (f->window);
      g_test_message ("%s: knob → new latency shown %.0f ms (result %.0f ms, plan %.0f ms, "
                      "warm %.1f → %.1f ms)", name, ms, knob_ms, r->prepare_ms,
                      old_total, r->total_ms);
      /* The latency shown is a new run of the new plan, with per-op times filled in. */
      g_assert_cmpuint (r->serial, >, old_serial);
      g_assert_cmpuint (r->generation, >, old_gen);
      for (int n = 0; n < r->n_nodes; n++)
        sum += r->op_ms[n];
      g_assert_cmpfloat (sum, >, 0);
      g_assert_cmpfloat (r->total_ms, >, 0);
      g_assert_cmpfloat (knob_ms, >, 0);
      g_assert_null (nd_window_get_knob_error (f->window, steps[i].action));
      shot = screenshot (f, name);
      g_assert_false (g_bytes_equal (shot, prev));
      g_clear_pointer (&prev, g_bytes_unref);
      prev = g_steal_pointer (&shot);
    }
  r = nd_window_get_result (f->window);
  g_assert_cmpint (r->spec.streams, ==, 2);
  g_assert_cmpint (nd_render_graph_n_lanes (r->graph), ==, 2);
  g_assert_cmpfloat (r->spec.width, ==, 0.125);
  g_assert_cmpint (r->spec.n_blocks, ==, 2);
  g_assert_cmpint (r->spec.blocks[1], ==, 3);
  g_assert_cmpint (r->graph->in_h, ==, 96);
  g_assert_false (r->graph->fused);
  /* One history sample per configuration that reached a warm run. */
  WAIT_UNTIL (nd_window_get_n_history (f->window) >= 5, 60);
}

/* A combination the model cannot take: the builder's message next to that knob, the serving
 * model untouched, the knob not silently changed. */
static void
test_impossible (Fixture *f, gconstpointer data)
{
  NdInferenceResult *r = nd_window_get_result (f->window);
  guint64 gen = r->generation;
  GVariant *state;

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "blocks",
                                      g_variant_new_string ("4,5"));
  WAIT_UNTIL (nd_window_get_knob_error (f->window, "blocks") != NULL, 60);
  g_test_message ("blocks 4,5 with 3 streams: %s", nd_window_get_knob_error (f->window, "blocks"));
  g_assert_true (strstr (nd_window_get_knob_error (f->window, "blocks"), "3") != NULL);
  g_assert_cmpuint (nd_window_get_result (f->window)->generation, ==, gen);
  state = g_action_group_get_action_state (G_ACTION_GROUP (f->window), "blocks");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "4,5");
  g_variant_unref (state);

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "lambda",
                                      g_variant_new_double (0.5));
  WAIT_UNTIL (nd_window_get_knob_error (f->window, "lambda") != NULL, 60);
  g_assert_cmpuint (nd_window_get_result (f->window)->generation, ==, gen);

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "backend",
                                      g_variant_new_string ("no-such-backend"));
  WAIT_UNTIL (nd_window_get_knob_error (f->window, "general") != NULL, 60);

  /* Fixing the knobs clears the messages with the rebuilt model. */
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "backend",
                                      g_variant_new_string ("cpu"));
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "lambda",
                                      g_variant_new_double (1.0));
  drive (f, "blocks", g_variant_new_string ("1,1,1"), NULL);
  g_assert_null (nd_window_get_knob_error (f->window, "blocks"));
  g_assert_null (nd_window_get_knob_error (f->window, "lambda"));
  g_assert_cmpint (nd_window_get_result (f->window)->spec.blocks[2], ==, 1);
}

static void
test_views (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) a = screenshot (f, "inspector");
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GBytes) c = NULL;

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "select",
                                      g_variant_new_string ("streams.0.0"));
  b = screenshot (f, "select");
  g_assert_false (g_bytes_equal (a, b));
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "view",
                                      g_variant_new_string ("latency"));
  c = screenshot (f, "latency");
  g_assert_false (g_bytes_equal (b, c));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "test-pattern", NULL);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "reset-zoom", NULL);
}

static gsize
rss_kib (void)
{
  g_autofree char *text = NULL;
  long pages = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL)
      || sscanf (text, "%ld %ld", &pages, &resident) != 2)
    return 0;
  return (gsize) resident * (sysconf (_SC_PAGESIZE) / 1024);
}

/* Live mode for many runs: results are freed as they are replaced and the resident size
 * settles after warm-up. */
static void
test_still_running (Fixture *f, gconstpointer data)
{
  NdInference *inf = nd_window_get_inference (f->window);
  guint64 start = nd_inference_get_n_runs (inf);
  gsize rss_warm, rss_end;
  int alive;

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "live",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (nd_inference_get_n_runs (inf) >= start + 20, 120);
  rss_warm = rss_kib ();
  WAIT_UNTIL (nd_inference_get_n_runs (inf) >= start + 120, 300);
  rss_end = rss_kib ();
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "live",
                                      g_variant_new_boolean (FALSE));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  alive = nd_inference_result_get_n_alive ();
  g_test_message ("runs %" G_GUINT64_FORMAT ", RSS %zu → %zu KiB, results alive %d",
                  nd_inference_get_n_runs (inf) - start, rss_warm, rss_end, alive);
  /* The window holds the newest; a few may be in flight to the main loop. */
  g_assert_cmpint (alive, <=, 8);
  /* 100 runs that each leaked even one feature map of this model would show here. */
  g_assert_cmpuint (rss_end, <, rss_warm + 16 * 1024);
}

/* The bundled trained Fashion-MNIST ParNet: its metadata sets the model, the gray input path
 * and the labels, and the sample ankle boot is classified as one. */
static void
test_trained_weights (void)
{
  g_autofree char *weights = g_build_filename (ND_SOURCE_ASSETS_DIR, "weights",
                                               "parnet-fashion-mnist.safetensors", NULL);
  g_autofree char *image = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples",
                                             "0000-ankle-boot.png", NULL);
  NdWindowOptions o = { .weights = weights, .image = image, .lambda = -1 };
  NdWindow *window;
  NdInferenceResult *r;

  if (!g_file_test (weights, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no bundled weights");
      return;
    }
  window = nd_window_new (NULL, &o);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL ((r = nd_window_get_result (window)) != NULL, 120);
  g_assert_false (r->random_weights);
  g_assert_cmpint (r->graph->in_c, ==, 1);
  g_assert_cmpint (r->graph->in_h, ==, 32);
  g_assert_cmpint (r->n_top, ==, 5);
  g_assert_cmpint (r->top_class[0], ==, 9);   /* Ankle boot */
  g_assert_cmpfloat (r->top_prob[0], >, 0.5);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- official checkpoints ----------------------------------------------------------------- */

/* Every GtkLabel text under @widget, one per line. */
static void
collect_labels (GtkWidget *widget, GString *out)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_labels (c, out);
}

static GtkWidget *
find_widget (GtkWidget *widget, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Whether some label of the window shows @text; the labels are logged when that is not what
 * the test expects. */
static gboolean
window_shows (Fixture *f, const char *text, gboolean expected)
{
  g_autoptr(GString) all = g_string_new (NULL);
  gboolean shown;

  collect_labels (GTK_WIDGET (f->window), all);
  shown = strstr (all->str, text) != NULL;
  if (shown != expected)
    g_test_message ("“%s” is %s; the window's labels are:\n%s", text,
                    shown ? "shown" : "not shown", all->str);
  return shown;
}

/* Waits for the first result of the model rebuilt after generation @gen and the frame that
 * shows it; a build error fails the test with its message. */
static NdInferenceResult *
wait_weights (Fixture *f, guint64 gen)
{
  NdInferenceResult *r;

  WAIT_UNTIL (f->rebuilt_generation > gen || nd_window_get_knob_error (f->window, "general"),
              120);
  g_assert_cmpstr (nd_window_get_knob_error (f->window, "general"), ==, NULL);
  /* the frame that shows it */
  {
    guint64 painted = f->painted;

    WAIT_UNTIL (f->painted > painted + 1, 10);
  }
  r = nd_window_get_result (f->window);
  g_assert_cmpuint (r->generation, ==, f->rebuilt_generation);
  g_assert_false (r->random_weights);
  return r;
}

/* Opens @path the way the Open Weights dialog does and waits for the rebuilt model. */
static NdInferenceResult *
open_weights (Fixture *f, const char *path)
{
  g_autoptr(GError) error = NULL;
  guint64 gen = nd_window_get_result (f->window)->generation;

  g_test_message ("opening %s", path);
  g_assert_true (nd_window_open_weights (f->window, path, &error));
  g_assert_no_error (error);
  return wait_weights (f, gen);
}

static char *
action_string (Fixture *f, const char *action)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (f->window),
                                                               action);

  return g_variant_is_of_type (state, G_VARIANT_TYPE_STRING)
         ? g_variant_dup_string (state, NULL) : g_variant_print (state, FALSE);
}

/* An ImageNet model is shown with ImageNet names: the top prediction's first name (before the
 * synonyms) is in the list, and the names are the ImageNet-1k ones. */
static void
assert_imagenet_names (Fixture *f, NdInferenceResult *r)
{
  g_auto(GStrv) top = NULL;
  g_autofree char *shown = NULL;

  g_assert_cmpint ((int) r->logits->numel, ==, 1000);
  g_assert_cmpstr (nd_window_get_label (f->window, 0), ==, "tench, Tinca tinca");
  g_assert_cmpstr (nd_window_get_label (f->window, 999), ==,
                   "toilet tissue, toilet paper, bathroom tissue");
  top = g_strsplit (nd_window_get_label (f->window, r->top_class[0]), ",", 2);
  shown = g_strdup_printf ("%s · ", top[0]);
  g_assert_true (window_shows (f, shown, TRUE));
  g_assert_true (window_shows (f, "Labels: ImageNet-1k", TRUE));
}

static void
assert_title_names (Fixture *f, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (f->window)), base));
  g_assert_true (window_shows (f, base, TRUE));
}

/* Removes @path and everything under it. */
static void
remove_tree (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (path, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_tree (p);
      else
        g_unlink (p);
    }
  g_rmdir (path);
}

/* Official-layout checkpoints (tools/write_checkpoints.py: the published key names and
 * containers, random weights, width 0.25, 1000 classes) opened like the Open Weights dialog:
 * model, knobs, labels and input transform switch together; deploy-form weights run fused and
 * the switch refuses the unfused form; unreadable files and files of no known model leave the
 * model as it is; the bundled Fashion-MNIST weights switch everything back. */
static void
test_official_checkpoints (Fixture *f, gconstpointer data)
{
  const char *python = "/usr/bin/python3";
  g_autofree char *script = g_build_filename (ND_SOURCE_ASSETS_DIR, "..", "tools",
                                              "write_checkpoints.py", NULL);
  g_autofree char *fashion = g_build_filename (ND_SOURCE_ASSETS_DIR, "weights",
                                               "parnet-fashion-mnist.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *out = NULL, *err = NULL, *path = NULL, *s = NULL;
  NdInferenceResult *r;
  int status = 0;
  guint64 gen;

  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("/usr/bin/python3 is not installed");
      return;
    }
  {
    const char *argv[] = { python, "-c", "import torch, numpy", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                                 NULL, NULL, NULL, &status, NULL));
    if (!g_spawn_check_wait_status (status, NULL))
      {
        g_test_skip ("python3-torch is not installed: no official checkpoints to open");
        return;
      }
  }
  dir = g_dir_make_tmp ("nd-ui-ckpt-XXXXXX", &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { python, script, dir, "--width", "0.25", "--classes", "1000",
                           "--resolution", "64", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, &error))
      g_error ("write_checkpoints.py failed: %s\n%s%s", error->message, out, err);
  }

  /* Training form: timm's ParNet checkpoint (state_dict + EMA, module. prefixes). */
  path = g_build_filename (dir, "parnet-s-timm.pth.tar", NULL);
  r = open_weights (f, path);
  g_assert_cmpint (r->spec.family, ==, ND_FAMILY_PARNET);
  g_assert_cmpstr (r->spec.name, ==, "parnet-s");
  g_assert_cmpfloat (r->spec.width, ==, 0.25);
  g_assert_cmpint (r->spec.streams, ==, 3);
  g_assert_cmpint (r->spec.in_channels, ==, 3);
  g_assert_cmpint (r->graph->in_c, ==, 3);
  g_assert_cmpint (r->graph->in_h, ==, 224);   /* the preset's eval size, not the fixture's 64 */
  g_assert_false (r->graph->fused);
  g_assert_false (r->fused_only);
  g_assert_cmpstr (r->input_text, ==, "bicubic 256, crop 224, ImageNet mean/std");
  g_assert_true (window_shows (f, "Input: bicubic 256, crop 224, ImageNet mean/std", TRUE));
  g_assert_true (window_shows (f, "training form", TRUE));
  assert_imagenet_names (f, r);
  assert_title_names (f, path);
  s = action_string (f, "model");
  g_assert_cmpstr (s, ==, "parnet-s");
  g_clear_pointer (&s, g_free);

  /* Deploy form: RepVGG rbr_reparam keys load into the fused graph and run fused. */
  g_clear_pointer (&path, g_free);
  path = g_build_filename (dir, "repvgg-a0-deploy.pth", NULL);
  r = open_weights (f, path);
  g_assert_cmpint (r->spec.family, ==, ND_FAMILY_REPVGG);
  g_assert_cmpstr (r->spec.name, ==, "repvgg-a0");
  g_assert_cmpfloat (r->spec.width, ==, 0.25);
  g_assert_cmpint (r->graph->in_h, ==, 224);
  g_assert_true (r->graph->fused);
  g_assert_true (r->fused_only);
  g_assert_cmpstr (r->input_text, ==, "bilinear 224, crop 224, ImageNet mean/std");
  g_assert_true (window_shows (f, "Input: bilinear 224, crop 224, ImageNet mean/std", TRUE));
  g_assert_true (window_shows (f, "deploy form", TRUE));
  assert_imagenet_names (f, r);
  assert_title_names (f, path);
  s = action_string (f, "fused");
  g_assert_cmpstr (s, ==, "true");
  g_clear_pointer (&s, g_free);

  /* The unfused form does not exist for these weights: said next to the switch, not applied. */
  gen = r->generation;
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "fused",
                                      g_variant_new_boolean (FALSE));
  g_assert_nonnull (nd_window_get_knob_error (f->window, "general"));
  g_test_message ("unfused deploy weights: %s", nd_window_get_knob_error (f->window, "general"));
  g_assert_nonnull (strstr (nd_window_get_knob_error (f->window, "general"), "unfused"));
  s = action_string (f, "fused");
  g_assert_cmpstr (s, ==, "true");
  g_clear_pointer (&s, g_free);
  g_assert_cmpuint (nd_window_get_result (f->window)->generation, ==, gen);
  /* The same through the switch itself: it springs back on. */
  {
    GtkWidget *sw = find_widget (GTK_WIDGET (f->window), GTK_TYPE_SWITCH);

    g_assert_nonnull (sw);
    g_assert_true (gtk_switch_get_active (GTK_SWITCH (sw)));
    /* no slide animation: the switch flips and asks its action at once */
    g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
    gtk_widget_activate (sw);
    g_assert_nonnull (nd_window_get_knob_error (f->window, "general"));
    for (int i = 0; i < 50; i++)
      {
        guint64 painted = f->painted;

        WAIT_UNTIL (f->painted > painted, 10);
      }
    g_test_message ("switch after a click: %d", gtk_switch_get_active (GTK_SWITCH (sw)));
    g_assert_true (gtk_switch_get_active (GTK_SWITCH (sw)));
    s = action_string (f, "fused");
    g_assert_cmpstr (s, ==, "true");
    g_clear_pointer (&s, g_free);
    g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);
  }
  g_bytes_unref (screenshot (f, "deploy-weights"));

  /* VanillaNet deploy ({'model': …}, stem.0 / stages.i.conv): its own transform. */
  g_clear_pointer (&path, g_free);
  path = g_build_filename (dir, "vanillanet-5-deploy.pth", NULL);
  r = open_weights (f, path);
  g_assert_cmpstr (r->spec.name, ==, "vanillanet-5");
  g_assert_true (r->graph->fused);
  g_assert_cmpstr (r->input_text, ==, "bicubic 256, crop 224, ImageNet mean/std");
  assert_imagenet_names (f, r);

  /* Not weights at all, and weights of no known model: an error, the model stays. */
  gen = nd_window_get_result (f->window)->generation;
  {
    static const char header[] = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1],"
                                 "\"data_offsets\":[0,4]}}";
    g_autoptr(GString) st = g_string_new (NULL);
    guint64 len = GUINT64_TO_LE (sizeof header - 1);
    const char *bad[] = { "garbage.pth", "unknown.safetensors" };

    g_string_append_len (st, (const char *) &len, 8);
    g_string_append (st, header);
    g_string_append_len (st, "\0\0\0\0", 4);
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *p = g_build_filename (dir, bad[i], NULL);

        if (i == 0)
          g_assert_true (g_file_set_contents (p, "these are not weights", -1, NULL));
        else
          g_assert_true (g_file_set_contents (p, st->str, st->len, NULL));
        g_assert_false (nd_window_open_weights (f->window, p, &error));
        g_assert_nonnull (error);
        g_test_message ("%s: %s", bad[i], error->message);
        g_assert_nonnull (strstr (error->message, bad[i]));
        g_clear_error (&error);
        s = action_string (f, "model");
        g_assert_cmpstr (s, ==, "vanillanet-5");
        g_clear_pointer (&s, g_free);
        g_unlink (p);
      }
  }
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (f->window)), "vanillanet-5"));
  g_assert_cmpuint (nd_window_get_result (f->window)->generation, ==, gen);

  /* A file that names a model its tensors do not fit: the build fails, the window goes back
   * to the model that still serves. */
  {
    static const char header[] = "{\"__metadata__\":{\"nondeep.model\":\"repvgg-a0\"},"
                                 "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1],"
                                 "\"data_offsets\":[0,4]}}";
    g_autoptr(GString) st = g_string_new (NULL);
    guint64 len = GUINT64_TO_LE (sizeof header - 1);
    g_autofree char *p = g_build_filename (dir, "misfit.safetensors", NULL);

    g_string_append_len (st, (const char *) &len, 8);
    g_string_append (st, header);
    g_string_append_len (st, "\0\0\0\0", 4);
    g_assert_true (g_file_set_contents (p, st->str, st->len, NULL));
    g_assert_true (nd_window_open_weights (f->window, p, &error));
    g_assert_no_error (error);
    WAIT_UNTIL (nd_window_get_knob_error (f->window, "general") != NULL, 60);
    g_test_message ("misfit.safetensors: %s", nd_window_get_knob_error (f->window, "general"));
    g_assert_nonnull (strstr (nd_window_get_knob_error (f->window, "general"),
                              "misfit.safetensors"));
    s = action_string (f, "model");
    g_assert_cmpstr (s, ==, "vanillanet-5");
    g_clear_pointer (&s, g_free);
    g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (f->window)), "vanillanet-5"));
    g_assert_cmpuint (nd_window_get_result (f->window)->generation, ==, gen);
  }

  /* Back to the bundled Fashion-MNIST ParNet: gray 32 × 32, Fashion-MNIST names. */
  if (!g_file_test (fashion, G_FILE_TEST_EXISTS))
    g_test_message ("no bundled Fashion-MNIST weights: the switch back is not checked");
  else
    {
      r = open_weights (f, fashion);
      g_assert_cmpstr (r->spec.name, ==, "parnet-s");
      g_assert_cmpint (r->graph->in_c, ==, 1);
      g_assert_cmpint (r->graph->in_h, ==, 32);
      g_assert_cmpint ((int) r->logits->numel, ==, 10);
      g_assert_false (r->fused_only);
      /* the deploy file turned the switch on; these weights give it back */
      g_assert_false (r->graph->fused);
      g_assert_cmpstr (nd_window_get_label (f->window, 9), ==, "Ankle boot");
      g_assert_nonnull (strstr (r->input_text, "gray"));
      g_assert_true (window_shows (f, r->input_text, TRUE));
      g_assert_false (window_shows (f, "ImageNet", FALSE));
      assert_title_names (f, fashion);
    }

  remove_tree (dir);
}

/* ---- trained models ----------------------------------------------------------------------- */

static GtkWidget *
find_primary_menu_button (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget)))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_primary_menu_button (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The win.open-trained items of @menu, sections and submenus included, in menu order: their
 * targets (file names) and labels. */
static void
collect_trained_items (GMenuModel *menu, GPtrArray *names, GPtrArray *labels)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (menu, i);
      g_autofree char *action = NULL;
      GMenuModel *link;

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &action)
          && g_str_equal (action, "win.open-trained"))
        {
          g_autoptr(GVariant) target =
            g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET,
                                                   G_VARIANT_TYPE_STRING);
          char *label = NULL;

          g_assert_nonnull (target);
          g_assert_true (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s",
                                                          &label));
          g_ptr_array_add (names, g_variant_dup_string (target, NULL));
          g_ptr_array_add (labels, label);
        }
      while (g_menu_link_iter_get_next (links, NULL, &link))
        {
          collect_trained_items (link, names, labels);
          g_object_unref (link);
        }
    }
}

/* Activates win.open-trained as the menu item for @name does and waits for the new model. */
static NdInferenceResult *
open_trained (Fixture *f, const char *name)
{
  guint64 gen = nd_window_get_result (f->window)->generation;

  g_test_message ("opening trained model %s", name);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "open-trained",
                                  g_variant_new_string (name));
  return wait_weights (f, gen);
}

/* The primary menu lists every weights file the project ships (read here from the assets
 * directory and each file's metadata), sorted, labelled with model and accuracy; an item
 * switches model, labels and input to that file, and a name that is not listed is refused. */
static void
test_trained_menu (Fixture *f, gconstpointer data)
{
  const char *repvgg = "repvgg-a0-w0.25-fmnist.safetensors";
  g_autofree char *dir = g_build_filename (ND_SOURCE_ASSETS_DIR, "weights", NULL);
  g_autofree char *parnet = g_path_get_basename (ND_DEFAULT_WEIGHTS);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) metas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_hash_table_unref);
  g_autofree char *dotdot = g_strconcat ("../weights/", parnet, NULL);
  const char *refused[] = { "nope.safetensors", dotdot, "parnet-fashion-mnist.md" };
  GtkWidget *button;
  const char *name;
  NdInferenceResult *r;
  guint64 gen, rebuilt;
  char *s;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(GHashTable) meta = NULL;
      g_autoptr(NdWeightSet) set = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_str_has_suffix (name, ".safetensors"))
        continue;
      path = g_build_filename (dir, name, NULL);
      set = nd_safetensors_load (path, &meta, &error);
      g_assert_no_error (error);
      if (meta == NULL || g_hash_table_lookup (meta, "nondeep.model") == NULL)
        continue;
      g_ptr_array_add (expected, g_strdup (name));
      g_hash_table_insert (metas, g_strdup (name), g_steal_pointer (&meta));
    }
  g_assert_true (g_hash_table_contains (metas, parnet));
  g_assert_true (g_hash_table_contains (metas, repvgg));

  button = find_primary_menu_button (GTK_WIDGET (f->window));
  g_assert_nonnull (button);
  collect_trained_items (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button)), names,
                         labels);
  for (guint i = 0; i < names->len; i++)
    g_test_message ("menu: %s → %s", (char *) labels->pdata[i], (char *) names->pdata[i]);
  g_assert_cmpuint (names->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_true (g_ptr_array_find_with_equal_func (names, expected->pdata[i], g_str_equal,
                                                     NULL));
  for (guint i = 0; i < names->len; i++)
    {
      GHashTable *meta = g_hash_table_lookup (metas, names->pdata[i]);
      const char *accuracy = g_hash_table_lookup (meta, "nondeep.test_accuracy");
      g_autofree char *model = g_ascii_strdown (g_hash_table_lookup (meta, "nondeep.model"), -1);
      const char *label = labels->pdata[i];

      if (i > 0)
        g_assert_cmpstr (names->pdata[i - 1], <, names->pdata[i]);
      g_assert_nonnull (strstr (label, model));
      if (accuracy != NULL)
        {
          g_autofree char *percent = g_strdup_printf ("%.1f %%",
                                                      g_ascii_strtod (accuracy, NULL) * 100);

          g_assert_nonnull (strstr (label, percent));
        }
      if (g_strcmp0 (g_hash_table_lookup (meta, "nondeep.dataset"), "fashion-mnist") == 0)
        g_assert_nonnull (strstr (label, "Fashion-MNIST"));
    }

  /* The RepVGG: model, gray 32 × 32 input and Fashion-MNIST names from its metadata. */
  r = open_trained (f, repvgg);
  g_assert_cmpstr (r->spec.name, ==, "repvgg-a0");
  s = action_string (f, "model");
  g_assert_cmpstr (s, ==, "repvgg-a0");
  g_clear_pointer (&s, g_free);
  g_assert_cmpint (r->graph->in_c, ==, 1);
  g_assert_cmpint ((int) r->logits->numel, ==, 10);
  g_assert_cmpstr (nd_window_get_label (f->window, 0), ==, "T-shirt/top");
  assert_title_names (f, repvgg);

  /* Back to the ParNet. */
  r = open_trained (f, parnet);
  g_assert_cmpstr (r->spec.name, ==, "parnet-s");
  s = action_string (f, "model");
  g_assert_cmpstr (s, ==, "parnet-s");
  g_clear_pointer (&s, g_free);
  g_assert_cmpstr (nd_window_get_label (f->window, 0), ==, "T-shirt/top");
  assert_title_names (f, parnet);

  /* Names not in the list, paths among them, are refused and change nothing. */
  gen = nd_window_get_result (f->window)->generation;
  rebuilt = f->rebuilt_generation;
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const char *error;

      g_action_group_activate_action (G_ACTION_GROUP (f->window), "open-trained",
                                      g_variant_new_string (refused[i]));
      error = nd_window_get_knob_error (f->window, "general");
      g_test_message ("%s: %s", refused[i], error);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error, refused[i]));
      s = action_string (f, "model");
      g_assert_cmpstr (s, ==, "parnet-s");
      g_clear_pointer (&s, g_free);
      assert_title_names (f, parnet);
    }
  /* a few frames for any result that was on its way */
  {
    guint64 painted = f->painted;

    WAIT_UNTIL (f->painted > painted + 2, 10);
  }
  g_assert_cmpuint (nd_window_get_result (f->window)->generation, ==, gen);
  g_assert_cmpuint (f->rebuilt_generation, ==, rebuilt);
}

#if ND_HAVE_CAPTURE
/* ---- the camera, without one -----------------------------------------------------------
 * main() sets ND_CAMERA_SOURCE=test-pattern:ball before any thread starts (setenv is not
 * thread-safe); the other sources go through nd_window_set_camera_source (), what
 * `nondeep --camera` uses. */

static void
camera_setup (Fixture *f, gconstpointer data)
{
  fixture_setup (f, data);
  if (data != NULL)
    nd_window_set_camera_source (f->window, data);
}

static gboolean
camera_on (Fixture *f)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (f->window),
                                                               "camera");

  return g_variant_get_boolean (state);
}

static void
set_camera (Fixture *f, gboolean on)
{
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "camera",
                                      g_variant_new_boolean (on));
}

static int
preview_width (Fixture *f)
{
  return gdk_paintable_get_intrinsic_width (nd_window_get_preview (f->window));
}

/* Both rates in "Camera 30 fps · model 24 fps" are numbers. */
static gboolean
status_has_rates (Fixture *f, double *camera_fps, double *model_fps)
{
  const char *text = nd_window_get_camera_status (f->window);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) re = g_regex_new ("^Camera ([0-9]+) fps · model ([0-9]+) fps$", 0, 0,
                                      NULL);
  g_autofree char *a = NULL, *b = NULL;

  if (text == NULL || !g_regex_match (re, text, 0, &match))
    return FALSE;
  a = g_match_info_fetch (match, 1);
  b = g_match_info_fetch (match, 2);
  *camera_fps = g_ascii_strtod (a, NULL);
  *model_fps = g_ascii_strtod (b, NULL);
  return TRUE;
}

/* Returns once the main loop has run for @ms. */
static void
run_for (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  gboolean done = FALSE;
  guint id = g_timeout_add (ms, timeout_cb, &done);

  while (!done && g_get_monotonic_time () < end + G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  if (!done)
    g_source_remove (id);
}

static GtkWidget *
find_by_tooltip (GtkWidget *widget, GType type, const char *tooltip)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type)
      && g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_by_tooltip (c, type, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The test pattern as the camera: frames shown and classified continuously, the rates shown;
 * off returns to the still image, and no camera frame arrives after that. */
static void
test_camera (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  int still_width = preview_width (f);
  guint64 still_serial = nd_window_get_input_serial (w), serial, frames, runs0;
  double camera_fps = 0, model_fps = 0;
  gint64 t0;
  g_autoptr(GBytes) shot_still = screenshot (f, "camera-still");
  g_autoptr(GBytes) shot_camera = NULL;
  NdInferenceResult *r;

  g_assert_cmpint (still_width, ==, 256);
  /* The chooser lists the cameras when it opens (empty until then). */
  {
    GtkWidget *menu = find_by_tooltip (GTK_WIDGET (w), GTK_TYPE_MENU_BUTTON,
                                       "Choose the camera");
    GtkPopover *popover;

    g_assert_nonnull (menu);
    popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu));
    g_assert_null (find_by_tooltip (GTK_WIDGET (popover), GTK_TYPE_CHECK_BUTTON, NULL));
    gtk_menu_button_popup (GTK_MENU_BUTTON (menu));
    WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 10);
    g_assert_nonnull (find_by_tooltip (GTK_WIDGET (popover), GTK_TYPE_CHECK_BUTTON, NULL));
    gtk_menu_button_popdown (GTK_MENU_BUTTON (menu));
  }
  g_assert_cmpuint (nd_window_list_cameras (w), ==, 1);
  runs0 = nd_inference_get_n_runs (nd_window_get_inference (w));
  set_camera (f, TRUE);
  g_assert_true (camera_on (f));
  g_assert_true (nd_window_get_camera_running (w));
  WAIT_UNTIL (nd_window_get_camera_frames (w) >= 10
              && status_has_rates (f, &camera_fps, &model_fps) && model_fps > 0, 30);
  g_test_message ("%s; %" G_GUINT64_FORMAT " frames classified in %" G_GUINT64_FORMAT " runs",
                  nd_window_get_camera_status (w), nd_window_get_camera_frames (w),
                  nd_inference_get_n_runs (nd_window_get_inference (w)) - runs0);
  g_assert_cmpfloat (camera_fps, >, 0);
  g_assert_cmpfloat (camera_fps, <=, 45);   /* asked for 30 */
  g_assert_true (camera_on (f));
  /* The preview is the camera's picture and the results are for its frames. */
  g_assert_cmpint (preview_width (f), ==, 640);
  r = nd_window_get_result (w);
  g_assert_cmpuint (r->image_serial, >, still_serial);
  g_assert_cmpuint (nd_window_get_input_serial (w), >, still_serial);
  shot_camera = screenshot (f, "camera-running");
  g_assert_false (g_bytes_equal (shot_still, shot_camera));

  /* Off: the still image again, classified at once (nothing queued ahead of it). */
  set_camera (f, FALSE);
  t0 = g_get_monotonic_time ();
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_null (nd_window_get_camera_status (w));
  g_assert_cmpint (preview_width (f), ==, still_width);
  serial = nd_window_get_input_serial (w);
  WAIT_UNTIL (nd_window_get_result (w)->image_serial == serial, 30);
  g_test_message ("still image classified %.0f ms after the camera stopped",
                  (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  frames = nd_window_get_camera_frames (w);
  run_for (500);
  g_assert_cmpuint (nd_window_get_input_serial (w), ==, serial);
  g_assert_cmpuint (nd_window_get_result (w)->image_serial, ==, serial);
  g_assert_cmpuint (nd_window_get_camera_frames (w), ==, frames);
  g_assert_cmpint (preview_width (f), ==, still_width);

  /* Picking an image while the camera runs stops it too. */
  set_camera (f, TRUE);
  WAIT_UNTIL (preview_width (f) == 640, 30);
  /* Choosing a camera while one runs restarts on it. */
  g_action_group_change_action_state (G_ACTION_GROUP (w), "camera-device",
                                      g_variant_new_int32 (0));
  g_assert_true (nd_window_get_camera_running (w));
  g_assert_cmpuint (nd_window_get_camera_frames (w), ==, 0);
  WAIT_UNTIL (nd_window_get_camera_frames (w) >= 3, 30);
  g_action_group_activate_action (G_ACTION_GROUP (w), "test-pattern", NULL);
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_cmpint (preview_width (f), ==, 256);
}

/* A camera that is not there: the message in the banner, the toggle off, the app working on
 * images as before. */
static void
test_camera_absent (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  guint64 still_serial = nd_window_get_input_serial (w);
  const char *banner;

  set_camera (f, TRUE);
  WAIT_UNTIL ((banner = nd_window_get_banner (w)) != NULL && strstr (banner, "/dev/video99"),
              20);
  g_test_message ("banner: %s", banner);
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_null (nd_window_get_camera_status (w));
  g_assert_cmpint (preview_width (f), ==, 256);
  g_assert_cmpuint (nd_window_get_input_serial (w), >=, still_serial);
  WAIT_UNTIL (nd_window_get_result (w)->image_serial == nd_window_get_input_serial (w), 30);
  /* Still usable: a knob rebuilds the model on the image. */
  drive (f, "resolution", g_variant_new_int32 (96), NULL);
  g_assert_cmpint (nd_window_get_result (w)->graph->in_h, ==, 96);
  g_assert_false (camera_on (f));
}

/* No camera at all, and one that ends mid-stream (unplugged): both explained, both off. */
static void
test_camera_gone (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  const char *banner;

  g_assert_cmpuint (nd_window_list_cameras (w), ==, 0);
  set_camera (f, TRUE);
  WAIT_UNTIL ((banner = nd_window_get_banner (w)) != NULL && strstr (banner, "No camera"), 20);
  g_assert_false (camera_on (f));

  /* 45 frames at 30 fps, then end of stream, as a camera pulled out. */
  nd_window_set_camera_source (w, "test-pattern:snow:45");
  set_camera (f, TRUE);
  WAIT_UNTIL (nd_window_get_banner (w) == NULL, 20);   /* the old message is stale */
  WAIT_UNTIL ((banner = nd_window_get_banner (w)) != NULL
              && strstr (banner, "stopped sending frames"), 30);
  g_test_message ("banner: %s", banner);
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_cmpuint (nd_window_get_camera_frames (w), >, 0);
  g_assert_cmpint (preview_width (f), ==, 256);
  WAIT_UNTIL (nd_window_get_result (w)->image_serial == nd_window_get_input_serial (w), 30);
}

#endif /* ND_HAVE_CAPTURE */

static void
no_display (void)
{
  g_test_skip ("no display (run under Xvfb)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The camera tests run on a test pattern (ND_CAMERA_SOURCE is read when the camera starts). */
  g_setenv ("ND_CAMERA_SOURCE", "test-pattern:ball", TRUE);
  /* gtk_test_init() exits without a display; a machine without one skips instead. */
  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/no-display", no_display);
      return g_test_run ();
    }
  adw_init ();
  g_test_add ("/ui/knobs", Fixture, NULL, fixture_setup, test_knobs, fixture_teardown);
  g_test_add ("/ui/impossible-knob", Fixture, NULL, fixture_setup, test_impossible,
              fixture_teardown);
  g_test_add ("/ui/views", Fixture, NULL, fixture_setup, test_views, fixture_teardown);
  g_test_add_func ("/ui/trained-weights", test_trained_weights);
  g_test_add ("/ui/official-checkpoints", Fixture, NULL, fixture_setup,
              test_official_checkpoints, fixture_teardown);
  g_test_add ("/ui/trained-menu", Fixture, NULL, fixture_setup, test_trained_menu,
              fixture_teardown);
  g_test_add ("/ui/still-running", Fixture, NULL, fixture_setup, test_still_running,
              fixture_teardown);
#if ND_HAVE_CAPTURE
  g_test_add ("/ui/camera/test-pattern", Fixture, NULL, camera_setup, test_camera,
              fixture_teardown);
  g_test_add ("/ui/camera/absent", Fixture, "/dev/video99", camera_setup, test_camera_absent,
              fixture_teardown);
  g_test_add ("/ui/camera/gone", Fixture, "none", camera_setup, test_camera_gone,
              fixture_teardown);
#endif
  return g_test_run ();
}
