/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <math.h>

#include <json-glib/json-glib.h>

#include "nd-backend.h"
#include "nd-erf-compare.h"
#include "nd-erf-view.h"
#include "nd-grad.h"
#include "nd-model.h"
#include "nd-npy.h"
#include "nd-preview.h"
#include "ui-fixture.h"
#include "ui-views.h"

/* The gradients window on the shipped Fashion-MNIST ParNet and a sample image: the effective
 * receptive field and Grad-CAM are computed off the main thread, then drawn; the field holds
 * mass (radii > 0, 50 % inside 95 %) and Grad-CAM explains the top class. With
 * ND_ERF_SCREENSHOTS=DIR it saves the window light and dark (docs/screenshots/erf-*.png). */

typedef struct
{
  UiPainted     w;
  NdErfView    *view;
} View;

static void
test_erf_view (void)
{
  g_autoptr(NdGraph) graph = ui_shipped_graph ("parnet-fashion-mnist.safetensors", "parnet-s", 0.25);
  g_autoptr(NdTensor) input = ui_sample_input ();
  AdwStyleManager *manager = adw_style_manager_get_default ();
  const char *labels[] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                           "Shirt", "Sneaker", "Bag", "Ankle boot", NULL };
  const NdErf *erf;
  View v = { 0 };

  v.view = nd_erf_view_present (NULL, graph, input, "streams.1", labels);
  v.w.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (v.view)));
  g_assert_true (GTK_IS_WINDOW (v.w.window));
  gtk_window_set_default_size (GTK_WINDOW (v.w.window), 900, 560);
  ui_painted_init (&v.w, v.w.window);
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
  ui_painted_save (&v.w, "ND_ERF_SCREENSHOTS", "erf-gradcam-light.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  ui_painted_save (&v.w, "ND_ERF_SCREENSHOTS", "erf-gradcam-dark.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  /* Fashion-MNIST fits this gray model: its test images instead of random inputs */
  g_assert_false (nd_erf_view_get_dataset (v.view));
  if (g_file_test ("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                   G_FILE_TEST_EXISTS))
    {
      double random_50 = erf->radius_50, random_95 = erf->radius_95;

      g_assert_true (nd_erf_view_set_dataset (v.view, TRUE));
      g_assert_true (nd_erf_view_is_busy (v.view));
      WAIT_UNTIL (!nd_erf_view_is_busy (v.view), 120);
      erf = nd_erf_view_get_erf (v.view);
      g_assert_nonnull (erf);
      g_assert_true (nd_erf_view_get_dataset (v.view));
      g_assert_cmpint (erf->samples, >, 1);
      g_assert_cmpfloat (erf->radius_50, >, 0);
      g_assert_cmpfloat (erf->radius_50, <=, erf->radius_95);
      g_test_message ("random inputs: radius_50 %.2f, radius_95 %.2f; dataset images: %.2f, %.2f",
                      random_50, random_95, erf->radius_50, erf->radius_95);
      g_assert_true (erf->radius_50 != random_50 || erf->radius_95 != random_95);
      g_assert_true (nd_erf_view_set_dataset (v.view, FALSE));
      WAIT_UNTIL (!nd_erf_view_is_busy (v.view), 120);
      g_assert_cmpfloat (nd_erf_view_get_erf (v.view)->radius_50, ==, random_50);
    }
  else
    g_test_message ("no Fashion-MNIST here: dataset images not offered");
  /* a block the model does not have: an error, not a crash */
  g_assert_false (nd_erf_view_get_dataset (v.view));
  nd_erf_view_set_source (v.view, graph, input, "layer9", labels);
  WAIT_UNTIL (!nd_erf_view_is_busy (v.view), 60);
  g_assert_null (nd_erf_view_get_erf (v.view));
  gtk_window_destroy (GTK_WINDOW (v.w.window));
}

/* ---- ParNet streams vs a ResNet block of the same depth -------------------------------------
 * The comparison window at 64 px and 2 samples: four maps drawn (ParNet-S's three streams and
 * the ResNet-50 block closest in depth to the deepest stream block), each map's radii equal
 * to `nondeep-cli erf --model M --block B --resolution 64 --samples 2 --json`. With
 * ND_ERF_SCREENSHOTS=DIR the window (1024×700) is saved light and dark
 * (docs/screenshots/erf-compare-*.png); ND_ERF_COMPARE_RESOLUTION and ND_ERF_COMPARE_SAMPLES
 * override 64 px and 2 samples. */

/* `nondeep-cli erf … --json`, parsed. */
static JsonObject *
cli_erf (const char *model, const char *block, int resolution, int samples)
{
  g_autofree char *res = g_strdup_printf ("%d", resolution);
  g_autofree char *n = g_strdup_printf ("%d", samples);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  const char *argv[] = { g_getenv ("ND_TEST_CLI"), "erf", "--model", model, "--block", block,
                         "--resolution", res, "--samples", n, "--json", NULL };
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("nondeep-cli erf failed: %s", err);
  root = json_from_string (out, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static void
test_erf_compare (void)
{
  const char *res_env = g_getenv ("ND_ERF_COMPARE_RESOLUTION");
  const char *n_env = g_getenv ("ND_ERF_COMPARE_SAMPLES");
  int resolution = res_env ? atoi (res_env) : 64, samples = n_env ? atoi (n_env) : 2;
  AdwStyleManager *manager = adw_style_manager_get_default ();
  UiPainted w = { 0 };
  NdErfCompare *view;

  if (g_getenv ("ND_TEST_CLI") == NULL)
    {
      g_test_skip ("ND_TEST_CLI not set (run through meson test)");
      return;
    }
  view = nd_erf_compare_present (NULL, resolution, samples);
  w.window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (view)));
  ui_painted_init (&w, w.window);
  g_assert_true (nd_erf_compare_is_busy (view));
  WAIT_UNTIL (!nd_erf_compare_is_busy (view), 300);
  g_assert_cmpint (nd_erf_compare_get_resolution (view), ==, resolution);
  g_assert_cmpint (nd_erf_compare_get_samples (view), ==, samples);
  WAIT_UNTIL (nd_erf_compare_get_n_drawn (view) == ND_ERF_COMPARE_MAPS, 30);
  for (int i = 0; i < ND_ERF_COMPARE_MAPS; i++)
    {
      const NdErf *erf = nd_erf_compare_get_erf (view, i);
      const char *model = nd_erf_compare_get_model (view, i);
      const char *block = nd_erf_compare_get_block (view, i);
      g_autoptr(JsonObject) cli = cli_erf (model, block, resolution, samples);

      g_assert_nonnull (erf);
      g_assert_cmpstr (model, ==, i < 3 ? "parnet-s" : "resnet-50");
      g_test_message ("%s %s: window radius_50 %.3f radius_95 %.3f; CLI %.3f %.3f", model,
                      block, erf->radius_50, erf->radius_95,
                      json_object_get_double_member (cli, "radius_50"),
                      json_object_get_double_member (cli, "radius_95"));
      g_assert_cmpfloat (erf->radius_50, >, 0);
      g_assert_cmpfloat (erf->radius_50, <=, erf->radius_95);
      g_assert_cmpint (json_object_get_int_member (cli, "samples"), ==, samples);
      g_assert_cmpfloat_with_epsilon (erf->radius_50,
                                      json_object_get_double_member (cli, "radius_50"), 1e-6);
      g_assert_cmpfloat_with_epsilon (erf->radius_95,
                                      json_object_get_double_member (cli, "radius_95"), 1e-6);
    }
  /* ResNet-50's blocks lie at depths 4, 7, 10, …; ParNet-S's deepest stream block at 9 */
  g_assert_cmpstr (nd_erf_compare_get_block (view, 3), ==, "layer1.2");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  ui_painted_save (&w, "ND_ERF_SCREENSHOTS", "erf-compare-light.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  ui_painted_save (&w, "ND_ERF_SCREENSHOTS", "erf-compare-dark.png");
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);

  /* ResNet-18: layer2.1 sits at depth 9; cancelling stops at once and keeps no result */
  nd_erf_compare_set_resnet (view, "resnet-18");
  g_assert_true (nd_erf_compare_is_busy (view));
  nd_erf_compare_cancel (view);
  g_assert_false (nd_erf_compare_is_busy (view));
  g_assert_null (nd_erf_compare_get_erf (view, 0));
  nd_erf_compare_start (view, resolution, samples);
  WAIT_UNTIL (!nd_erf_compare_is_busy (view), 300);
  g_assert_cmpstr (nd_erf_compare_get_model (view, 3), ==, "resnet-18");
  g_assert_cmpstr (nd_erf_compare_get_block (view, 3), ==, "layer2.1");
  gtk_window_destroy (GTK_WINDOW (w.window));
}

/* ---- the Explain overlay of the main window ------------------------------------------------
 * win.explain lays the top class's map over the input picture. For a still image the window's
 * map equals `nondeep-cli saliency` on the same image and model (Grad-CAM: --dump-map; the
 * input gradient: max over channels of |--dump-grad|); on the camera, maps keep coming, each
 * with its own frame: the preview shows the picture the map was made from, and the map is
 * what the backward pass gives for that frame's input. With ND_EXPLAIN_SCREENSHOTS=DIR the
 * window (1024×700) is saved light and dark (docs/screenshots/explain-*.png). */

#define SAMPLE "0000-ankle-boot.png"

/* `nondeep-cli saliency` on the sample, its --dump-grad (@dump "grad") or --dump-map. */
static NdTensor *
cli_saliency (const char *method, gboolean fused, const char *dump)
{
  g_autofree char *image = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples", SAMPLE, NULL);
  g_autofree char *dir = g_dir_make_tmp ("nd-explain-XXXXXX", NULL);
  g_autofree char *npy = g_build_filename (dir, "out.npy", NULL);
  g_autofree char *flag = g_strdup_printf ("--dump-%s", dump);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("ND_TEST_CLI"), "saliency", "--image", image, "--method",
                         method, flag, npy, fused ? "--fused" : NULL, NULL };
  NdTensor *t;
  int status;

  g_assert_nonnull (dir);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                               NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("nondeep-cli saliency failed: %s", err);
  t = nd_npy_load (npy, &error);
  g_assert_no_error (error);
  g_unlink (npy);
  g_rmdir (dir);
  return t;
}

/* max |a − b| over max |b|, the maps' relative difference */
static double
map_rel (const float *a, const float *b, gsize n)
{
  double diff = 0, scale = 0;

  for (gsize i = 0; i < n; i++)
    {
      diff = MAX (diff, fabs ((double) a[i] - b[i]));
      scale = MAX (scale, fabs ((double) b[i]));
    }
  g_assert_cmpfloat (scale, >, 0);
  return diff / scale;
}

/* The newest result once it explains the current input with @method. */
static NdInferenceResult *
wait_map (Fixture *f, NdExplainMethod method)
{
  NdInferenceResult *r = NULL;

  WAIT_UNTIL ((r = nd_window_get_result (f->window)) != NULL && r->explain == method
              && r->explain_map != NULL
              && r->image_serial == nd_window_get_input_serial (f->window), 60);
  return r;
}

static void
set_explain (Fixture *f, const char *method)
{
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "explain",
                                      g_variant_new_string (method));
}

