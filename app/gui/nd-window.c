/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib/gi18n.h>

#include "nd-model.h"
#include "nd-paths.h"
#include "nd-teach-page.h"
#include "nd-window-private.h"

G_DEFINE_FINAL_TYPE (NdWindow, nd_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- helpers ------------------------------------------------------------------------------ */

void
_nd_window_set_state (NdWindow *self, const char *action, GVariant *value)
{
  GAction *a = g_action_map_lookup_action (G_ACTION_MAP (self), action);

  g_simple_action_set_state (G_SIMPLE_ACTION (a), value);
}

const char *
_nd_window_assets_dir (void)
{
  return nd_paths_assets_dir ();
}

void
_nd_window_set_knob_error (NdWindow *self, NdKnob knob, const char *message)
{
  GtkWidget *label = self->error_labels[knob];

  gtk_label_set_text (GTK_LABEL (label), message ? message : "");
  gtk_widget_set_tooltip_text (label, message);
  gtk_widget_set_visible (label, message != NULL);
}

static void
clear_knob_errors (NdWindow *self)
{
  for (int k = 0; k < N_KNOBS; k++)
    _nd_window_set_knob_error (self, k, NULL);
}

void
_nd_window_rebuild (NdWindow *self, NdKnob knob)
{
  self->last_knob = knob;
  /* A knob turned on trained weights adapts them (kept where they fit, else random) until
   * weights are opened again. */
  if (knob != KNOB_GENERAL)
    self->config.weights_adapt = TRUE;
  _nd_window_notices_request (self);
  self->generation = nd_inference_set_config (self->inference, &self->config);
  _nd_window_sync_busy (self);
}

/* Shows the config's knob values (the preset's where a knob is unset) without re-entering
 * the actions. */
void
_nd_window_sync_widgets (NdWindow *self)
{
  NdModelSpec spec;
  const char * const *names = nd_model_names ();
  g_autoptr(GString) blocks = g_string_new (NULL);

  if (!nd_model_spec_parse (self->config.model, &spec, NULL))
    return;
  self->updating = TRUE;
  for (guint i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (names[i], spec.name) == 0)
      gtk_drop_down_set_selected (self->model_dropdown, i);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->streams_spin),
                             self->config.streams > 0 ? self->config.streams : spec.streams);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->width_spin),
                             self->config.width > 0 ? self->config.width : spec.width);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->resolution_spin),
                             self->config.resolution > 0 ? self->config.resolution
                                                         : spec.resolution);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->lambda_spin),
                             self->config.lambda >= 0 ? self->config.lambda : spec.lambda);
  for (int i = 0; i < spec.n_blocks; i++)
    g_string_append_printf (blocks, i ? ",%d" : "%d", spec.blocks[i]);
  gtk_editable_set_text (GTK_EDITABLE (self->blocks_entry), self->config.blocks);
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->blocks_entry), blocks->str);
  gtk_widget_set_sensitive (self->streams_spin, spec.family == ND_FAMILY_PARNET);
  gtk_widget_set_sensitive (self->lambda_spin, spec.family == ND_FAMILY_VANILLANET);
  gtk_drop_down_set_selected (self->backend_dropdown,
                              g_strcmp0 (self->config.backend, "vulkan") == 0 ? 1 : 0);
  _nd_window_sync_fp16 (self);
  _nd_window_sync_devices (self, &spec);
  self->updating = FALSE;
}

