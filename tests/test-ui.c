/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nd-backend.h"
#include "nd-graph-view.h"
#include "nd-render-graph.h"
#include "nd-weights.h"
#include "nd-safetensors.h"
#include "ui-fixture.h"

/* The window under a real (X) display: every knob driven through its action, the model rebuilt,
 * the latency updated, the views redrawn with what the knob changed; an impossible combination
 * explained next to its knob and never applied; a long run that must not leak; fp16 storage on
 * Vulkan. Small models keep it quick. */


static GtkWidget *
find_graph_view (GtkWidget *widget)
{
  if (ND_IS_GRAPH_VIEW (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_graph_view (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* `nondeep-cli info --json` for the model and knobs in @args (NULL-terminated). */
static JsonObject *
cli_info (const char *const *args)
{
  const char *cli = g_getenv ("ND_TEST_CLI");
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (cli);
  g_strv_builder_add_many (b, cli, "info", "--json", NULL);
  g_strv_builder_addv (b, (const char **) args);
  argv = g_strv_builder_end (b);
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (status != 0)
    g_test_message ("%s", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* What the knobs changed, as the user sees it after the frame: the graph view drew the new
 * model (its lanes, its blocks) and the header's parameter count, both equal to what the CLI
 * builds from the same knobs. A view that did not redraw still shows an older generation. */
static void
assert_views_show_knobs (Fixture *f, const char *const *args, int streams)
{
  NdInferenceResult *r = nd_window_get_result (f->window);
  NdGraphView *view = ND_GRAPH_VIEW (find_graph_view (GTK_WIDGET (f->window)));
  g_autoptr(JsonObject) info = cli_info (args);
  g_autoptr(GPtrArray) blocks = NULL;
  g_autofree char *params_text = NULL;
  gint64 params, macs;
  int depth;

  /* the same generation: the graph drawn is this result's */
  g_assert_cmpuint (nd_graph_view_get_drawn_generation (view), ==, r->generation);
  nd_graph_count (r->graph, &params, &macs, &depth);
  blocks = nd_graph_block_stats (r->graph);
  g_test_message ("drawn: %d lanes, %u blocks, %" G_GINT64_FORMAT " parameters; CLI: %u blocks, "
                  "%" G_GINT64_FORMAT " parameters", nd_render_graph_n_lanes (r->graph),
                  blocks->len, params,
                  json_array_get_length (json_object_get_array_member (info, "blocks")),
                  json_object_get_int_member (info, "params"));
  g_assert_cmpint (nd_render_graph_n_lanes (r->graph), ==, streams);
  g_assert_cmpint (params, ==, json_object_get_int_member (info, "params"));
  g_assert_cmpint (macs, ==, json_object_get_int_member (info, "macs"));
  g_assert_cmpuint (blocks->len, ==,
                    json_array_get_length (json_object_get_array_member (info, "blocks")));
  g_assert_cmpint (r->graph->fused, ==, json_object_get_boolean_member (info, "fused"));
  /* the header: "parnet-s · training form · 96×96 input · 0.29 M parameters · 0.02 GMACs" */
  params_text = g_strdup_printf ("%d×%d input · %.2f M parameters · %.2f GMACs",
                                 (int) json_object_get_int_member (info, "resolution"),
                                 (int) json_object_get_int_member (info, "resolution"),
                                 json_object_get_int_member (info, "params") / 1e6,
                                 json_object_get_int_member (info, "macs") / 1e9);
  g_assert_true (window_shows (f, params_text, TRUE));
}

/* @opts as name/value pairs: those with a value, "" for a flag, into @args (NULL-ended). */
static const char *const *
cli_args (const char **opts, guint n, const char **args)
{
  guint m = 0;

  for (guint k = 0; k < n; k += 2)
    if (opts[k + 1] != NULL)
      {
        args[m++] = opts[k];
        if (*opts[k + 1] != '\0')
          args[m++] = opts[k + 1];
      }
  args[m] = NULL;
  return args;
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
    const char *cli;     /* the same knob for `nondeep-cli info` */
  } steps[] = {
    { "streams", g_variant_new_int32 (2), "2" },
    { "width", g_variant_new_double (0.125), "0.125" },
    { "blocks", g_variant_new_string ("2,3"), "2,3" },
    { "resolution", g_variant_new_int32 (96), "96" },
    { "fused", g_variant_new_boolean (TRUE), "" },
    { "fused", g_variant_new_boolean (FALSE), NULL },
  };
  gboolean preset = g_getenv ("ND_UI_TEST_PRESET") != NULL;
  /* The CLI's arguments: the fixture's model, then each knob as the test sets it. */
  const char *cli[] = { "--model", "parnet-s", "--width", preset ? NULL : "0.25",
                        "--resolution", preset ? NULL : "64", "--streams", NULL, "--blocks", NULL,
                        "--fused", NULL };
  int streams = 3;
  const char *args[G_N_ELEMENTS (cli) + 1];
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
  assert_views_show_knobs (f, cli_args (cli, G_N_ELEMENTS (cli), args), streams);
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
      for (guint k = 0; k < G_N_ELEMENTS (cli); k += 2)
        if (g_str_equal (cli[k] + 2, steps[i].action))
          cli[k + 1] = steps[i].cli;
      if (g_str_equal (steps[i].action, "streams"))
        streams = atoi (steps[i].cli);
      assert_views_show_knobs (f, cli_args (cli, G_N_ELEMENTS (cli), args), streams);
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

/* ---- fp16 storage ------------------------------------------------------------------------- */

static gboolean
fp16_enabled (Fixture *f)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "fp16");
}

/* The fp16 switch: greyed out on the CPU; on a Vulkan device with 16-bit storage a knob like
 * the others, whose result says it stores float16 and keeps the trained model's prediction;
 * remembered, not sent, while the CPU runs. */
static void
test_fp16 (Fixture *f, gconstpointer data)
{
  GtkWidget *fp16 = find_actionable (GTK_WIDGET (f->window), "win.fp16");
  g_autoptr(GSettings) settings = g_settings_new (ND_APP_ID);
  g_autoptr(NdInferenceResult) r32 = NULL;
  g_autoptr(NdBackend) vk = NULL;
  g_autoptr(GError) error = NULL;
  NdInferenceResult *r = nd_window_get_result (f->window);
  double max_diff = 0, max_logit = 0;
  char *s;

  g_assert_nonnull (fp16);
  g_assert_true (GTK_IS_SWITCH (fp16));
  g_assert_false (r->fp16);
  g_assert_false (gtk_widget_is_sensitive (fp16));
  g_assert_false (fp16_enabled (f));
  if (r->random_weights)
    {
      g_test_skip ("no bundled weights");
      return;
    }
  vk = nd_backend_new ("vulkan", -1, &error);
  if (vk == NULL)
    {
      g_autofree char *why = g_strdup_printf ("no Vulkan device: %s", error->message);

      g_test_skip (why);
      return;
    }

  r32 = nd_inference_result_ref (turn (f, "backend", g_variant_new_string ("vulkan")));
  g_assert_false (r32->fp16);
  g_assert_true (g_str_has_prefix (r32->backend, "Vulkan"));
  g_assert_false (window_shows (f, "fp16 storage in use", FALSE));
  if (!vk->fp16_storage)
    {
      g_assert_false (gtk_widget_is_sensitive (fp16));
      g_assert_false (fp16_enabled (f));
      g_test_skip ("the Vulkan device has no 16-bit storage");
      return;
    }
  g_assert_true (gtk_widget_is_sensitive (fp16));
  g_assert_true (fp16_enabled (f));

  r = turn (f, "fp16", g_variant_new_boolean (TRUE));
  g_test_message ("fp16: %s; top-1 %d (fp32 %d); knob → result %.0f ms", r->backend,
                  r->top_class[0], r32->top_class[0], r->knob_to_result_ms);
  g_assert_true (r->fp16);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (fp16)));
  g_assert_true (g_str_has_suffix (r->backend, " · fp16 storage in use"));
  g_assert_true (window_shows (f, "· fp16 storage in use", TRUE));          /* model line */
  g_assert_true (window_shows (f, "fused · fp16 storage · warm", TRUE));    /* latency */
  g_assert_cmpfloat (r->knob_to_result_ms, >, 0);
  g_assert_true (g_settings_get_boolean (settings, "fp16"));
  /* The prediction stays; the logits move, a little: float16 did reach the plan. */
  g_assert_cmpint (r->top_class[0], ==, r32->top_class[0]);
  g_assert_cmpint (r->logits->numel, ==, r32->logits->numel);
  for (int c = 0; c < r->logits->numel; c++)
    {
      max_diff = MAX (max_diff, fabs (r->logits->data[c] - r32->logits->data[c]));
      max_logit = MAX (max_logit, fabs (r32->logits->data[c]));
    }
  g_test_message ("max |logit fp16 − fp32| %.3g (max |logit| %.3g)", max_diff, max_logit);
  g_assert_cmpfloat (max_diff, >, 0);
  g_assert_cmpfloat (max_diff, <, 0.01 * max_logit);

  /* On the CPU: fp32 (fp16 is not sent), the switch greyed out but still on. */
  r = turn (f, "backend", g_variant_new_string ("cpu"));
  g_assert_false (r->fp16);
  g_assert_true (g_str_has_prefix (r->backend, "CPU"));
  g_assert_false (gtk_widget_is_sensitive (fp16));
  g_assert_false (fp16_enabled (f));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (fp16)));
  s = action_string (f, "fp16");
  g_assert_cmpstr (s, ==, "true");
  g_free (s);
  g_assert_false (window_shows (f, "fp16 storage in use", FALSE));
  g_assert_false (window_shows (f, "· fp16 storage · warm", FALSE));
  g_assert_cmpint (r->top_class[0], ==, r32->top_class[0]);

  /* Back on Vulkan the remembered switch applies again. */
  r = turn (f, "backend", g_variant_new_string ("vulkan"));
  g_assert_true (r->fp16);
  g_assert_true (gtk_widget_is_sensitive (fp16));
}

