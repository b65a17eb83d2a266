/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-window-private.h"

/* What the window shows, read back: for tests, the screenshot and measure modes. */

/* The configuration the window remembers, one GSettings key per field. "model" and "backend"
 * are read back with checks (a preset that exists, a Vulkan device that is there) in
 * nd_window_new(); the knobs as they are. Saved only for a configuration that built, so
 * these are not g_settings_bind()ings, which would write every turn of a knob at once. */
typedef enum { SETTING_STRING, SETTING_BOOLEAN, SETTING_INT, SETTING_DOUBLE } SettingType;

#define FIELD(f) G_STRUCT_OFFSET (NdInferenceConfig, f), sizeof (((NdInferenceConfig *) 0)->f)

static const struct
{
  const char *key;
  SettingType type;
  gsize       offset, size;
  gboolean    knob;   /* read back as it is */
} config_settings[] = {
  { "model", SETTING_STRING, FIELD (model), FALSE },
  { "backend", SETTING_STRING, FIELD (backend), FALSE },
  { "fused", SETTING_BOOLEAN, FIELD (fused), TRUE },
  { "fp16", SETTING_BOOLEAN, FIELD (fp16), TRUE },
  { "devices", SETTING_STRING, FIELD (devices), TRUE },
  { "streams", SETTING_INT, FIELD (streams), TRUE },
  { "width", SETTING_DOUBLE, FIELD (width), TRUE },
  { "blocks", SETTING_STRING, FIELD (blocks), TRUE },
  { "resolution", SETTING_INT, FIELD (resolution), TRUE },
  { "lambda", SETTING_DOUBLE, FIELD (lambda), TRUE },
};

#undef FIELD

void
_nd_window_settings_save (NdWindow *self)
{
  if (self->settings == NULL)
    return;
  g_settings_delay (self->settings);
  for (guint i = 0; i < G_N_ELEMENTS (config_settings); i++)
    {
      gpointer field = G_STRUCT_MEMBER_P (&self->config, config_settings[i].offset);
      const char *key = config_settings[i].key;

      switch (config_settings[i].type)
        {
        case SETTING_STRING:
          g_settings_set_string (self->settings, key, field);
          break;
        case SETTING_BOOLEAN:
          g_settings_set_boolean (self->settings, key, *(gboolean *) field);
          break;
        case SETTING_INT:
          g_settings_set_int (self->settings, key, *(int *) field);
          break;
        case SETTING_DOUBLE:
          g_settings_set_double (self->settings, key, *(double *) field);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  g_settings_apply (self->settings);
}

void
_nd_window_settings_load_knobs (NdWindow *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_settings); i++)
    {
      gpointer field = G_STRUCT_MEMBER_P (&self->config, config_settings[i].offset);
      const char *key = config_settings[i].key;

      if (!config_settings[i].knob)
        continue;
      switch (config_settings[i].type)
        {
        case SETTING_STRING:
          {
            g_autofree char *v = g_settings_get_string (self->settings, key);

            g_strlcpy (field, v, config_settings[i].size);
          }
          break;
        case SETTING_BOOLEAN:
          *(gboolean *) field = g_settings_get_boolean (self->settings, key);
          break;
        case SETTING_INT:
          *(int *) field = g_settings_get_int (self->settings, key);
          break;
        case SETTING_DOUBLE:
          *(double *) field = g_settings_get_double (self->settings, key);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

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

GMenu *
nd_window_get_primary_menu (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return self->primary_menu;
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

