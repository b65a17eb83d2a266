/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-capture.h"
#include "nd-devices.h"

void
nd_camera_free (NdCamera *camera)
{
  if (camera == NULL)
    return;
  g_free (camera->name);
  g_free (camera->path);
  g_free (camera->provider);
  g_clear_object (&camera->device);
  g_free (camera);
}

static char *
dup_prop (const GstStructure *props, const char *const *keys)
{
  for (int i = 0; props != NULL && keys[i] != NULL; i++)
    {
      const char *v = gst_structure_get_string (props, keys[i]);

      if (v != NULL && *v != '\0')
        return g_strdup (v);
    }
  return NULL;
}

GPtrArray *
nd_devices_list_cameras (GError **error)
{
  static const char *const path_keys[] = { "device.path", "api.v4l2.path", "object.path", NULL };
  static const char *const api_keys[] = { "device.api", NULL };
  g_autoptr(GstDeviceMonitor) monitor = NULL;
  GPtrArray *cameras;
  GList *devices;

  if (!nd_capture_init (error))
    return NULL;

  cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_camera_free);
  monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  /* Starting fails only when no provider can run (e.g. a sandbox without /dev): no cameras. */
  if (!gst_device_monitor_start (monitor))
    return cameras;
  devices = gst_device_monitor_get_devices (monitor);
  gst_device_monitor_stop (monitor);

  for (GList *l = devices; l != NULL; l = l->next)
    {
      GstDevice *dev = l->data;
      g_autoptr(GstStructure) props = gst_device_get_properties (dev);
      NdCamera *cam = g_new0 (NdCamera, 1);

      cam->index = (int) cameras->len;
      cam->name = gst_device_get_display_name (dev);
      cam->path = dup_prop (props, path_keys);
      cam->provider = dup_prop (props, api_keys);
      cam->device = g_object_ref (dev);
      g_ptr_array_add (cameras, cam);
    }
  g_list_free_full (devices, gst_object_unref);
  return cameras;
}