/* The trained ParNet with its classifier scaled by @scale: logits far beyond float16. */
static char *
write_scaled_weights (const char *dir, float scale)
{
  g_autofree char *src = g_build_filename (ND_SOURCE_ASSETS_DIR, ND_DEFAULT_WEIGHTS, NULL);
  char *path = g_build_filename (dir, "parnet-loud.safetensors", NULL);
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdWeightSet) set = nd_safetensors_load (src, &meta, &error);
  const char *keys[] = { "head.fc.weight", "head.fc.bias" };

  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      /* a copy: the loaded tensors may map the file */
      g_autoptr(NdTensor) t = nd_tensor_copy (nd_weight_set_lookup (set, keys[k]));

      for (int64_t i = 0; i < t->numel; i++)
        t->data[i] *= scale;
      nd_weight_set_insert (set, keys[k], t);
    }
  g_assert_true (nd_safetensors_save (path, set, meta, &error));
  g_assert_no_error (error);
  return path;
}

/* A result that overflows float16 at run time: its message where build errors go, the fp32
 * result kept on show, and turning fp16 off again runs the model. */
static void
test_fp16_overflow (Fixture *f, gconstpointer data)
{
  g_autoptr(NdBackend) vk = nd_backend_new ("vulkan", -1, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  NdInferenceResult *r = nd_window_get_result (f->window);
  const char *message;
  guint64 gen;
  float max_logit = 0;

  if (r->random_weights || vk == NULL || !vk->fp16_storage)
    {
      g_test_skip (r->random_weights ? "no bundled weights"
                                     : "no Vulkan device with 16-bit storage");
      return;
    }
  dir = g_dir_make_tmp ("nd-fp16-XXXXXX", &error);
  g_assert_no_error (error);
  path = write_scaled_weights (dir, 1e5f);
  r = turn (f, "backend", g_variant_new_string ("vulkan"));
  gen = r->generation;
  g_assert_true (nd_window_open_weights (f->window, path, &error));
  g_assert_no_error (error);
  r = wait_weights (f, gen);
  g_assert_false (r->fp16);
  g_assert_cmpint (r->top_class[0], ==, 9);   /* Ankle boot */
  for (int c = 0; c < r->logits->numel; c++)
    max_logit = MAX (max_logit, fabsf (r->logits->data[c]));
  g_assert_cmpfloat (max_logit, >, 65504);

  gen = f->rebuilt_generation;
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "fp16",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (nd_window_get_knob_error (f->window, "general") != NULL
              || f->rebuilt_generation > gen, 120);
  message = nd_window_get_knob_error (f->window, "general");
  g_test_message ("fp16: %s", message);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "float16"));
  g_assert_cmpuint (f->rebuilt_generation, ==, gen);
  g_assert_false (nd_window_get_result (f->window)->fp16);

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "fp16",
                                      g_variant_new_boolean (FALSE));
  WAIT_UNTIL (f->rebuilt_generation > gen, 120);
  g_assert_null (nd_window_get_knob_error (f->window, "general"));
  r = nd_window_get_result (f->window);
  g_assert_false (r->fp16);
  g_assert_cmpint (r->top_class[0], ==, 9);

  g_remove (path);
  g_rmdir (dir);
}

