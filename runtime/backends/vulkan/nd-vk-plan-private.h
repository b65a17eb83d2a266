/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The Vulkan plan's insides, shared by nd-vk-plan.c (steps, descriptors, command buffers,
 * runs) and nd-vk-plan-memory.c (buffers, the storage format, weight upload). */

#include "nd-vk-ops.h"
#include "nd-vk-plan.h"
#include "nd-vk-se.h"
#include "nd-vk-split.h"

G_BEGIN_DECLS

typedef struct
{
  int        head, bn, add, gate, act, tail;
  int        level;
  gboolean   barrier;                /* the unfenced buffer has a barrier before this step */
  gboolean   host;                   /* the CPU runs it (an op the device cannot) */
  int        early;                  /* ≥ 0: the untimed buffer runs pre[0] with the group
                                      * of steps that starts at this one (plan_early) */
  int        n_inputs;               /* every node the dispatch reads */
  int        inputs[ND_MAX_INPUTS + 4];
  int        res[ND_MAX_INPUTS - 1]; /* the absorbed ADD's other summands */
  int        gate_in;                /* the absorbed GATE's SE input */
  NdVkEpilogue epi;
  NdVkOp     op;
  VkPipeline pipeline;
  VkDescriptorSet set;
  VkPipeline pre_pipeline[2];
  VkDescriptorSet pre_set[2];
  VkBuffer   bound[3][ND_N_BINDINGS];  /* what pre[0], pre[1] and the main pass bind (for
                                      * the hazard check: binding 0 is written, se.comp's
                                      * binding 2 too) */
} NdVkStep;

/* GPU steps [first, end), one submission; then the CPU steps [end, host_end). */
typedef struct
{
  int             first, end, host_end;
  VkCommandBuffer cmds[2];      /* [0] unfenced, [1] with per-op timestamps (either may be
                                 * absent: timings off, or every run timed) */
} NdVkSegment;

typedef struct _NdVkPlan
{
  NdPlan           parent;
  NdVkContext     *ctx;
  int              n_steps;
  NdVkStep        *steps;
  gboolean        *has_buf;     /* [n_nodes] */
  NdVkBuffer      *act;         /* [n_nodes + 1 + 2 · n_steps]: node outputs, a dummy, then
                                 * each step's two scratch buffers (Winograd); the size is the
                                 * value's, the buffer that of its slot (shared) */
  NdVkBuffer      *slots;       /* [n_slots] the buffers the planner assigned */
  int              n_slots;
  VkDeviceMemory   act_mem;
  NdVkBuffer      *wts;         /* [2 · n_steps] */
  VkDeviceMemory   wts_mem;
  NdVkBuffer       staging[2];  /* input upload, output + capture download */
  VkDeviceMemory   staging_mem[2];
  guint8          *staging_map[2]; /* mapped staging[0] and [1] */
  VkDeviceSize    *down_off;    /* [n_nodes] offset in staging[1] of the output and captured
                                 * nodes the GPU computes, or G_MAXUINT64 */
  NdVkBuffer       flags;       /* binding 8: float16 overflow (nd-common.glsl), cleared each
                                 * run and read back at flags_off in staging[1] */
  VkDeviceMemory   flags_mem;
  VkDeviceSize     flags_off;
  VkDescriptorPool pool;
  VkCommandPool    cmd_pool;
  VkCommandBuffer  cmd;         /* what record () writes and the next submission sends */
  int              n_segs;
  NdVkSegment     *segs;
  gboolean        *host;        /* [n_nodes] runs on the CPU */
  VkDeviceSize    *up_off;      /* [n_nodes] where a CPU step's output for the GPU waits in
                                 * staging[0], or G_MAXUINT64 */
  VkDeviceSize    *hdown_off;   /* [n_nodes] where a GPU value a CPU step reads lands in
                                 * staging[1], or G_MAXUINT64 */
  NdTensor       **host_val;    /* [n_nodes] the CPU steps' inputs and outputs */
  gboolean         recording_timed;
  double           refresh_ms;  /* > 0 with both buffers: how often the timed one runs */
  gint64           timed_at;    /* monotonic µs of the last timed run; 0: never */
  VkFence          fence;
  VkQueryPool      queries;
  int              n_barriers;  /* of the unfenced buffer where there is one */
  gboolean         grouped;     /* the unfenced buffer runs a group's passes in lockstep */
  GHashTable      *written, *read; /* while recording: buffers since the last barrier */
  int              hazards;     /* dispatches of the unfenced buffer that touch a buffer
                                 * another wrote since the last barrier, or write one it
                                 * read (must be 0) */
  gsize            es;          /* bytes per stored element: 4, or 2 with fp16 storage */
  NdVkSplit       *split;       /* streams on other devices (nd-vk-split.c), or NULL */
  gboolean        *remote;      /* [n_nodes] computed on another device; those the plan
                                 * reads are CPU-like steps that fetch them */
  NdVkSe          *se;          /* [n_se] the gates on se.comp (nd-vk-se.c) */
  int              n_se;
  int             *alias;       /* [n_nodes] the node whose buffer stands for it: a folded
                                 * BN's input, else itself */
  gboolean        *pairs;       /* [n_nodes] holds se.comp's (A, B) pairs: twice the size */
  guint8          *variant;     /* [n_nodes] each convolution's kernel variant (nd-vk-tune.c),
                                 * or NULL: the rules */
} NdVkPlan;

