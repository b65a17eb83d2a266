/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"
#include "nd-model.h"

G_BEGIN_DECLS

/* Shared by the model builders (nd-model-*.c). Not installed, not a contract.
 *
 * NdBuild carries the graph being built, the current view tags (stream, block, depth) and the
 * first error. Every helper returns -1 at once after an error, so a builder can be written as
 * straight-line code and check nd_build_failed() once at the end. */
typedef struct
{
  NdGraph *graph;
  GError  *error;
  int      stream;
  char    *block;
  int      depth;
} NdBuild;

/* Fills the knobs left at 0 from the preset and checks every knob (nd_model_build's rules). */
gboolean  _nd_model_resolve_spec (const NdModelSpec *spec,
                                  NdModelSpec       *resolved,
                                  GError           **error);

void      nd_build_init      (NdBuild *b, int in_c, int side);
/* Returns the graph (full ownership) or NULL with @error set; frees the rest of @b. */
NdGraph  *nd_build_finish    (NdBuild *b, GError **error);
void      nd_build_tags      (NdBuild *b, int stream, const char *block, int depth);
gboolean  nd_build_failed    (const NdBuild *b);

/* Node name = @prefix @suffix (either may be NULL). */
int       nd_build_conv      (NdBuild *b, int in, int out_c, int k, int stride, int pad,
                              int groups, gboolean bias, NdRole role,
                              const char *prefix, const char *suffix);
/* A kh × kw kernel with pad_h rows and pad_w columns of padding; groups 1, no bias. */
int       nd_build_conv_rect (NdBuild *b, int in, int out_c, int kh, int kw, int stride,
                              int pad_h, int pad_w, NdRole role, const char *prefix,
                              const char *suffix);
int       nd_build_bn        (NdBuild *b, int in, float eps, NdRole role,
                              const char *prefix, const char *suffix);
/* RELU, SILU, SIGMOID, LEAKY_RELU (@alpha is the slope), CHANNEL_SHUFFLE (@alpha = groups). */
int       nd_build_unary     (NdBuild *b, NdOp op, int in, float alpha, NdRole role);
int       nd_build_pool      (NdBuild *b, NdOp op, int in, int k, int stride, int pad,
                              NdRole role);
int       nd_build_adaptive  (NdBuild *b, NdOp op, int in, int out_side, NdRole role,
                              const char *name);
int       nd_build_linear    (NdBuild *b, int in, int out_c, NdRole role, const char *name);
int       nd_build_add       (NdBuild *b, const int *in, int n_in, NdRole role);
int       nd_build_gate      (NdBuild *b, int x, int gate, float alpha, NdRole role);
/* x · relu6(gate + 3)/6: timm's effective-SE gate (hard sigmoid) */
int       nd_build_hard_gate (NdBuild *b, int x, int gate, NdRole role);
int       nd_build_maxpool_ceil (NdBuild *b, int in, int k, int stride, NdRole role);
int       nd_build_concat    (NdBuild *b, int x, int y, NdRole role);
/* torch.cat of 2..ND_MAX_INPUTS maps along channels */
int       nd_build_cat       (NdBuild *b, const int *in, int n_in, NdRole role);
/* channels [offset, offset + count) */
int       nd_build_slice     (NdBuild *b, int in, int offset, int count, NdRole role);
int       nd_build_node_out_c (const NdBuild *b, int id);

/* A width scaled by the knob: 2·round(c·w/2), at least 2; exactly c when w == 1. */
int       nd_model_scale_width (int c, double w);

NdGraph  *nd_model_build_parnet     (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_repvgg     (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_vanillanet (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_resnet     (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_vgg        (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_mobilenet  (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_shufflenet (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_densenet   (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_inception  (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_resnetv2   (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_darknet    (const NdModelSpec *spec, GError **error);
NdGraph  *nd_model_build_vovnet     (const NdModelSpec *spec, GError **error);

G_END_DECLS