static void
save_docs (Fixture *f, const char *name)
{
  const char *dir = g_getenv ("ND_EXPLAIN_SCREENSHOTS");
  g_autoptr(GBytes) png = screenshot (f, name);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (dir == NULL)
    return;
  path = g_strdup_printf ("%s/%s.png", dir, name);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL),
                                      g_bytes_get_size (png), &error));
  g_assert_no_error (error);
}

static void
check_still (Fixture *f)
{
  NdPreview *preview = ND_PREVIEW (nd_window_get_preview (f->window));
  NdInferenceResult *r;
  g_autoptr(NdTensor) cam = NULL, grad = NULL;
  gsize hw;

  set_explain (f, "gradcam");
  r = wait_map (f, ND_EXPLAIN_GRADCAM);
  /* the trained model calls the ankle boot an ankle boot (class 9) and explains that */
  g_assert_cmpint (r->top_class[0], ==, 9);
  g_assert_cmpint (r->explain_class, ==, 9);
  g_assert_true (nd_preview_has_overlay (preview));
  g_assert_true (nd_preview_get_image (preview) == r->image);
  g_assert_true (window_shows (f, "Grad-CAM of “Ankle boot”", TRUE));
  cam = cli_saliency ("gradcam", r->graph->fused, "map");
  g_assert_true (nd_tensor_same_shape (cam, r->explain_map));
  hw = (gsize) r->explain_map->numel;
  g_test_message ("Grad-CAM window vs CLI: rel %.3g, %s form",
                  map_rel (r->explain_map->data, cam->data, hw),
                  r->graph->fused ? "fused" : "training");
  g_assert_cmpfloat (map_rel (r->explain_map->data, cam->data, hw), <=, 1e-5);
  /* the map is laid over the picture's centre square the model sees (28 px padded to 32) */
  g_assert_cmpfloat (r->input_rect[2], >, 0);
  save_docs (f, "explain-gradcam-light");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  save_docs (f, "explain-gradcam-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);

  set_explain (f, "grad");
  r = wait_map (f, ND_EXPLAIN_GRAD);
  g_assert_true (window_shows (f, "Input gradient of “Ankle boot”", TRUE));
  grad = cli_saliency ("grad", r->graph->fused, "grad");
  {
    int C = (int) grad->shape[1];
    g_autofree float *m = g_new0 (float, hw);

    g_assert_cmpint (grad->numel, ==, C * (gint64) hw);
    for (int c = 0; c < C; c++)
      for (gsize i = 0; i < hw; i++)
        m[i] = MAX (m[i], fabsf (grad->data[c * hw + i]));
    g_test_message ("input gradient window vs CLI: rel %.3g", map_rel (r->explain_map->data,
                                                                          m, hw));
    g_assert_cmpfloat (map_rel (r->explain_map->data, m, hw), <=, 1e-5);
  }
  save_docs (f, "explain-grad-light");

  /* off: no overlay, no map, the still picture */
  set_explain (f, "off");
  WAIT_UNTIL ((r = nd_window_get_result (f->window))->explain == ND_EXPLAIN_OFF
              && r->image_serial == nd_window_get_input_serial (f->window), 30);
  g_assert_null (r->explain_map);
  g_assert_false (nd_preview_has_overlay (preview));
  g_assert_true (nd_preview_get_image (preview) == r->image);
}

#if ND_HAVE_CAPTURE
typedef struct
{
  NdPreview *preview;
  guint64    first_serial, last_serial;
  guint      n_frames;     /* camera frames whose result carried a map */
  guint      n_mismatch;   /* … shown with another frame's picture */
  NdInferenceResult *sample;
} Camera;

/* After the window's handler: the preview shows this result's picture under its map. */
static void
camera_result_cb (NdInference *inference, NdInferenceResult *r, Camera *c)
{
  if (r->explain_map == NULL || r->image_serial < c->first_serial)
    return;
  if (nd_preview_get_image (c->preview) != r->image || !nd_preview_has_overlay (c->preview))
    c->n_mismatch++;
  if (r->image_serial != c->last_serial)
    c->n_frames++;
  c->last_serial = r->image_serial;
  if (c->n_frames == 10 && c->sample == NULL)
    c->sample = nd_inference_result_ref (r);
}

/* The map of a camera result is the backward pass's for that frame's own input. */
static void
check_frame_map (const NdInferenceResult *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdBackend) cpu = nd_backend_new ("cpu", -1, &error);
  g_autoptr(NdPlan) plan = NULL;
  g_autofree int *all = NULL;
  NdPlanOptions opts = { .batch = 1 };
  NdSaliency sal;

  g_assert_no_error (error);
  all = nd_grad_capture_all (r->graph, &opts.n_capture);
  opts.capture = all;
  plan = nd_backend_prepare (cpu, r->graph, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (nd_plan_run (plan, r->input, &error));
  g_assert_true (nd_grad_saliency (r->graph, plan->captured, &r->explain_class,
                                   ND_SALIENCY_GRADCAM, &sal, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (map_rel (r->explain_map->data, sal.map->data, r->explain_map->numel), <=,
                     1e-5);
  nd_saliency_clear (&sal);
}

static void
check_camera (Fixture *f)
{
  Camera c = { ND_PREVIEW (nd_window_get_preview (f->window)) };
  gulong id;

  set_explain (f, "gradcam");
  nd_window_set_camera_source (f->window, "test-pattern:ball");
  c.first_serial = nd_window_get_input_serial (f->window) + 1;
  id = g_signal_connect (nd_window_get_inference (f->window), "result",
                         G_CALLBACK (camera_result_cb), &c);
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "camera",
                                      g_variant_new_boolean (TRUE));
  WAIT_UNTIL (c.n_frames >= 30, 60);
  g_signal_handler_disconnect (nd_window_get_inference (f->window), id);
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "camera",
                                      g_variant_new_boolean (FALSE));
  g_test_message ("camera: %u frames explained, %u shown with another frame's picture",
                  c.n_frames, c.n_mismatch);
  g_assert_cmpuint (c.n_mismatch, ==, 0);
  g_assert_nonnull (c.sample);
  check_frame_map (c.sample);
  nd_inference_result_unref (c.sample);
}
#endif

static void
test_live_overlay (void)
{
  g_autofree char *image = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples", SAMPLE, NULL);
  NdWindowOptions o = { .lambda = -1, .image = image };
  Fixture f = { 0 };

  if (g_getenv ("ND_TEST_CLI") == NULL)
    {
      g_test_skip ("ND_TEST_CLI not set (run through meson test)");
      return;
    }
  fixture_setup_sized (&f, &o, 1024, 700);
  check_still (&f);
#if ND_HAVE_CAPTURE
  check_camera (&f);
#endif
  fixture_teardown (&f, NULL);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/ui/erf/view", test_erf_view);
  g_test_add_func ("/ui/erf/live-overlay", test_live_overlay);
  g_test_add_func ("/ui/erf/compare", test_erf_compare);
  return g_test_run ();
}
