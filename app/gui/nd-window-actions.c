/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-model.h"
#include "nd-weights-file.h"
#include "nd-window-private.h"

/* The window's actions (`win.streams`, `win.fused`, …: every knob, so a click and a test take
 * the same path), the knob widgets that drive them, and opening weights. */

/* ---- weights ------------------------------------------------------------------------------ */

/* Sets the config's knobs from the file's typed knobs (0 / "" / -1: the preset's). */
static void
apply_knobs (NdInferenceConfig *c, const NdKnobs *k)
{
  g_autofree char *blocks = nd_knobs_blocks_to_string (k->blocks, k->n_blocks);

  c->streams = k->set & ND_KNOB_STREAMS ? k->streams : 0;
  c->width = k->set & ND_KNOB_WIDTH ? k->width : 0;
  g_strlcpy (c->blocks, k->set & ND_KNOB_BLOCKS ? blocks : "", sizeof c->blocks);
  c->resolution = k->set & ND_KNOB_RESOLUTION ? k->resolution : 0;
  c->lambda = k->set & ND_KNOB_LAMBDA ? k->lambda : -1;
  c->classes = k->set & ND_KNOB_CLASSES ? k->classes : 0;
  c->in_channels = k->set & ND_KNOB_IN_CHANNELS ? k->in_channels : 0;
}

void
_nd_window_set_weights_title (NdWindow *self, const char *weights_path)
{
  g_autofree char *base = weights_path ? g_path_get_basename (weights_path) : NULL;
  g_autofree char *title = base ? g_strdup_printf (_("%s — Nondeep Explorer"), base) : NULL;

  gtk_window_set_title (GTK_WINDOW (self), title ? title : _("Nondeep Explorer"));
}

/* Opens @path and switches the window to the model it holds (nd_weights_open: our metadata
 * names model, knobs, input transform and labels; official checkpoints, training or deploy
 * form, are recognised from their keys and shapes). Their labels then follow the class count
 * (ImageNet-1k for 1000) and the input transform the family's official one. Deploy-form
 * weights run fused, the only form they have. The file is read once, here: the worker gets
 * the tensors with the config. */
gboolean
_nd_window_use_weights (NdWindow *self, const char *path, GError **error)
{
  return _nd_window_use_weights_entry (self, path, NULL, error);
}

/* The same with the state dict @entry of a checkpoint (NULL: the one its authors evaluate). */
gboolean
_nd_window_use_weights_entry (NdWindow *self, const char *path, const char *entry,
                              GError **error)
{
  g_autoptr(NdWeightsInfo) info = NULL;
  g_autoptr(NdWeightSet) set = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *knobs = NULL;
  NdInferenceConfig *c = &self->config;
  gboolean fused_only;

  info = nd_weights_open (path, entry, &set, error);
  if (info == NULL)
    return FALSE;
  if (!info->has_model)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("%s: cannot tell which model these weights are for (%s)"), base,
                   info->reason ? info->reason : _("no model named in the file"));
      return FALSE;
    }
  knobs = nd_knobs_to_string (&info->knobs);
  fused_only = info->form == ND_WEIGHTS_FORM_DEPLOY;

  g_strlcpy (c->model, info->spec.name, sizeof c->model);
  apply_knobs (c, &info->knobs);
  if (fused_only)
    {
      self->fused_forced |= !c->fused;
      c->fused = TRUE;
    }
  else if (self->fused_forced)
    {
      /* the previous weights turned the switch on, not the user */
      c->fused = FALSE;
      self->fused_forced = FALSE;
    }
  self->weights_fused_only = fused_only;
  _nd_window_set_state (self, "model", g_variant_new_string (c->model));
  _nd_window_set_state (self, "fused", g_variant_new_boolean (c->fused));

  g_free (c->weights_path);
  c->weights_path = g_strdup (path);
  g_free (c->weights_entry);
  c->weights_entry = g_strdup (info->entry);
  g_clear_pointer (&c->weights, nd_weight_set_free);
  c->weights = g_steal_pointer (&set);
  c->weights_adapt = FALSE;   /* the file's own model: a mismatch now is an error */
  g_free (c->preprocess);
  c->preprocess = g_strdup (info->preprocess);
  g_clear_pointer (&self->weights_labels, g_strfreev);
  self->weights_labels = g_strdupv (info->labels);
  g_clear_pointer (&self->labels, g_strfreev);
  self->n_labels = 0;
  g_free (self->weights_note);
  self->weights_note = g_strdup_printf ("%s%s%s, %s", info->spec.name, *knobs ? " " : "",
                                        knobs,
                                        fused_only ? _("deploy form: fused only")
                                                   : _("training form"));
  _nd_window_set_weights_title (self, path);
  _nd_window_entries_set (self, (const char * const *) info->entries, info->entry);
  _nd_window_sync_widgets (self);
  return TRUE;
}

