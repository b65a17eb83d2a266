/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nd-device.h"
#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* The backend interface every executor shares (ggml-style vtable, ncnn-style lifecycle):
 *   backend = nd_backend_new ("cpu" | "vulkan", …)
 *   plan    = nd_backend_prepare (backend, graph, options)   — once: kernels, packed weights,
 *                                                              buffers, pipelines
 *   nd_plan_run (plan, input)                                — many times
 *   plan->output, nd_plan_get_captured (plan, id), plan->op_ms[id]
 * A plan keeps a ref on its graph; the graph must not change while a plan uses it.
 * A plan is used by one thread at a time. */

typedef struct _NdBackend NdBackend;
typedef struct _NdPlan    NdPlan;

/* How a CPU plan stores the weights of its memory-bound layers (linear layers, 1×1 convs of a
 * 1×1 map: classifiers, SE gates): 16 bits halve the bytes each run streams; activations and
 * arithmetic stay float32. Other backends ignore it. */
typedef enum
{
  ND_WEIGHTS_FP32 = 0,  /* default */
  ND_WEIGHTS_BF16,      /* bfloat16: float32's range, 8-bit significand */
  ND_WEIGHTS_FP16,      /* IEEE half: 11-bit significand, |w| ≤ 65504 (else the layer stays fp32) */
} NdWeightsPrecision;

/* How a plan runs ParNet's parallel streams (the CPU backend; others ignore it). The
 * environment variable ND_CPU_STREAMS=0|1 (sequential|concurrent) overrides it. */
typedef enum
{
  ND_STREAMS_AUTO = 0,     /* default: the backend's choice (CPU: both timed at prepare) */
  ND_STREAMS_CONCURRENT,   /* the streams at once, each on a thread of its own */
  ND_STREAMS_SEQUENTIAL,   /* one stream after another, each op split across the threads */
} NdStreamsMode;

typedef struct
{
  int        batch;       /* images per run, ≥ 1 */
  const int *capture;     /* node ids whose outputs are kept after each run */
  int        n_capture;
  gboolean   timings;     /* fill op_ms per node (costs a little on some backends) */
  double     timings_refresh_ms; /* with timings on a backend whose timings serialise its
                                  * work (timings_serialize): time one run per interval and
                                  * run the others unfenced; op_ms then holds the last timed
                                  * run and total_ms every run's own latency. 0: every run. */
  gboolean   fp16;        /* Vulkan: store activations and weights as float16 (arithmetic
                           * stays fp32); an error where the device lacks 16-bit storage */
  const int *devices;     /* Vulkan, ParNet: stream s runs on devices[s % n_devices] (each
                           * entry its own logical device, an index may repeat), the stem on
                           * each; devices[0] (the backend's device) gathers the stream
                           * outputs for the fusion and the head. NULL or n_devices < 2: one */
  int        n_devices;
  NdWeightsPrecision weights_precision; /* CPU: 16-bit storage of linear-layer weights */
  NdStreamsMode streams;  /* CPU: ParNet's streams concurrent, sequential or timed */
  gboolean   tune;        /* Vulkan: time the kernel variants of every convolution whose
                           * shape this device has no verdict for, build each in the
                           * fastest and remember it in the user's cache (later plans use
                           * the verdicts without it); seconds per model. ND_VK_TUNE=1 sets
                           * it, ND_VK_TUNE=0 ignores the verdicts too */
  gboolean   retune;      /* Vulkan: as @tune, the shapes that have verdicts timed again
                           * too and their verdicts replaced */
  GCancellable *cancellable; /* (nullable) stops tuning between steps: prepare then fails
                              * with G_IO_ERROR_CANCELLED and remembers nothing new */
  /* (nullable) tuning: called on the preparing thread after each kernel variant, with how
   * many of @total are done */
  void     (*progress) (int done, int total, gpointer data);
  gpointer   progress_data;
} NdPlanOptions;

