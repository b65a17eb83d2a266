/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "nd-inference.h"

G_BEGIN_DECLS

#define ND_TYPE_WINDOW (nd_window_get_type ())
G_DECLARE_FINAL_TYPE (NdWindow, nd_window, ND, WINDOW, AdwApplicationWindow)

/* Start-up choices from the command line; NULL / 0 fields keep the saved or preset value. */
typedef struct
{
  const char *model;
  int         streams;
  double      width;
  const char *blocks;
  int         resolution;
  double      lambda;       /* < 0: unset */
  gboolean    fused;
  gboolean    fused_set;
  gboolean    fp16;        /* --fp16: on (used where the backend allows it) */
  const char *devices;      /* --devices A,B[,C]: ParNet's streams on these Vulkan devices */
  const char *backend;
  const char *weights;
  const char *image;
  const char *select;
  const char *view;         /* "inspector" or "latency" */
  const char *screenshot;   /* save a PNG after the first inference and close */
  const char *camera;       /* start the camera on this source (see nd-camera-controller.h) */
  int         classes;      /* 0: the preset's */
  double      measure;      /* > 0: run this many seconds, print one JSON object, close */
  const char *explain;      /* win.explain's start state: off, gradcam or grad */
} NdWindowOptions;

NdWindow          *nd_window_new              (AdwApplication        *app,
                                               const NdWindowOptions *options);
/* For tests and the screenshot: the latest result (transfer none), its count, the inference
 * object, the message shown next to a knob (NULL if none), and the last knob → result time. */
NdInferenceResult *nd_window_get_result       (NdWindow   *self);
guint64            nd_window_get_n_results    (NdWindow   *self);
NdInference       *nd_window_get_inference    (NdWindow   *self);
/* The main menu (transfer none): its items are the window's actions. */
GMenu             *nd_window_get_primary_menu (NdWindow   *self);
const char        *nd_window_get_knob_error   (NdWindow   *self,
                                               const char *knob);
double             nd_window_get_knob_latency (NdWindow   *self);
int                nd_window_get_n_history    (NdWindow   *self);
/* The camera (nd-window-camera.c): running (or starting); camera frames classified since it
 * started; the frame-rate line under the preview (NULL when hidden); re-lists the cameras
 * into the chooser and returns how many. */
gboolean           nd_window_get_camera_running (NdWindow *self);
guint64            nd_window_get_camera_frames  (NdWindow *self);
const char        *nd_window_get_camera_status  (NdWindow *self);
guint              nd_window_list_cameras       (NdWindow *self);
/* The camera's source instead of ND_CAMERA_SOURCE, as `nondeep --camera SOURCE` gives it:
 * auto, test-pattern[:PATTERN[:FRAMES]], /dev/videoN or none. Used at the next start. */
void               nd_window_set_camera_source  (NdWindow   *self,
                                                 const char *source);
/* The banner's message while it is shown, else NULL; the preview; the serial
 * (nd_inference_set_image) of the newest input, still or camera frame. */
const char        *nd_window_get_banner         (NdWindow *self);
GdkPaintable      *nd_window_get_preview        (NdWindow *self);
guint64            nd_window_get_input_serial   (NdWindow *self);
/* What Open Weights does with the chosen file (the dialog calls it, so can a test): reads a
 * safetensors file or a PyTorch checkpoint (training or deploy form), switches model, knobs,
 * labels and input transform to what it holds and rebuilds. A file that cannot be read or
 * whose model cannot be told fails here; one whose model then fails to build is undone when
 * the error arrives. Either way the current model stays. */
gboolean           nd_window_open_weights     (NdWindow   *self,
                                               const char *path,
                                               GError    **error);
/* The same with the state dict @entry of a checkpoint (NULL: the loader's default). */
gboolean           nd_window_open_weights_entry (NdWindow   *self,
                                                 const char *path,
                                                 const char *entry,
                                                 GError    **error);
/* The state dicts of the open checkpoint and the one in use (NULL without a weights file),
 * and whether the chooser is shown (several of them). */
const char * const *nd_window_get_weights_entries (NdWindow *self);
const char        *nd_window_get_weights_entry  (NdWindow   *self);
gboolean           nd_window_get_entry_chooser_visible (NdWindow *self);
/* The class name shown for class @index (the whole line, synonyms included), or NULL. */
const char        *nd_window_get_label        (NdWindow   *self,
                                               int         index);
/* The median warm latency shown (ms) and its spread, NAN before a warm run; the largest
 * relative fused-vs-unfused block difference shown, NAN while not measured. */
double             nd_window_get_latency_median (NdWindow *self,
                                                 double   *spread);
double             nd_window_get_fused_max_rel  (NdWindow *self);
/* Whether a newer model than the one shown is being built (spinner on, views dimmed). */
gboolean           nd_window_get_busy           (NdWindow *self);
/* The text of the newest toast (knob notices) while shown, or NULL; the action of its button
 * when that is no Undo ("win.retune-kernels"), or NULL; the Details expander's text while it
 * is shown, or NULL; the toast's Undo, as a click. */
const char        *nd_window_get_toast          (NdWindow *self);
const char        *nd_window_get_toast_action   (NdWindow *self);
const char        *nd_window_get_details        (NdWindow *self);
void               nd_window_undo_notice        (NdWindow *self);
/* Resident memory of this process in MB (/proc/self/statm). */
double             nd_window_get_rss_mb         (void);
/* Renders the window to a PNG (gtk_widget_snapshot → GskRenderer → PNG). */
gboolean           nd_window_save_screenshot  (NdWindow   *self,
                                               const char *path,
                                               GError    **error);

/* Shows @block of preset @model in the graph (the Compare window's roofline click): selected
 * at once when the window shows @model, else after it switches to it. */
void               nd_window_show_block         (NdWindow   *self,
                                                 const char *model,
                                                 const char *block);

G_END_DECLS
