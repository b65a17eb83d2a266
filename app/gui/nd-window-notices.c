/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-window-private.h"

/* What the window says about its own state: a spinner and dimmed views while a requested
 * model is being built (the old one keeps serving) or its kernels tuned, a one-line notice
 * with Undo when a knob turned on trained weights could keep only part of them or none (the
 * loader's message goes to a Details expander, never to the knob panel), and one with what
 * a kernel tuning did. */

struct _NdWindowNotices
{
  GtkWidget          *spinner;
  GtkWidget          *details;         /* GtkExpander under the knobs */
  GtkWidget          *details_label;
  AdwToastOverlay    *overlay;
  AdwToast           *toast;           /* the newest, while shown */
  char               *toast_text;
  const char         *toast_action;    /* … the action of its button other than Undo */
  guint64             settled;         /* newest generation that built or failed */
  NdWeightsStatus     status;          /* of the newest model built */
  NdInferenceConfig   requested;       /* the config of the newest request */
  NdInferenceConfig   undo;            /* … and of the one before it */
  char               *undo_note;
  char               *requested_note;
  guint64             tune_generation; /* the newest Tune Kernels request */
  guint               tune_timer;      /* refreshes the tuning's progress while it runs */
};

static void
notices_free (NdWindowNotices *n)
{
  g_clear_handle_id (&n->tune_timer, g_source_remove);
  nd_inference_config_clear (&n->requested);
  nd_inference_config_clear (&n->undo);
  g_free (n->undo_note);
  g_free (n->requested_note);
  g_free (n->toast_text);
  g_free (n);
}

gboolean
_nd_window_is_busy (NdWindow *self)
{
  return self->notices != NULL && self->notices->settled < self->generation;
}

/* While kernels are tuned: how far, in the header and the latency line (a tuning takes a
 * minute on lavapipe for a small model, more for a large one). */
static void
show_tuning (NdWindow *self)
{
  int done = 0, total = 0;
  g_autofree char *text = NULL;

  if (nd_inference_get_tune_progress (self->inference, &done, &total) && total > 0)
    /* translators: kernel tuning under way: variants timed so far, of all */
    text = g_strdup_printf (_("Tuning the kernels on this device: %d of %d variants timed; "
                              "the live view waits…"), done, total);
  else
    text = g_strdup (_("Tuning the kernels on this device; the live view waits…"));
  gtk_label_set_text (self->model_info, text);
  nd_latency_panel_set_busy_text (self->latency_panel, text);
}

static gboolean
tune_timer_cb (gpointer data)
{
  NdWindow *self = data;
  NdWindowNotices *n = self->notices;

  if (!_nd_window_is_busy (self) || n->tune_generation != self->generation)
    {
      n->tune_timer = 0;
      return G_SOURCE_REMOVE;
    }
  show_tuning (self);
  return G_SOURCE_CONTINUE;
}

/* Called with every new request and every arrival: spinner and dimming follow. */
void
_nd_window_sync_busy (NdWindow *self)
{
  NdWindowNotices *n = self->notices;
  gboolean busy = _nd_window_is_busy (self);
  GtkWidget *dimmed[] = { GTK_WIDGET (self->graph_view), GTK_WIDGET (self->inspector),
                          GTK_WIDGET (self->latency_panel), GTK_WIDGET (self->model_info) };

  if (n == NULL)
    return;
  gtk_widget_set_visible (n->spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (n->spinner), busy);
  for (guint i = 0; i < G_N_ELEMENTS (dimmed); i++)
    gtk_widget_set_opacity (dimmed[i], busy ? 0.45 : 1.0);
  if (busy && n->tune_generation == self->generation)
    show_tuning (self);
  else if (busy)
    {
      /* No number of the model being replaced stays in the header. */
      gtk_label_set_text (self->model_info, _("Building the model…"));
      nd_latency_panel_set_busy (self->latency_panel, TRUE);
    }
}

/* A request is being made from self->config: the one before it is what Undo restores. */
void
_nd_window_notices_request (NdWindow *self)
{
  NdWindowNotices *n = self->notices;

  if (n == NULL)
    return;
  nd_inference_config_copy (&n->undo, &n->requested);
  nd_inference_config_copy (&n->requested, &self->config);
  g_free (n->undo_note);
  n->undo_note = g_strdup (n->requested_note);
  g_free (n->requested_note);
  n->requested_note = g_strdup (self->weights_note);
}