/* What an Open Weights replaced, put back if its model cannot be built. */
typedef struct
{
  NdInferenceConfig config;
  char            **weights_labels;
  char             *weights_note;
  gboolean          fused_only;
  gboolean          fused_forced;
  char            **entries;
  char             *entry;
} WeightsUndo;

static void
weights_undo_free (gpointer p)
{
  WeightsUndo *undo = p;

  nd_inference_config_clear (&undo->config);
  g_strfreev (undo->weights_labels);
  g_free (undo->weights_note);
  g_strfreev (undo->entries);
  g_free (undo->entry);
  g_free (undo);
}

void
_nd_window_weights_clear (NdWindow *self)
{
  g_clear_pointer (&self->weights_undo, weights_undo_free);
}

gboolean
nd_window_open_weights (NdWindow *self, const char *path, GError **error)
{
  return nd_window_open_weights_entry (self, path, NULL, error);
}

gboolean
nd_window_open_weights_entry (NdWindow *self, const char *path, const char *entry,
                              GError **error)
{
  WeightsUndo *undo;

  g_return_val_if_fail (ND_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  undo = g_new0 (WeightsUndo, 1);
  nd_inference_config_copy (&undo->config, &self->config);
  undo->weights_labels = g_strdupv (self->weights_labels);
  undo->weights_note = g_strdup (self->weights_note);
  undo->fused_only = self->weights_fused_only;
  undo->fused_forced = self->fused_forced;
  undo->entries = g_strdupv (self->weights_entries);
  undo->entry = g_strdup (self->weights_entry);
  if (!_nd_window_use_weights_entry (self, path, entry, error))
    {
      weights_undo_free (undo);
      return FALSE;
    }
  _nd_window_weights_clear (self);
  self->weights_undo = undo;
  /* a message about the previous weights is stale now */
  _nd_window_set_knob_error (self, KNOB_GENERAL, NULL);
  _nd_window_rebuild (self, KNOB_GENERAL);
  self->weights_generation = self->generation;
  return TRUE;
}

void
_nd_window_weights_settled (NdWindow *self, guint64 generation, gboolean failed)
{
  WeightsUndo *undo = self->weights_undo;

  /* Once a config with these weights has built, the worker's graphs hold them: the tensors
   * read on opening are not needed twice (a later build that needs the file reads it on the
   * worker). */
  if (!failed && generation >= self->weights_generation)
    g_clear_pointer (&self->config.weights, nd_weight_set_free);
  /* Until a config with these weights builds, the previous model is the one serving. */
  if (undo == NULL || generation < self->weights_generation)
    return;
  self->weights_undo = NULL;
  if (failed)
    {
      /* The worker still serves the previous model: show its settings again. */
      nd_inference_config_copy (&self->config, &undo->config);
      g_strfreev (self->weights_labels);
      self->weights_labels = g_steal_pointer (&undo->weights_labels);
      g_free (self->weights_note);
      self->weights_note = g_steal_pointer (&undo->weights_note);
      self->weights_fused_only = undo->fused_only;
      self->fused_forced = undo->fused_forced;
      g_clear_pointer (&self->labels, g_strfreev);
      self->n_labels = 0;
      _nd_window_set_state (self, "model", g_variant_new_string (self->config.model));
      _nd_window_set_state (self, "fused", g_variant_new_boolean (self->config.fused));
      _nd_window_set_state (self, "fp16", g_variant_new_boolean (self->config.fp16));
      _nd_window_set_weights_title (self, self->config.weights_path);
      _nd_window_entries_set (self, (const char * const *) undo->entries, undo->entry);
      _nd_window_sync_widgets (self);
    }
  weights_undo_free (undo);
}

/* The bundled trained model (ND_DEFAULT_WEIGHTS under the assets dir), or NULL. */
char *
_nd_window_default_weights (void)
{
  g_autofree char *path = g_build_filename (_nd_window_assets_dir (), ND_DEFAULT_WEIGHTS, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR) ? g_steal_pointer (&path) : NULL;
}

/* ---- actions ------------------------------------------------------------------------------ */

#define STATE_HANDLER(fn) \
  static void fn (GSimpleAction *action, GVariant *value, gpointer data)

/* A switch shows its new position before it asks its action; when the action refuses, the
 * state is bounced once so that every widget bound to it (header bar, preferences) shows the
 * state again. */
static gboolean
resync_fused_cb (gpointer data)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (data), "fused");
  g_autoptr(GVariant) state = action ? g_action_get_state (action) : NULL;

  if (state != NULL)
    {
      gboolean on = g_variant_get_boolean (state);

      g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (!on));
      g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (on));
    }
  return G_SOURCE_REMOVE;
}

