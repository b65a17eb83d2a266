/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-input-panel.h"
#include "nd-preview.h"

struct _NdInputPanel
{
  GtkWidget  parent_instance;
  GtkWidget *box;
  GtkWidget *sample_dropdown;
  GtkWidget *camera_list;     /* the popover's rows */
  GtkWidget *picture;
  NdPreview *preview;   /* the picture's paintable */
  GtkWidget *label;
  GtkWidget *camera_status;
  GtkWidget *top_labels[5], *top_bars[5];
  GtkWidget *weights_label;
  GPtrArray *samples;   /* paths */
  gboolean   updating;
};

G_DEFINE_FINAL_TYPE (NdInputPanel, nd_input_panel, GTK_TYPE_WIDGET)

enum { SIGNAL_OPEN_PATH, SIGNAL_CAMERAS_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static GtkWidget *
dim_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static void
sample_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, NdInputPanel *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->updating || i == 0 || i > self->samples->len)
    return;
  g_signal_emit (self, signals[SIGNAL_OPEN_PATH], 0, g_ptr_array_index (self->samples, i - 1));
}

/* The list is made fresh each time it opens: cameras come and go. */
static void
camera_popover_show_cb (GtkWidget *popover, NdInputPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_CAMERAS_REQUESTED], 0);
}

static void
nd_input_panel_dispose (GObject *object)
{
  NdInputPanel *self = ND_INPUT_PANEL (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), ND_TYPE_INPUT_PANEL);
  g_clear_pointer (&self->samples, g_ptr_array_unref);
  g_clear_object (&self->preview);
  G_OBJECT_CLASS (nd_input_panel_parent_class)->dispose (object);
}

static void
nd_input_panel_class_init (NdInputPanelClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = nd_input_panel_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/nondeep/Explorer/nd-input-panel.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, NdInputPanel, name)
  BIND (box);
  BIND (sample_dropdown);
  BIND (camera_list);
  BIND (picture);
  BIND (label);
  BIND (camera_status);
  BIND (weights_label);
#undef BIND
  for (int k = 0; k < 5; k++)
    {
      g_autofree char *label = g_strdup_printf ("top_label%d", k);
      g_autofree char *bar = g_strdup_printf ("top_bar%d", k);

      gtk_widget_class_bind_template_child_full (widget_class, label, FALSE,
                                                 G_STRUCT_OFFSET (NdInputPanel, top_labels)
                                                 + k * sizeof (GtkWidget *));
      gtk_widget_class_bind_template_child_full (widget_class, bar, FALSE,
                                                 G_STRUCT_OFFSET (NdInputPanel, top_bars)
                                                 + k * sizeof (GtkWidget *));
    }
  gtk_widget_class_bind_template_callback (widget_class, sample_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, camera_popover_show_cb);
  signals[SIGNAL_OPEN_PATH] =
    g_signal_new ("open-path", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CAMERAS_REQUESTED] =
    g_signal_new ("cameras-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
nd_input_panel_init (NdInputPanel *self)
{
  self->samples = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->preview = nd_preview_new ();
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (self->preview));
}

GtkWidget *
nd_input_panel_new (void)
{
  return g_object_new (ND_TYPE_INPUT_PANEL, NULL);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

guint
nd_input_panel_set_samples_dir (NdInputPanel *self, const char *dir_path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), 0);
  dir = g_dir_open (dir_path, 0, NULL);
  gtk_string_list_append (names, _("Samples"));
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".png") || g_str_has_suffix (name, ".jpg"))
      g_ptr_array_add (files, g_strdup (name));
  g_ptr_array_sort (files, compare_names);
  g_ptr_array_set_size (self->samples, 0);
  for (guint i = 0; i < files->len; i++)
    {
      gtk_string_list_append (names, g_ptr_array_index (files, i));
      g_ptr_array_add (self->samples, g_build_filename (dir_path, g_ptr_array_index (files, i),
                                                        NULL));
    }
  self->updating = TRUE;
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->sample_dropdown), G_LIST_MODEL (names));
  self->updating = FALSE;
  gtk_widget_set_sensitive (self->sample_dropdown, self->samples->len > 0);
  return self->samples->len;
}

