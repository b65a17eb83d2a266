/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "nd-frame.h"

G_BEGIN_DECLS

/* The window's camera: lists the cameras, opens one off the main thread, and hands its frames
 * to the main context newest-first — one slot, never a queue: frames that arrive before the
 * main loop took the previous one replace it.
 *
 * The source is a spec string, so tests and screenshots need no camera:
 *   NULL, "" or "auto"               the cameras GStreamer's device monitor finds
 *   "test-pattern[:PATTERN[:FRAMES]]" videotestsrc (default ball); with FRAMES it ends after
 *                                    that many, as an unplugged camera would
 *   "/dev/videoN"                    v4l2src on that device node (absent: the error path)
 *   "none"                           no camera at all
 * nd_camera_controller_new (NULL) reads the spec from the environment variable
 * ND_CAMERA_SOURCE each time it lists or starts. */

#define ND_TYPE_CAMERA_CONTROLLER (nd_camera_controller_get_type ())
G_DECLARE_FINAL_TYPE (NdCameraController, nd_camera_controller, ND, CAMERA_CONTROLLER, GObject)

/* Signals, on the main context the controller was made on:
 *   "started" ()                    the pipeline plays (frames may already have come)
 *   "frame" (NdFrame *)             the newest frame (borrowed; ref it to keep)
 *   "failed" (const char *message)  could not start, or an error or end of stream; the
 *                                   controller has stopped itself before emitting it */
NdCameraController *nd_camera_controller_new        (const char *spec);
/* Replaces the spec (NULL: ND_CAMERA_SOURCE again); takes effect at the next list or start. */
void         nd_camera_controller_set_spec         (NdCameraController *self,
                                                    const char         *spec);
/* Lists the cameras now present (or the one the spec names); their display names, in the order
 * start () takes. NULL with @error when the spec is not understood or GStreamer cannot start. */
GStrv        nd_camera_controller_list             (NdCameraController *self,
                                                    GError            **error);
/* Starts camera @index of the last list (listing first if there is none). Returns at once;
 * "started" or "failed" follows. A running camera is stopped first. */
void         nd_camera_controller_start            (NdCameraController *self,
                                                    guint               index);
/* Stops and releases the camera; no signal follows. Safe when not running. */
void         nd_camera_controller_stop             (NdCameraController *self);
/* Starting or running. */
gboolean     nd_camera_controller_is_active        (NdCameraController *self);
/* What runs, e.g. "test pattern ball", "Integrated Camera"; NULL when stopped. */
const char  *nd_camera_controller_get_description  (NdCameraController *self);
/* Called on a GStreamer thread with every frame as it arrives (before, and independent of,
 * the "frame" signal), so a consumer such as NdInference gets frames even while the main
 * loop is busy drawing. @sink must be thread-safe; it is never called after stop () returns.
 * NULL removes it; @destroy frees @data when replaced or with the controller. */
typedef void (*NdCameraFrameSink) (NdFrame *frame,
                                   gpointer data);
void         nd_camera_controller_set_frame_sink   (NdCameraController *self,
                                                    NdCameraFrameSink   sink,
                                                    gpointer            data,
                                                    GDestroyNotify      destroy);
/* Frames the camera delivered since start (including the ones replaced before they were
 * shown): the camera's own rate, not the display's. */
guint64      nd_camera_controller_get_n_received   (NdCameraController *self);

G_END_DECLS