static void
load_labels (NdWindow *self, int classes)
{
  const char *file = classes == 10 ? "fashion-mnist.txt" : classes == 1000 ? "imagenet-1k.txt"
                                                                            : NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  if (self->weights_labels != NULL && (int) g_strv_length (self->weights_labels) == classes)
    {
      if (self->labels != self->weights_labels)
        {
          g_clear_pointer (&self->labels, g_strfreev);
          self->labels = g_strdupv (self->weights_labels);
        }
      self->n_labels = -1;   /* reload from files when the weights go */
      self->labels_source = _("from the weights");
      return;
    }
  if (self->n_labels == classes && self->labels != NULL)
    return;
  g_clear_pointer (&self->labels, g_strfreev);
  self->n_labels = classes;
  self->labels_source = NULL;
  if (file == NULL)
    return;
  path = g_build_filename (_nd_window_assets_dir (), "labels", file, NULL);
  if (g_file_get_contents (path, &text, NULL, NULL))
    self->labels = g_strsplit (g_strstrip (text), "\n", -1);
  if (self->labels != NULL && (int) g_strv_length (self->labels) != classes)
    g_clear_pointer (&self->labels, g_strfreev);
  if (self->labels != NULL)
    self->labels_source = classes == 10 ? _("Fashion-MNIST") : _("ImageNet-1k");
}

static void
update_top5 (NdWindow *self, NdInferenceResult *r)
{
  g_autofree char *text = NULL;
  g_autofree char *full = NULL;

  load_labels (self, (int) r->logits->numel);
  if (r->random_weights)
    text = g_strdup (_("Random weights (deterministic): the classes mean nothing until you open "
                       "trained weights."));
  else
    {
      /* the result of weights just closed may still arrive */
      g_autofree char *base = self->config.weights_path
                              ? g_path_get_basename (self->config.weights_path)
                              : g_strdup (_("(closed)"));

      text = self->weights_note
             ? g_strdup_printf (_("Trained weights: %s (%s)"), base, self->weights_note)
             : g_strdup_printf (_("Trained weights: %s"), base);
    }
  /* What the classes are called and what the picture went through on the way in. */
  full = g_strdup_printf (_("%s\nLabels: %s\nInput: %s"), text,
                          self->labels ? self->labels_source : _("class numbers"),
                          r->input_text ? r->input_text : "");
  nd_input_panel_set_result (self->input_panel, r, self->labels, full);
}

static void
update_model_info (NdWindow *self, NdInferenceResult *r)
{
  gint64 params, macs;
  int depth;
  g_autofree char *text = NULL;

  nd_graph_count (r->graph, &params, &macs, &depth);
  text = g_strdup_printf (_("%s · %s · %d×%d input · %.2f M parameters · %.2f GMACs · depth %d "
                            "· %s"),
                          r->spec.name, r->graph->fused ? _("fused") : _("training form"),
                          r->graph->in_h, r->graph->in_w, params / 1e6, macs / 1e9, depth,
                          r->backend);
  gtk_label_set_text (self->model_info, text);
}

/* ---- results ------------------------------------------------------------------------------ */

/* The one-shot render could not be made: main() turns this into a non-zero exit status. */
static void
screenshot_failed (NdWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app != NULL)
    g_object_set_data (G_OBJECT (app), "nd-screenshot-failed", GINT_TO_POINTER (1));
}

void
_nd_window_screenshot_failed (NdWindow *self, const char *message)
{
  g_printerr ("%s\n", message);
  screenshot_failed (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
screenshot_after_paint_cb (GdkFrameClock *clock, NdWindow *self)
{
  g_autoptr(GError) error = NULL;

  g_signal_handlers_disconnect_by_func (clock, screenshot_after_paint_cb, self);
  if (!nd_window_save_screenshot (self, self->screenshot, &error))
    {
      g_printerr ("%s\n", error->message);
      screenshot_failed (self);
    }
  else
    g_print (_("Saved %s\n"), self->screenshot);
  gtk_window_destroy (GTK_WINDOW (self));
}

static gboolean
screenshot_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  NdWindow *self = ND_WINDOW (widget);

  /* Two frames after the result: the views have drawn it. Saved after this frame's paint, not
   * before it: a widget waiting for its redraw (the camera preview asks for one with every
   * frame) has nothing to render. screenshot_tick stays set: one screenshot. */
  if (++self->screenshot_frames < 3)
    return G_SOURCE_CONTINUE;
  g_signal_connect (clock, "after-paint", G_CALLBACK (screenshot_after_paint_cb), self);
  return G_SOURCE_REMOVE;
}

/* Whether @block (a block or node name) is in @graph: a selection made on another model is
 * replaced. */
static gboolean
graph_has_block (const NdGraph *graph, const char *block)
{
  if (block == NULL)
    return FALSE;
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *n = nd_graph_node (graph, i);

      if (g_strcmp0 (n->block, block) == 0 || g_strcmp0 (n->name, block) == 0)
        return TRUE;
    }
  return FALSE;
}

