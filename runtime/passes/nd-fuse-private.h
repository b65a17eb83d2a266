/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph.h"

G_BEGIN_DECLS

/* The working state of nd_fuse_graph(): a private copy of the graph that the rules rewrite in
 * place. Rules never add nodes: a fused node takes the slot of its first (dense) conv, whose
 * inputs therefore still come first, and the nodes it absorbed are marked dead and later
 * dropped, so ids stay topological until the final renumbering. */
typedef struct
{
  NdGraph  *graph;
  gboolean *dead;
  int       n;
} NdFuseWork;

/* The only live reader of @id, or -1 when it has none, several, reads it twice, or @id is
 * the graph output. */
int       _nd_fuse_sole_consumer (const NdFuseWork *work,
                                  int               id);
/* Marks @id dead; its readers and the graph output are redirected to @replacement
 * (-1 when it has no readers left). */
void      _nd_fuse_kill          (NdFuseWork       *work,
                                  int               id,
                                  int               replacement);
/* Appends the training-form names @node stands for (its origins, else its own name). */
void      _nd_fuse_add_origins   (GPtrArray        *names,
                                  const NdNode     *node);
/* Replaces @node's weights by a conv weight and optional bias (both taken) and its origins by
 * @names (a GPtrArray of char*, consumed and NULL-terminated here). */
void      _nd_fuse_set_conv      (NdNode           *node,
                                  NdTensor         *weight,
                                  NdTensor         *bias,
                                  GPtrArray        *names);

/* The rules; each returns TRUE when it rewrote something at @id. */
gboolean  _nd_fuse_fold_bn       (NdFuseWork       *work,
                                  int               id);
gboolean  _nd_fuse_merge_convs   (NdFuseWork       *work,
                                  int               id);
gboolean  _nd_fuse_merge_branches (NdFuseWork      *work,
                                   int              id);

G_END_DECLS
