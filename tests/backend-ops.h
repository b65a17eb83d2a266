/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-graph.h"

/* Shared by test-backend-ops.c (convolutions, the table's registration) and
 * backend-ops-graphs.c (the graph cases). */

typedef struct
{
  const char   *name;
  NdBackend    *backend;
  NdDeviceKind  kind;
} Backend;

/* Runs @g on @be and on the naive oracle, twice, and compares: the CPU to 1e-5 relative
 * (+1e-6), 1e-4 with @loose and on Vulkan. Returns the plan for more checks. */
NdPlan *backend_ops_check (const Backend *be, NdGraph *g, int batch, const int *capture,
                           int n_capture, gboolean loose, gboolean timings, const char *what);

typedef struct
{
  const char *name;
  void      (*run) (const Backend *be, int variant);
  int         variant;
} GraphCase;

extern const GraphCase backend_ops_graph_cases[];
extern const guint backend_ops_n_graph_cases;
