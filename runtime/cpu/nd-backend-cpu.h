/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"

G_BEGIN_DECLS

/* The CPU backend. @n_threads 0 = one per core. @reference_only runs every op through the
 * naive oracle (nd-ref-ops.c); otherwise each op gets the fastest kernel that supports it. */
NdBackend  *nd_cpu_backend_new        (int      n_threads,
                                       gboolean reference_only);

/* OpenBLAS's core choice ("SkylakeX", "Haswell", "Prescott", …) and thread count, for the
 * bench report. */
const char *nd_cpu_blas_corename      (void);

G_END_DECLS
