/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-erf-view.h"
#include "nd-model.h"
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

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/ui/erf/view", test_erf_view);
  return g_test_run ();
}
