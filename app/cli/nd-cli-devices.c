/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "nd-cli-devices.h"
#include "nd-device.h"

/* Everything comes from the device layer, which opens no device. --json lists the Vulkan
 * devices only, with the keys scripts rely on; the text adds the CPU last. */

static void
print_json (GPtrArray *devices)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      NdDeviceInfo *info = g_ptr_array_index (devices, i);

      json_builder_begin_object (b);
#define MEMBER(k, add, v) json_builder_set_member_name (b, k); add (b, v)
      MEMBER ("index", json_builder_add_int_value, info->index);
      MEMBER ("name", json_builder_add_string_value, info->name);
      MEMBER ("type", json_builder_add_string_value, info->type);
      MEMBER ("driver", json_builder_add_string_value, info->driver);
      MEMBER ("api_version", json_builder_add_string_value, info->api_version);
      MEMBER ("memory_mib", json_builder_add_int_value, (gint64) info->memory_mib);
      MEMBER ("max_workgroup_invocations", json_builder_add_int_value,
              info->max_workgroup_invocations);
      MEMBER ("shared_memory_kib", json_builder_add_int_value, info->shared_memory_kib);
      MEMBER ("timestamps", json_builder_add_boolean_value, info->timestamps);
      MEMBER ("fp16_storage", json_builder_add_boolean_value, info->fp16_storage);
      MEMBER ("cooperative_matrix", json_builder_add_boolean_value, info->coopmat);
      MEMBER ("matmul", json_builder_add_string_value, info->matmul ? info->matmul : "");
#undef MEMBER
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

int
nd_cli_devices (int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON list"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(NdDeviceInfo) cpu = NULL;
  g_auto(GStrv) args = g_new0 (char *, argc + 1);

  /* Parse a copy so the caller's argv stays intact. */
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);
  g_option_context_set_summary (context, _("List the devices the backends can use: each Vulkan device, then the CPU."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (g_strv_length (args) > 1)
    {
      fprintf (stderr, _("Unexpected argument “%s”\n"), args[1]);
      return 2;
    }

  /* No loader or no device is an answer (an empty list), not a failure. */
  devices = nd_device_list_vulkan (&error);
  if (json)
    {
      print_json (devices);
      return 0;
    }
  if (devices == NULL)
    printf (_("No Vulkan devices: %s\n"), error->message);
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      NdDeviceInfo *info = g_ptr_array_index (devices, i);

      printf ("%d\t%s\t%s\t%" PRIu64 " MiB, workgroup ≤ %u, %u KiB shared, "
              "timestamps %s, fp16 storage %s, matmul %s%s\n", info->index, info->name,
              info->type, info->memory_mib, info->max_workgroup_invocations,
              info->shared_memory_kib, info->timestamps ? _("yes") : _("no"),
              info->fp16_storage ? _("yes") : _("no"), info->matmul ? info->matmul : "",
              info->preferred ? _(" (the default)") : info->usable ? "" : _(" (unusable)"));
    }
  cpu = nd_device_describe_cpu ();
  printf ("cpu\t%s\t%s\t%" PRIu64 " MiB, %u threads, %s\n", cpu->name, cpu->type,
          cpu->memory_mib, cpu->threads, cpu->driver);
  return 0;
}