static void show_result (NdWindow *self, NdInferenceResult *r);

static gint64
view_interval (NdWindow *self)
{
  return MAX (VIEW_INTERVAL_US, VIEW_DRAW_SHARE * MAX (self->views_us, self->paint_us));
}

/* The paint time per frame (layout, snapshot, render) sets how often views may change. */
static void
before_paint_cb (GdkFrameClock *clock, NdWindow *self)
{
  self->paint_start = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock, NdWindow *self)
{
  gint64 us;

  if (self->paint_start == 0)
    return;
  us = g_get_monotonic_time () - self->paint_start;
  self->paint_us = (3 * self->paint_us + us) / 4;
  self->paint_start = 0;
  if (self->views_set_us > 0)
    {
      us += self->views_set_us;
      self->views_us = self->views_us > 0 ? (3 * self->views_us + us) / 4 : us;
      self->views_set_us = 0;
    }
}

static void
realize_cb (GtkWidget *widget, NdWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  g_signal_connect_object (clock, "before-paint", G_CALLBACK (before_paint_cb), self, 0);
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (after_paint_cb), self, 0);
}

/* Whether results come continuously (camera or live inference). */
static gboolean
streaming (NdWindow *self)
{
  g_autoptr(GVariant) live = g_action_group_get_action_state (G_ACTION_GROUP (self), "live");

  return nd_window_get_camera_running (self) || (live != NULL && g_variant_get_boolean (live));
}

/* The views that draw the result (graph, feature maps, gates, latency, model line). While a
 * newer model is being built they keep the last one of the model shown, dimmed. */
static void
present_views (NdWindow *self)
{
  NdInferenceResult *r = self->result;
  gint64 t0 = g_get_monotonic_time ();

  g_clear_handle_id (&self->views_id, g_source_remove);
  self->views_time = t0;
  if (r == NULL)
    return;
  nd_graph_view_set_result (self->graph_view, r);
  nd_inspector_set_result (self->inspector, r);
  if (!_nd_window_is_busy (self))
    {
      nd_latency_panel_set_sharing (self->latency_panel, streaming (self));
      nd_latency_panel_add_result (self->latency_panel, r);
      update_model_info (self, r);
    }
  self->views_set_us = MAX (1, g_get_monotonic_time () - t0);
}

/* The views dropped the previous model's results (captured maps of every block, surfaces):
 * hand those pages back too, as the worker does with its plans. */
static gboolean
trim_heap_cb (gpointer data)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

static gboolean
present_views_cb (gpointer data)
{
  NdWindow *self = data;

  self->views_id = 0;
  present_views (self);
  return G_SOURCE_REMOVE;
}

static void
result_cb (NdInference *inference, NdInferenceResult *r, NdWindow *self)
{
  gint64 t0 = g_get_monotonic_time ();

  show_result (self, r);
  _nd_window_measure_result (self, r, (g_get_monotonic_time () - t0) / 1000.0);
}

