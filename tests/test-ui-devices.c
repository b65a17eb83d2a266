/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "nd-device.h"
#include "nd-inference.h"
#include "ui-fixture.h"

/* Streams on devices (issue 18): the main menu's "Streams on Devices" puts a ParNet's streams
 * on several Vulkan devices as `nondeep-cli --devices` does. Here on two logical devices of
 * the preferred one (lavapipe in CI): greyed out on the CPU, then the split result (its
 * devices and their streams, the same logits as one device, the latency panel's lines), the
 * CLI's split of the same model, one stream (nothing to split), and back. With
 * ND_DEVICES_SCREENSHOTS=DIR it saves the latency view at 1024×700 and 1600×1000, light and
 * dark (Chinese with LANGUAGE=zh_CN: the file names say which). */

static gboolean
devices_enabled (Fixture *f)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), "devices");
}

/* The CLI's split of the same model and weights: `bench --devices` JSON's devices[].streams. */
static void
check_cli_streams (const char *devices, const NdInferenceResult *r)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = ui_cli_bench (parser, "the CLI's split", "--devices", devices, NULL);
  JsonArray *list;

  if (root == NULL)
    return;
  list = json_object_get_array_member (root, "devices");
  g_assert_cmpint (json_array_get_length (list), ==, r->n_devices);
  for (int i = 0; i < r->n_devices; i++)
    {
      JsonObject *d = json_array_get_object_element (list, i);
      JsonArray *streams = json_object_get_array_member (d, "streams");
      guint mask = 0;

      for (guint k = 0; k < json_array_get_length (streams); k++)
        mask |= 1u << json_array_get_int_element (streams, k);
      g_assert_cmpint (json_object_get_int_member (d, "index"), ==, r->devices[i].index);
      g_assert_cmpuint (mask, ==, r->devices[i].streams);
    }
}

static void
test_devices (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (ND_APP_ID);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(NdInferenceResult) one = NULL;
  g_autofree char *two = NULL, *three = NULL, *label = NULL;
  NdInferenceResult *r = nd_window_get_result (f->window);
  NdDeviceInfo *vk;
  GMenuModel *menu;
  double max_diff = 0, max_logit = 0;
  guint all = 0;

  g_assert_false (devices_enabled (f));     /* the CPU */
  g_assert_cmpint (r->n_devices, ==, 0);
  if ((vk = ui_vulkan_or_skip (&devices)) == NULL)
    return;
  two = g_strdup_printf ("%d,%d", vk->index, vk->index);
  three = g_strdup_printf ("%d,%d,%d", vk->index, vk->index, vk->index);
  menu = G_MENU_MODEL (nd_window_get_primary_menu (f->window));
  g_assert_true (ui_menu_has (menu, "win.devices", ""));
  g_assert_true (ui_menu_has (menu, "win.devices", two));
  g_assert_true (ui_menu_has (menu, "win.devices", three));

  one = nd_inference_result_ref (turn (f, "backend", g_variant_new_string ("vulkan")));
  g_assert_true (devices_enabled (f));
  g_assert_cmpint (one->n_devices, ==, 0);

  r = turn (f, "devices", g_variant_new_string (two));
  g_assert_cmpint (r->n_devices, ==, 2);
  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpint (r->devices[i].index, ==, vk->index);
      g_assert_nonnull (r->devices[i].name);
      g_assert_cmpfloat (r->devices[i].run_ms, >, 0);
      g_assert_cmpuint (all & r->devices[i].streams, ==, 0);
      all |= r->devices[i].streams;
    }
  g_assert_cmpuint (all, ==, 7);                          /* 3 streams, each once */
  g_assert_cmpuint (r->devices[1].streams, ==, 1u << 1);  /* stream s on entry s mod 2 */
  g_assert_cmpint (r->top_class[0], ==, one->top_class[0]);
  for (int c = 0; c < r->logits->numel; c++)
    {
      max_diff = MAX (max_diff, fabs (r->logits->data[c] - one->logits->data[c]));
      max_logit = MAX (max_logit, fabs (one->logits->data[c]));
    }
  g_test_message ("split on %s: max |logit − one device| %.3g (max |logit| %.3g)", two,
                  max_diff, max_logit);
  g_assert_cmpfloat (max_diff, <=, 1e-5 * MAX (max_logit, 1));
  {
    /* the latency panel's line for entry 1, up to the device's name, in the language run */
    GString *line = g_string_new (g_dgettext (GETTEXT_PACKAGE,
                                              "#%d device %d (%s), streams %s: run %.2f ms"));
    g_autofree char *index = g_strdup_printf ("%d", vk->index);

    g_string_truncate (line, strstr (line->str, "%s") - line->str);
    g_string_replace (line, "%d", "1", 1);
    g_string_replace (line, "%d", index, 1);
    label = g_string_free (line, FALSE);
  }
  g_assert_true (window_shows (f, label, TRUE));
  g_assert_cmpstr (g_settings_get_string (settings, "devices"), ==, two);
  check_cli_streams (two, r);

  r = turn (f, "devices", g_variant_new_string (three));
  g_assert_cmpint (r->n_devices, ==, 3);
  g_assert_true (window_shows (f, label, TRUE));
  ui_save_screenshot_set (f, "ND_DEVICES_SCREENSHOTS", "devices");

  /* one stream (the trained weights adapt or give way to random ones): nothing to split, the
   * setting stays but the result runs on one device */
  drive (f, "streams", g_variant_new_int32 (1), NULL);
  r = nd_window_get_result (f->window);
  g_assert_cmpint (r->spec.streams, ==, 1);
  g_assert_cmpint (r->n_devices, ==, 0);
  g_assert_false (window_shows (f, label, FALSE));
  drive (f, "streams", g_variant_new_int32 (3), NULL);
  r = nd_window_get_result (f->window);
  g_assert_cmpint (r->n_devices, ==, 3);

  /* back on the CPU: greyed out, nothing split */
  drive (f, "backend", g_variant_new_string ("cpu"), NULL);
  r = nd_window_get_result (f->window);
  g_assert_false (devices_enabled (f));
  g_assert_cmpint (r->n_devices, ==, 0);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/devices", Fixture, "latency", fixture_setup_trained, test_devices,
              fixture_teardown_trained);
  return g_test_run ();
}
