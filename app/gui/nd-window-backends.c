/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nd-device.h"
#include "nd-window-private.h"

/* The backend drop-down: the CPU and, where there is a usable one, the Vulkan device the
 * backend would open, each by a short name with the full descriptions in the tooltip; without
 * Vulkan, the banner says why. The device layer describes them without opening a device, so
 * probing costs the main thread no vkCreateDevice. And the fp16
 * switch, which only a Vulkan device with 16-bit storage can honour. */

/* "Vulkan, llvmpipe (LLVM 15.0.6, 256 bits) (cpu), API …" → "Vulkan, llvmpipe": the header
 * bar has no room for the whole description. */
static char *
short_description (const NdDeviceInfo *device, const char *fallback)
{
  g_autofree char *text = NULL;
  char *cut;

  if (device == NULL || device->description == NULL)
    return g_strdup (fallback);
  text = g_strdup (device->description);
  if ((cut = strchr (text, '(')) != NULL)
    *cut = '\0';
  g_strchomp (text);
  while (*text != '\0' && text[strlen (text) - 1] == ',')
    text[strlen (text) - 1] = '\0';
  if (g_utf8_strlen (text, -1) > 32)
    {
      char *end = g_utf8_offset_to_pointer (text, 31);

      strcpy (end, "…");
    }
  return g_steal_pointer (&text);
}

/* "Streams on Devices" in the main menu (nondeep-cli --devices): one device; the first two
 * or three usable Vulkan devices, each stream on its own; two or three logical devices of the
 * preferred one, which shows what splitting costs on one GPU. */
static void
add_devices_menu (NdWindow *self, GPtrArray *devices, const NdDeviceInfo *vk)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  g_autofree char *vk_name = short_description (vk, "Vulkan");
  g_autoptr(GString) physical = g_string_new (NULL);
  int n_usable = 0;

  g_menu_append (menu, _("One Device"), "win.devices::");
  for (guint i = 0; i < devices->len && n_usable < 3; i++)
    {
      const NdDeviceInfo *d = g_ptr_array_index (devices, i);
      g_autofree char *action = NULL, *label = NULL;

      if (!d->usable)
        continue;
      g_string_append_printf (physical, "%s%d", n_usable++ ? "," : "", d->index);
      if (n_usable < 2)
        continue;
      /* translators: the streams of a ParNet each on its own Vulkan device, e.g. "Devices 0,1" */
      label = g_strdup_printf (_("Devices %s"), physical->str);
      action = g_strdup_printf ("win.devices::%s", physical->str);
      g_menu_append (menu, label, action);
    }
  for (int n = 2; n <= 3; n++)
    {
      g_autofree char *target = n == 2 ? g_strdup_printf ("%d,%d", vk->index, vk->index)
                                       : g_strdup_printf ("%d,%d,%d", vk->index, vk->index,
                                                          vk->index);
      g_autofree char *action = g_strdup_printf ("win.devices::%s", target);
      /* translators: ParNet's streams on N logical devices opened on one Vulkan device */
      g_autofree char *label = g_strdup_printf (_("%d Logical Devices of %s"), n, vk_name);

      g_menu_append (menu, label, action);
    }
  g_menu_append_submenu (section, _("Streams on _Devices"), G_MENU_MODEL (menu));
  {
    /* translators: time each convolution's kernel variants on this Vulkan device and keep
     * the fastest (nondeep-cli bench --tune); %s is the device's short name */
    g_autofree char *label = g_strdup_printf (_("_Tune Kernels on %s"), vk_name);

    g_menu_append (section, label, "win.tune-kernels");
  }
  g_menu_insert_section (self->primary_menu,
                         g_menu_model_get_n_items (G_MENU_MODEL (self->primary_menu)) - 1, NULL,
                         G_MENU_MODEL (section));
}

void
_nd_window_probe_backends (NdWindow *self)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdDeviceInfo) cpu = nd_device_describe_cpu ();
  g_autoptr(GPtrArray) devices = nd_device_list_vulkan (&error);
  NdDeviceInfo *vk = nd_device_find_preferred (devices, ND_DEVICE_KIND_VULKAN);
  g_autoptr(GString) tooltip = g_string_new (cpu->description);
  g_autofree char *cpu_name = short_description (cpu, _("CPU"));

  gtk_string_list_append (list, cpu_name);
  self->have_vulkan = vk != NULL;
  self->have_gpu = vk != NULL && vk->gpu;
  self->have_fp16 = vk != NULL && vk->fp16_storage;
  if (vk != NULL)
    {
      g_autofree char *vk_name = short_description (vk, "Vulkan");

      gtk_string_list_append (list, vk_name);
      g_string_append_printf (tooltip, "\n%s", vk->description);
    }
  else
    {
      const char *why = error != NULL ? error->message
                        : _("No Vulkan 1.1 device with a compute queue is available");
      g_autofree char *text = g_strdup_printf (_("Vulkan unavailable: running on the CPU (%s)"),
                                               why);

      _nd_window_show_banner (self, text);
    }
  if (vk != NULL)
    add_devices_menu (self, devices, vk);
  /* The full descriptions (device, memory, features) stay one hover away. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->backend_dropdown), tooltip->str);
  self->updating = TRUE;
  gtk_drop_down_set_model (self->backend_dropdown, G_LIST_MODEL (list));
  self->updating = FALSE;
}

/* The fp16 switch keeps its state on any backend but counts only on a Vulkan device with
 * 16-bit storage (the worker sends it nowhere else): elsewhere it is greyed out and says why. */
void
_nd_window_sync_fp16 (NdWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "fp16");
  gboolean usable = self->have_fp16 && g_strcmp0 (self->config.backend, "vulkan") == 0;

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), usable);
  gtk_widget_set_sensitive (self->fp16_box, usable);
  /* on the box: GTK shows an insensitive widget's tooltip, and this one explains it */
  gtk_widget_set_tooltip_text (self->fp16_box,
                               usable ? _("Store activations and weights as float16 (arithmetic "
                                          "stays fp32): half the memory traffic; a value beyond "
                                          "±65504 stops the run")
                                      : _("fp16 storage needs the Vulkan backend on a device "
                                          "with 16-bit storage"));
}

void
_nd_window_sync_devices (NdWindow *self, const NdModelSpec *spec)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "devices");
  gboolean vulkan = self->have_vulkan && g_strcmp0 (self->config.backend, "vulkan") == 0;

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action),
                               vulkan && spec->family == ND_FAMILY_PARNET);
  for (const char * const *name = (const char *[]) { "tune-kernels", "retune-kernels", NULL };
       *name != NULL; name++)
    g_simple_action_set_enabled (
      G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), *name)), vulkan);
}

/* The model as it is, rebuilt once with `tune` (nd-vk-tune.c): the convolutions this device
 * has no verdict for are timed in each kernel variant, the live runs paused, and the verdicts
 * kept for every later plan, the CLI's too. Not a knob: nothing to undo, and the next
 * request goes without it (a knob turned meanwhile stops the tuning). win.retune-kernels
 * (Tune Again, on the notice that there was nothing to tune) times those with verdicts too. */
void
_nd_window_tune_kernels_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  NdWindow *self = data;
  NdInferenceConfig config = self->config;   /* shallow: set_config copies it */

  if (g_strcmp0 (self->config.backend, "vulkan") != 0)
    return;
  config.tune = TRUE;
  config.retune = g_str_equal (g_action_get_name (G_ACTION (action)), "retune-kernels");
  self->generation = nd_inference_set_config (self->inference, &config);
  _nd_window_notices_tune (self, self->generation);
  _nd_window_sync_busy (self);
}
