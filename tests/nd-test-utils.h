/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* Fills every weight of @graph from a fixed-seed stream; BN gets non-trivial statistics. */
void      nd_test_randomize_graph (NdGraph *graph, guint32 seed);
/* A [n, c, h, w] tensor of N(0, 1) values from @seed. */
NdTensor *nd_test_random_input    (int n, int c, int h, int w, guint32 seed);
/* Asserts |a - b| ≤ atol + rtol·max|b| elementwise-max, with a message naming @what. */
void      nd_test_assert_close    (const NdTensor *a, const NdTensor *b, double rtol, double atol,
                                   const char *what);
/* ND_TEST_REQUIRE (comma-separated, e.g. "vulkan,torch,dataset,pillow", set by .ci/run) names
 * what this run must have: a test that would skip for want of @what fails instead. */
gboolean  nd_test_required        (const char *what);
/* g_test_skip (@reason), or a failure naming ND_TEST_REQUIRE when @what is required. */
void      nd_test_skip_unless_required (const char *what, const char *reason);

/* Prepares @g on @backend and runs it twice (inputs from seeds 17 and 18, so a replayed
 * command buffer or a stale reused buffer shows), comparing the output and every node in
 * @capture with the naive oracle (nd_ref_run_graph). Returns the plan. */
NdPlan   *nd_test_check_graph     (NdBackend  *backend,
                                   NdGraph    *g,
                                   int         batch,
                                   const int  *capture,
                                   int         n_capture,
                                   gboolean    timings,
                                   double      rtol,
                                   double      atol,
                                   const char *what);

G_END_DECLS
