/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "nd-graph-view.h"
#include "nd-npy.h"
#include "ui-fixture.h"

/* Official-layout checkpoints opened in the window (see test_official_checkpoints). */

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
    GtkWidget *sw = find_actionable (GTK_WIDGET (f->window), "win.fused");

    g_assert_true (GTK_IS_SWITCH (sw));
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

/* ---- timm's zoo layouts (tools/write_checkpoints.py --timm-zoo) ---------------------------- */

/* g_test_skip (@reason), or a failure when ND_TEST_REQUIRE names @what (CI: .ci/run). */
static void
skip_unless_required (const char *what, const char *reason)
{
  const char *env = g_getenv ("ND_TEST_REQUIRE");
  g_auto(GStrv) items = env != NULL ? g_strsplit_set (env, ", ", -1) : NULL;

  if (items != NULL && g_strv_contains ((const char * const *) items, what))
    g_test_fail_printf ("ND_TEST_REQUIRE names %s, but: %s", what, reason);
  else
    g_test_skip (reason);
}

/* `nondeep-cli ARGS…` (ND_TEST_CLI, the CLI meson built): its standard output; a failed run
 * fails the test with its message. */
static char *
cli_output (const char *const *args)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_strv_builder_add (b, g_getenv ("ND_TEST_CLI"));
  g_strv_builder_addv (b, (const char **) args);
  argv = g_strv_builder_end (b);
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("nondeep-cli %s: %s\n%s", args[0], error->message, err);
  return out;
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Asserts max |a − b| ≤ @rtol · max |b|; returns that ratio. */
static double
assert_logits_close (const NdTensor *a, const NdTensor *b, double rtol, const char *what)
{
  double diff = 0, scale = 0;

  g_assert_cmpint (a->numel, ==, b->numel);
  for (gint64 i = 0; i < b->numel; i++)
    {
      diff = MAX (diff, fabs ((double) a->data[i] - b->data[i]));
      scale = MAX (scale, fabs ((double) b->data[i]));
    }
  g_test_message ("%s: max |diff| %.3g, max |logit| %.3g (rel %.2e)", what, diff, scale,
                  diff / scale);
  g_assert_cmpfloat (scale, >, 0);
  g_assert_cmpfloat (diff, <=, rtol * scale);
  return diff / scale;
}

/* `nondeep-cli run --weights @path [--entry @entry] --input @input --resolution R
 * --dump-logits … [--fused]`: the logits. */
