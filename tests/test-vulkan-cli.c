/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nd-backend.h"
#include "nd-cli-devices.h"
#include "nd-error.h"

/* `nondeep-cli devices [--json]`, with its stdout sent to a file for the checks. */

static char *
run_cli (int argc, char **argv, int *status)
{
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("nd-cli-XXXXXX", &path, NULL);
  int saved;
  char *text = NULL;

  g_assert_cmpint (fd, >=, 0);
  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  dup2 (fd, STDOUT_FILENO);
  *status = nd_cli_devices (argc, argv);
  fflush (stdout);
  dup2 (saved, STDOUT_FILENO);
  close (saved);
  close (fd);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_remove (path);
  return text;
}

static void
test_devices_json (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NdBackend) backend = NULL;
  char *argv[] = { (char *) "devices", (char *) "--json", NULL };
  g_autofree char *out = NULL;
  JsonArray *list;
  int status;

  out = run_cli (2, argv, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  list = json_node_get_array (json_parser_get_root (parser));
  backend = nd_backend_new ("vulkan", -1, NULL);
  /* The list is empty exactly when the backend cannot find a device. */
  g_assert_cmpint (json_array_get_length (list) > 0, ==, backend != NULL);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      const char *keys[] = { "name", "type", "driver", "api_version" };

      g_assert_cmpint (json_object_get_int_member (o, "index"), ==, i);
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        g_assert_true (json_object_has_member (o, keys[k]));
      /* Limits and features: what the backend relies on, so they are never 0 on a device it
       * can use (Vulkan guarantees ≥ 128 invocations and 16 KiB of shared memory). */
      g_assert_cmpint (json_object_get_int_member (o, "memory_mib"), >, 0);
      g_assert_cmpint (json_object_get_int_member (o, "max_workgroup_invocations"), >=, 128);
      g_assert_cmpint (json_object_get_int_member (o, "shared_memory_kib"), >=, 16);
      g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "timestamps")));
      g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "fp16_storage")));
      if (backend != NULL
          && strstr (backend->description, json_object_get_string_member (o, "name")) != NULL)
        {
          /* The backend's own description of the device it chose agrees on fp16 storage. */
          gboolean f16 = json_object_get_boolean_member (o, "fp16_storage");

          g_assert_true ((strstr (backend->description, "fp16 storage yes") != NULL) == f16);
        }
      g_test_message ("%s", json_object_get_string_member (o, "name"));
    }
}

static void
test_devices_text (void)
{
  char *argv[] = { (char *) "devices", NULL };
  g_autofree char *out = NULL;
  int status;

  out = run_cli (1, argv, &status);
  g_assert_cmpint (status, ==, 0);
  /* "index<TAB>name<TAB>type" lines, or a sentence saying there is no device. */
  g_assert_true (g_str_has_prefix (out, "0\t") || g_str_has_prefix (out, "No Vulkan"));
  g_test_message ("%s", out);
}

/* The device layer describes, without opening anything, exactly what the backend then opens:
 * the preferred device's description is the opened backend's, word for word. */
static void
test_device_layer (void)
{
  g_autoptr(GPtrArray) all = nd_device_list ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NdBackend) vk = nd_backend_new ("vulkan", -1, &error);
  g_autoptr(NdBackend) cpu = nd_backend_new ("cpu", -1, NULL);
  NdDeviceInfo *first = g_ptr_array_index (all, 0);
  NdDeviceInfo *pick = nd_device_find_preferred (all, ND_DEVICE_KIND_VULKAN);

  g_assert_cmpint (first->kind, ==, ND_DEVICE_KIND_CPU);
  g_assert_cmpstr (first->backend, ==, "cpu");
  g_assert_cmpstr (first->description, ==, cpu->description);
  g_assert_cmpint (cpu->kind, ==, ND_DEVICE_KIND_CPU);
  g_assert_false (cpu->fp16_storage);
  g_assert_cmpuint (first->memory_mib, >, 0);
  /* A preferred Vulkan device exactly when the backend opens one. */
  g_assert_cmpint (pick != NULL, ==, vk != NULL);
  if (vk == NULL)
    {
      g_test_message ("no Vulkan device: %s", error->message);
      return;
    }
  g_assert_cmpint (vk->kind, ==, ND_DEVICE_KIND_VULKAN);
  g_assert_cmpstr (pick->backend, ==, "vulkan");
  g_assert_true (pick->usable);
  g_assert_cmpstr (pick->description, ==, vk->description);
  g_assert_cmpint (pick->gpu, ==, vk->gpu);
  g_assert_cmpint (pick->fp16_storage, ==, vk->fp16_storage);
}

/* fp16 is a capability of the backend, not of its name: the CPU refuses it. */
static void
test_fp16_capability (void)
{
  g_autoptr(NdBackend) cpu = nd_backend_new ("cpu", -1, NULL);
  g_autoptr(NdGraph) graph = nd_graph_new (3, 8, 8);
  g_autoptr(GError) error = NULL;
  NdPlanOptions opt = { .batch = 1, .fp16 = TRUE };
  const int in[] = { 0 };
  NdPlan *plan;

  graph->output = nd_graph_add (graph, ND_OP_RELU, &(NdOpParams) { 0 }, in, 1, NULL, NULL);
  plan = nd_backend_prepare (cpu, graph, &opt, &error);
  g_assert_null (plan);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "16-bit"));
}

/* Cooperative matrices: the float16 kernel only with VK_NV_cooperative_matrix on an
 * allow-listed driver and after its self-test (nd-vk-coopmat.c); every other device says
 * float32 and why, in `devices` and in the backend (bench) alike. lavapipe lacks the
 * extension. A device that has it says what the self-test found once opened. */
static void
test_coopmat_fallback (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(NdBackend) backend = nd_backend_new ("vulkan", -1, NULL);
  char *argv[] = { (char *) "devices", (char *) "--json", NULL };
  g_autofree char *out = NULL;
  JsonArray *list;
  int status;

  out = run_cli (2, argv, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  list = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      const char *matmul = json_object_get_string_member (o, "matmul");

      gboolean has = json_object_get_boolean_member (o, "cooperative_matrix");

      g_assert_true (g_str_has_prefix (matmul, "float32"));
      if (!has)
        g_assert_cmpstr (matmul, ==,
                         "float32 (no VK_NV_cooperative_matrix or VK_KHR_cooperative_matrix)");
      if (backend != NULL && !has
          && strstr (backend->description, json_object_get_string_member (o, "name")) != NULL)
        {
          g_autofree char *said = g_strdup_printf ("matmul %s", matmul);

          g_assert_cmpstr (backend->matmul, ==, matmul);
          g_assert_nonnull (strstr (backend->description, said));
        }
      g_test_message ("%s: %s", json_object_get_string_member (o, "name"), matmul);
    }
}

static void
test_bad_argument (void)
{
  if (g_test_subprocess ())
    {
      char *argv[] = { (char *) "devices", (char *) "--frobnicate", NULL };

      g_assert_cmpint (nd_cli_devices (2, argv), ==, 2);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*frobnicate*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vulkan-cli/devices-json", test_devices_json);
  g_test_add_func ("/vulkan-cli/devices-text", test_devices_text);
  g_test_add_func ("/vulkan-cli/device-layer", test_device_layer);
  g_test_add_func ("/vulkan-cli/fp16-capability", test_fp16_capability);
  g_test_add_func ("/vulkan-cli/coopmat-fallback", test_coopmat_fallback);
  g_test_add_func ("/vulkan-cli/bad-argument", test_bad_argument);
  return g_test_run ();
}
