/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-weights.h"

G_BEGIN_DECLS

/* safetensors (https://github.com/huggingface/safetensors): 8-byte LE header length, JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
 * then the data. Reading maps the file and checks the header length, every dtype, shape and
 * offset (inside the data area, matching dtype×shape, no overlap) before use. F32, F16, BF16
 * and F64 are converted to float32. Writing stores F32 in @set's key order. */
NdWeightSet *nd_safetensors_load    (const char  *path,
                                     GHashTable **metadata,
                                     GError     **error);
/* Only the __metadata__ of a safetensors file (the header is checked as by the loader; the
 * tensors are not read): a string → string table, empty when there is none. */
GHashTable  *nd_safetensors_read_metadata (const char  *path,
                                           GError     **error);
gboolean     nd_safetensors_save    (const char  *path,
                                     NdWeightSet *set,
                                     GHashTable  *metadata,
                                     GError     **error);

/* The same on bytes in memory (no copy); @name is used in messages. */
NdWeightSet *nd_safetensors_load_from_data (const guint8  *data,
                                            gsize          size,
                                            const char    *name,
                                            GHashTable   **metadata,
                                            GError       **error);

G_END_DECLS