static NdTensor *
cli_logits (const char *dir, const char *path, const char *entry, const char *input,
            int resolution, gboolean fused)
{
  g_autofree char *res = g_strdup_printf ("%d", resolution);
  g_autofree char *out = g_build_filename (dir, "cli-logits.npy", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[14] = { "run", "--weights", path, "--input", input, "--resolution", res,
                           "--dump-logits", out, "--backend", "cpu" };
  int n = 11;
  NdTensor *t;

  if (entry != NULL)
    args[n++] = "--entry", args[n++] = entry;
  if (fused)
    args[n++] = "--fused";
  args[n] = NULL;
  text = cli_output (args);
  t = nd_npy_load (out, &error);
  g_assert_no_error (error);
  g_unlink (out);
  return t;
}

/* The window = CLI rule: the window's logits for the input it shows (its own preprocessed
 * tensor, saved as .npy) equal the CLI's for that tensor, same file, entry, size and form. */
static void
assert_window_equals_cli (NdInferenceResult *r, const char *dir, const char *path,
                          const char *entry)
{
  g_autofree char *x = g_build_filename (dir, "window-input.npy", NULL);
  g_autoptr(NdTensor) cli = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (nd_npy_save (x, r->input, &error));
  g_assert_no_error (error);
  cli = cli_logits (dir, path, entry, x, r->graph->in_h, r->graph->fused);
  /* one loader, one plan on the same backend: float rounding at most */
  assert_logits_close (r->logits, cli, 1e-5, "window vs nondeep-cli run");
  g_unlink (x);
}

/* `nondeep-cli inspect --json @path` detects @preset with @classes in each of its @n state
 * dicts. */
static void
assert_inspect_detects (const char *path, const char *preset, int classes, guint n)
{
  const char *args[] = { "inspect", "--json", path, NULL };
  g_autofree char *out = cli_output (args);
  g_autoptr(JsonObject) o = parse_object (out);
  JsonArray *sds = json_object_get_array_member (o, "state_dicts");

  g_assert_cmpuint (json_array_get_length (sds), ==, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *m = json_object_get_object_member (json_array_get_object_element (sds, i),
                                                     "model");

      g_assert_true (json_object_get_boolean_member (m, "detected"));
      g_assert_cmpstr (json_object_get_string_member (m, "preset"), ==, preset);
      g_assert_cmpint (json_object_get_int_member (m, "classes"), ==, classes);
      g_assert_cmpstr (json_object_get_string_member (m, "form"), ==, "training");
    }
}

/* The graph the window built and drew is @preset's: the parameters torch counts in the file,
 * and the MACs and blocks (in order) `nondeep-cli info` gives for @preset at that size; the
 * model drop-down shows @preset. */
static void
assert_graph_is (Fixture *f, NdInferenceResult *r, const char *preset, gint64 torch_params)
{
  g_autofree char *res = g_strdup_printf ("%d", r->graph->in_h);
  g_autofree char *classes = g_strdup_printf ("%d", (int) r->logits->numel);
  const char *args[] = { "info", "--json", "--model", preset, "--classes", classes,
                         "--resolution", res, NULL };
  g_autofree char *out = cli_output (args);
  g_autoptr(JsonObject) info = parse_object (out);
  g_autoptr(GPtrArray) blocks = nd_graph_block_stats (r->graph);
  JsonArray *cli_blocks = json_object_get_array_member (info, "blocks");
  GtkWidget *view = ui_find_type (GTK_WIDGET (f->window), ND_TYPE_GRAPH_VIEW);
  /* the first drop-down of the header bar */
  GtkWidget *models = ui_find_type (GTK_WIDGET (f->window), GTK_TYPE_DROP_DOWN);
  gint64 params, macs;
  int depth;

  nd_graph_count (r->graph, &params, &macs, &depth);
  g_test_message ("%s: %" G_GINT64_FORMAT " parameters (torch %" G_GINT64_FORMAT "), %u blocks",
                  preset, params, torch_params, blocks->len);
  g_assert_cmpint (params, ==, torch_params);
  g_assert_cmpint (params, ==, json_object_get_int_member (info, "params"));
  g_assert_cmpint (macs, ==, json_object_get_int_member (info, "macs"));
  g_assert_cmpuint (blocks->len, ==, json_array_get_length (cli_blocks));
  for (guint i = 0; i < blocks->len; i++)
    g_assert_cmpstr (((NdBlockStats *) g_ptr_array_index (blocks, i))->block, ==,
                     json_object_get_string_member (json_array_get_object_element (cli_blocks,
                                                                                   i),
                                                    "block"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (models), ==, _("Model"));
  g_assert_cmpstr (gtk_string_object_get_string (GTK_STRING_OBJECT (
                     gtk_drop_down_get_selected_item (GTK_DROP_DOWN (models)))), ==, preset);
  WAIT_UNTIL (nd_graph_view_get_drawn_generation (ND_GRAPH_VIEW (view)) == r->generation, 10);
}

/* Saves the window to $ND_FOLD_SCREENSHOTS/@name (docs/screenshots), light then dark. */
static void
save_fold_screenshots (Fixture *f, const char *name)
{
  const char *dir = g_getenv ("ND_FOLD_SCREENSHOTS");
  AdwStyleManager *manager = adw_style_manager_get_default ();
  static const char *const schemes[] = { "light", "dark" };

  if (dir == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s-%s.png", name, schemes[i]);
      g_autofree char *path = g_build_filename (dir, file, NULL);
      g_autoptr(GError) error = NULL;
      guint64 painted = f->painted;

      adw_style_manager_set_color_scheme (manager, i == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                          : ADW_COLOR_SCHEME_FORCE_DARK);
      gtk_widget_queue_draw (GTK_WIDGET (f->window));
      WAIT_UNTIL (f->painted > painted + 2, 10);
      g_assert_true (nd_window_save_screenshot (f->window, path, &error));
      g_assert_no_error (error);
      g_test_message ("saved %s", path);
    }
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

/* In the graph view a double click on @member folds its @group into one box; GTK's tooltip
 * query there is answered, with the group's name, what it holds and "Double-click to
 * unfold"; a double click on the folded box unfolds it. */
static void
assert_fold_tooltip (Fixture *f, const char *member, const char *group, int n_blocks)
{
  NdGraphView *view = ND_GRAPH_VIEW (ui_find_type (GTK_WIDGET (f->window),
                                                   ND_TYPE_GRAPH_VIEW));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (view));
  g_autoptr(GtkTooltip) tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  g_autofree char *tip = NULL, *held = NULL;
  GtkGesture *click = NULL;
  graphene_rect_t rect, none;
  gboolean offered = FALSE;
  double cx, cy;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && click == NULL; i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (c))
        click = GTK_GESTURE (c);   /* the view keeps it */
    }
  g_assert_nonnull (click);
  g_assert_true (nd_graph_view_get_block_rect (view, member, &rect));
  g_assert_false (nd_graph_view_get_block_rect (view, group, &none));
  g_signal_emit_by_name (click, "pressed", 2, (double) rect.origin.x + rect.size.width / 2,
                         (double) rect.origin.y + rect.size.height / 2);
  g_assert_true (nd_graph_view_get_block_rect (view, group, &rect));
  g_assert_false (nd_graph_view_get_block_rect (view, member, &none));
  cx = rect.origin.x + rect.size.width / 2;
  cy = rect.origin.y + rect.size.height / 2;
  g_signal_emit_by_name (view, "query-tooltip", (int) cx, (int) cy, FALSE, tooltip, &offered);
  g_assert_true (offered);
  tip = nd_graph_view_dup_tooltip_at (view, (int) cx, (int) cy);
  g_test_message ("folded %s at (%.0f, %.0f):\n%s", group, cx, cy, tip);
  g_assert_true (g_str_has_prefix (tip, group));
  held = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d block", "%d blocks", n_blocks),
                          n_blocks);
  g_assert_nonnull (strstr (tip, held));
  g_assert_nonnull (strstr (tip, _("Double-click to unfold")));
  save_fold_screenshots (f, "darknet-53-folded");
  g_signal_emit_by_name (click, "pressed", 2, cx, cy);
  g_assert_false (nd_graph_view_get_block_rect (view, group, &none));
  g_assert_true (nd_graph_view_get_block_rect (view, member, &rect));
}

