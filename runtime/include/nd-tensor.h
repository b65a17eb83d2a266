/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define ND_MAX_DIMS 4

/* Upper bound on the elements of one tensor (16 Gi floats = 64 GiB). Anything read from a
 * file or a command line is checked against it before allocation. */
#define ND_TENSOR_MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 34)

/* A dense float32 tensor, row-major (NCHW for activations, [O, I/g, kh, kw] for conv
 * weights). Reference counted with atomic counts, because inference runs on a worker thread.
 * Data is 64-byte aligned and contiguous; shape[] beyond ndim is 1. */
typedef struct _NdTensor
{
  int      ndim;
  int64_t  shape[ND_MAX_DIMS];
  int64_t  numel;
  float   *data;
  /*< private >*/
  gpointer       owner;
  GDestroyNotify owner_free;
} NdTensor;

NdTensor   *nd_tensor_new         (int             ndim,
                                   const int64_t  *shape);
NdTensor   *nd_tensor_new_4d      (int64_t n, int64_t c, int64_t h, int64_t w);
NdTensor   *nd_tensor_new_1d      (int64_t n);
NdTensor   *nd_tensor_try_new     (int             ndim,
                                   const int64_t  *shape,
                                   GError        **error);
NdTensor   *nd_tensor_new_wrap    (int             ndim,
                                   const int64_t  *shape,
                                   float          *data,
                                   gpointer        owner,
                                   GDestroyNotify  owner_free);
NdTensor   *nd_tensor_copy        (const NdTensor *t);
NdTensor   *nd_tensor_ref         (NdTensor       *t);
void        nd_tensor_unref       (NdTensor       *t);
gboolean    nd_tensor_same_shape  (const NdTensor *a,
                                   const NdTensor *b);
gboolean    nd_tensor_reshape     (NdTensor       *t,
                                   int             ndim,
                                   const int64_t  *shape);
char       *nd_tensor_shape_string (const NdTensor *t);
void        nd_tensor_fill_normal (NdTensor       *t,
                                   GRand          *rand,
                                   double          mean,
                                   double          std);
void        nd_tensor_fill_uniform (NdTensor      *t,
                                    GRand         *rand,
                                    double         lo,
                                    double         hi);
/* max |a-b| and max |a-b| / max(max|b|, tiny); FALSE if the shapes differ. */
gboolean    nd_tensor_compare     (const NdTensor *a,
                                   const NdTensor *b,
                                   double         *max_abs,
                                   double         *max_rel);

static inline gint64
nd_tensor_dim (const NdTensor *t, int i)
{
  return i < t->ndim ? t->shape[i] : 1;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdTensor, nd_tensor_unref)

G_END_DECLS