STATE_HANDLER (change_fused)
{
  NdWindow *self = data;

  if (self->weights_fused_only && !g_variant_get_boolean (value))
    {
      /* Deploy-form weights: the branches were merged before they were saved. */
      _nd_window_set_knob_error (self, KNOB_GENERAL,
                                 _("These weights are the fused (deploy) form only: the "
                                   "unfused training form is not available for them"));
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, resync_fused_cb, g_object_ref (self),
                       g_object_unref);
      return;
    }
  g_simple_action_set_state (action, value);
  self->config.fused = g_variant_get_boolean (value);
  _nd_window_rebuild (self, KNOB_GENERAL);
}

/* A knob like the others (the plan is rebuilt), remembered on every backend; the worker uses
 * it only where it can (nd-window-backends.c greys it out elsewhere). */
STATE_HANDLER (change_fp16)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  self->config.fp16 = g_variant_get_boolean (value);
  _nd_window_rebuild (self, KNOB_GENERAL);
}

/* Where ParNet's streams run (nd-window-backends.c builds the menu and enables it for ParNet
 * on Vulkan): "" one device, "A,B[,C]" as nondeep-cli --devices. */
STATE_HANDLER (change_devices)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  g_strlcpy (self->config.devices, g_variant_get_string (value, NULL),
             sizeof self->config.devices);
  _nd_window_rebuild (self, KNOB_GENERAL);
}

STATE_HANDLER (change_streams)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  self->config.streams = g_variant_get_int32 (value);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_STREAMS);
}

STATE_HANDLER (change_width)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  self->config.width = g_variant_get_double (value);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_WIDTH);
}

STATE_HANDLER (change_blocks)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  g_strlcpy (self->config.blocks, g_variant_get_string (value, NULL), sizeof self->config.blocks);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_BLOCKS);
}

STATE_HANDLER (change_resolution)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  self->config.resolution = g_variant_get_int32 (value);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_RESOLUTION);
}

STATE_HANDLER (change_lambda)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  self->config.lambda = g_variant_get_double (value);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_LAMBDA);
}

STATE_HANDLER (change_model)
{
  NdWindow *self = data;
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;

  if (!nd_model_spec_parse (g_variant_get_string (value, NULL), &spec, &error))
    {
      _nd_window_set_knob_error (self, KNOB_GENERAL, error->message);
      return;
    }
  g_simple_action_set_state (action, value);
  g_strlcpy (self->config.model, spec.name, sizeof self->config.model);
  /* A new model starts from its preset knobs and random weights. */
  g_clear_pointer (&self->config.weights_path, g_free);
  g_clear_pointer (&self->config.weights_entry, g_free);
  _nd_window_entries_set (self, NULL, NULL);
  g_clear_pointer (&self->config.weights, nd_weight_set_free);
  g_clear_pointer (&self->config.preprocess, g_free);
  g_clear_pointer (&self->weights_labels, g_strfreev);
  g_clear_pointer (&self->weights_note, g_free);
  _nd_window_weights_clear (self);
  self->weights_fused_only = FALSE;
  self->fused_forced = FALSE;
  _nd_window_set_weights_title (self, NULL);
  self->config.classes = 0;
  self->config.in_channels = 0;
  self->config.streams = 0;
  self->config.width = 0;
  self->config.blocks[0] = '\0';
  self->config.resolution = 0;
  self->config.lambda = -1;
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_GENERAL);
}

STATE_HANDLER (change_backend)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  g_strlcpy (self->config.backend, g_variant_get_string (value, NULL),
             sizeof self->config.backend);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_GENERAL);
}

STATE_HANDLER (change_select)
{
  NdWindow *self = data;
  const char *block = g_variant_get_string (value, NULL);

  g_simple_action_set_state (action, value);
  /* the maps of the block on show are all the results need to carry */
  nd_inference_set_capture_block (self->inference, *block ? block : NULL);
  nd_graph_view_set_selected (self->graph_view, *block ? block : NULL);
  nd_inspector_set_block (self->inspector, *block ? block : NULL);
}

STATE_HANDLER (change_view)
{
  NdWindow *self = data;
  const char *view = g_variant_get_string (value, NULL);

  if (gtk_stack_get_child_by_name (self->view_stack, view) == NULL)
    return;
  g_simple_action_set_state (action, value);
  gtk_stack_set_visible_child_name (self->view_stack, view);
}