/* One timm-layout file opened as the Open Weights dialog does: model, drop-down, classes and
 * graph switch to it, the window's logits are the CLI's, and the CLI on the writer's input
 * gives what tools/nd_timm.py computed (the file holds the weights torch used). */
static NdInferenceResult *
open_timm_file (Fixture *f, const char *dir, JsonObject *manifest, const char *file,
                const char *timm_name)
{
  JsonObject *m = json_object_get_object_member (manifest, file);
  const char *preset = json_object_get_string_member (m, "model");
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *input = g_build_filename (dir, json_object_get_string_member (m, "input"),
                                             NULL);
  g_autofree char *expected_path = g_build_filename (
    dir, json_object_get_string_member (m, json_object_has_member (m, "expected_ema")
                                            ? "expected_ema" : "expected"), NULL);
  g_autoptr(NdTensor) expected = NULL, cli = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *s = NULL;
  NdInferenceResult *r;

  g_test_message ("%s (timm %s): %s", file, timm_name, json_object_get_string_member (m, "note"));
  r = open_weights (f, path);
  g_test_message ("%s: %d px, %s; %s", preset, r->graph->in_h, r->input_text, r->backend);
  g_assert_cmpstr (r->spec.name, ==, preset);
  s = action_string (f, "model");
  g_assert_cmpstr (s, ==, preset);
  g_assert_cmpint (r->spec.width, ==, 1);
  g_assert_cmpint (r->spec.classes, ==, 10);   /* the file's, not the preset's 1000 */
  g_assert_cmpint ((int) r->logits->numel, ==, 10);
  /* ten names, as `nondeep-cli run` gives a 10-class model (Fashion-MNIST's) */
  g_assert_nonnull (nd_window_get_label (f->window, 9));
  g_assert_null (nd_window_get_label (f->window, 10));
  g_assert_true (window_shows (f, r->input_text, TRUE));
  g_assert_false (r->graph->fused);
  g_assert_false (r->fused_only);
  g_assert_true (window_shows (f, "training form", TRUE));
  assert_title_names (f, path);
  assert_graph_is (f, r, preset, json_object_get_int_member (m, "params"));
  assert_window_equals_cli (r, dir, path, NULL);
  assert_inspect_detects (path, preset, 10, json_object_has_member (m, "expected_ema") ? 2 : 1);
  /* torch's logits on the writer's own input (the cross-check, here on the file the window
   * opened) */
  expected = nd_npy_load (expected_path, &error);
  g_assert_no_error (error);
  cli = cli_logits (dir, path, NULL, input, 64, FALSE);
  assert_logits_close (cli, expected, 1e-4, "nondeep-cli vs tools/nd_timm.py");
  return r;
}

