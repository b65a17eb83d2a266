/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"

G_BEGIN_DECLS

/* The CPU backend's measure_peak hook (nd-backend.h): the best of OpenBLAS sgemm and the
 * packed GEMM at 512³ and 1024³, each checked against double-precision reference entries. */
gboolean nd_cpu_measure_peak (NdBackend     *backend,
                              NdBackendPeak *peak,
                              GError       **error);

G_END_DECLS
