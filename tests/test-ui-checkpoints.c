/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

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

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/official-checkpoints", Fixture, NULL, fixture_setup,
              test_official_checkpoints, fixture_teardown);
  return g_test_run ();
}
