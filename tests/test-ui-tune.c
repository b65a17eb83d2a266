/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include "nd-inference.h"
#include "ui-fixture.h"

/* Tune Kernels (issue 18): the main menu's "Tune Kernels on DEVICE" rebuilds the model with
 * each convolution's kernel variants timed on the Vulkan device, as `nondeep-cli bench
 * --tune` does, and keeps the verdicts for later plans, the CLI's included. Here on the
 * preferred device (lavapipe in CI), in a cache folder of its own: greyed out on the CPU; the
 * busy line while it tunes; the notice and the latency line after; the CLI then runs the
 * same kernels; a second request has nothing to tune; a knob turned mid-way stops it and
 * nothing is remembered. With ND_TUNE_SCREENSHOTS=DIR it saves the latency view with the
 * notice at 1024×700 and 1600×1000, light and dark: while tuning (tuning-*), after it
 * (tune-*) and with "Nothing to tune" and its Tune Again (tune-again-*). */

static char *cache_dir;

static gboolean
tune_enabled (Fixture *f)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "tune-kernels");
}

/* The text of a translated message (for @n, where it has a plural) up to its first
 * conversion ("Kernels tuned in "). */
static char *
prefix_of (const char *msgid, const char *plural, int n)
{
  const char *text = plural != NULL ? g_dngettext (GETTEXT_PACKAGE, msgid, plural, n)
                                    : g_dgettext (GETTEXT_PACKAGE, msgid);

  return g_strndup (text, strcspn (text, "%"));
}

/* Activates @action (tune-kernels, or retune-kernels: Tune Again) and waits for the model it
 * rebuilds; checks the busy line first and, when it is to time variants (@timed), that it
 * shows how many are done before the result comes. */
static NdInferenceResult *
tune (Fixture *f, const char *action, gboolean timed)
{
  guint64 gen = nd_window_get_result (f->window)->generation;

  g_action_group_activate_action (G_ACTION_GROUP (f->window), action, NULL);
  g_assert_true (window_shows (f, g_dgettext (GETTEXT_PACKAGE, "Tuning the kernels on this "
                                              "device; the live view waits…"), TRUE));
  if (timed)
    {
      g_autofree char *line = prefix_of ("Tuning the kernels on this device: %d of %d "
                                         "variants timed; the live view waits…", NULL, 0);

      WAIT_UNTIL (window_shows (f, line, FALSE) || f->rebuilt_generation > gen, 480);
      g_assert_cmpuint (f->rebuilt_generation, <=, gen);
      if (g_str_equal (action, "tune-kernels"))
        ui_save_screenshot_set (f, "ND_TUNE_SCREENSHOTS", "tuning");
    }
  /* ~50 s here, more on a slower machine or under a sanitizer: past wait_weights' limit */
  WAIT_UNTIL (f->rebuilt_generation > gen
              || nd_window_get_knob_error (f->window, "general") != NULL, 480);
  return wait_weights (f, gen);
}

/* The notice after a tuning that timed something: its first words, in the language run. */
static void
assert_tuned_notice (Fixture *f, const NdInferenceResult *r)
{
  g_autofree char *tuned = NULL;

  if (r->tuned_ops > 0)
    tuned = prefix_of ("Kernels tuned in %.0f s: %d convolution runs a faster variant, here "
                       "and in later plans", "Kernels tuned in %.0f s: %d convolutions run "
                       "faster variants, here and in later plans", r->tuned_ops);
  else
    tuned = prefix_of ("Kernels tuned in %.0f s: the built-in choices were the fastest on "
                       "this device", NULL, 0);
  g_assert_nonnull (nd_window_get_toast (f->window));
  g_assert_true (g_str_has_prefix (nd_window_get_toast (f->window), tuned));
  g_assert_null (nd_window_get_toast_action (f->window));
}

/* `nondeep-cli bench` on the same weights and form, in the same cache folder: the verdicts
 * the window left give it the same kernels, convolution by convolution. */
static void
check_cli_kernels (const NdInferenceResult *r)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = ui_cli_bench (parser, "the CLI's kernels",
                                   r->graph->fused ? "--fused" : NULL, NULL);
  JsonArray *ops;
  int convs = 0;

  if (root == NULL)
    return;
  g_assert_cmpstr (json_object_get_string_member (root, "kernels"), ==, "tuned earlier");
  g_assert_cmpint (json_object_get_int_member (root, "tuned_ops"), ==, r->tuned_ops);
  ops = json_object_get_array_member (root, "ops");
  for (guint i = 0; i < json_array_get_length (ops); i++)
    {
      JsonObject *op = json_array_get_object_element (ops, i);
      int id = json_object_get_int_member (op, "id");

      if (g_strcmp0 (json_object_get_string_member (op, "op"), "conv2d") != 0)
        continue;
      g_assert_cmpint (id, <, r->n_nodes);
      g_assert_cmpstr (json_object_get_string_member (op, "algo"), ==, r->op_algo[id]);
      /* … and the same tuned variant ("" in the window, null in the JSON for the rules') */
      g_assert_cmpstr (json_object_get_null_member (op, "variant")
                       ? "" : json_object_get_string_member (op, "variant"), ==,
                       r->op_variant[id]);
      convs++;
    }
  g_test_message ("the CLI runs the window's kernel in each of %d convolutions", convs);
  g_assert_cmpint (convs, >, 0);
}