/* One device of a plan split over several (NdPlanOptions.devices), after a run. */
typedef struct
{
  int     index;        /* the Vulkan device index, as `devices` lists it */
  char   *name;         /* owned */
  guint   streams;      /* bit s: the model's stream s runs there */
  double  run_ms;       /* its own run, upload to readback (entry 0: the whole run) */
  double  wait_ms;      /* how long the first device waited for this one's streams */
  double  transfer_ms;  /* copying its stream outputs from its host-visible readback memory
                         * into the first device's host-visible upload memory */
} NdPlanDevice;

/* The machine's compute peak as a backend measures it outside any plan, for the lab's
 * roofline: a large sgemm on the CPU, a shader FMA loop on a Vulkan device. Rates in GFLOP/s
 * of float32 (an FMA counts 2); 0 where the backend has no such probe. */
typedef struct
{
  double      gflops;          /* the best of the rates below */
  const char *source;          /* the probe that set it: "sgemm", "nd-gemm", "shader-fma" */
  double      sgemm_gflops;    /* CPU: OpenBLAS sgemm, split over the backend's threads */
  double      gemm_gflops;     /* CPU: the project's packed GEMM (AVX-512 only) */
  int         gemm_size;       /* CPU: the square size M = N = K of sgemm's best run */
  double      fma_gflops;      /* Vulkan: the FMA-loop shader */
  gint64      fma_invocations; /* Vulkan: invocations of the fastest dispatch */
  gboolean    fma_timestamps;  /* Vulkan: timed with GPU timestamps (else the host clock) */
} NdBackendPeak;

typedef struct
{
  const char *name;
  NdPlan   *(*prepare)   (NdBackend           *self,
                          NdGraph             *graph,
                          const NdPlanOptions *options,
                          GError             **error);
  gboolean  (*run)       (NdPlan              *plan,
                          const NdTensor      *input,
                          GError             **error);
  void      (*plan_free) (NdPlan              *plan);
  void      (*free)      (NdBackend           *self);
  /* (optional; NULL: every op) Whether the backend runs @node itself for @batch images; a
   * plan runs the ops it does not on the CPU, with the transfers in between. */
  gboolean  (*supports_op) (NdBackend         *self,
                            const NdGraph     *graph,
                            const NdNode      *node,
                            int                batch);
  /* (optional; NULL: none) Measures the machine's compute peak into @peak (zeroed first). */
  gboolean  (*measure_peak) (NdBackend        *self,
                             NdBackendPeak    *peak,
                             GError          **error);
} NdBackendClass;

struct _NdBackend
{
  const NdBackendClass *klass;
  char                 *name;         /* "cpu", "vulkan" */
  char                 *description;  /* e.g. "CPU, OpenBLAS SkylakeX, 2 threads" */
  /* Capabilities: callers test these, never the name. */
  NdDeviceKind          kind;         /* where plans run and keep their buffers */
  gboolean              gpu;          /* runs on a GPU (not the CPU, nor lavapipe on it) */
  gboolean              timings_serialize; /* per-op timings change the schedule (barriers
                                            * around each dispatch): time latency without */
  gboolean              fp16_storage; /* plans may take NdPlanOptions.fp16 (a Vulkan device
                                       * with 16-bit storage buffers) */
  const char           *matmul;       /* Vulkan: what its GEMMs compute in and why (static),
                                       * e.g. "float32 (no VK_KHR_cooperative_matrix)" */
};