static void
undo_cb (AdwToast *toast, NdWindow *self)
{
  NdWindowNotices *n = self->notices;

  if (n == NULL || n->undo.model[0] == '\0')
    return;
  nd_inference_config_copy (&self->config, &n->undo);
  g_free (self->weights_note);
  self->weights_note = g_strdup (n->undo_note);
  gtk_widget_set_visible (n->details, FALSE);
  _nd_window_set_state (self, "model", g_variant_new_string (self->config.model));
  _nd_window_set_weights_title (self, self->config.weights_path);
  _nd_window_sync_widgets (self);
  _nd_window_rebuild (self, KNOB_GENERAL);
}

static void
toast_dismissed_cb (AdwToast *toast, NdWindow *self)
{
  if (self->notices != NULL && self->notices->toast == toast)
    {
      self->notices->toast = NULL;
      self->notices->toast_action = NULL;
      g_clear_pointer (&self->notices->toast_text, g_free);
    }
}

typedef enum
{
  BUTTON_NONE,
  BUTTON_UNDO,         /* the knob request before the newest is restored */
  BUTTON_TUNE_AGAIN,   /* win.retune-kernels */
} NoticeButton;

static void
notify_full (NdWindow *self, const char *text, const char *detail, NoticeButton button)
{
  NdWindowNotices *n = self->notices;
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 10);
  if (button == BUTTON_UNDO)
    {
      adw_toast_set_button_label (toast, _("Undo"));
      g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_cb), self, 0);
    }
  else if (button == BUTTON_TUNE_AGAIN)
    {
      adw_toast_set_button_label (toast, _("Tune Again"));
      adw_toast_set_action_name (toast, "win.retune-kernels");
    }
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (toast_dismissed_cb), self, 0);
  if (n->toast != NULL)
    adw_toast_dismiss (n->toast);
  n->toast = toast;
  n->toast_action = adw_toast_get_action_name (toast);
  g_free (n->toast_text);
  n->toast_text = g_strdup (text);
  adw_toast_overlay_add_toast (n->overlay, toast);
  gtk_label_set_text (GTK_LABEL (n->details_label), detail ? detail : "");
  gtk_widget_set_visible (n->details, detail != NULL);
}

static void
notify (NdWindow *self, const char *text, const char *detail)
{
  notify_full (self, text, detail, BUTTON_UNDO);
}

void
_nd_window_notices_tune (NdWindow *self, guint64 generation)
{
  NdWindowNotices *n = self->notices;

  if (n == NULL)
    return;
  n->tune_generation = generation;
  if (n->tune_timer == 0)
    n->tune_timer = g_timeout_add (500, tune_timer_cb, self);
}

/* What a Tune Kernels build did, in NdPlan.kernels' terms (`bench --tune` prints the same:
 * kernels, tuned_ops, tune_ms). */
static char *
tune_text (const NdInferenceResult *r)
{
  if (g_strcmp0 (r->kernels, "tuned") == 0 && r->tuned_ops > 0)
    /* translators: kernel tuning: seconds it took, then how many convolutions now run
     * another kernel variant than the built-in rules chose */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Kernels tuned in %.0f s: %d convolution runs a "
                                         "faster variant, here and in later plans",
                                         "Kernels tuned in %.0f s: %d convolutions run "
                                         "faster variants, here and in later plans",
                                         r->tuned_ops),
                            r->tune_ms / 1000.0, r->tuned_ops);
  if (g_strcmp0 (r->kernels, "tuned") == 0)
    return g_strdup_printf (_("Kernels tuned in %.0f s: the built-in choices were the "
                              "fastest on this device"), r->tune_ms / 1000.0);
  if (g_strcmp0 (r->kernels, "tuned earlier") == 0)
    return g_strdup (_("Nothing to tune: this device has a verdict for every convolution "
                       "of this model"));
  if (g_strcmp0 (r->kernels, "forced") == 0)
    return g_strdup (_("Not tuned: ND_VK_TILE, ND_VK_WINOGRAD or ND_VK_MIN_GROUPS chooses "
                       "the kernels"));
  if (r->n_devices > 0)
    return g_strdup (_("Not tuned: a model split over devices keeps the built-in kernels"));
  if (r->kernels != NULL)
    return g_strdup (_("Not tuned: ND_VK_TUNE=0 turns tuning off, or the model has no "
                       "convolution"));
  return g_strdup (_("Not tuned: kernels are tuned on the Vulkan backend only"));
}