/* The steps (nd-vk-plan-steps.c): made from the graph, sorted, with their barriers, groups
 * and segments; freed; the end of the group of steps that starts at step @s. */
gboolean nd_vk_plan_steps            (NdVkPlan *self,
                                      GError  **error);
void     nd_vk_plan_clear_steps      (NdVkPlan *self);
int      nd_vk_plan_group_end        (NdVkPlan *self,
                                      int       s);

/* Activation, scratch and staging buffers, sized in the plan's storage format. */
gboolean nd_vk_plan_create_buffers   (NdVkPlan *self,
                                      GError  **error);
/* Every step's weights and bias to device memory (then the host copies are freed). */
gboolean nd_vk_plan_upload_weights   (NdVkPlan *self,
                                      GError  **error);
/* Where node @i's own value lies in its buffer: a folded SSE gate's buffer holds
 * se.comp's pairs first and the value (z) after them (nd-vk-se.c). */
void     nd_vk_plan_value_region     (NdVkPlan     *self,
                                      int           i,
                                      VkDeviceSize *offset,
                                      VkDeviceSize *size);
/* float32 ↔ the stored element type (float32, or float16 with fp16 storage). */
void     nd_vk_plan_put              (NdVkPlan    *self,
                                      guint8      *dst,
                                      const float *src,
                                      gsize        n);
void     nd_vk_plan_get              (NdVkPlan     *self,
                                      float        *dst,
                                      const guint8 *src,
                                      gsize         n);

/* The CPU steps (nd-vk-plan-host.c): their host tensors; running those after a segment (and
 * staging their outputs for the next one); the output and captured nodes after a run. */
void     nd_vk_plan_host_init        (NdVkPlan *self);
gboolean nd_vk_plan_host_run         (NdVkPlan          *self,
                                      const NdVkSegment *seg,
                                      const NdTensor    *input,
                                      GError           **error);
gboolean nd_vk_plan_host_results     (NdVkPlan *self,
                                      GError  **error);
void     nd_vk_plan_host_clear       (NdVkPlan *self);

/* The plan's side of a split (nd-vk-split.c): whether this device reads node @id that
 * another computes (a stream output), and where those fetches go among the sorted steps. */
gboolean nd_vk_split_read_here       (NdVkPlan *self,
                                      int       id);
void     nd_vk_split_place_remote    (NdVkPlan *self);

G_END_DECLS