static void
show_result (NdWindow *self, NdInferenceResult *r)
{
  nd_inference_result_ref (r);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  self->result = r;
  self->n_results++;
  if (r->rebuilt)
    _nd_window_weights_settled (self, r->generation, FALSE);
  if (r->generation == self->generation)
    {
      clear_knob_errors (self);
      /* Only a configuration that built is remembered. */
      if (r->rebuilt && self->screenshot == NULL && self->measure == NULL)
        _nd_window_settings_save (self);
    }
  if (self->pending_select != NULL && r->generation == self->pending_generation)
    {
      g_autofree char *block = g_steal_pointer (&self->pending_select);

      if (graph_has_block (r->graph, block))
        g_action_group_change_action_state (G_ACTION_GROUP (self), "select",
                                            g_variant_new_string (block));
    }
  if (!graph_has_block (r->graph, nd_graph_view_get_selected (self->graph_view)))
    {
      /* Something to look at from the start: the first re-parameterizable block, else the
       * first block with a convolution. */
      const char *pick = NULL;

      for (int i = 1; i < nd_graph_n_nodes (r->graph) && pick == NULL; i++)
        {
          const NdNode *n = nd_graph_node (r->graph, i);

          if (n->block != NULL && (n->role == ND_ROLE_DENSE3X3 || n->role == ND_ROLE_FUSED3X3))
            pick = n->block;
        }
      for (int i = 1; i < nd_graph_n_nodes (r->graph) && pick == NULL; i++)
        {
          const NdNode *n = nd_graph_node (r->graph, i);

          if (n->op == ND_OP_CONV2D)
            pick = n->block ? n->block : n->name;
        }
      if (pick != NULL)
        g_action_group_change_action_state (G_ACTION_GROUP (self), "select",
                                            g_variant_new_string (pick));
    }
  update_top5 (self, r);
  _nd_window_camera_result (self, r);
  _nd_window_notices_result (self, r);
  /* The fused-vs-unfused measurement failed: said once per model, never an empty table. */
  if (r->diff_error != NULL && r->generation != self->diff_error_generation)
    {
      self->diff_error_generation = r->generation;
      _nd_window_show_banner (self, r->diff_error);
    }
  /* A stream of results (camera, live) reaches the drawn views at a capped rate: drawing
   * feature maps for every frame would take the cores the model runs on. */
  if (r->rebuilt || !streaming (self)
      || g_get_monotonic_time () - self->views_time >= view_interval (self))
    present_views (self);
  if (r->rebuilt)
    g_idle_add_full (G_PRIORITY_LOW, trim_heap_cb, NULL, NULL);
  else if (self->views_id == 0)
    self->views_id = g_timeout_add ((guint) ((self->views_time + view_interval (self)
                                              - g_get_monotonic_time ()) / 1000) + 1,
                                    present_views_cb, self);
  if (r->rebuilt)
    g_debug ("knob → result %.1f ms (plan %.1f ms, cold run %.1f ms)", r->knob_to_result_ms,
             r->prepare_ms, r->cold_ms);

  if (self->screenshot != NULL && self->screenshot_tick == 0 && r->block_diff != NULL
      && r->generation == self->generation && _nd_window_camera_ready (self))
    self->screenshot_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), screenshot_tick_cb,
                                                          NULL, NULL);
}

static void
config_error_cb (NdInference *inference, guint64 generation, const char *message,
                 NdWindow *self)
{
  /* Only the newest request's failure is news; the serving model is left as it is. */
  if (generation != self->generation)
    return;
  _nd_window_weights_settled (self, generation, TRUE);
  _nd_window_notices_error (self, generation);
  _nd_window_set_knob_error (self, self->last_knob, message);
  if (self->screenshot != NULL)
    _nd_window_screenshot_failed (self, message);
}

/* ---- input -------------------------------------------------------------------------------- */

/* Shows self->image and classifies it; a still image ends the camera. */
void
_nd_window_set_image (NdWindow *self, const char *description)
{
  char *old = self->image_description;

  /* @description may be the one kept from last time (the camera stopping restores it) */
  _nd_window_camera_stop (self);
  self->image_description = g_strdup (description);
  g_free (old);
  nd_input_panel_show_image (self->input_panel, &self->image, self->image_description);
  self->input_serial = nd_inference_set_image (self->inference, self->image.rgba,
                                               self->image.width, self->image.height,
                                               self->image.stride);
}

gboolean
_nd_window_open_image_path (NdWindow *self, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *desc = NULL;

  if (!nd_image_load (&self->image, path, &error))
    {
      nd_input_panel_show_message (self->input_panel, error->message);
      return FALSE;
    }
  desc = g_strdup_printf ("%s · %d×%d", base, self->image.width, self->image.height);
  _nd_window_set_image (self, desc);
  return TRUE;
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, NdWindow *self)
{
  GFile *file;
  g_autofree char *path = NULL;

  if (!G_VALUE_HOLDS (value, G_TYPE_FILE))
    return FALSE;
  file = g_value_get_object (value);
  path = g_file_get_path (file);
  return path != NULL && _nd_window_open_image_path (self, path);
}

