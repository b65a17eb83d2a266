/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "nd-checkpoint.h"

G_BEGIN_DECLS

/* A key and its shape, which is all model detection needs (no tensor data is read). */
typedef struct
{
  const char *key;
  int         ndim;
  int64_t     shape[4];
} NdKeyShape;

gboolean nd_checkpoint_detect_shapes (const NdKeyShape  *ks,
                                      guint              n,
                                      NdCheckpointModel *out);

/* The safetensors __metadata__ of @ckpt (transfer none), NULL for other formats. */
GHashTable *nd_checkpoint_get_metadata (NdCheckpoint *ckpt);
/* Whether @d looks like a safetensors file (the test nd_checkpoint_open sniffs with). */
gboolean    nd_checkpoint_sniff_safetensors (const guint8 *d,
                                             gsize         size);

G_END_DECLS
