/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* One camera as GStreamer's device monitor sees it (class "Video/Source"). */
typedef struct
{
  int        index;          /* position in the list, what --device N selects */
  char      *name;           /* display name, e.g. "Integrated Camera: Integrated C" */
  char      *path;           /* /dev/videoN when known (v4l2 or PipeWire's api.v4l2.path) */
  char      *provider;       /* "v4l2", "pipewire", "libcamera", … from device.api */
  GstDevice *device;         /* ref; give it to NdCaptureSource.gst_device */
} NdCamera;

void       nd_camera_free          (NdCamera *camera);

/* The cameras present now, in the monitor's order; IR-only sensors are kept but named as the
 * system names them. An empty array when there are none; FALSE-like NULL + error only when
 * GStreamer itself cannot start. Element type NdCamera, freed with the array. */
GPtrArray *nd_devices_list_cameras (GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdCamera, nd_camera_free)

G_END_DECLS
