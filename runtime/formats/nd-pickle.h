/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "nd-dtype.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* A restricted pickle reader (protocols 0–5) for PyTorch state dicts. It interprets dict,
 * OrderedDict, list, tuple, set, str, bytes, int, float, bool, None, the storage references
 * torch.save writes (BINPERSID) and torch._utils._rebuild_tensor_v2 / _rebuild_parameter.
 * It never imports, resolves or calls anything: every other GLOBAL is a name, and calling it
 * (REDUCE, NEWOBJ, BUILD) yields an inert OPAQUE value that is kept as data. All values live
 * in the reader's arena and are freed with it, so reference cycles built by a hostile pickle
 * cannot leak or loop. Private to the checkpoint reader. */

typedef enum
{
  ND_PV_NONE,
  ND_PV_BOOL,
  ND_PV_INT,
  ND_PV_FLOAT,
  ND_PV_STR,
  ND_PV_BYTES,
  ND_PV_LIST,      /* also sets and frozensets */
  ND_PV_TUPLE,
  ND_PV_DICT,      /* dict and OrderedDict; items in insertion order */
  ND_PV_GLOBAL,    /* a class or function named by the pickle, never resolved */
  ND_PV_OPAQUE,    /* the result of "calling" a GLOBAL we do not interpret */
  ND_PV_STORAGE,   /* ('storage', type, key, location, numel) */
  ND_PV_TENSOR,
} NdPickleKind;

typedef struct _NdPickleValue NdPickleValue;

struct _NdPickleValue
{
  NdPickleKind kind;
  int          depth;        /* container nesting */
  gint64       i;            /* INT, BOOL */
  double       f;            /* FLOAT */
  char        *s;            /* STR/BYTES (NUL-terminated copy), GLOBAL/OPAQUE "module.name" */
  gsize        len;          /* STR/BYTES length */
  GPtrArray   *items;        /* LIST/TUPLE items; DICT keys and values alternating */
  GHashTable  *index;        /* DICT: string key → item pair index + 1 */
  /* STORAGE */
  char        *key;
  char        *location;
  gboolean     dtype_known;
  NdDtype      dtype;
  char        *storage_type; /* e.g. "torch.FloatStorage" */
  gint64       numel;
  /* TENSOR */
  NdPickleValue *storage;
  gint64       offset;
  int          ndim;
  gint64       size[ND_MAX_DIMS];
  gint64       stride[ND_MAX_DIMS];
};

typedef struct _NdPickle NdPickle;

/* Runs the pickle in @data to its STOP. Returns the reader (which owns every value) or NULL
 * with @error (ND_RUNTIME_ERROR_BAD_FILE or _UNSUPPORTED) saying what is wrong. */
NdPickle      *nd_pickle_load        (const guint8 *data,
                                      gsize         size,
                                      GError      **error);
NdPickleValue *nd_pickle_root        (NdPickle     *pickle);
void           nd_pickle_free        (NdPickle     *pickle);

/* DICT helpers. */
guint          nd_pickle_dict_size   (const NdPickleValue *dict);
NdPickleValue *nd_pickle_dict_key    (const NdPickleValue *dict, guint i);
NdPickleValue *nd_pickle_dict_value  (const NdPickleValue *dict, guint i);
NdPickleValue *nd_pickle_dict_lookup (const NdPickleValue *dict, const char *key);
const char    *nd_pickle_kind_name   (const NdPickleValue *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdPickle, nd_pickle_free)

G_END_DECLS
