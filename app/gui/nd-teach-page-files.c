/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-teach-page.h"

/* The Teach page's file choosers: a folder of images for a class, a head to save or load. */

static void
folder_chosen_cb (GtkNativeDialog *dialog, int response, NdTeachPage *self)
{
  int index = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "nd-class"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      if (path != NULL && nd_teach_page_add_folder (self, index, path, &error) < 0)
        _nd_teach_page_set_message (self, error->message);
    }
  g_object_unref (dialog);
}

void
_nd_teach_page_choose_folder (NdTeachPage *self, int index)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Add a Folder of Images"), GTK_IS_WINDOW (root)
                                 ? GTK_WINDOW (root) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, NULL, NULL);

  /* modal: the class rows (and @index) cannot change (Load…) while it is open */
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "nd-class", GINT_TO_POINTER (index));
  g_signal_connect (dialog, "response", G_CALLBACK (folder_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
file_chosen_cb (GtkNativeDialog *dialog, int response, NdTeachPage *self)
{
  gboolean saving = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog))
                    == GTK_FILE_CHOOSER_ACTION_SAVE;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      if (path != NULL && !(saving ? nd_teach_page_save (self, path, &error)
                                   : nd_teach_page_load (self, path, &error)))
        _nd_teach_page_set_message (self, error->message);
      else if (path != NULL && saving)
        {
          g_autofree char *text = g_strdup_printf (_("Saved %s"), path);

          _nd_teach_page_set_message (self, text);
        }
    }
  g_object_unref (dialog);
}

void
_nd_teach_page_choose_file (NdTeachPage *self, gboolean save)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (save ? _("Save Head") : _("Load Head"),
                                 GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                 save ? GTK_FILE_CHOOSER_ACTION_SAVE
                                      : GTK_FILE_CHOOSER_ACTION_OPEN, NULL, NULL);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Classifier heads (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  if (save)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "head.safetensors");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (file_chosen_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

