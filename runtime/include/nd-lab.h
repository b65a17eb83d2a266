/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-quoted.h"

G_BEGIN_DECLS

/* Shared by the architecture-lab subcommands (roofline, compare, guideline) and bench:
 * repeated timing with spread, the machine's measured roof, and the run's context. */

typedef struct
{
  double median, min, max, p25, p75;
} NdLabSpread;

/* Sorts @v in place and fills @out. */
void     nd_lab_spread         (double      *v,
                                int          n,
                                NdLabSpread *out);

/* The roof: the best compute rate and the best streaming bandwidth this backend reached.
 * Compute: the machine's peak as the backend measures it outside a plan (measure_peak in
 * nd-backend.h: sgemm on the CPU, a shader FMA loop on Vulkan) and large 1×1 convs run
 * through plans, whichever is higher. Bandwidth: element-wise copies at several sizes, so
 * that cache-resident ops stay under it; on the CPU also a host memcpy. */
typedef struct
{
  double        peak_gflops;
  double        bandwidth_gbs;
  double        probe_gflops[3];   /* per conv probe */
  double        probe_gbs[5];      /* per copy size */
  gint64        probe_bytes[5];
  int           n_conv, n_copy;
  double        memcpy_gbs;        /* CPU backend only; 0 elsewhere */
  gboolean      has_machine;       /* the backend has a measure_peak probe */
  NdBackendPeak machine;           /* its result (zeros without one) */
  const char   *peak_source;       /* what set peak_gflops: machine.source or "conv-probe" */
} NdLabRoof;

gboolean nd_lab_measure_roof   (NdBackend  *backend,
                                NdLabRoof  *roof,
                                GError    **error);
/* The rate an op of @flops over @bytes can reach under @roof (GFLOP/s), and the share of it
 * an op reached in @ms: for ops without arithmetic, achieved bandwidth against the
 * bandwidth roof. Returns -1 when there is nothing to place (no time, no bytes). */
double   nd_lab_attainable     (const NdLabRoof *roof,
                                gint64           flops,
                                gint64           bytes);
double   nd_lab_roof_percent   (const NdLabRoof *roof,
                                gint64           flops,
                                gint64           bytes,
                                double           ms);

/* Fills every weight tensor of a synthetic graph with small deterministic values (BN
 * variances positive) so the kernels see ordinary numbers. */
void     nd_lab_fill_weights   (NdGraph *graph);
/* Runs @plan @warmup times untimed, then @iters times; per-node medians into @op_ms
 * ([n_nodes], may be NULL) and the wall times into @totals ([iters], may be NULL). */
gboolean nd_lab_time_plan      (NdPlan         *plan,
                                const NdTensor *input,
                                int             warmup,
                                int             iters,
                                double         *totals,
                                double         *op_ms,
                                GError        **error);

/* One model of a comparison: @name and @graph are the caller's; the rest is filled in. */
typedef struct
{
  const char  *name;
  NdGraph     *graph;
  gint64       params, macs, flops, bytes;   /* bytes: memory access cost, read + written */
  int          weight_depth, ops, branches;
  NdLabSpread  lat;          /* wall ms per run on the main backend */
  gboolean     has_second;
  NdLabSpread  lat_second;   /* the same on the second backend */
} NdLabCompareRow;

/* Plans every graph on @backend (and @second, may be NULL), runs each @warmup times, then
 * @iters rounds with the models alternating (each on @second right after @backend), on the
 * same deterministic image-like input (nd-test-input.h). `nondeep-cli compare` and the
 * window's Compare page both measure through this. */
gboolean nd_lab_compare       (NdLabCompareRow *rows,
                               int              n,
                               NdBackend       *backend,
                               NdBackend       *second,
                               int              warmup,
                               int              iters,
                               GError         **error);
/* The Vulkan backend to measure beside a CPU @backend — a GPU, or any Vulkan device with
 * @cpu_device_too (lavapipe) — or NULL and the reason in @why. */
NdBackend *nd_lab_second_backend (NdBackend  *backend,
                                  gboolean    cpu_device_too,
                                  char      **why);

/* Design-guideline experiments (runtime/lab/nd-lab-guideline.c): synthetic networks of
 * (nearly) equal FLOPs, timed alternately on one backend. */
typedef struct
{
  char        *label;
  NdGraph     *graph;
  gint64       params, macs, flops, bytes;
  int          weight_depth, ops, branches;
  NdLabSpread  lat;
  gboolean     split;                      /* the eltwise experiment: per-op split below */
  double       weight_ops_ms, eltwise_ms;  /* sums of per-op medians */
  gint64       eltwise_flops;
  int          eltwise_merged;             /* element-wise ops run inside a conv's kernel */
  /* parnet-table: a preset in one form; NULL model in the synthetic experiments */
  const char  *model;                      /* preset name, static */
  gboolean     fused;
  NdStreamsMode streams;                   /* asked of the plan */
  NdStreamsMode streams_ran;               /* what the plan reports (AUTO: no streams) */
  const char  *streams_reason;             /* static, as NdPlan.streams_reason */
  const NdQuotedTop1 *quoted;              /* the preset's published top-1, or NULL */
} NdLabVariant;

typedef struct
{
  const char *name;
  const char *claim;     /* translated */
  const char *source;    /* paper, section or table */
  char       *finding;   /* what this machine shows, one or two sentences */
  GPtrArray  *variants;  /* NdLabVariant */
} NdLabExperiment;

/* "ratio", "groups", "branches", "eltwise", "depth-width", "parnet-table"; NULL-terminated.
 * The first five build synthetic networks of @base_channels at a @size × @size map;
 * "parnet-table" (ParNet's own table: ParNet-S/M against ResNet-34/50, unfused, fused and,
 * on the CPU, fused with the streams concurrent and sequential) builds the presets at
 * resolution @size (32–4096) and ignores @base_channels. */
const char *const *nd_lab_guideline_names (void);
/* Whether @name runs whole presets (slow at 224) rather than small synthetic networks. */
gboolean           nd_lab_guideline_uses_models (const char *name);
/* parnet-table: the variant of @model in that form and stream mode, or NULL. */
const NdLabVariant *nd_lab_experiment_find (const NdLabExperiment *experiment,
                                            const char            *model,
                                            gboolean               fused,
                                            NdStreamsMode          streams);
NdLabExperiment   *nd_lab_guideline_run   (const char *name,
                                           NdBackend  *backend,
                                           int         base_channels,
                                           int         size,
                                           int         warmup,
                                           int         iters,
                                           GError    **error);
void               nd_lab_experiment_free (NdLabExperiment *experiment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdLabExperiment, nd_lab_experiment_free)

/* Winograd and the like: fewer multiplies than counted, so the rate is an effective one. */
gboolean nd_lab_algo_is_effective (const char *algo);

G_END_DECLS