void
_nd_window_show_banner (NdWindow *self, const char *text)
{
  gtk_label_set_text (self->banner_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->banner_revealer, text != NULL);
}

const char *
_nd_window_get_banner_text (NdWindow *self)
{
  if (!gtk_revealer_get_reveal_child (self->banner_revealer))
    return NULL;
  return gtk_label_get_text (self->banner_label);
}

static void
banner_close_cb (GtkButton *button, NdWindow *self)
{
  _nd_window_show_banner (self, NULL);
}

static gboolean
close_request_cb (GtkWindow *window, gpointer data)
{
  NdWindow *self = ND_WINDOW (window);
  int w, h;

  if (self->settings != NULL && self->screenshot == NULL && self->measure == NULL)
    {
      gtk_window_get_default_size (window, &w, &h);
      g_settings_set_int (self->settings, "window-width", w);
      g_settings_set_int (self->settings, "window-height", h);
      g_settings_set_boolean (self->settings, "window-maximized",
                              gtk_window_is_maximized (window));
    }
  return FALSE;
}

static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  const char *build_dir = nd_paths_schema_dir ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (build_dir != NULL)
    {
      /* Uninstalled: the schema compiled in the build tree first, so a stale installed copy
       * does not shadow it. */
      g_autoptr(GSettingsSchemaSource) local =
        g_settings_schema_source_new_from_directory (build_dir, source, FALSE, NULL);

      if (local != NULL)
        schema = g_settings_schema_source_lookup (local, ND_APP_ID, FALSE);
    }
  if (schema == NULL && source != NULL)
    schema = g_settings_schema_source_lookup (source, ND_APP_ID, TRUE);
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

static void
nd_window_dispose (GObject *object)
{
  NdWindow *self = ND_WINDOW (object);

  _nd_window_measure_free (self);
  g_clear_handle_id (&self->views_id, g_source_remove);
  _nd_window_notices_free (self);
  _nd_window_camera_free (self);
  if (self->inference != NULL)
    nd_inference_shutdown (self->inference);
  g_clear_object (&self->inference);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  g_clear_pointer (&self->pending_select, g_free);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), ND_TYPE_WINDOW);
  G_OBJECT_CLASS (nd_window_parent_class)->dispose (object);
}

static void
nd_window_finalize (GObject *object)
{
  NdWindow *self = ND_WINDOW (object);

  nd_inference_config_clear (&self->config);
  nd_image_clear (&self->image);
  g_free (self->image_description);
  g_free (self->screenshot);
  g_clear_pointer (&self->labels, g_strfreev);
  g_clear_pointer (&self->weights_labels, g_strfreev);
  g_free (self->weights_note);
  g_strfreev (self->weights_entries);
  g_free (self->weights_entry);
  g_strfreev (self->trained);
  _nd_window_weights_clear (self);
  G_OBJECT_CLASS (nd_window_parent_class)->finalize (object);
}

static void
nd_window_class_init (NdWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nd_window_dispose;
  object_class->finalize = nd_window_finalize;

  g_type_ensure (ND_TYPE_GRAPH_VIEW);
  g_type_ensure (ND_TYPE_INPUT_PANEL);
  g_type_ensure (ND_TYPE_INSPECTOR);
  g_type_ensure (ND_TYPE_LATENCY_PANEL);
  g_type_ensure (ND_TYPE_TEACH_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/nondeep/Explorer/nd-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, NdWindow, name)
  BIND (model_dropdown);
  BIND (backend_dropdown);
  BIND (fp16_box);
  BIND (banner_revealer);
  BIND (banner_label);
  BIND (knob_grid);
  BIND (model_info);
  BIND (entry_box);
  BIND (entry_dropdown);
  BIND (input_panel);
  BIND (graph_view);
  BIND (inspector);
  BIND (latency_panel);
  BIND (view_stack);
  BIND (primary_menu);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, banner_close_cb);
}

