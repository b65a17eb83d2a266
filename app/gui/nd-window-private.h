/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph-view.h"
#include "nd-image.h"
#include "nd-input-panel.h"
#include "nd-inspector.h"
#include "nd-latency-panel.h"
#include "nd-window.h"

G_BEGIN_DECLS

/* Shared by nd-window.c (construction, results, input) and nd-window-actions.c (actions,
 * knobs, weights). */
typedef enum
{
  KNOB_STREAMS,
  KNOB_WIDTH,
  KNOB_BLOCKS,
  KNOB_RESOLUTION,
  KNOB_LAMBDA,
  KNOB_GENERAL,    /* model, backend, fused, weights: shown under the knobs */
  N_KNOBS
} NdKnob;

typedef struct _NdWindowCamera NdWindowCamera;
typedef struct _NdWindowMeasure NdWindowMeasure;
typedef struct _NdWindowNotices NdWindowNotices;


struct _NdWindow
{
  AdwApplicationWindow parent_instance;

  GtkDropDown        *model_dropdown;
  GtkDropDown        *backend_dropdown;
  GtkWidget          *fp16_box;       /* the fp16 label and switch */
  GtkRevealer        *banner_revealer;
  GtkLabel           *banner_label;
  GtkGrid            *knob_grid;
  GtkLabel           *model_info;
  NdInputPanel       *input_panel;
  NdGraphView        *graph_view;
  NdInspector        *inspector;
  NdLatencyPanel     *latency_panel;
  GtkStack           *view_stack;
  GMenu              *primary_menu;

  GtkWidget          *streams_spin, *width_spin, *blocks_entry, *resolution_spin, *lambda_spin;
  GtkWidget          *error_labels[N_KNOBS];

  NdInference        *inference;
  NdInferenceConfig   config;
  guint64             generation;
  char               *pending_select;     /* a block to select once @pending_generation shows */
  guint64             pending_generation;
  NdKnob              last_knob;
  NdInferenceResult  *result;
  guint64             n_results;
  GSettings          *settings;
  NdImage             image;          /* the still input; the camera leaves it alone */
  char               *image_description;
  guint64             input_serial;   /* of the newest image handed to the inference */
  NdWindowCamera     *camera;
  char               *screenshot;
  guint               screenshot_tick;
  int                 screenshot_frames;
  gboolean            updating;
  char              **labels;         /* class names for the current class count */
  char              **weights_labels; /* class names from the weights' metadata */
  int                 n_labels;
  const char         *labels_source;  /* where @labels came from, for the weights text */
  char               *weights_note;   /* what the open weights hold: model, knobs, form */
  gboolean            weights_fused_only; /* deploy-form weights: there is no unfused form */
  gboolean            fused_forced;   /* they turned the fused switch on */
  gpointer            weights_undo;   /* nd-window-actions.c: the state before Open Weights */
  guint64             weights_generation; /* the config generation that opened them */
  gboolean            have_vulkan;
  gboolean            have_gpu;      /* the Vulkan device is a GPU, not lavapipe */
  gboolean            have_fp16;     /* … and it has 16-bit storage buffers */
  char              **trained;        /* nd-window-trained.c: the Trained Models file names */
  NdWindowMeasure    *measure;        /* nd-window-measure.c: --measure, or NULL */
  NdWindowNotices    *notices;        /* nd-window-notices.c */
  gint64              views_time;     /* when the drawn views last got a result */
  guint64             diff_error_generation; /* whose measurement failure the banner shows */
  guint               views_id;       /* their next update, when capped */
  gint64              paint_start;    /* of the frame being painted */
  gint64              paint_us;       /* the last frame's paint time (smoothed) */
  gint64              views_us;       /* a views update: its set_result calls and the paint
                                       * after them (smoothed) */
  gint64              views_set_us;   /* the set_result calls of the update being painted;
                                       * 0: the next paint is not a views update */
  GtkWidget          *entry_box;      /* nd-window-entries.c: the checkpoint entry chooser */
  GtkDropDown        *entry_dropdown;
  char              **weights_entries;/* every state dict of the open weights file */
  char               *weights_entry;  /* the one in use ("" a top-level dict), or NULL */
};

/* Streamed results (camera, live) reach the drawn views at most this often, and less often
 * when drawing them takes longer (VIEW_DRAW_SHARE). */
#define VIEW_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
/* A stream of results updates the views at most every VIEW_DRAW_SHARE × their cost: ≤ 10 %
 * of one core, which the model then lacks on a 2-core machine (at 4, 25 %, the window ran
 * fused ParNet-S at 224 at 0.71× the CLI's rate). */
#define VIEW_DRAW_SHARE 10


void        _nd_window_set_state       (NdWindow   *self,
                                        const char *action,
                                        GVariant   *value);
const char *_nd_window_assets_dir      (void);
void        _nd_window_set_knob_error  (NdWindow   *self,
                                        NdKnob      knob,
                                        const char *message);
