/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-error.h"
#include "nd-pickle.h"

/* Shared by the unpickler's files: nd-pickle.c (values, the stack, the API), nd-pickle-ops.c
 * (one handler per opcode) and nd-pickle-torch.c (storages, tensor rebuilds, REDUCE). */

/* Caps far above what a state dict needs (a ParNet-XL timm checkpoint with optimizer state
 * has a few thousand values) and far below what would exhaust memory. */
#define MAX_NESTING    256
#define MAX_MARKS      256
#define MAX_STACK      (1u << 20)
#define MAX_VALUES     (1u << 21)
#define MAX_MEMO       (1u << 20)
#define MAX_LINE       (1u << 16)

struct _NdPickle
{
  const guint8  *start, *p, *end;
  GPtrArray     *arena;    /* every value, freed together */
  GPtrArray     *stack;
  GArray        *marks;    /* int: stack length at each MARK */
  GHashTable    *memo;     /* index → value */
  NdPickleValue *root;
  GError        *error;
};

gboolean       _nd_pk_fail        (NdPickle       *pk,
                                   NdRuntimeError  code,
                                   const char     *fmt,
                                   ...) G_GNUC_PRINTF (3, 4);
#define _nd_pk_bad(pk, ...) _nd_pk_fail ((pk), ND_RUNTIME_ERROR_BAD_FILE, __VA_ARGS__)
NdPickleValue *_nd_pk_new_value   (NdPickle       *pk,
                                   NdPickleKind    kind);
/* push() takes NULL (a failed constructor) and fails */
gboolean       _nd_pk_push        (NdPickle       *pk,
                                   NdPickleValue  *v);
NdPickleValue *_nd_pk_pop         (NdPickle       *pk);
NdPickleValue *_nd_pk_top         (NdPickle       *pk);
/* The items above the last MARK, and the mark, removed (transfer container) */
GPtrArray     *_nd_pk_pop_mark    (NdPickle       *pk);
gboolean       _nd_pk_add_child   (NdPickle       *pk,
                                   NdPickleValue  *container,
                                   NdPickleValue  *child);
gboolean       _nd_pk_dict_set    (NdPickle       *pk,
                                   NdPickleValue  *dict,
                                   NdPickleValue  *key,
                                   NdPickleValue  *value);
NdPickleValue *_nd_pk_make_opaque (NdPickle       *pk,
                                   const char     *what);
/* BINPERSID: ('storage', storage_type, key, location, numel) → a STORAGE reference */
gboolean       _nd_pk_persid      (NdPickle       *pk,
                                   NdPickleValue  *pid);
/* REDUCE: tensor and parameter rebuilds, OrderedDict(); anything else stays inert data */
gboolean       _nd_pk_reduce      (NdPickle       *pk);
/* One opcode; FALSE at STOP or on error (pk->error) */
gboolean       _nd_pk_step        (NdPickle       *pk);