const char *
nd_input_panel_get_sample (NdInputPanel *self, guint index)
{
  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), NULL);
  return index < self->samples->len ? g_ptr_array_index (self->samples, index) : NULL;
}

void
nd_input_panel_show_image (NdInputPanel *self, const NdImage *image, const char *description)
{
  g_return_if_fail (ND_IS_INPUT_PANEL (self));
  nd_preview_set_scale (self->preview, gtk_widget_get_scale_factor (self->picture));
  nd_preview_set_image (self->preview, image->rgba, image->width, image->height, image->stride);
  /* Every camera frame comes with the same text: setting it again would relayout. */
  if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (self->label)), description) != 0)
    gtk_label_set_text (GTK_LABEL (self->label), description);
}

void
nd_input_panel_show_message (NdInputPanel *self, const char *message)
{
  g_return_if_fail (ND_IS_INPUT_PANEL (self));
  gtk_label_set_text (GTK_LABEL (self->label), message);
}

const char *
nd_input_panel_get_message (NdInputPanel *self)
{
  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->label));
}

void
nd_input_panel_set_result (NdInputPanel       *self,
                           NdInferenceResult  *r,
                           char              **labels,
                           const char         *weights_text)
{
  g_return_if_fail (ND_IS_INPUT_PANEL (self));
  g_return_if_fail (r != NULL);

  for (int k = 0; k < 5; k++)
    {
      g_autofree char *text = NULL;

      gtk_widget_set_visible (self->top_labels[k], k < r->n_top);
      gtk_widget_set_visible (self->top_bars[k], k < r->n_top);
      if (k >= r->n_top)
        continue;
      if (labels != NULL)
        {
          g_auto(GStrv) names = g_strsplit (labels[r->top_class[k]], ",", 2);

          text = g_strdup_printf ("%s · %.1f %%", names[0], 100 * r->top_prob[k]);
        }
      else
        text = g_strdup_printf (_("class %d · %.1f %%"), r->top_class[k], 100 * r->top_prob[k]);
      gtk_label_set_text (GTK_LABEL (self->top_labels[k]), text);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (self->top_bars[k]), r->top_prob[k]);
    }
  gtk_label_set_text (GTK_LABEL (self->weights_label), weights_text);
}

void
nd_input_panel_set_cameras (NdInputPanel *self, const char * const *names, const char *message)
{
  GtkWidget *child;

  g_return_if_fail (ND_IS_INPUT_PANEL (self));
  while ((child = gtk_widget_get_first_child (self->camera_list)) != NULL)
    gtk_box_remove (GTK_BOX (self->camera_list), child);
  for (int i = 0; names != NULL && names[i] != NULL; i++)
    {
      GtkWidget *check = gtk_check_button_new_with_label (names[i]);

      gtk_actionable_set_action_name (GTK_ACTIONABLE (check), "win.camera-device");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (check), g_variant_new_int32 (i));
      gtk_box_append (GTK_BOX (self->camera_list), check);
    }
  if (message != NULL)
    {
      GtkWidget *label = dim_label (message);

      gtk_label_set_max_width_chars (GTK_LABEL (label), 36);
      gtk_box_append (GTK_BOX (self->camera_list), label);
    }
}

guint
nd_input_panel_get_n_cameras (NdInputPanel *self)
{
  guint n = 0;

  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), 0);
  for (GtkWidget *c = gtk_widget_get_first_child (self->camera_list); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    n += GTK_IS_CHECK_BUTTON (c);
  return n;
}

void
nd_input_panel_set_camera_status (NdInputPanel *self, const char *text)
{
  g_return_if_fail (ND_IS_INPUT_PANEL (self));
  gtk_label_set_text (GTK_LABEL (self->camera_status), text != NULL ? text : "");
  gtk_widget_set_visible (self->camera_status, text != NULL);
}

const char *
nd_input_panel_get_camera_status (NdInputPanel *self)
{
  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), NULL);
  if (!gtk_widget_get_visible (self->camera_status))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (self->camera_status));
}

GdkPaintable *
nd_input_panel_get_preview (NdInputPanel *self)
{
  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), NULL);
  return gtk_picture_get_paintable (GTK_PICTURE (self->picture));
}
