/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nd-weights-file.h"
#include "nd-window-private.h"

/* The primary menu's Trained Models section: every weights file the project ships (the assets'
 * weights/ *.safetensors that name their model in metadata), one item each, labelled from that
 * metadata so that a new file needs no code. Items activate win.open-trained with the file
 * name, which opens it like Open Weights does. */

static char *
weights_dir (void)
{
  return g_build_filename (_nd_window_assets_dir (), "weights", NULL);
}

static const char *
dataset_title (const char *dataset)
{
  if (g_strcmp0 (dataset, "fashion-mnist") == 0)
    return _("Fashion-MNIST");
  if (g_strcmp0 (dataset, "imagenet-1k") == 0)
    return _("ImageNet-1k");
  return dataset;
}

/* "parnet-s · Fashion-MNIST · 92.9 %", or NULL for a file that names no model we can build.
 * The model is named as the model list and the model line name it. */
static char *
trained_label (const char *path)
{
  g_autoptr(NdWeightsInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  /* Only the header (no tensors): this runs at startup, on the main loop. */
  info = nd_weights_open (path, NULL, NULL, &error);
  if (info == NULL)
    {
      g_warning ("%s", error->message);
      return NULL;
    }
  if (!info->from_metadata)
    return NULL;
  g_ptr_array_add (parts, g_strdup (info->spec.name));
  if (info->dataset != NULL && *info->dataset)
    g_ptr_array_add (parts, g_strdup (dataset_title (info->dataset)));
  if (info->test_accuracy >= 0)
    /* TRANSLATORS: test accuracy in a Trained Models menu item, e.g. "92.9 %" */
    g_ptr_array_add (parts, g_strdup_printf (_("%.1f %%"), info->test_accuracy * 100));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
open_trained_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  NdWindow *self = data;
  const char *name = g_variant_get_string (param, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  /* The action can be activated from outside the menu too (D-Bus, tests): only a listed file
   * name, never a path, may open anything. */
  if (strchr (name, '/') != NULL || strchr (name, G_DIR_SEPARATOR) != NULL
      || self->trained == NULL || !g_strv_contains ((const char * const *) self->trained, name))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not one of the trained models"),
                                                  name);

      _nd_window_set_knob_error (self, KNOB_GENERAL, message);
      return;
    }
  dir = weights_dir ();
  path = g_build_filename (dir, name, NULL);
  if (!nd_window_open_weights (self, path, &error))
    _nd_window_set_knob_error (self, KNOB_GENERAL, error->message);
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

void
_nd_window_trained_init (NdWindow *self)
{
  static const GActionEntry entries[] = {
    { "open-trained", open_trained_activated, "s" },
  };
  g_autofree char *dir = weights_dir ();
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) listed = g_ptr_array_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  const char *name;

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".safetensors"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, cmp_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *label = trained_label (path);
      g_autoptr(GMenuItem) item = NULL;

      if (label == NULL)
        continue;
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-trained",
                                               g_variant_new_string (names->pdata[i]));
      g_menu_append_item (section, item);
      g_ptr_array_add (listed, g_strdup (names->pdata[i]));
    }
  g_ptr_array_add (listed, NULL);
  g_strfreev (self->trained);
  self->trained = (char **) g_ptr_array_steal (listed, NULL);
  /* First in the menu: the quickest way to a model that means something. */
  if (self->trained[0] != NULL)
    g_menu_insert_section (self->primary_menu, 0, _("Trained Models"), G_MENU_MODEL (section));
}
