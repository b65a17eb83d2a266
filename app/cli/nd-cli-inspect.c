/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "nd-checkpoint.h"
#include "nd-cli.h"
#include "nd-error.h"
#include "nd-file.h"

/* Every string in the description comes from the file: escaped for the terminal (ESC, OSC),
 * each copy kept in @pool until the printing is done. */
static const char *
esc (GPtrArray *pool, const char *text)
{
  char *e = nd_escape_for_terminal (text);

  g_ptr_array_add (pool, e);
  return e;
}

static void
print_human (JsonObject *o)
{
  g_autoptr(GPtrArray) pool = g_ptr_array_new_with_free_func (g_free);
  JsonArray *sds = json_object_get_array_member (o, "state_dicts");
  JsonNode *def = json_object_get_member (o, "default_state_dict");

  g_print (_("File: %s (%s, %" PRId64 " bytes)\n"),
           esc (pool, json_object_get_string_member (o, "file")),
           json_object_get_string_member (o, "format"),
           json_object_get_int_member (o, "size"));
  if (json_object_has_member (o, "metadata"))
    {
      JsonObject *meta = json_object_get_object_member (o, "metadata");
      g_autoptr(GList) keys = json_object_get_members (meta);

      g_print (_("Metadata:\n"));
      for (GList *l = keys; l != NULL; l = l->next)
        g_print ("  %-20s %s\n", esc (pool, l->data),
                 esc (pool, json_object_get_string_member (meta, l->data)));
    }
  if (json_object_has_member (o, "top_level"))
    {
      JsonArray *top = json_object_get_array_member (o, "top_level");

      g_print (_("Top-level entries:\n"));
      for (guint i = 0; i < json_array_get_length (top); i++)
        {
          JsonObject *e = json_array_get_object_element (top, i);
          const char *type = json_object_get_string_member (e, "type");

          g_print ("  %-20s %s", esc (pool, json_object_get_string_member (e, "key")), type);
          if (json_object_has_member (e, "class"))
            g_print (" %s", esc (pool, json_object_get_string_member (e, "class")));
          if (json_object_has_member (e, "length"))
            g_print (_(" (%" PRId64 " entries)"), json_object_get_int_member (e, "length"));
          if (json_object_has_member (e, "value"))
            {
              g_autofree char *v = json_to_string (json_object_get_member (e, "value"), FALSE);

              g_print (" = %s", esc (pool, v));
            }
          g_print ("\n");
        }
    }
  for (guint s = 0; s < json_array_get_length (sds); s++)
    {
      JsonObject *sd = json_array_get_object_element (sds, s);
      JsonArray *ts = json_object_get_array_member (sd, "tensors");
      JsonObject *m = json_object_get_object_member (sd, "model");
      const char *name = esc (pool, json_object_get_string_member (sd, "name"));

      g_print (_("\nState dict %s%s: %u tensors\n"), name[0] ? name : _("(top level)"),
               def && !JSON_NODE_HOLDS_NULL (def)
               && g_strcmp0 (json_node_get_string (def),
                            json_object_get_string_member (sd, "name")) == 0 ? _(" [default]") : "",
               json_array_get_length (ts));
      if (json_object_get_boolean_member (m, "detected"))
        g_print (_("  Model: %s (%s form, %" PRId64 " classes, %" PRId64
                   " input channels)%s%s\n"),
                 esc (pool, json_object_get_string_member (m, "preset")),
                 json_object_get_string_member (m, "form"),
                 json_object_get_int_member (m, "classes"),
                 json_object_get_int_member (m, "in_channels"),
                 *json_object_get_string_member (m, "knobs") ? _(", knobs: ") : "",
                 esc (pool, json_object_get_string_member (m, "knobs")));
      else
        g_print (_("  Model: not recognised%s%s: %s\n"),
                 *json_object_get_string_member (m, "family") ? _(" — family ") : "",
                 esc (pool, json_object_get_string_member (m, "family")),
                 esc (pool, json_object_get_string_member (m, "note")));
      for (guint i = 0; i < json_array_get_length (ts); i++)
        {
          JsonObject *t = json_array_get_object_element (ts, i);
          JsonArray *shape = json_object_get_array_member (t, "shape");
          g_autoptr(GString) sh = g_string_new ("[");

          for (guint d = 0; d < json_array_get_length (shape); d++)
            g_string_append_printf (sh, "%s%" PRId64, d ? ", " : "",
                                    json_array_get_int_element (shape, d));
          g_string_append_c (sh, ']');
          g_print ("  %-56s %-9s %s\n", esc (pool, json_object_get_string_member (t, "name")),
                   json_object_get_string_member (t, "dtype"), sh->str);
        }
    }
}

/* --entry: only that state dict is described ("entry" says which); one the file does not
 * have is an error listing those it has. */
static gboolean
keep_entry (JsonObject *root, const char *entry, const char *path, GError **error)
{
  JsonArray *sds = json_object_get_array_member (root, "state_dicts");
  g_autoptr(JsonArray) kept = json_array_new ();
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (sds); i++)
    {
      JsonObject *sd = json_array_get_object_element (sds, i);
      const char *name = json_object_get_string_member (sd, "name");

      g_string_append_printf (names, "%s%s", names->len ? ", " : "",
                              name[0] ? name : _("(top level)"));
      if (g_strcmp0 (name, entry) == 0)
        json_array_add_element (kept, json_node_copy (json_array_get_element (sds, i)));
    }
  if (json_array_get_length (kept) == 0)
    {
      g_autofree char *base = g_path_get_basename (path);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s: no state dict “%s” in the file (it has: %s)"), base, entry,
                   names->str);
      return FALSE;
    }
  json_object_set_array_member (root, "state_dicts", g_steal_pointer (&kept));
  json_object_set_string_member (root, "entry", entry);
  return TRUE;
}

static void
print_error (const GError *error)
{
  g_autofree char *msg = nd_escape_for_terminal (error->message);

  g_printerr ("inspect: %s\n", msg);
}

int
nd_cli_inspect (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *entry = NULL;
  g_auto(GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON description"), NULL },
    { "entry", 0, 0, G_OPTION_ARG_STRING, &entry,
      N_("Describe only this state dict (state_dict, state_dict_ema, model, …)"),
      N_("NAME") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("FILE — describe a weights file"));
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *desc = NULL;
  JsonObject *root;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Lists the containers and state dicts of a PyTorch "
                                       "checkpoint (.pth, .pth.tar) or safetensors file, each "
                                       "tensor's name, dtype and shape, and the detected model."));
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error (error);
      return 2;
    }
  if (files == NULL || files[0] == NULL || files[1] != NULL)
    {
      g_printerr (_("inspect: give exactly one FILE\n"));
      return 2;
    }
  ckpt = nd_checkpoint_open (files[0], &error);
  if (ckpt == NULL)
    {
      print_error (error);
      return 1;
    }
  desc = nd_checkpoint_describe_json (ckpt, &error);
  if (desc == NULL)
    {
      print_error (error);
      return 1;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, desc, -1, &error))
    {
      print_error (error);
      return 1;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  if (entry != NULL && !keep_entry (root, entry, files[0], &error))
    {
      print_error (error);
      return 1;
    }
  if (json)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_pretty (gen, TRUE);
      json_generator_set_root (gen, json_parser_get_root (parser));
      text = json_generator_to_data (gen, NULL);
      g_print ("%s\n", text);
      return 0;
    }
  print_human (root);
  return 0;
}