void
_nd_window_notices_result (NdWindow *self, NdInferenceResult *r)
{
  NdWindowNotices *n = self->notices;

  if (n == NULL || !r->rebuilt || r->generation < n->settled)
    return;
  /* a knob turned while tuning stopped it (nd_inference_set_config cancels the build) */
  if (n->tune_generation > n->settled && r->generation > n->tune_generation)
    notify_full (self, _("Kernel tuning stopped: the model changed before it finished; "
                         "nothing was remembered"), NULL, BUTTON_NONE);
  n->settled = r->generation;
  _nd_window_sync_busy (self);
  if (r->generation == n->tune_generation)
    {
      g_autofree char *text = tune_text (r);

      /* every shape known: the verdicts may be timed again (they follow the device's load) */
      notify_full (self, text, NULL, g_strcmp0 (r->kernels, "tuned earlier") == 0
                                     ? BUTTON_TUNE_AGAIN : BUTTON_NONE);
    }
  if (r->generation != self->generation || r->weights_status == n->status)
    return;
  n->status = r->weights_status;
  if (r->weights_status == ND_WEIGHTS_RANDOM && self->config.weights_path != NULL)
    {
      /* From now on this is a random model of the new shape: nothing to reload. */
      g_clear_pointer (&self->config.weights_path, g_free);
      g_clear_pointer (&self->config.weights_entry, g_free);
      g_clear_pointer (&self->weights_note, g_free);
      _nd_window_set_weights_title (self, NULL);
      _nd_window_entries_set (self, NULL, NULL);
      notify (self, _("The trained weights do not fit this shape: random weights now"),
              r->weights_detail);
    }
  else if (r->weights_status == ND_WEIGHTS_SUBSET)
    notify (self, _("Kept the trained weights this shape still takes; the rest are unused"),
            r->weights_detail);
  else if (r->weights_status == ND_WEIGHTS_LOADED)
    gtk_widget_set_visible (n->details, FALSE);
}

void
_nd_window_notices_error (NdWindow *self, guint64 generation)
{
  NdWindowNotices *n = self->notices;

  if (n == NULL || generation < n->settled)
    return;
  n->settled = generation;
  _nd_window_sync_busy (self);
  /* the serving model's numbers again */
  if (self->result != NULL)
    nd_latency_panel_add_result (self->latency_panel, self->result);
}

static GtkWidget *
find_header_bar (GtkWidget *widget)
{
  if (ADW_IS_HEADER_BAR (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_header_bar (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

void
_nd_window_notices_init (NdWindow *self)
{
  NdWindowNotices *n = g_new0 (NdWindowNotices, 1);
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (self));
  GtkWidget *header = find_header_bar (content);

  self->notices = n;
  /* Toasts over the whole window: the template's content goes into an overlay. */
  g_object_ref (content);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), NULL);
  n->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (n->overlay, content);
  g_object_unref (content);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), GTK_WIDGET (n->overlay));

  n->spinner = gtk_spinner_new ();
  gtk_widget_set_tooltip_text (n->spinner, _("Building the model; the previous one keeps "
                                             "running until it is ready"));
  gtk_widget_set_visible (n->spinner, FALSE);
  if (header != NULL)
    adw_header_bar_pack_end (ADW_HEADER_BAR (header), n->spinner);

  n->details_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (n->details_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (n->details_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (n->details_label), 30);
  gtk_label_set_xalign (GTK_LABEL (n->details_label), 0);
  gtk_label_set_selectable (GTK_LABEL (n->details_label), TRUE);
  n->details = gtk_expander_new (_("Details"));
  gtk_expander_set_child (GTK_EXPANDER (n->details), n->details_label);
  gtk_widget_set_visible (n->details, FALSE);
  gtk_grid_attach (self->knob_grid, n->details, 0, N_KNOBS * 2, 2, 1);
}

void
_nd_window_notices_free (NdWindow *self)
{
  g_clear_pointer (&self->notices, notices_free);
}

const char *
nd_window_get_toast (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return self->notices != NULL ? self->notices->toast_text : NULL;
}

const char *
nd_window_get_toast_action (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return self->notices != NULL ? self->notices->toast_action : NULL;
}

const char *
nd_window_get_details (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  if (self->notices == NULL || !gtk_widget_get_visible (self->notices->details))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (self->notices->details_label));
}

gboolean
nd_window_get_busy (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), FALSE);
  return _nd_window_is_busy (self);
}

/* Drives the toast's Undo as a click would (tests). */
void
nd_window_undo_notice (NdWindow *self)
{
  g_return_if_fail (ND_IS_WINDOW (self));
  if (self->notices != NULL && self->notices->toast != NULL)
    undo_cb (self->notices->toast, self);
}
