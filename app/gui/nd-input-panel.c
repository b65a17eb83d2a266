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
  GtkWidget *explain_box, *explain_label, *legend;
  GPtrArray *samples;   /* paths */
  gboolean   updating;
  NdExplainMethod explain;
  NdImage    shown;     /* the picture last handed in, shown again when the overlay goes */
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

/* The overlay's ramp, opaque, low to high. */
static void
draw_legend (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  cairo_pattern_t *ramp = cairo_pattern_create_linear (0, 0, width, 0);

  for (int i = 0; i <= 8; i++)
    {
      double c[4];

      nd_preview_overlay_rgba (i / 8.0, c);
      cairo_pattern_add_color_stop_rgb (ramp, i / 8.0, c[0], c[1], c[2]);
    }
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_set_source (cr, ramp);
  cairo_fill (cr);
  cairo_pattern_destroy (ramp);
}

static void
nd_input_panel_dispose (GObject *object)
{
  NdInputPanel *self = ND_INPUT_PANEL (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), ND_TYPE_INPUT_PANEL);
  g_clear_pointer (&self->samples, g_ptr_array_unref);
  g_clear_object (&self->preview);
  g_clear_pointer (&self->shown.rgba, g_bytes_unref);
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
  BIND (explain_box);
  BIND (explain_label);
  BIND (legend);
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
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->legend), draw_legend, NULL, NULL);
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
  g_bytes_ref (image->rgba);
  g_clear_pointer (&self->shown.rgba, g_bytes_unref);
  self->shown = *image;
  /* With the overlay on, the preview shows the picture each map was made from, with the
   * result (nd_input_panel_set_result); until the first one, this. */
  if (self->explain == ND_EXPLAIN_OFF || nd_preview_get_image (self->preview) == NULL)
    nd_preview_set_image (self->preview, image->rgba, image->width, image->height,
                          image->stride);
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

/* The picture of @r with its map over it: a pair, never one frame's map on another frame. */
static void
show_explanation (NdInputPanel *self, const NdInferenceResult *r, char **labels)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) names = NULL;
  const char *name;

  if (r->image == NULL)
    return;
  nd_preview_set_image (self->preview, r->image, r->image_width, r->image_height,
                        r->image_stride);
  if (r->explain != self->explain)
    {
      /* a run from before the switch: its picture, no map yet */
      nd_preview_set_overlay (self->preview, NULL, 0, 0, NULL);
      return;
    }
  if (r->explain_map == NULL)
    {
      nd_preview_set_overlay (self->preview, NULL, 0, 0, NULL);
      gtk_label_set_text (GTK_LABEL (self->explain_label), r->explain_error);
      return;
    }
  nd_preview_set_overlay (self->preview, r->explain_map->data, (int) r->explain_map->shape[2],
                          (int) r->explain_map->shape[3], r->input_rect);
  if (labels != NULL)
    names = g_strsplit (labels[r->explain_class], ",", 2);
  name = names != NULL ? names[0] : NULL;
  if (r->explain == ND_EXPLAIN_GRADCAM)
    text = name ? g_strdup_printf (_("Grad-CAM of “%s”"), name)
                : g_strdup_printf (_("Grad-CAM of class %d"), r->explain_class);
  else
    text = name ? g_strdup_printf (_("Input gradient of “%s”"), name)
                : g_strdup_printf (_("Input gradient of class %d"), r->explain_class);
  if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (self->explain_label)), text) != 0)
    gtk_label_set_text (GTK_LABEL (self->explain_label), text);
}

void
nd_input_panel_set_explain (NdInputPanel *self, NdExplainMethod method)
{
  g_return_if_fail (ND_IS_INPUT_PANEL (self));
  if (method == self->explain)
    return;
  self->explain = method;
  gtk_widget_set_visible (self->explain_box, method != ND_EXPLAIN_OFF);
  gtk_label_set_text (GTK_LABEL (self->explain_label), "");
  nd_preview_set_overlay (self->preview, NULL, 0, 0, NULL);
  if (method == ND_EXPLAIN_OFF && self->shown.rgba != NULL)
    nd_preview_set_image (self->preview, self->shown.rgba, self->shown.width,
                          self->shown.height, self->shown.stride);
}

NdExplainMethod
nd_input_panel_get_explain (NdInputPanel *self)
{
  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), ND_EXPLAIN_OFF);
  return self->explain;
}

const char *
nd_input_panel_get_explain_text (NdInputPanel *self)
{
  g_return_val_if_fail (ND_IS_INPUT_PANEL (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->explain_label));
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
  if (self->explain != ND_EXPLAIN_OFF)
    show_explanation (self, r, labels);
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
