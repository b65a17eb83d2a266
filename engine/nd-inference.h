/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-model.h"
#include "nd-weights.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* What the worker should run: a preset plus knob overrides (0 / "" / < 0: the preset's). */
typedef struct
{
  char     model[48];
  int      streams;
  double   width;
  char     blocks[64];     /* comma-separated counts */
  int      resolution;
  double   lambda;         /* < 0: preset */
  gboolean fused;
  char     backend[16];    /* "cpu" or "vulkan" */
  gboolean fp16;           /* float16 storage where the backend has it (Vulkan with 16-bit
                            * storage); elsewhere ignored, so the switch keeps its state */
  char     devices[32];    /* Vulkan, ParNet: "A,B[,C]", the devices its streams run on, as
                            * nondeep-cli --devices (stream s on the (s mod n)-th); at most
                            * the model's streams are used. "": one device; elsewhere ignored */
  gboolean tune;           /* Vulkan: time the kernel variants of the convolutions this device
                            * has no verdict for while building (nondeep-cli --tune), the live
                            * runs paused meanwhile; a newer config stops it. A one-off request:
                            * send it once, not with every knob */
  gboolean retune;         /* with @tune: the shapes that have verdicts timed again too
                            * (nondeep-cli --retune) */
  char    *weights_path;   /* safetensors or PyTorch checkpoint, training or deploy form (then
                            * @fused must be set); NULL: deterministic random weights */
  char    *weights_entry;  /* the state dict of @weights_path (a checkpoint may hold several);
                            * NULL: the loader's default. Part of the weights' identity. */
  NdWeightSet *weights;    /* the tensors of @weights_path when already read (nd_weights_open
                            * on the main thread), shared read-only; NULL: the worker reads */
  int      classes;        /* 0: preset */
  int      in_channels;    /* 0: preset; 1 for Fashion-MNIST models */
  char    *preprocess;     /* gray models: the weights' input transform (NdWeightsInfo), or NULL */
  gboolean weights_adapt;  /* a knob was turned on @weights_path: when they no longer fit,
                            * keep the tensors that do or use random weights (the result
                            * says which) instead of failing */
} NdInferenceConfig;

/* How the weights file of the config went into the plan. */
typedef enum
{
  ND_WEIGHTS_LOADED,       /* every tensor, or no file (random weights) */
  ND_WEIGHTS_SUBSET,       /* a knob turned: the tensors the new shape takes, all it needs */
  ND_WEIGHTS_RANDOM,       /* a knob turned: they no longer fit, random weights instead */
} NdWeightsStatus;

void nd_inference_config_copy  (NdInferenceConfig       *dst,
                                const NdInferenceConfig *src);
void nd_inference_config_clear (NdInferenceConfig       *config);
/* Turns the config into a model spec; fails with the parser's message. */
gboolean nd_inference_config_to_spec (const NdInferenceConfig *config,
                                      NdModelSpec             *spec,
                                      GError                 **error);

/* What the worker explains after each forward pass (nd_inference_set_explain): the class
 * score's Grad-CAM or its input gradient (nd-grad.h's saliency methods). */
typedef enum
{
  ND_EXPLAIN_OFF,
  ND_EXPLAIN_GRADCAM,
  ND_EXPLAIN_GRAD,
} NdExplainMethod;

/* One run's results, handed from the worker to the main loop; immutable once delivered. */
typedef struct
{
  guint64      generation;     /* the config generation that built the plan */
  guint64      serial;         /* runs since start */
  guint64      image_serial;   /* what nd_inference_set_image () returned for its input */
  guint64      images_run;     /* distinct images run since start, this one included: a
                                * camera's classified frames, however many results coalesced */
  gboolean     rebuilt;        /* first result of a new plan */
  NdGraph     *graph;          /* the graph that ran (fused or training form) */
  NdGraph     *training;       /* its training form, same weights (for kernel steps); the
                                * fused graph itself when @fused_only */
  NdModelSpec  spec;
  char        *backend;        /* backend description, "· fp16 storage in use" appended */
  gboolean     fp16;           /* the plan stores activations and weights as float16 */
  const char  *kernels;        /* how a Vulkan plan chose its convolutions' kernels (static:
                                * NdPlan.kernels), NULL for the CPU */
  int          tuned_ops;      /* … how many convolutions run a tuned variant (NdPlan) */
  double       tune_ms;        /* … and the tuning this plan's build did, 0: none */
  NdPlanDevice *devices;       /* [n_devices]: a plan split over Vulkan devices, each one's
                                * run, wait and transfer in this run (names owned); else NULL */
  int          n_devices;
  int          n_nodes;
  double      *op_ms;          /* [n_nodes] */
  double       total_ms;       /* warm run */
  double       cold_ms;        /* the first run of this plan */
  double       prepare_ms;     /* building graph + plan */
  double       knob_to_result_ms; /* config request → the first result of this plan */
  NdTensor   **captured;       /* [n_nodes]: block outputs and SE gate inputs (of the capture
                                * block only, when one is set) */
  GHashTable  *block_diff;     /* block → double* max |fused − unfused|; NULL until measured
                                * (both forms run on this plan's input, the same tensor) */
  GHashTable  *block_rel;      /* block → double* that over max |training form| (as verify) */
  double       logits_rel;     /* the same for the logits; NAN until measured */
  char        *diff_error;     /* why the difference could not be measured, or NULL */
  double       latency_ms;     /* median of the plan's last @n_latency warm runs */
  double       latency_spread_ms; /* their interquartile range */
  int          n_latency;
  double      *op_median_ms;   /* [n_nodes] per-op median over the same runs, or NULL */
  char       **op_algo;        /* [n_nodes] the backend's algorithm per op, or NULL */
  char       **op_variant;     /* [n_nodes] the tuned kernel variant per op ("": the rules';
                                * NdPlan.op_variant), or NULL with @op_algo */
  NdWeightsStatus weights_status;
  char        *weights_detail; /* the loader's message when not every tensor fitted */
  NdTensor    *logits;         /* [1, classes] */
  NdTensor    *input;          /* the preprocessed input [1, C, H, W] */
  int          top_class[5];
  float        top_prob[5];
  int          n_top;
  gboolean     random_weights;
  gboolean     fused_only;     /* deploy-form weights: no training form exists */
  char        *input_text;     /* the input transform that made @input, described */
  /* The picture @input was made from (RGBA8, the caller's bytes, shared) and the rectangle of
   * it that @input's grid covers: x, y, width, height in its pixels (past its edges where the
   * transform pads), so a map on that grid can be laid over the picture it belongs to. */
  GBytes      *image;
  int          image_width, image_height, image_stride;
  double       input_rect[4];
  /* The explanation of this run's picture, when one was asked for (nd_inference_set_explain)
   * and the plan captured what it reads: */
  NdExplainMethod explain;     /* ND_EXPLAIN_OFF: none */
  int          explain_class;  /* the class explained */
  NdTensor    *explain_map;    /* [1, 1, H, W] on @input's grid, ≥ 0, as nd_grad_saliency
                                * makes it (`nondeep-cli saliency`); NULL on error */
  char        *explain_error;  /* why there is no map */
  double       explain_ms;     /* the backward pass and the map, after the forward */
  guint64      runs_explained; /* runs since start that made a map, this one included */
  guint64      images_explained; /* … distinct images among them (camera frames) */
} NdInferenceResult;

