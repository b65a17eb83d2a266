/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-tensor.h"

G_BEGIN_DECLS

/* NumPy .npy v1/v2/v3: little-endian float32 ('<f4'), C order. Other dtypes are refused. */
NdTensor    *nd_npy_load            (const char  *path,
                                     GError     **error);
gboolean     nd_npy_save            (const char     *path,
                                     const NdTensor *tensor,
                                     GError        **error);

/* The same on bytes in memory (no copy); @name is used in messages. */
NdTensor    *nd_npy_load_from_data  (const guint8 *data,
                                     gsize         size,
                                     const char   *name,
                                     GError      **error);

G_END_DECLS