/* The part of a plan every backend fills; backends embed it as their first member. */
struct _NdPlan
{
  NdBackend   *backend;
  NdGraph     *graph;       /* ref */
  int          batch;
  int          n_nodes;
  NdTensor    *output;      /* [batch, classes] after a run; owned by the plan */
  NdTensor   **captured;    /* [n_nodes]; non-NULL for captured nodes after a run */
  gboolean    *capture_mask;/* [n_nodes] */
  double      *op_ms;       /* [n_nodes] time of each node in the last run; 0 if merged */
  const char **op_algo;     /* [n_nodes] algorithm, e.g. "ref", "im2col+sgemm", "fused" */
  const char **op_variant;  /* [n_nodes] Vulkan: the kernel variant a convolution runs where a
                             * verdict chose another than the rules' (e.g. "winograd-off",
                             * "tile-32x32x4x4"; NdPlan.kernels), else NULL */
  NdDeviceKind *op_device; /* [n_nodes] where each node ran (the CPU for a Vulkan plan's
                            * fallback ops) */
  double       total_ms;    /* wall time of the last run */
  double       prepare_ms;  /* cold: plan creation (packing, pipelines) */
  guint64      activation_bytes;          /* the node-output buffers as planned (reused) */
  guint64      activation_bytes_unshared; /* … and with one buffer per value */
  gboolean     timings;
  NdPlanDevice *devices;    /* [n_devices] for a plan split over devices, else NULL; owned
                             * by the backend's plan */
  int          n_devices;
  /* how the plan runs the graph's parallel streams: CONCURRENT or SEQUENTIAL, and why
   * ("timed", "requested", "ND_CPU_STREAMS", "one thread"); AUTO and NULL where there is
   * no such choice (no streams, or a backend that does not make it) */
  NdStreamsMode streams_mode;
  const char   *streams_reason;
  /* CPU plans: the activation layout, "nchw" or "nc16" (channel-blocked), and why ("timed",
   * "timed earlier" (this process or the user's cache, the same graph shape), "ND_CPU_LAYOUT",
   * "no blocked region", "not timed: over 1 GiB of activations"); when timed, the two plans' best run times (ms, NCHW then NC16).
   * NULL / 0 for other backends. */
  const char   *layout;
  const char   *layout_reason;
  double        layout_ms[2];
  /* Vulkan plans: compute dispatches and compute→compute barriers one run records (the
   * first device's untimed command buffers); 0 for other backends. */
  int           dispatches;
  int           barriers;
  /* Vulkan plans: how the convolutions' kernels were chosen: "rules" (the backend's own),
   * "tuned" (each timed in its variants by this prepare, NdPlanOptions.tune), "tuned earlier"
   * (the fastest remembered for this device and shape), "forced" (ND_VK_TILE, ND_VK_WINOGRAD
   * or ND_VK_MIN_GROUPS set); how many took another kernel than the rules'; the time the
   * tuning took (in prepare_ms too). NULL / 0 for other backends. */
  const char   *kernels;
  int           tuned_ops;
  double        tune_ms;
};

/* Backend by name ("cpu", "vulkan"); @device selects a Vulkan device (-1: default). */
NdBackend  *nd_backend_new           (const char *name,
                                      int         device,
                                      GError    **error);
void        nd_backend_free          (NdBackend  *backend);
NdPlan     *nd_backend_prepare       (NdBackend           *backend,
                                      NdGraph             *graph,
                                      const NdPlanOptions *options,
                                      GError             **error);
/* @input: [batch, in_c, in_h, in_w] as the graph expects. */
gboolean    nd_plan_run              (NdPlan         *plan,
                                      const NdTensor *input,
                                      GError        **error);
gboolean    nd_backend_supports_op   (NdBackend     *backend,
                                      const NdGraph *graph,
                                      const NdNode  *node,
                                      int            batch);
/* How many of the plan's nodes ran (not fused away) on @kind. */
int         nd_plan_count_on         (NdPlan       *plan,
                                      NdDeviceKind  kind);
NdTensor   *nd_plan_get_captured     (NdPlan *plan,
                                      int     node);
void        nd_plan_free             (NdPlan *plan);

/* "auto", "concurrent", "sequential" */
const char *nd_streams_mode_name     (NdStreamsMode mode);
/* The mode for one of those names; an INVALID_ARGUMENT error for any other. */
gboolean    nd_streams_mode_parse    (const char    *name,
                                      NdStreamsMode *mode,
                                      GError       **error);

/* For backends: fill / release the common part. */
void        nd_plan_init_common      (NdPlan              *plan,
                                      NdBackend           *backend,
                                      NdGraph             *graph,
                                      const NdPlanOptions *options);
void        nd_plan_clear_common     (NdPlan *plan);
/* Checks @input against the graph and batch; sets a SHAPE_MISMATCH error. */
gboolean    nd_plan_check_input      (NdPlan         *plan,
                                      const NdTensor *input,
                                      GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdBackend, nd_backend_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdPlan, nd_plan_free)

G_END_DECLS
