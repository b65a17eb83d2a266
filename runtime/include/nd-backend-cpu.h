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

/* The OpenBLAS core this CPU should run ("SkylakeX", "Haswell", "Sandybridge"), or NULL;
 * the environment variable ND_BLAS_CORETYPE overrides the choice. */
const char *nd_cpu_blas_wanted_core   (void);

/* Call first in main(). When OpenBLAS picked kernels below what the CPU supports (0.3.21
 * takes Zen 4 for "Prescott"), re-executes the program with OPENBLAS_CORETYPE set — the
 * variable is only read when libopenblas loads. Does not return in that case. Returns TRUE
 * when the core is right, FALSE when it is wrong and could not be fixed (user-set
 * a second attempt, exec failure); the program works either way. A weaker OPENBLAS_CORETYPE
 * in the environment counts as a wrong choice; set ND_BLAS_CORETYPE to pin one. */
gboolean    nd_cpu_ensure_blas_core   (char   **argv);

G_END_DECLS
