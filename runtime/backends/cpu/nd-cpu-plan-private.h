/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-cpu-kernel.h"

G_BEGIN_DECLS

/* The CPU plan's state, shared by nd-backend-cpu.c (kernels, fusion, buffers, streams) and
 * nd-cpu-layout.c (which nodes run on the channel-blocked layout). */

typedef struct _NdCpuConv NdCpuConv;

typedef struct
{
  NdPlan        parent;
  NdCpuKernel **kernels;   /* [n_nodes]; NULL = reference op */
  NdTensor    **buffers;   /* [n_nodes] output of each node (views into slots), NULL if none */
  int          *runs_at;   /* [n_nodes] the node that executes at this position, -1: none */
  int          *writes;    /* [n_nodes] node whose buffer a node's execution writes */
  float       **slots;
  int           n_slots;
  float        *scratch;
  /* ParNet's streams: positions [st_p0, st_p1) hold st_n streams, stream i at positions
   * [st_first[i], st_first[i + 1]), none reading another's values; st_concurrent: run them as
   * work items, n_threads at a time, each single-threaded (chosen at prepare by timing both) */
  int           st_p0, st_p1, st_n;
  gboolean      st_span_live;   /* buffers planned for the concurrent run */
  int          *st_first;
  float       **st_scratch;
  gboolean      st_concurrent;
  /* The channel-blocked layout (nd-cpu-layout.c): nc16[v] when node v's buffer is NCHW16c
   * (NULL: every buffer NCHW); conv[h]: the inputs head h reads in the other layout, each
   * converted into a buffer of its own before h runs */
  gboolean     *nc16;
  NdCpuConv   **conv;
} NdCpuPlan;

/* Which regions run blocked: none, those of two blocked kernels or more (the candidates the
 * prepare times against NCHW), or every one (ND_CPU_LAYOUT=nc16: tests) */
typedef enum
{
  ND_CPU_LAYOUT_NCHW,
  ND_CPU_LAYOUT_REGIONS,
  ND_CPU_LAYOUT_ALL,
} NdCpuLayoutMode;

/* nd-cpu-layout.c. After fusion: picks the nodes that run on NC16 as @mode says and swaps in
 * their kernels; FALSE when none does. */
gboolean        nd_cpu_layout_plan      (NdCpuPlan       *self,
                                         const NdGraph   *graph,
                                         int              batch,
                                         NdCpuLayoutMode  mode);
/* After the buffers: one for each input read across a layout edge. */
gboolean        nd_cpu_layout_alloc     (NdCpuPlan     *self,
                                         GError       **error);
/* The value of node @u as head @h reads it: its buffer, or converted into @h's layout. */
const NdTensor *nd_cpu_layout_input     (NdCpuPlan     *self,
                                         int            h,
                                         int            u);
/* Node @v's value into @dst in NCHW. */
void            nd_cpu_layout_copy_out  (NdCpuPlan     *self,
                                         int            v,
                                         float         *dst);
void            nd_cpu_layout_free      (NdCpuPlan     *self);

/* The timed layout choice for graph key @key, remembered in this process or in the user's
 * cache (TRUE), and remembering a new one: blocked or not, the NCHW and blocked plans' ms. */
gboolean        nd_cpu_layout_verdict   (guint          key,
                                         gboolean      *nc16,
                                         double         ms[2]);
void            nd_cpu_layout_remember  (guint          key,
                                         gboolean       nc16,
                                         const double   ms[2]);

G_END_DECLS
