/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "nd-lab.h"

G_BEGIN_DECLS

/* The CLI's side of the lab (runtime/lab does the measuring): JSON for the roof and the
 * context.
 * "roof": {peak_gflops, bandwidth_gbs, ridge_intensity, conv_probes_gflops, copy_probes,
 * memcpy_gbs, peak_source ("sgemm", "nd-gemm", "shader-fma" or "conv-probe"), sgemm_gflops,
 * nd_gemm_gflops, gemm_size, shader_fma_gflops, shader_fma_invocations, shader_fma_timer};
 * a probe the backend does not run is null. */
void     nd_lab_json_roof      (JsonBuilder     *b,
                                const NdLabRoof *roof);

/* The context every lab result states: backend, device, threads, precision, date. */
void     nd_lab_json_context   (JsonBuilder *b,
                                NdBackend   *backend);
int      nd_lab_backend_threads (NdBackend *backend);

G_END_DECLS