void        _nd_window_rebuild         (NdWindow   *self,
                                        NdKnob      knob);
void        _nd_window_sync_widgets    (NdWindow   *self);
void        _nd_window_set_image       (NdWindow   *self,
                                        const char *description);
gboolean    _nd_window_open_image_path (NdWindow   *self,
                                        const char *path);
/* The banner under the header bar (NULL hides it), and its text while shown. */
void        _nd_window_show_banner     (NdWindow   *self,
                                        const char *text);
const char *_nd_window_get_banner_text (NdWindow   *self);
/* --screenshot cannot be made: says why, sets the exit status and closes. */
void        _nd_window_screenshot_failed (NdWindow   *self,
                                          const char *message);

/* nd-window-state.c: the configuration in GSettings, one table of keys */
void        _nd_window_settings_save   (NdWindow   *self);
void        _nd_window_settings_load_knobs (NdWindow *self);

/* nd-window-actions.c */
void        _nd_window_actions_init    (NdWindow   *self);
gboolean    _nd_window_use_weights     (NdWindow   *self,
                                        const char *path,
                                        GError    **error);
gboolean    _nd_window_use_weights_entry (NdWindow   *self,
                                          const char *path,
                                          const char *entry,
                                          GError    **error);

/* nd-window-entries.c: the state dicts of a checkpoint with several (win.entry) */
void        _nd_window_entries_init    (NdWindow   *self);
void        _nd_window_entries_set     (NdWindow           *self,
                                        const char * const *entries,
                                        const char         *entry);
char       *_nd_window_default_weights (void);
/* The window title names the open weights file (NULL: none). */
void        _nd_window_set_weights_title (NdWindow   *self,
                                          const char *weights_path);
/* The newest config's first result (@failed FALSE) or build error (TRUE): an Open Weights
 * whose model could not be built is undone, so the window keeps the model that serves. */
void        _nd_window_weights_settled (NdWindow   *self,
                                        guint64     generation,
                                        gboolean    failed);
void        _nd_window_weights_clear   (NdWindow   *self);

/* nd-window-backends.c: fills the backend drop-down, sets have_vulkan, have_gpu and
 * have_fp16; the fp16 switch follows the backend. */
void        _nd_window_probe_backends  (NdWindow   *self);
void        _nd_window_sync_fp16       (NdWindow   *self);
/* The streams-on-devices menu counts for ParNet on the Vulkan backend only; Tune Kernels for
 * any model there. */
void        _nd_window_sync_devices    (NdWindow          *self,
                                        const NdModelSpec *spec);
/* win.tune-kernels: rebuilds the model with its convolutions' kernels timed on the device. */
void        _nd_window_tune_kernels_activated (GSimpleAction *action,
                                               GVariant      *parameter,
                                               gpointer       data);

/* nd-window-trained.c: the Trained Models menu section and win.open-trained. */
void        _nd_window_trained_init    (NdWindow   *self);

/* nd-window-notices.c: the busy state (spinner, dimmed views) and knob notices (toasts with
 * Undo, a Details expander for the loader's message). */
void        _nd_window_notices_init    (NdWindow          *self);
void        _nd_window_notices_free    (NdWindow          *self);
void        _nd_window_notices_request (NdWindow          *self);
/* Generation @generation is a kernel-tuning build: the busy state says so, and its result a
 * notice of what was tuned. */
void        _nd_window_notices_tune    (NdWindow          *self,
                                        guint64            generation);
void        _nd_window_notices_result  (NdWindow          *self,
                                        NdInferenceResult *result);
void        _nd_window_notices_error   (NdWindow          *self,
                                        guint64            generation);
/* A newer model than the one shown was asked for and has not arrived. */
gboolean    _nd_window_is_busy         (NdWindow          *self);
void        _nd_window_sync_busy       (NdWindow          *self);

/* nd-window-measure.c: `nondeep --measure SECONDS --json` */
void        _nd_window_measure_init    (NdWindow          *self,
                                        double             seconds);
void        _nd_window_measure_result  (NdWindow          *self,
                                        NdInferenceResult *result,
                                        double             update_ms);
void        _nd_window_measure_free    (NdWindow          *self);
double      _nd_window_rss_mb          (void);

/* nd-window-camera.c */
/* Frames received from and classified of the running camera; FALSE when it is off. */
gboolean    _nd_window_camera_counts   (NdWindow   *self,
                                        guint64    *received,
                                        guint64    *classified);
void        _nd_window_camera_init     (NdWindow   *self);
void        _nd_window_camera_set_spec (NdWindow   *self,
                                        const char *spec);
void        _nd_window_camera_stop     (NdWindow   *self);
void        _nd_window_camera_result   (NdWindow          *self,
                                        NdInferenceResult *result);
gboolean    _nd_window_camera_ready    (NdWindow   *self);
void        _nd_window_camera_free     (NdWindow   *self);

G_END_DECLS
