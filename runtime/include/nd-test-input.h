/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <math.h>

#include "nd-tensor.h"

/* A deterministic, image-like input (smooth gradients and rings, roughly zero-mean, unit
 * scale) for benchmarks and verification: the same on every machine and run. Sized by the
 * request (batch, resolution): NULL with OUT_OF_MEMORY rather than an abort. */
static inline NdTensor *
nd_test_input_new (int n, int c, int h, int w, GError **error)
{
  int64_t shape[4] = { n, c, h, w };
  NdTensor *t = nd_tensor_try_new (4, shape, error);

  if (t == NULL)
    {
      g_prefix_error (error, "input %d×%d×%d×%d: ", n, c, h, w);
      return NULL;
    }

  for (int b = 0; b < n; b++)
    for (int k = 0; k < c; k++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            double u = (x + 0.5) / w - 0.5, v = (y + 0.5) / h - 0.5;

            t->data[(((gint64) b * c + k) * h + y) * w + x] =
              (float) (1.5 * sin (12.0 * sqrt (u * u + v * v) + k + b) + u - v);
          }
  return t;
}