STATE_HANDLER (change_live)
{
  NdWindow *self = data;

  g_simple_action_set_state (action, value);
  nd_inference_set_live (self->inference, g_variant_get_boolean (value));
}

/* win.explain: off, gradcam or grad; the worker computes the map after each forward pass. */
STATE_HANDLER (change_explain)
{
  NdWindow *self = data;
  const char *name = g_variant_get_string (value, NULL);
  NdExplainMethod method = g_str_equal (name, "gradcam") ? ND_EXPLAIN_GRADCAM
                           : g_str_equal (name, "grad") ? ND_EXPLAIN_GRAD : ND_EXPLAIN_OFF;

  if (method == ND_EXPLAIN_OFF && !g_str_equal (name, "off"))
    return;
  g_simple_action_set_state (action, value);
  nd_input_panel_set_explain (self->input_panel, method);
  nd_inference_set_explain (self->inference, method, -1);
}

static void
test_pattern_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  NdWindow *self = data;

  nd_image_test_pattern (&self->image, 256);
  _nd_window_set_image (self, _("Synthetic test pattern"));
}

static void
reset_zoom_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  nd_graph_view_reset_zoom (ND_WINDOW (data)->graph_view);
}

static void
image_chosen_cb (GtkNativeDialog *dialog, int response, NdWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      if (path != NULL)
        _nd_window_open_image_path (self, path);
    }
  g_object_unref (dialog);
}

static void
weights_chosen_cb (GtkNativeDialog *dialog, int response, NdWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path != NULL && !nd_window_open_weights (self, path, &error))
        _nd_window_set_knob_error (self, KNOB_GENERAL, error->message);
    }
  g_object_unref (dialog);
}

static void
open_dialog (NdWindow *self, const char *title, const char *pattern_name,
             const char * const *patterns, GCallback cb)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, NULL,
                                 NULL);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, pattern_name);
  for (int i = 0; patterns[i] != NULL; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", cb, self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_image_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  static const char * const patterns[] = { "*.png", "*.jpg", "*.jpeg", "*.webp", "*.bmp",
                                           "*.gif", "*.tif", "*.tiff", NULL };

  open_dialog (data, _("Open Image"), _("Images"), patterns, G_CALLBACK (image_chosen_cb));
}

static void
open_weights_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  static const char * const patterns[] = { "*.safetensors", "*.pth", "*.pth.tar", "*.pt", NULL };

  open_dialog (data, _("Open Weights"), _("Weights (safetensors, PyTorch checkpoints)"), patterns,
               G_CALLBACK (weights_chosen_cb));
}

static const GActionEntry win_actions[] = {
  { "fused", NULL, NULL, "false", change_fused },
  { "fp16", NULL, NULL, "false", change_fp16 },
  { "devices", NULL, "s", "''", change_devices },
  { "streams", NULL, "i", "3", change_streams },
  { "width", NULL, "d", "1.0", change_width },
  { "blocks", NULL, "s", "''", change_blocks },
  { "resolution", NULL, "i", "224", change_resolution },
  { "lambda", NULL, "d", "1.0", change_lambda },
  { "model", NULL, "s", "'parnet-s'", change_model },
  { "backend", NULL, "s", "'cpu'", change_backend },
  { "select", NULL, "s", "''", change_select },
  { "view", NULL, "s", "'inspector'", change_view },
  { "live", NULL, NULL, "false", change_live },
  { "explain", NULL, "s", "'off'", change_explain },
  { "test-pattern", test_pattern_activated },
  { "reset-zoom", reset_zoom_activated },
  { "open-image", open_image_activated },
  { "open-weights", open_weights_activated },
  { "tune-kernels", _nd_window_tune_kernels_activated },
  { "retune-kernels", _nd_window_tune_kernels_activated },
};

/* Widgets → actions, so a click and a test take the same path. */
static void
spin_changed_cb (GtkSpinButton *spin, NdWindow *self)
{
  GVariant *v;
  const char *action;

  if (self->updating)
    return;
  if ((GtkWidget *) spin == self->streams_spin)
    action = "streams", v = g_variant_new_int32 (gtk_spin_button_get_value_as_int (spin));
  else if ((GtkWidget *) spin == self->resolution_spin)
    action = "resolution", v = g_variant_new_int32 (gtk_spin_button_get_value_as_int (spin));
  else if ((GtkWidget *) spin == self->width_spin)
    action = "width", v = g_variant_new_double (gtk_spin_button_get_value (spin));
  else
    action = "lambda", v = g_variant_new_double (gtk_spin_button_get_value (spin));
  g_action_group_change_action_state (G_ACTION_GROUP (self), action, v);
}

