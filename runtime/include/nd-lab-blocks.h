/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-knobs.h"
#include "nd-lab.h"

G_BEGIN_DECLS

/* Two models block by block (runtime/lab/nd-lab-blocks.c): `nondeep-cli compare --per-block`
 * and the Compare window's Side by side page both measure through this.
 *
 * Time: the runtime's per-op timing (NdPlan.op_ms, what `nondeep-cli bench --json` prints per
 * op), each op's median over the timed runs, summed per block; the models' runs alternate.
 *
 * Matching: two different architectures have no common notion of "the same block". Blocks are
 * paired by *stage* (the resolution a block outputs, as a stride from the input: 2, 4, 8, …;
 * the classifier head is its own stage) and by *position* in that stage (the k-th block by
 * depth, then graph order). So a pair is two blocks working at the same resolution at the same
 * step, not two blocks doing the same thing; a stage where one model has more blocks leaves
 * the extra ones unmatched. */

#define ND_LAB_STAGE_HEAD 1000   /* NdLabBlock.stride of the classifier head */

typedef struct
{
  char   *block;       /* the block key (NdBlockStats.block), as the graph view names boxes */
  int     stride;      /* input side / output side, a power of two; ND_LAB_STAGE_HEAD */
  int     position;    /* 0-based within the stage */
  int     depth, stream;
  int     out_c, out_h, out_w;
  gint64  macs;
  double  ms;          /* sum of the block's per-op medians */
  double  p25_ms, p75_ms;   /* spread of the block's per-run sums */
} NdLabBlock;

typedef struct
{
  char       *model;
  NdGraph    *graph;     /* ref */
  double     *op_ms;     /* [n_nodes]: per-op medians (what the graph view colours) */
  NdLabBlock *blocks;
  int         n_blocks;
  double      op_sum_ms; /* sum of every op's median */
  NdLabSpread wall;      /* wall ms per run, with per-op timing on */
} NdLabBlockSide;

typedef struct
{
  int    a, b;          /* block index on each side, or -1: unmatched */
  int    stride, position;
  double diff_ms;       /* A − B (NAN when unmatched) */
  double diff_pct;      /* 100 · (A − B) / B (NAN when unmatched or B is 0) */
} NdLabBlockPair;

/* A stage's blocks summed on each side: the comparison that needs no pairing. */
typedef struct
{
  int    stride;
  int    n_a, n_b;      /* blocks in the stage */
  double a_ms, b_ms;
} NdLabStageSum;

typedef struct
{
  NdLabBlockSide  side[2];
  NdLabBlockPair *pairs;
  int             n_pairs, n_matched;
  NdLabStageSum  *stages;    /* in stride order */
  int             n_stages;
  int             warmup, iters;
  char           *backend;   /* description of the backend measured on */
} NdLabBlockDiff;

/* Plans @a and @b on @backend with per-op timing, runs each @warmup times, then @iters times
 * alternating, and pairs their blocks (see above). @cancel is checked between runs. */
NdLabBlockDiff *nd_lab_blocks_measure   (NdGraph       *a,
                                         const char    *name_a,
                                         NdGraph       *b,
                                         const char    *name_b,
                                         NdBackend     *backend,
                                         int            warmup,
                                         int            iters,
                                         GCancellable  *cancel,
                                         GError       **error);
void            nd_lab_block_diff_free  (NdLabBlockDiff *diff);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdLabBlockDiff, nd_lab_block_diff_free)

/* "stride 8" or "head", translated. */
char           *nd_lab_stage_name       (int stride);
/* A preset with knobs as `nondeep-cli` builds it without --weights: random weights (seed 1),
 * fused when @fused; the memory budget checked first. */
NdGraph        *nd_lab_build_preset     (const char    *name,
                                         const NdKnobs *knobs,
                                         gboolean       fused,
                                         GError       **error);
/* The per-block table as `nondeep-cli compare --per-block --csv` prints it (header line
 * first): stage,position,block_a,block_b,a_ms,b_ms,diff_ms,diff_pct,a_p25_ms,a_p75_ms,
 * b_p25_ms,b_p75_ms; an unmatched side's columns are empty. */
char           *nd_lab_block_diff_csv   (const NdLabBlockDiff *diff);

G_END_DECLS
