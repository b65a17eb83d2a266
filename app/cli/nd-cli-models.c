/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"

/* `models`: every preset with its family, parameters and depth (training form). */
int
nd_cli_models (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  const char * const *names = nd_model_names ();
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!nd_cli_parse ("models", NULL, _("List the model presets."), NULL, entries, &argc, &argv))
    return 2;
  json_builder_begin_array (b);
  for (guint i = 0; names[i] != NULL; i++)
    {
      NdModelSpec spec;

      if (!nd_model_spec_parse (names[i], &spec, NULL))
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, spec.name);
      json_builder_set_member_name (b, "family");
      json_builder_add_string_value (b, nd_family_name (spec.family));
      json_builder_end_object (b);
      if (!json)
        printf ("%-22s %s\n", spec.name, nd_family_name (spec.family));
    }
  json_builder_end_array (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      nd_cli_print_json (root);
    }
  return 0;
}
