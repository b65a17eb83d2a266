/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"

G_BEGIN_DECLS

typedef enum
{
  ND_FAMILY_PARNET,
  ND_FAMILY_REPVGG,
  ND_FAMILY_VANILLANET,
  ND_FAMILY_RESNET,
  ND_FAMILY_VGG,
} NdFamily;

#define ND_MAX_STAGES 8

/* A model: a preset (family + variant) plus the knobs. nd_model_spec_parse() fills every field
 * with the preset's official values; callers then override knobs. 0 / empty means "preset".
 *
 * Knobs:
 *  streams     ParNet only: 1, 2 or 3 parallel streams (the fusion tree adapts).
 *  width       multiplier on every stage width (rounded to an even number ≥ 2).
 *  blocks      ParNet: RepVGG-SSE blocks per stream (official 4,5,5); RepVGG: blocks per stage
 *              (official e.g. 1,2,4,14,1); VanillaNet: not accepted (the variant sets depth);
 *              ResNet: blocks per stage (2,2,2,2 for 18).
 *  resolution  input side in pixels (square).
 *  classes     classifier outputs.
 *  in_channels image channels (3 for RGB, 1 for grayscale Fashion-MNIST models).
 *  lambda      VanillaNet deep-training slope λ in [0, 1] (1 = merge-ready).
 */
typedef struct
{
  NdFamily family;
  char     name[48];       /* canonical preset name, e.g. "parnet-s", "repvgg-b1g4" */
  char     variant[16];    /* "s", "b1g4", "5", "13-x1.5", "50", "16" */
  int      streams;
  double   width;
  int      n_blocks;
  int      blocks[ND_MAX_STAGES];
  int      resolution;
  int      classes;
  int      in_channels;
  double   lambda;
  int      act_num;        /* VanillaNet series activation: kernel 2·act_num+1 */
} NdModelSpec;

/* Fills @spec with the preset @name (case-insensitive; see nd_model_names()). */
gboolean      nd_model_spec_parse    (const char   *name,
                                      NdModelSpec  *spec,
                                      GError      **error);
/* NULL-terminated list of every preset name, static. */
const char * const *nd_model_names   (void);

/* Builds the training form (all branches) with zero weights; checks the knobs and explains a
 * combination the model cannot take in @error. Node names and tags as in the official code. */
NdGraph      *nd_model_build         (const NdModelSpec *spec,
                                      GError           **error);

/* Deterministic random weights: He-normal convs/linears, BN with non-trivial statistics
 * (γ ∈ [0.5, 1.5], β ∼ N(0, 0.1), μ ∼ N(0, 0.1), σ² ∈ [0.5, 2]) so fusion is exercised. */
void          nd_model_init_random   (NdGraph *graph,
                                      guint64  seed);

const char   *nd_family_name         (NdFamily family);

G_END_DECLS