static void
nd_window_init (NdWindow *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);
  g_autoptr(GtkStringList) models = gtk_string_list_new ((const char * const *) nd_model_names ());

  gtk_widget_init_template (GTK_WIDGET (self));
  self->config.lambda = -1;
  g_strlcpy (self->config.model, "parnet-s", sizeof self->config.model);
  g_strlcpy (self->config.backend, "cpu", sizeof self->config.backend);

  self->updating = TRUE;
  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (models));
  self->updating = FALSE;
  _nd_window_actions_init (self);
  _nd_window_entries_init (self);
  _nd_window_notices_init (self);
  self->inference = nd_inference_new ();
  _nd_window_camera_init (self);
  _nd_window_probe_backends (self);
  {
    g_autofree char *samples = g_build_filename (_nd_window_assets_dir (), "samples", NULL);

    nd_input_panel_set_samples_dir (self->input_panel, samples);
  }

  g_signal_connect_swapped (self->input_panel, "open-path",
                            G_CALLBACK (_nd_window_open_image_path), self);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  g_signal_connect (self, "realize", G_CALLBACK (realize_cb), self);

  g_signal_connect (self->inference, "result", G_CALLBACK (result_cb), self);
  g_signal_connect (self->inference, "config-error", G_CALLBACK (config_error_cb), self);
  self->settings = open_settings ();
}

