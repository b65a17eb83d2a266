/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-fuse-private.h"
#include "nd-lesson.h"

G_BEGIN_DECLS

/* How nodes are evaluated: as the graph says, or with one of the pitfalls. */
typedef enum
{
  ND_LESSON_RUN_FLOAT,
  ND_LESSON_RUN_BATCH_STATS,   /* BN normalizes with the input's own mean and variance */
  ND_LESSON_RUN_INT8,          /* conv/linear inputs and weights fake-quantized per tensor */
  ND_LESSON_RUN_FP16,          /* weights and every output rounded through float16 */
} NdLessonRun;

/* Runs the live nodes @first..@last of @graph (@dead may be NULL) on the naive reference ops.
 * @outs holds a tensor (or NULL) per node id; inputs below @first come from @outs as they
 * are, outputs @first..@last are stored there (replacing what was there). */
void       _nd_lesson_run_range   (const NdGraph  *graph,
                                   const gboolean *dead,
                                   int             first,
                                   int             last,
                                   GPtrArray      *outs,
                                   NdLessonRun     mode);
/* The block's output (the work graph's output node) on the lesson's captured inputs. */
NdTensor  *_nd_lesson_run_block   (const NdLesson   *lesson,
                                   const NdFuseWork *work,
                                   NdLessonRun       mode);
/* nd_tensor_unref() that accepts NULL, for per-node arrays with holes. */
void       _nd_lesson_tensor_unref0 (gpointer t);
/* Symmetric per-tensor int8: returns a new tensor of round(x/s)·s, s = max|x|/127. */
NdTensor  *_nd_lesson_fake_int8   (const NdTensor *t,
                                   double         *scale);

G_END_DECLS
