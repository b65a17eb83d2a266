/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-window-private.h"

/* What the window shows, read back: for tests, the screenshot and measure modes. */

static const char * const knob_names[] = {
  "streams", "width", "blocks", "resolution", "lambda", "general",
};

NdInferenceResult *
nd_window_get_result (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return self->result;
}

guint64
nd_window_get_n_results (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), 0);
  return self->n_results;
}

const char *
nd_window_get_banner (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return _nd_window_get_banner_text (self);
}

GdkPaintable *
nd_window_get_preview (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return nd_input_panel_get_preview (self->input_panel);
}

guint64
nd_window_get_input_serial (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), 0);
  return nd_inference_get_image_serial (self->inference);
}

NdInference *
nd_window_get_inference (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return self->inference;
}

const char *
nd_window_get_knob_error (NdWindow *self, const char *knob)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  for (int k = 0; k < N_KNOBS; k++)
    if (g_strcmp0 (knob_names[k], knob) == 0 && gtk_widget_get_visible (self->error_labels[k]))
      return gtk_label_get_text (GTK_LABEL (self->error_labels[k]));
  return NULL;
}

const char *
nd_window_get_label (NdWindow *self, int index)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  if (self->labels == NULL || index < 0 || index >= (int) g_strv_length (self->labels))
    return NULL;
  return self->labels[index];
}

double
nd_window_get_knob_latency (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), -1);
  return self->result ? self->result->knob_to_result_ms : -1;
}

int
nd_window_get_n_history (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), 0);
  return nd_latency_panel_get_n_history (self->latency_panel);
}