NdWindow *
nd_window_new (AdwApplication *app, const NdWindowOptions *o)
{
  NdWindow *self = g_object_new (ND_TYPE_WINDOW, "application", app, NULL);
  NdInferenceConfig *c = &self->config;
  GSettings *s = self->settings;

  if (o->measure > 0)
    _nd_window_measure_init (self, o->measure);
  /* one-shot runs (screenshot, measure) start from the defaults, not the saved settings */
  if (s != NULL && o->screenshot == NULL && o->measure <= 0)
    {
      g_autofree char *model = g_settings_get_string (s, "model");
      g_autofree char *backend = g_settings_get_string (s, "backend");

      if (nd_model_spec_parse (model, &(NdModelSpec) { 0 }, NULL))
        g_strlcpy (c->model, model, sizeof c->model);
      _nd_window_settings_load_knobs (self);
      /* auto: the GPU when there is one; lavapipe (a CPU device) is slower than the CPU
       * backend, so it is used only when asked for. */
      if ((g_strcmp0 (backend, "vulkan") == 0 && self->have_vulkan)
          || (g_strcmp0 (backend, "auto") == 0 && self->have_gpu))
        g_strlcpy (c->backend, "vulkan", sizeof c->backend);
      gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (s, "window-width"),
                                   g_settings_get_int (s, "window-height"));
      if (g_settings_get_boolean (s, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }
  if (o->model != NULL)
    {
      g_strlcpy (c->model, o->model, sizeof c->model);
      c->streams = 0, c->width = 0, c->blocks[0] = '\0', c->resolution = 0, c->lambda = -1;
    }
  if (o->streams > 0)
    c->streams = o->streams;
  if (o->width > 0)
    c->width = o->width;
  if (o->blocks != NULL)
    g_strlcpy (c->blocks, o->blocks, sizeof c->blocks);
  if (o->resolution > 0)
    c->resolution = o->resolution;
  if (o->lambda >= 0)
    c->lambda = o->lambda;
  if (o->classes > 0)
    c->classes = o->classes;
  if (o->fused_set)
    c->fused = o->fused;
  if (o->fp16)
    c->fp16 = TRUE;
  if (o->backend != NULL)
    g_strlcpy (c->backend, o->backend, sizeof c->backend);
  if (o->devices != NULL)
    g_strlcpy (c->devices, o->devices, sizeof c->devices);
  self->screenshot = g_strdup (o->screenshot);
  {
    g_autofree char *bundled = NULL;
    const char *weights = o->weights;
    g_autoptr(GError) error = NULL;

    /* With no model asked for, start on the bundled trained model when there is one. */
    if (weights == NULL && o->model == NULL && g_strcmp0 (c->model, "parnet-s") == 0)
      weights = bundled = _nd_window_default_weights ();
    if (weights != NULL && !_nd_window_use_weights (self, weights, &error))
      {
        _nd_window_set_knob_error (self, KNOB_GENERAL, error->message);
        if (self->screenshot != NULL)
          g_printerr ("%s\n", error->message);
      }
  }

  _nd_window_set_state (self, "fused", g_variant_new_boolean (c->fused));
  _nd_window_set_state (self, "fp16", g_variant_new_boolean (c->fp16));
  _nd_window_set_state (self, "devices", g_variant_new_string (c->devices));
  _nd_window_set_state (self, "model", g_variant_new_string (c->model));
  _nd_window_set_state (self, "backend", g_variant_new_string (c->backend));
  if (o->view != NULL)
    g_action_group_change_action_state (G_ACTION_GROUP (self), "view",
                                        g_variant_new_string (o->view));
  if (o->select != NULL)
    g_action_group_change_action_state (G_ACTION_GROUP (self), "select",
                                        g_variant_new_string (o->select));
  _nd_window_sync_widgets (self);
  if (o->image == NULL && c->in_channels == 1
      && nd_input_panel_get_sample (self->input_panel, 0) != NULL)
    _nd_window_open_image_path (self, nd_input_panel_get_sample (self->input_panel, 0));
  else if (o->image == NULL || !_nd_window_open_image_path (self, o->image))
    {
      if (o->image != NULL && self->screenshot != NULL)
        g_printerr ("%s\n", nd_input_panel_get_message (self->input_panel));
      nd_image_test_pattern (&self->image, 256);
      _nd_window_set_image (self, _("Synthetic test pattern"));
    }
  _nd_window_rebuild (self, KNOB_GENERAL);
  if (o->explain != NULL)
    g_action_group_change_action_state (G_ACTION_GROUP (self), "explain",
                                        g_variant_new_string (o->explain));
  /* Measuring without a camera: the model runs continuously on the still input. */
  if (o->measure > 0 && o->camera == NULL)
    g_action_group_change_action_state (G_ACTION_GROUP (self), "live",
                                        g_variant_new_boolean (TRUE));
  if (o->camera != NULL)
    {
      _nd_window_camera_set_spec (self, o->camera);
      g_action_group_change_action_state (G_ACTION_GROUP (self), "camera",
                                          g_variant_new_boolean (TRUE));
    }
  return self;
}

gboolean
nd_window_save_screenshot (NdWindow *self, const char *path, GError **error)
{
  GtkWidget *widget = GTK_WIDGET (self);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;

  g_return_val_if_fail (ND_IS_WINDOW (self), FALSE);
  renderer = gtk_native_get_renderer (GTK_NATIVE (self));
  if (w <= 0 || h <= 0 || renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("The window is not shown yet, so there is nothing to save"));
      return FALSE;
    }
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The window drew nothing"));
      return FALSE;
    }
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write %s"), path);
      return FALSE;
    }
  return TRUE;
}

void
nd_window_show_block (NdWindow *self, const char *model, const char *block)
{
  g_autoptr(GVariant) state = NULL;

  g_return_if_fail (ND_IS_WINDOW (self) && model != NULL && block != NULL);
  state = g_action_group_get_action_state (G_ACTION_GROUP (self), "model");
  if (state != NULL && g_str_equal (g_variant_get_string (state, NULL), model))
    {
      g_action_group_change_action_state (G_ACTION_GROUP (self), "select",
                                          g_variant_new_string (block));
      return;
    }
  /* another model: selected when its first result arrives (the shown one lacks the block) */
  g_action_group_change_action_state (G_ACTION_GROUP (self), "model",
                                      g_variant_new_string (model));
  g_free (self->pending_select);
  self->pending_select = g_strdup (block);
  self->pending_generation = self->generation;
}
