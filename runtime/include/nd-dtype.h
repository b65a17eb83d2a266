/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Element types found in weight files; all are converted to float32 on load. Private to the
 * weight readers. */
typedef enum
{
  ND_DTYPE_F32,
  ND_DTYPE_F16,
  ND_DTYPE_BF16,
  ND_DTYPE_F64,
  ND_DTYPE_I64,
  ND_DTYPE_I32,
  ND_DTYPE_U8,
  ND_DTYPE_COUNT
} NdDtype;

gsize        nd_dtype_size              (NdDtype dtype);
const char  *nd_dtype_name              (NdDtype dtype);   /* "float32", … */
gboolean     nd_dtype_from_safetensors  (const char *name, NdDtype *dtype);
/* Converts @n little-endian elements at @src (any alignment) to float32. */
void         nd_dtype_to_f32            (NdDtype dtype, const guint8 *src, int64_t n, float *dst);
float        nd_half_to_float           (guint16 h);
guint16      nd_float_to_half           (float f);

G_END_DECLS
