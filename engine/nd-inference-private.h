/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-inference.h"
#include "nd-weights.h"

G_BEGIN_DECLS

/* What the main thread and the worker share, under @lock. nd-inference.c is the object and
 * the results; nd-inference-worker.c the runner and builder threads. */
typedef struct
{
  GMutex             lock;
  GCond              cond;
  gboolean           quit;
  gboolean           live;
  NdInferenceConfig  config;
  gboolean           config_pending;
  guint64            generation;
  gint64             config_time;
  GBytes            *image;
  int                width, height, stride;
  guint64            image_serial;
  gboolean           image_pending;
  gint               n_runs;
  gint               n_cancelled;  /* builds stopped because a newer request came */
  char              *capture_block; /* results carry this block's maps only; NULL: all */
  gboolean           rerun;         /* run once more: a result with other maps is wanted */
  NdExplainMethod    explain;       /* what results explain, and for which class (−1: top) */
  int                explain_class;
  gpointer           queued;    /* the Delivery of a plain result not yet dispatched */
  gboolean           building;  /* a builder thread is at work */
  gboolean           tuning;    /* … timing kernels (config.tune): the runner waits */
  gint               tune_done, tune_total; /* … its kernel variants timed, of (atomic) */
  GCancellable      *build_cancel; /* the builder's; a newer config or quit cancels it */
  gpointer           ready;     /* Serving* it built, for the runner to install */
  GMainContext      *context;
  NdInference       *owner;     /* main thread only; NULL after shutdown */
} Shared;

/* Devices a split plan may use (ParNet has at most 3 streams). */
#define ND_INFERENCE_MAX_DEVICES 3

int      _nd_inference_config_devices (const NdInferenceConfig *config,
                                       const NdModelSpec       *spec,
                                       int                      out[ND_INFERENCE_MAX_DEVICES],
                                       GError                 **error);
void     _nd_inference_result_set_devices (NdInferenceResult *r,
                                           const NdPlan      *plan);

/* The latency shown is the median of up to this many warm runs of the serving plan. */
#define LATENCY_WINDOW 31

/* The model the worker runs (nd-inference-worker.c builds and runs it; nd-inference-collect.c
 * turns a run into a result). */
typedef struct
{
  NdBackend   *backend;
  char         backend_name[16];
  gboolean     fp16;          /* its plans store float16 */
  int          devices[ND_INFERENCE_MAX_DEVICES]; /* its plans' streams on these devices */
  int          n_devices;     /* 0: one device */
  char         devices_cfg[32]; /* the config's devices it was built for */
  NdGraph     *training;      /* with weights */
  NdGraph     *graph;         /* what runs: training or fused */
  NdPlan      *plan;
  NdModelSpec  spec;
  guint64      generation;
  gint64       request_time;
  double       prepare_ms;
  double       cold_ms;
  gboolean     random_weights;
  gboolean     fused_only;    /* deploy-form weights: @training is the fused graph too */
  char        *input_text;    /* the input transform, described */
  GHashTable  *block_diff;
  GHashTable  *block_rel;
  double       logits_rel;
  char        *diff_error;
  double       latency[LATENCY_WINDOW];  /* warm runs, a ring */
  double      *op_hist;       /* [LATENCY_WINDOW][n_nodes]: their per-op times */
  int          n_latency;
  NdWeightsStatus weights_status;
  char        *weights_detail;
  gboolean     diff_pending;
  gint64       diff_after;    /* monotonic µs: not before */
  char        *weights_path;
  char        *weights_entry;
  char        *preprocess;
  /* The other form (fused ↔ training) of the same weights, kept from the difference
   * measurement so that flipping the switch back and forth costs one run. */
  NdGraph     *alt_graph;
  NdPlan      *alt_plan;
  char        *plan_block;    /* the block @plan captures (NULL: all) */
  char        *alt_block;     /* … and @alt_plan */
  NdExplainMethod plan_explain;  /* what @plan also captures for the explanation */
  NdExplainMethod alt_explain;   /* … and @alt_plan */
} Serving;

/* nd-inference-collect.c: the result of @s's last run on @input. */
NdInferenceResult *_nd_inference_collect (Serving        *s,
                                          guint64         serial,
                                          gboolean        rebuilt,
                                          const NdTensor *input,
                                          guint64         image_serial,
                                          const char     *want_block);

/* The seed of random weights (as nondeep-cli's default --seed). */
#define ND_INFERENCE_RANDOM_SEED 42

/* nd-inference-weights.c: loads @set into *@training (deploy-form sets replace it by the
 * fused graph, *@fused_only then TRUE); loads @cfg's weights file, adapting to a knob turned on
 * it when @cfg->weights_adapt (*@status and *@detail say how). */
gboolean _nd_inference_load_set       (NdGraph          **training,
                                       NdWeightSet       *set,
                                       gboolean          *fused_only,
                                       GError           **error);
gboolean _nd_inference_load_file      (const NdInferenceConfig *cfg,
                                       NdGraph          **training,
                                       gboolean          *fused_only,
                                       NdWeightsStatus   *status,
                                       char             **detail,
                                       GError           **error);

/* Posts a result (or, with @result NULL, a config error) to the main context. */
void     _nd_inference_post           (Shared            *sh,
                                       NdInferenceResult *result,
                                       gint64             request_time,
                                       guint64            generation,
                                       const char        *message);
void     _nd_inference_shared_unref   (Shared            *sh);
int      _nd_inference_block_last_node (const NdGraph    *graph,
                                        const char       *block);
void     _nd_inference_result_counted (void);
gpointer _nd_inference_worker         (gpointer           shared);

/* nd-inference-explain.c: the nodes a plan captures for the views of @block (NULL: every
 * block) and for @explain; the explanation of @r's top (or @klass) class from @plan's
 * captures (or why not, in @r->explain_error). */
int     *_nd_inference_capture_ids    (const NdGraph     *graph,
                                       const char        *block,
                                       NdExplainMethod    explain,
                                       int               *n);
/* Which captured nodes the views read when @explain adds its own (NULL when it is off: all). */
gboolean *_nd_inference_view_mask     (const NdGraph     *graph,
                                       const char        *block,
                                       NdExplainMethod    explain);
void     _nd_inference_explain        (const NdGraph     *graph,
                                       NdPlan            *plan,
                                       NdExplainMethod    explain,
                                       int                klass,
                                       NdInferenceResult *r);

/* nd-inference-input.c: the input of @graph made from an RGBA picture with @family's transform
 * (@preprocess: a gray model's), described in *@input_text; the picture a result's input was
 * made from, and the rectangle of it the input covers, into @r. */
NdTensor *_nd_inference_make_input    (const NdGraph     *graph,
                                       NdFamily           family,
                                       const char        *preprocess,
                                       GBytes            *image,
                                       int                width,
                                       int                height,
                                       int                stride,
                                       char             **input_text,
                                       GError           **error);
void     _nd_inference_attach_image   (NdInferenceResult *r,
                                       const NdGraph     *graph,
                                       NdFamily           family,
                                       const char        *preprocess,
                                       GBytes            *image,
                                       int                width,
                                       int                height,
                                       int                stride);

G_END_DECLS
