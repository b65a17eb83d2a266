/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers shared by test-models.c and test-models-zoo.c. */

#include <math.h>
#include <string.h>

#include "nd-error.h"
#include "nd-model.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

G_GNUC_UNUSED static NdGraph *
build (const char *name, NdModelSpec *out_spec)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  NdGraph *g;

  g_assert_true (nd_model_spec_parse (name, &spec, &error));
  g_assert_no_error (error);
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g);
  if (out_spec)
    *out_spec = spec;
  return g;
}

G_GNUC_UNUSED static NdGraph *
build_spec (const NdModelSpec *spec)
{
  g_autoptr(GError) error = NULL;
  NdGraph *g = nd_model_build (spec, &error);

  g_assert_no_error (error);
  g_assert_nonnull (g);
  return g;
}

G_GNUC_UNUSED static void
count_entry (const char *key, NdTensor *tensor, gboolean is_param, gpointer user_data)
{
  (*(int *) user_data)++;
}

/* state_dict entries: every weight tensor plus one num_batches_tracked per BN */
G_GNUC_UNUSED static int
state_dict_entries (const NdGraph *g)
{
  int n = 0;

  nd_graph_foreach_weight (g, count_entry, &n);
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    n += nd_graph_node (g, i)->op == ND_OP_BATCHNORM;
  return n;
}

G_GNUC_UNUSED static int
find_node (const NdGraph *g, const char *name)
{
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    if (g_strcmp0 (nd_graph_node (g, i)->name, name) == 0)
      return i;
  return -1;
}

G_GNUC_UNUSED static void
assert_shape (const NdGraph *g, const char *key, int ndim, const int64_t *shape)
{
  NdTensor *t = nd_graph_lookup_weight (g, key);

  if (t == NULL)
    g_error ("missing weight %s", key);
  g_assert_cmpint (t->ndim, ==, ndim);
  for (int i = 0; i < ndim; i++)
    g_assert_cmpint (t->shape[i], ==, shape[i]);
}

/* Runs the graph naively on a random image; checks the logits shape and finiteness. */
G_GNUC_UNUSED static void
assert_forward (NdGraph *g, int classes)
{
  g_autoptr(NdTensor) x = NULL;
  g_autoptr(NdTensor) y = NULL;

  nd_model_init_random (g, 7);
  x = nd_test_random_input (1, g->in_c, g->in_h, g->in_w, 3);
  y = nd_ref_run_graph (g, x, NULL);
  g_assert_nonnull (y);
  g_assert_cmpint (y->shape[0], ==, 1);
  g_assert_cmpint (nd_tensor_dim (y, 1), ==, classes);
  g_assert_cmpint (y->numel, ==, classes);
  for (int64_t i = 0; i < y->numel; i++)
    g_assert_true (isfinite (y->data[i]));
}
