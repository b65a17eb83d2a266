/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-window-private.h"

/* A checkpoint with several state dicts (timm: state_dict and state_dict_ema; others model and
 * model_ema): the sidebar's "State dict" drop-down lists them, as the weights file's typed
 * info names them, with the one in use selected (the loader's default: the one the authors
 * evaluate with); choosing another reopens the file with it, like `nondeep-cli --entry`.
 * Hidden for files with one state dict and for random weights. win.entry holds the choice. */

static void
dropdown_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, NdWindow *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (dropdown);

  if (item == NULL || self->updating)
    return;
  g_action_group_change_action_state (G_ACTION_GROUP (self), "entry",
                                      g_variant_new_string (gtk_string_object_get_string (item)));
}

static void
change_entry (GSimpleAction *action, GVariant *value, gpointer data)
{
  NdWindow *self = data;
  const char *entry = g_variant_get_string (value, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (self->config.weights_path == NULL || self->weights_entries == NULL
      || !g_strv_contains ((const char * const *) self->weights_entries, entry)
      || g_strcmp0 (entry, self->weights_entry) == 0)
    return;
  path = g_strdup (self->config.weights_path);
  if (!nd_window_open_weights_entry (self, path, entry, &error))
    {
      _nd_window_show_banner (self, error->message);
      _nd_window_entries_set (self, (const char * const *) self->weights_entries,
                              self->weights_entry);
    }
}

void
_nd_window_entries_set (NdWindow *self, const char * const *entries, const char *entry)
{
  gboolean updating = self->updating;
  guint selected = GTK_INVALID_LIST_POSITION;

  self->updating = TRUE;
  /* The same file again (another entry chosen, maybe from inside the drop-down's own
   * selection change): the list stays, only the selection moves. */
  if (entries == NULL || self->weights_entries == NULL
      || !g_strv_equal ((const char * const *) self->weights_entries, entries))
    {
      g_autoptr(GtkStringList) list = gtk_string_list_new (entries);
      char **copy = g_strdupv ((char **) entries);

      g_strfreev (self->weights_entries);
      self->weights_entries = copy;
      gtk_drop_down_set_model (self->entry_dropdown, G_LIST_MODEL (list));
    }
  if (entry != self->weights_entry)
    {
      char *copy = g_strdup (entry);

      g_free (self->weights_entry);
      self->weights_entry = copy;
    }
  for (guint i = 0; self->weights_entries != NULL && self->weights_entries[i] != NULL; i++)
    if (g_strcmp0 (self->weights_entries[i], entry) == 0)
      selected = i;
  if (gtk_drop_down_get_selected (self->entry_dropdown) != selected)
    gtk_drop_down_set_selected (self->entry_dropdown, selected);
  _nd_window_set_state (self, "entry", g_variant_new_string (entry ? entry : ""));
  self->updating = updating;
  gtk_widget_set_visible (self->entry_box, self->weights_entries != NULL
                                           && g_strv_length (self->weights_entries) > 1);
}

void
_nd_window_entries_init (NdWindow *self)
{
  static const GActionEntry actions[] = {
    { "entry", NULL, "s", "''", change_entry },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  g_signal_connect (self->entry_dropdown, "notify::selected",
                    G_CALLBACK (dropdown_selected_cb), self);
}

const char * const *
nd_window_get_weights_entries (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return (const char * const *) self->weights_entries;
}

const char *
nd_window_get_weights_entry (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return self->weights_entry;
}

gboolean
nd_window_get_entry_chooser_visible (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), FALSE);
  return gtk_widget_get_visible (self->entry_box);
}
