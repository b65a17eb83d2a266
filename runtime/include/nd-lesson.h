/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* The re-parameterization lesson of one block: the fusion of a training-form graph done one
 * rule at a time with the very helpers nd_fuse_graph() uses (passes/nd-fuse-rules.c), and
 * after every step the block's output on the given input, computed by the naive reference ops
 * (float32) with that step's weights and compared with the training form.
 *
 * Step ids (stable; the CLI's JSON and the views use them):
 *   training          the block as trained: kernels and BN (γ, β, μ, σ², ε)
 *   bn_folded         every conv → BN pair folded: W·t, b = β − μ·t with t = γ/√(σ²+ε)
 *   pad_1x1           the 1×1 branch written as a 3×3 kernel (value at the centre)
 *   pool_1x1          ParNet stride 2: AvgPool 2×2 + 1×1 written as a 3×3 stride-2 kernel
 *   identity_kernel   the identity BN written as a 3×3 kernel (δ at the centre for in = out)
 *   fused             the branches summed into one 3×3 kernel and bias (the fuse rule)
 *   sse               ParNet: the SSE gate on this input, which stays outside the kernel
 *   activation        VanillaNet: leaky_relu(x, λ) = λ·x + (1−λ)·ReLU(x) dropped (identity
 *                     at λ = 1; at λ < 1 forced, valid FALSE, to show the error)
 *   merge_1x1         VanillaNet: the two convs merged, W = W2·W1, b = b2 + W2·b1 */

typedef struct
{
  char      *name;     /* "<module>.<slot>" (e.g. "stage1.0.rbr_dense.conv.weight") or a
                        * derived quantity ("….scale", "….shift", "….gate", "lambda") */
  NdTensor  *tensor;   /* owned ref */
  int        groups;   /* the conv's groups, for nd_lesson_tensor_slice(); 1 otherwise */
} NdLessonTensor;

typedef struct
{
  const char *id;           /* see above; static */
  const char *title;        /* untranslated (N_), static */
  const char *explanation;  /* untranslated (N_), with the formula as text, static */
  const char *reference;    /* the paper section, static */
  const char *url;          /* the paper, static */
  gboolean    valid;        /* FALSE: not an equivalence (VanillaNet's activation at λ < 1) */
  GPtrArray  *tensors;      /* NdLessonTensor*: what this step computed or changed */
  NdTensor   *output;       /* the block's output [1, C, H, W] with this step's weights */
  double      max_abs;      /* vs the training form's output */
  double      max_rel;      /* max_abs / max |training output| */
} NdLessonStep;

typedef struct _NdLesson NdLesson;

struct _NdLesson
{
  NdGraph    *train;       /* training form (ref) */
  char       *block;       /* e.g. "stage1.0" */
  char       *family;
  int         first, last; /* node range of the block in @train */
  NdTensor   *input;       /* the network input (ref) */
  GPtrArray  *captured;    /* NdTensor* per node id ≤ last: the training form's outputs */
  GPtrArray  *steps;       /* NdLessonStep* */
  /*< private >*/
  gpointer    fused_work;  /* the block after every step (for the pitfalls) */
};

/* The blocks of @graph that have a lesson (at least one conv → BN pair, or branches), as a
 * NULL-terminated array of block paths. */
char        **nd_lesson_blocks        (const NdGraph  *graph);

/* Builds the lesson of @block in the training form @train on @input [1, C, H, W]. Errors:
 * ND_RUNTIME_ERROR_INVALID_MODEL when @train is fused or @block does not exist or has nothing
 * to re-parameterize. */
NdLesson     *nd_lesson_new           (NdGraph        *train,
                                       const char     *block,
                                       const NdTensor *input,
                                       GError        **error);
void          nd_lesson_free          (NdLesson       *lesson);

/* The kh×kw slice of a tensor at output channel @out_c and input channel @in_c (a conv
 * kernel [O, I/g, kh, kw]: @in_c is the layer's input channel; FALSE when it is not in
 * @out_c's group), or the value at @out_c of a per-channel vector. @values holds up to 49. */
gboolean      nd_lesson_tensor_slice  (const NdTensor *tensor,
                                       int             out_c,
                                       int             in_c,
                                       int             groups,
                                       float          *values,
                                       int            *n_values);

typedef enum
{
  ND_LESSON_PITFALL_EVAL,   /* "forgot .eval()": BN on the batch statistics of the input */
  ND_LESSON_PITFALL_INT8,   /* per-tensor symmetric int8 fake quantization, before/after fusion */
  ND_LESSON_PITFALL_FP16,   /* weights and activations rounded through float16 */
} NdLessonPitfall;

#define ND_LESSON_HIST_BINS 21

typedef struct
{
  NdLessonPitfall kind;
  /* the block's output vs the float32 training form */
  double  block_unfused_max_abs, block_unfused_max_rel;
  double  block_fused_max_abs, block_fused_max_rel;     /* int8, fp16 only */
  /* the network's logits vs the float32 training form, and the top-5 classes */
  double  logits_unfused_max_abs, logits_unfused_max_rel;
  double  logits_fused_max_abs, logits_fused_max_rel;   /* int8, fp16 only */
  int     top5_float[5], top5_unfused[5], top5_fused[5];
  int     top5_changed_unfused, top5_changed_fused;     /* classes no longer in the top-5 */
  /* int8: the block's kernels as quantized, before fusion (the branch convs) and after */
  double  hist_range;                                   /* bins cover [−range, range] */
  guint   hist_branches[ND_LESSON_HIST_BINS];
  guint   hist_fused[ND_LESSON_HIST_BINS];
  double  scale_branches_max, scale_fused;              /* int8 step = max|W| / 127 */
  double  zero_fraction_branches, zero_fraction_fused;  /* weights that round to 0 */
} NdLessonPitfallResult;

/* Measures @kind on the lesson's block and on the whole network (naive reference ops). The
 * fused network is nd_fuse_graph (@lesson->train), refused (error) for VanillaNet at λ < 1. */
gboolean      nd_lesson_pitfall       (NdLesson              *lesson,
                                       NdLessonPitfall        kind,
                                       NdLessonPitfallResult *result,
                                       GError               **error);
const char   *nd_lesson_pitfall_name  (NdLessonPitfall        kind);   /* "eval", "int8", "fp16" */
gboolean      nd_lesson_pitfall_parse (const char            *name,
                                       NdLessonPitfall       *kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdLesson, nd_lesson_free)

G_END_DECLS