static void
blocks_activate_cb (GtkEntry *entry, NdWindow *self)
{
  g_action_group_change_action_state (G_ACTION_GROUP (self), "blocks",
                                      g_variant_new_string (gtk_editable_get_text (
                                        GTK_EDITABLE (entry))));
}

static void
model_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, NdWindow *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (self->updating || i == GTK_INVALID_LIST_POSITION)
    return;
  g_action_group_change_action_state (G_ACTION_GROUP (self), "model",
                                      g_variant_new_string (nd_model_names ()[i]));
}

static void
backend_selected_cb (GtkDropDown *dropdown, GParamSpec *pspec, NdWindow *self)
{
  if (self->updating)
    return;
  g_action_group_change_action_state (
    G_ACTION_GROUP (self), "backend",
    g_variant_new_string (gtk_drop_down_get_selected (dropdown) == 1 ? "vulkan" : "cpu"));
}

static void
block_selected_cb (NdGraphView *view, const char *block, NdWindow *self)
{
  g_action_group_change_action_state (G_ACTION_GROUP (self), "select",
                                      g_variant_new_string (block));
}

/* ---- construction ------------------------------------------------------------------------- */

static GtkWidget *
add_knob (NdWindow *self, NdKnob knob, const char *title, GtkWidget *widget, const char *tooltip)
{
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *error = gtk_label_new (NULL);
  int row = knob * 2;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (widget != NULL)
    {
      gtk_widget_set_tooltip_text (widget, tooltip);
      gtk_widget_set_hexpand (widget, TRUE);
    }
  gtk_label_set_xalign (GTK_LABEL (error), 0);
  gtk_label_set_wrap (GTK_LABEL (error), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (error), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (error), 30);
  gtk_label_set_width_chars (GTK_LABEL (error), 20);
  /* a weights mismatch lists many keys: the whole text is in the tooltip */
  gtk_label_set_lines (GTK_LABEL (error), 12);
  gtk_label_set_ellipsize (GTK_LABEL (error), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (error, "nd-knob-error");
  gtk_widget_set_visible (error, FALSE);
  if (label != NULL && title != NULL)
    gtk_grid_attach (self->knob_grid, label, 0, row, 1, 1);
  if (widget != NULL)
    gtk_grid_attach (self->knob_grid, widget, 1, row, 1, 1);
  gtk_grid_attach (self->knob_grid, error, 0, row + 1, 2, 1);
  self->error_labels[knob] = error;
  return widget;
}

static GtkWidget *
spin (NdWindow *self, double lo, double hi, double step, int digits)
{
  GtkWidget *w = gtk_spin_button_new_with_range (lo, hi, step);

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (w), digits);
  g_signal_connect (w, "value-changed", G_CALLBACK (spin_changed_cb), self);
  return w;
}

void
_nd_window_actions_init (NdWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions),
                                   self);
  g_signal_connect (self->model_dropdown, "notify::selected", G_CALLBACK (model_selected_cb),
                    self);
  g_signal_connect (self->backend_dropdown, "notify::selected",
                    G_CALLBACK (backend_selected_cb), self);
  g_signal_connect (self->graph_view, "block-selected", G_CALLBACK (block_selected_cb), self);

  self->streams_spin = add_knob (self, KNOB_STREAMS, _("Streams"), spin (self, 1, 3, 1, 0),
                                 _("Parallel streams (ParNet)"));
  self->width_spin = add_knob (self, KNOB_WIDTH, _("Width"), spin (self, 0.125, 4, 0.125, 3),
                               _("Multiplier on every stage width"));
  self->blocks_entry = add_knob (self, KNOB_BLOCKS, _("Blocks"), gtk_entry_new (),
                                 _("Blocks per stream or stage, e.g. 4,5,5; Enter applies; empty "
                                   "means the preset"));
  g_signal_connect (self->blocks_entry, "activate", G_CALLBACK (blocks_activate_cb), self);
  self->resolution_spin = add_knob (self, KNOB_RESOLUTION, _("Resolution"),
                                    spin (self, 16, 1024, 32, 0), _("Input side in pixels"));
  self->lambda_spin = add_knob (self, KNOB_LAMBDA, _("λ"), spin (self, 0, 1, 0.1, 2),
                                _("VanillaNet's deep-training slope (1: merge-ready)"));
  add_knob (self, KNOB_GENERAL, NULL, NULL, NULL);
  _nd_window_trained_init (self);
}