GType               nd_inference_result_get_type (void) G_GNUC_CONST;
NdInferenceResult  *nd_inference_result_ref      (NdInferenceResult *result);
void                nd_inference_result_unref    (NdInferenceResult *result);
/* The captured output of @block (its last node), or NULL. */
NdTensor           *nd_inference_result_block_output (const NdInferenceResult *result,
                                                      const char              *block,
                                                      int                     *node);
/* The SE gate values alpha·σ(z) of @block as a new array of *n floats, or NULL. */
float              *nd_inference_result_gates    (const NdInferenceResult *result,
                                                  const char              *block,
                                                  int                     *n,
                                                  double                  *max_value);
/* Results not yet freed, process-wide (the leak test watches it). */
int                 nd_inference_result_get_n_alive (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdInferenceResult, nd_inference_result_unref)

#define ND_TYPE_INFERENCE (nd_inference_get_type ())
G_DECLARE_FINAL_TYPE (NdInference, nd_inference, ND, INFERENCE, GObject)

/* Signals (emitted on the main context the object was created on):
 *   "result" (NdInferenceResult *)              after every run
 *   "config-error" (guint64 generation, const char *message)   a config could not be built;
 *                                               the previous plan keeps serving */
NdInference *nd_inference_new         (void);
/* Requests a rebuild; returns the new config generation. Never blocks on the worker. */
guint64      nd_inference_set_config  (NdInference             *self,
                                       const NdInferenceConfig *config);
/* A new RGBA8 image; replaces any not yet run (the newest wins), so camera frames never
 * queue up behind a slow model. Returns its serial (1, 2, …), which results carry. */
guint64      nd_inference_set_image   (NdInference *self,
                                       GBytes      *rgba,
                                       int          width,
                                       int          height,
                                       int          stride);
/* Keep running on the current image (live latency) instead of once per change. */
void         nd_inference_set_live    (NdInference *self,
                                       gboolean     live);
guint64      nd_inference_get_n_runs  (NdInference *self);
/* Results from now on carry the captured maps of @block only (its nodes and its SE gates'
 * inputs), what a view of that block reads; NULL (the default): every block's. */
void         nd_inference_set_capture_block (NdInference *self,
                                             const char  *block);
/* From the next run on, each result carries @method's map for class @klass (−1: the top
 * class) of its own picture, computed right after its forward pass; ND_EXPLAIN_OFF (the
 * default) captures nothing extra, so the plain rate is unchanged. Reruns a still image. */
void         nd_inference_set_explain (NdInference     *self,
                                       NdExplainMethod  method,
                                       int              klass);
/* Whether a build is timing kernels (NdInferenceConfig.tune), and how many of its @total
 * kernel variants are done (@total 0 until the first is); safe from any thread. */
gboolean     nd_inference_get_tune_progress (NdInference *self,
                                             int         *done,
                                             int         *total);
/* Builds stopped part-way because a newer request came (tests, diagnostics). */
guint        nd_inference_get_n_cancelled (NdInference *self);
/* The serial of the newest image handed in (0: none yet); safe from any thread. */
guint64      nd_inference_get_image_serial (NdInference *self);
/* Stops and joins the worker; later results are dropped. Called by dispose too. */
void         nd_inference_shutdown    (NdInference *self);

G_END_DECLS
