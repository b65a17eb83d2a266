/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-fusion-check.h"

/* The runtime's reference input (smooth gradients and rings), for benchmarks and verification:
 * the same on every machine and run, and the one the window's fused-vs-unfused check uses. */
static inline NdTensor *
nd_test_input_new (int n, int c, int h, int w, GError **error)
{
  return nd_reference_input_new (n, c, h, w, error);
}
