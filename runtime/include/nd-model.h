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
  ND_FAMILY_RESNEXT,
  ND_FAMILY_MOBILENET,
  ND_FAMILY_SHUFFLENET,
  ND_FAMILY_DENSENET,
  ND_FAMILY_INCEPTION,
  ND_FAMILY_RESNETV2,
  ND_FAMILY_DARKNET,
  ND_FAMILY_CSPDARKNET,
  ND_FAMILY_VOVNET,
  ND_FAMILY_ESE_VOVNET,
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
 *              ResNet: blocks per stage (2,2,2,2 for 18); ShuffleNetV2: blocks per stage
 *              (4,8,4); DenseNet: dense layers per block (6,12,24,16 for 121); ResNetV2:
 *              blocks per stage (3,4,6,3); (CSP)Darknet-53: blocks per stage (1,2,8,8,4);
 *              VoVNet: OSA modules per stage (1,1,2,2 for 39); MobileNetV2, VGG and
 *              Inception: not accepted.
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

/* The memory a model request may take: every model is sized from its shapes (weights plus
 * every activation, nd_graph_memory()) before anything is allocated, and a request over the
 * budget is an ND_RUNTIME_ERROR_OUT_OF_MEMORY error naming the model, its knobs, what it needs
 * and the budget. The budget is process-wide: nd_memory_budget_set(), else the environment
 * variable ND_MEMORY_BUDGET (a size as nd_memory_budget_parse() reads it), else
 * ND_DEFAULT_MEMORY_BUDGET. */
#define ND_DEFAULT_MEMORY_BUDGET (G_GUINT64_CONSTANT (4) << 30)

guint64       nd_memory_budget_get   (void);
/* @bytes 0: back to the default. */
void          nd_memory_budget_set   (guint64 bytes);
/* "4096" (MiB), "512M", "8G", "8GiB", "1.5G", "2T": binary units (K, M, G, T, with an
 * optional "i" and "B", any case); a plain number is MiB. Zero, negative, and sizes of 2^60
 * bytes or more are refused. */
gboolean      nd_memory_budget_parse (const char   *text,
                                      guint64      *bytes,
                                      GError      **error);
/* What @spec (knobs not yet checked) needs, from a shapes-only build: nothing is allocated. */
gboolean      nd_model_measure       (const NdModelSpec *spec,
                                      guint64           *weight_bytes,
                                      guint64           *activation_bytes,
                                      GError           **error);
/* Checks @spec's weights plus @batch images' activations against the budget. nd_model_build()
 * calls it with @batch 1. */
gboolean      nd_model_check_budget  (const NdModelSpec *spec,
                                      int                batch,
                                      GError           **error);

/* Deterministic random weights: He-normal convs/linears, BN with non-trivial statistics
 * (γ ∈ [0.5, 1.5], β ∼ N(0, 0.1), μ ∼ N(0, 0.1), σ² ∈ [0.5, 2]) so fusion is exercised. */
void          nd_model_init_random   (NdGraph *graph,
                                      guint64  seed);

const char   *nd_family_name         (NdFamily family);

G_END_DECLS