static gboolean
shows_block (NdInferenceResult *r, const char *block)
{
  for (int i = 1; r != NULL && r->graph != NULL && i < nd_graph_n_nodes (r->graph); i++)
    if (g_strcmp0 (nd_graph_node (r->graph, i)->block, block) == 0)
      return TRUE;
  return FALSE;
}

/* The Compare window's roofline click: a block of the model on show is selected at once; a
 * block of another preset after the window has switched to it. */
static void
test_show_block (Fixture *f, gconstpointer data)
{
  g_autofree char *model = action_string (f, "model");
  g_autofree char *selected = action_string (f, "select");
  NdInferenceResult *r = nd_window_get_result (f->window);
  const char *other = NULL;

  g_assert_nonnull (r);
  for (int i = nd_graph_n_nodes (r->graph) - 1; i > 0 && other == NULL; i--)
    if (nd_graph_node (r->graph, i)->block != NULL
        && g_strcmp0 (nd_graph_node (r->graph, i)->block, selected) != 0)
      other = nd_graph_node (r->graph, i)->block;
  g_assert_nonnull (other);
  nd_window_show_block (f->window, model, other);
  g_free (selected);
  selected = action_string (f, "select");
  g_assert_cmpstr (selected, ==, other);

  nd_window_show_block (f->window, "resnet-18", "layer2.1");
  g_free (model);
  model = action_string (f, "model");
  g_assert_cmpstr (model, ==, "resnet-18");
  WAIT_UNTIL (shows_block (nd_window_get_result (f->window), "layer2.1"), 120);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (selected);
  selected = action_string (f, "select");
  g_assert_cmpstr (selected, ==, "layer2.1");
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/knobs", Fixture, NULL, fixture_setup, test_knobs, fixture_teardown);
  g_test_add ("/ui/impossible-knob", Fixture, NULL, fixture_setup, test_impossible,
              fixture_teardown);
  g_test_add ("/ui/views", Fixture, NULL, fixture_setup, test_views, fixture_teardown);
  g_test_add ("/ui/show-block", Fixture, NULL, fixture_setup, test_show_block,
              fixture_teardown);
  g_test_add_func ("/ui/trained-weights", test_trained_weights);
  g_test_add ("/ui/trained-menu", Fixture, NULL, fixture_setup, test_trained_menu,
              fixture_teardown);
  g_test_add ("/ui/still-running", Fixture, NULL, fixture_setup, test_still_running,
              fixture_teardown);
  g_test_add ("/ui/fp16", Fixture, NULL, fixture_setup_trained, test_fp16,
              fixture_teardown_trained);
  g_test_add ("/ui/fp16-overflow", Fixture, NULL, fixture_setup_trained, test_fp16_overflow,
              fixture_teardown_trained);
  return g_test_run ();
}