/* timm-layout checkpoints of the zoo (tools/nd_timm.py: timm's module names; full width, the
 * structures timm publishes, 10 classes; random weights) opened in the window; the wrapped
 * train checkpoint runs its EMA weights, and its other state dict on request. No real timm
 * checkpoint is downloaded: the files are torch.save'd state dicts of those definitions.
 * With ND_FOLD_SCREENSHOTS=DIR the window with Darknet-53's stage 4 folded is saved there
 * (docs/screenshots/darknet-53-folded-{light,dark}.png). */
static void
test_timm_zoo_checkpoints (Fixture *f, gconstpointer data)
{
  const char *python = "/usr/bin/python3";
  g_autofree char *script = g_build_filename (ND_SOURCE_ASSETS_DIR, "..", "tools",
                                              "write_checkpoints.py", NULL);
  static const char *const files[][2] = {
    { "vovnet39a.pth", "vovnet39a" }, { "darknet53.pth", "darknet53" },
    { "resnetv2_50.pth", "resnetv2_50" }, { "vovnet39a-train.pth.tar", "vovnet39a" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *out = NULL, *err = NULL, *mpath = NULL, *mtext = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) manifest = NULL;
  g_autoptr(NdTensor) ema = NULL;
  NdInferenceResult *r = NULL;
  int status = 0;

  if (g_getenv ("ND_TEST_CLI") == NULL)
    {
      g_test_skip ("ND_TEST_CLI not set (run through meson test)");
      return;
    }
  {
    const char *argv[] = { python, "-c", "import torch, numpy", NULL };

    if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE)
        || !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                          NULL, NULL, &status, NULL)
        || !g_spawn_check_wait_status (status, NULL))
      {
        skip_unless_required ("torch", "python3-torch is not installed: no timm checkpoints");
        return;
      }
  }
  dir = g_dir_make_tmp ("nd-ui-timm-XXXXXX", &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { python, script, dir, "--timm-zoo", "--classes", "10",
                           "--resolution", "64", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                 &err, &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, &error))
      g_error ("write_checkpoints.py --timm-zoo failed: %s\n%s%s", error->message, out, err);
  }
  mpath = g_build_filename (dir, "manifest.json", NULL);
  g_assert_true (g_file_get_contents (mpath, &mtext, NULL, NULL));
  manifest = parse_object (mtext);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      r = open_timm_file (f, dir, manifest, files[i][0], files[i][1]);
      /* Darknet-53's fourth stage: eight DarkBlocks, folded into one box */
      if (i == 1)
        assert_fold_tooltip (f, "stages.3.blocks.2", "stages.3.blocks", 8);
    }

  /* The train checkpoint: state_dict_ema by default (as timm evaluates), state_dict (its
   * `module.` prefixes dropped) when chosen; each equal to the CLI with that --entry. */
  path = g_build_filename (dir, files[3][0], NULL);
  g_assert_cmpstr (nd_window_get_weights_entry (f->window), ==, "state_dict_ema");
  g_assert_true (g_strv_contains (nd_window_get_weights_entries (f->window), "state_dict"));
  g_assert_true (nd_window_get_entry_chooser_visible (f->window));
  ema = nd_tensor_ref (r->logits);
  {
    guint64 gen = r->generation;

    g_assert_true (nd_window_open_weights_entry (f->window, path, "state_dict", &error));
    g_assert_no_error (error);
    r = wait_weights (f, gen);
  }
  g_assert_cmpstr (nd_window_get_weights_entry (f->window), ==, "state_dict");
  g_assert_cmpstr (r->spec.name, ==, "vovnet-39");
  assert_window_equals_cli (r, dir, path, "state_dict");
  /* different weights: not the EMA's logits */
  {
    double diff = 0, scale = 0;

    for (gint64 i = 0; i < ema->numel; i++)
      {
        diff = MAX (diff, fabs ((double) r->logits->data[i] - ema->data[i]));
        scale = MAX (scale, fabs ((double) ema->data[i]));
      }
    g_assert_cmpfloat (diff, >, 1e-2 * scale);
  }
  g_bytes_unref (screenshot (f, "timm-vovnet39a"));
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/official-checkpoints", Fixture, NULL, fixture_setup,
              test_official_checkpoints, fixture_teardown);
  g_test_add ("/ui/timm-zoo-checkpoints", Fixture, NULL, fixture_setup,
              test_timm_zoo_checkpoints, fixture_teardown);
  return g_test_run ();
}