static char *
read_verdicts (void)
{
  g_autofree char *path = g_build_filename (cache_dir, "nondeep", "vulkan-kernels.ini", NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static void
test_tune (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) devices = NULL;
  g_autofree char *verdicts = NULL, *after = NULL;
  NdInferenceResult *r;
  NdDeviceInfo *vk;
  guint64 runs;
  guint cancelled;

  g_assert_false (tune_enabled (f));      /* the CPU */
  if ((vk = ui_vulkan_or_skip (&devices)) == NULL)
    return;
  g_assert_true (ui_menu_has (G_MENU_MODEL (nd_window_get_primary_menu (f->window)),
                              "win.tune-kernels", NULL));

  r = turn (f, "backend", g_variant_new_string ("vulkan"));
  g_assert_true (tune_enabled (f));
  g_assert_cmpstr (r->kernels, ==, "rules");
  g_assert_cmpint (r->tuned_ops, ==, 0);

  /* live inference runs the model back to back: the tuning pauses it (a run under way may
   * finish), so the timings have the device to themselves */
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "live",
                                      g_variant_new_boolean (TRUE));
  runs = nd_inference_get_n_runs (nd_window_get_inference (f->window));
  r = tune (f, "tune-kernels", TRUE);
  runs = nd_inference_get_n_runs (nd_window_get_inference (f->window)) - runs;
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "live",
                                      g_variant_new_boolean (FALSE));
  g_test_message ("tuned in %.1f s: %d convolutions on other variants; %" G_GUINT64_FORMAT
                  " runs meanwhile",
                  r->tune_ms / 1000, r->tuned_ops, runs);
  g_assert_cmpuint (runs, <, 20);
  g_assert_cmpstr (r->kernels, ==, "tuned");
  g_assert_cmpfloat (r->tune_ms, >, 0);
  g_assert_cmpint (r->tuned_ops, >=, 0);
  assert_tuned_notice (f, r);
  if (r->tuned_ops > 0)
    {
      g_autofree char *line = prefix_of (" · %d tuned kernel", " · %d tuned kernels",
                                         r->tuned_ops);
      g_autofree char *want = g_strdup_printf ("%s%d", line, r->tuned_ops);

      g_assert_true (window_shows (f, want, TRUE));
    }
  verdicts = read_verdicts ();
  g_assert_nonnull (strstr (verdicts, " nondeep "));     /* the device's group */
  g_assert_nonnull (strstr (verdicts, ".k3x3."));        /* a 3×3 convolution's verdict */
  ui_save_screenshot_set (f, "ND_TUNE_SCREENSHOTS", "tune");
  /* the per-op algorithms come with the warm runs' medians */
  WAIT_UNTIL (nd_window_get_result (f->window)->op_algo != NULL, 60);
  check_cli_kernels (nd_window_get_result (f->window));

  /* again: every shape has its verdict, nothing is timed; the notice offers Tune Again */
  r = tune (f, "tune-kernels", FALSE);
  g_assert_cmpstr (r->kernels, ==, "tuned earlier");
  g_assert_cmpfloat (r->tune_ms, ==, 0);
  g_assert_cmpstr (nd_window_get_toast (f->window), ==,
                   g_dgettext (GETTEXT_PACKAGE, "Nothing to tune: this device has a verdict "
                                                "for every convolution of this model"));
  g_assert_cmpstr (nd_window_get_toast_action (f->window), ==, "win.retune-kernels");
  ui_save_screenshot_set (f, "ND_TUNE_SCREENSHOTS", "tune-again");

  /* Tune Again (the notice's button: its action) times them all again, as --retune */
  r = tune (f, "retune-kernels", TRUE);
  g_test_message ("tuned again in %.1f s: %d convolutions on other variants",
                  r->tune_ms / 1000, r->tuned_ops);
  g_assert_cmpstr (r->kernels, ==, "tuned");
  g_assert_cmpfloat (r->tune_ms, >, 0);
  assert_tuned_notice (f, r);
  g_free (verdicts);
  verdicts = read_verdicts ();
  g_assert_nonnull (strstr (verdicts, ".k3x3."));

  /* new shapes (another resolution), then a knob turned while they are tuned: the tuning
   * stops, the file keeps what it had */
  r = turn (f, "resolution", g_variant_new_int32 (64));
  g_assert_cmpstr (r->kernels, !=, "tuned");
  cancelled = nd_inference_get_n_cancelled (nd_window_get_inference (f->window));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "tune-kernels", NULL);
  g_usleep (G_USEC_PER_SEC / 2);
  r = turn (f, "fused", g_variant_new_boolean (!r->graph->fused));
  g_assert_cmpuint (nd_inference_get_n_cancelled (nd_window_get_inference (f->window)), >,
                    cancelled);
  g_assert_cmpstr (r->kernels, !=, "tuned");
  g_assert_cmpstr (nd_window_get_toast (f->window), ==,
                   g_dgettext (GETTEXT_PACKAGE, "Kernel tuning stopped: the model changed "
                                                "before it finished; nothing was "
                                                "remembered"));
  after = read_verdicts ();
  g_assert_cmpstr (after, ==, verdicts);

  /* back on the CPU: greyed out */
  turn (f, "backend", g_variant_new_string ("cpu"));
  g_assert_false (tune_enabled (f));
}

static void
remove_cache (void)
{
  g_autofree char *dir = g_build_filename (cache_dir, "nondeep", NULL);
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
  g_rmdir (cache_dir);
}

int
main (int argc, char **argv)
{
  int status;

  /* before anything reads them: verdicts in a folder of this test's own, and tuning on
   * (the suite's environment turns the verdicts off for the other tests) */
  cache_dir = g_strdup_printf ("%s/nd-ui-tune-%d", g_get_tmp_dir (), (int) getpid ());
  g_mkdir_with_parents (cache_dir, 0700);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  g_unsetenv ("ND_VK_TUNE");
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/tune", Fixture, "latency", fixture_setup_trained, test_tune,
              fixture_teardown_trained);
  status = g_test_run ();
  remove_cache ();
  return status;
}
