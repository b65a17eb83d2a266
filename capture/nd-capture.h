/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gst/gst.h>

#include "nd-frame.h"

G_BEGIN_DECLS

/* A GStreamer source delivering RGBA frames, newest frame wins:
 *   <source> ! [decodebin !] videoconvert ! videoscale ! video/x-raw,format=RGBA
 *            ! appsink max-buffers=1 drop=true sync=false
 * Every sample is taken off the appsink at once; the capture keeps only the latest unread
 * frame and counts the ones it replaced as dropped. Errors and end-of-stream come from a bus
 * sync handler, so no main loop is needed (CLI, tests, worker threads). */

typedef enum
{
  ND_CAPTURE_SOURCE_CAMERA,        /* @gst_device, else v4l2src device=@device (/dev/video0) */
  ND_CAPTURE_SOURCE_PIPEWIRE,      /* pipewiresrc [fd=@pipewire_fd] [target-object=@device] */
  ND_CAPTURE_SOURCE_TEST_PATTERN,  /* videotestsrc is-live=true pattern=@pattern */
  ND_CAPTURE_SOURCE_FILE,          /* filesrc location=@path ! decodebin [! imagefreeze] */
  ND_CAPTURE_SOURCE_PIPELINE,      /* @pipeline: gst-launch syntax whose last element has a
                                    * raw video src pad (end caps with capsfilter caps="…") */
} NdCaptureSourceKind;

typedef struct
{
  NdCaptureSourceKind kind;
  const char *device;          /* CAMERA: /dev/videoN; PIPEWIRE: target object (serial/name) */
  GstDevice  *gst_device;      /* CAMERA: a device from nd_devices_list (), wins over @device */
  int         pipewire_fd;     /* PIPEWIRE: fd from the camera portal, or -1 */
  const char *pattern;         /* TEST_PATTERN: videotestsrc nick (smpte, ball, snow, …) */
  const char *path;            /* FILE */
  gboolean    still;           /* FILE: an image, repeated by imagefreeze (auto: by type) */
  const char *pipeline;        /* PIPELINE */
  int         width, height;   /* requested size (0: the source's) */
  int         fps;             /* TEST_PATTERN / still: frame rate (0: 30) */
  int         num_buffers;     /* TEST_PATTERN / still: end of stream after N (0: endless) */
} NdCaptureSource;

typedef struct _NdCapture NdCapture;

/* Called on a GStreamer streaming thread: keep them short, marshal to the main loop
 * (g_idle_add / g_main_context_invoke) for UI work. The frame is borrowed (ref it to keep). */
typedef struct
{
  void (*frame) (NdCapture *capture, NdFrame *frame, gpointer user_data);
  void (*error) (NdCapture *capture, const GError *error, gpointer user_data);
  void (*eos)   (NdCapture *capture, gpointer user_data);
} NdCaptureCallbacks;

/* gst_init_check () once; FALSE with an error when GStreamer cannot start. */
gboolean    nd_capture_init           (GError **error);
/* TRUE if the GStreamer element factory @name is installed (e.g. "pipewiresrc"). */
gboolean    nd_capture_have_element   (const char *name);

/* Builds the pipeline (not started). Fails with a clear message when an element is missing,
 * the file does not exist or the pattern is unknown. */
NdCapture  *nd_capture_new            (const NdCaptureSource *source,
                                       GError               **error);
void        nd_capture_free           (NdCapture *capture);
/* A short description for logs and UI, e.g. "camera /dev/video0", "test pattern ball". */
const char *nd_capture_get_description (NdCapture *capture);

/* Before start: @callbacks is copied; @notify frees @user_data with the capture. */
void        nd_capture_set_callbacks  (NdCapture                *capture,
                                       const NdCaptureCallbacks *callbacks,
                                       gpointer                  user_data,
                                       GDestroyNotify            notify);
/* Sets the pipeline playing. Waits at most @timeout_ms for it to start (or fail): an absent
 * or busy camera is reported here. */
gboolean    nd_capture_start          (NdCapture *capture,
                                       int        timeout_ms,
                                       GError   **error);
/* Stops the pipeline (blocks until its threads are done). Safe to call twice. */
void        nd_capture_stop           (NdCapture *capture);

/* Waits up to @timeout_ms for a frame newer than the last one pulled. TRUE with *@frame set,
 * TRUE with *@frame NULL at end of stream, FALSE with @error on a pipeline error or a
 * timeout (ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE). */
gboolean    nd_capture_pull_frame     (NdCapture *capture,
                                       int        timeout_ms,
                                       NdFrame  **frame,
                                       GError   **error);

/* Frames received, and frames replaced before anyone pulled them. */
guint64     nd_capture_get_received   (NdCapture *capture);
guint64     nd_capture_get_dropped    (NdCapture *capture);
gboolean    nd_capture_is_eos         (NdCapture *capture);
/* The first pipeline error, if any (transfer full). */
GError     *nd_capture_dup_error      (NdCapture *capture);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdCapture, nd_capture_free)

G_END_DECLS
