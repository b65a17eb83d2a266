/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-graph.h"
#include "nd-model.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* Whole models: the fused graph computes what the training form computes (naive reference
 * ops, random weights with non-trivial BN), and the fused counts match the official deploy
 * models (reference/networks.md §1.3, §2.3, §3.5, §4). */

/* Builds preset @name; NULL (and the test skipped) while its builder is not written yet. */
static NdGraph *
build (const char *name, int resolution, int classes)
{
  g_autoptr(GError) error = NULL;
  NdModelSpec spec;
  NdGraph *g;

  nd_model_spec_parse (name, &spec, &error);
  g_assert_no_error (error);
  spec.resolution = resolution;
  spec.classes = classes;
  g = nd_model_build (&spec, &error);
  if (g == NULL && g_error_matches (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED)
      && strstr (error->message, "not implemented") != NULL)
    {
      g_test_skip (error->message);
      return NULL;
    }
  g_assert_no_error (error);
  return g;
}

static NdGraph *
fuse (const NdGraph *g)
{
  g_autoptr(GError) error = NULL;
  NdGraph *f = nd_fuse_graph (g, &error);

  g_assert_no_error (error);
  g_assert_nonnull (f);
  g_assert_true (f->fused);
  for (int i = 0; i < nd_graph_n_nodes (f); i++)
    {
      const NdNode *node = nd_graph_node (f, i);

      g_assert_cmpint (node->id, ==, i);
      for (int k = 0; k < node->n_inputs; k++)
        g_assert_cmpint (node->inputs[k], <, i);
    }
  return f;
}

static void
count_entry (const char *key, NdTensor *tensor, gboolean is_param, gpointer user_data)
{
  (*(int *) user_data)++;
}

/* state_dict entries: every weight tensor plus one num_batches_tracked per BN */
static int
state_dict_entries (const NdGraph *g)
{
  int n = 0;

  nd_graph_foreach_weight (g, count_entry, &n);
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    n += nd_graph_node (g, i)->op == ND_OP_BATCHNORM;
  return n;
}

static void
check_equivalent (const char *name, int resolution)
{
  g_autoptr(NdGraph) g = build (name, resolution, 10);
  g_autoptr(NdGraph) f = NULL;
  g_autoptr(NdTensor) x = NULL, y = NULL, yf = NULL;
  gint64 params, fparams;

  if (g == NULL)
    return;
  nd_model_init_random (g, 7);
  f = fuse (g);
  x = nd_test_random_input (1, g->in_c, g->in_h, g->in_w, 8);
  y = nd_ref_run_graph (g, x, NULL);
  yf = nd_ref_run_graph (f, x, NULL);
  nd_test_assert_close (yf, y, 1e-4, 0, name);
  nd_graph_count (g, &params, NULL, NULL);
  nd_graph_count (f, &fparams, NULL, NULL);
  g_assert_cmpint (fparams, <, params);
  g_test_message ("%s @%d: %d → %d nodes, %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT
                  " params", name, resolution, nd_graph_n_nodes (g), nd_graph_n_nodes (f),
                  params, fparams);
}

static void
test_equivalent (gconstpointer data)
{
  check_equivalent (data, 64);
}

/* Fused params at 224 with 1000 classes, MACs (0 = not checked), state_dict entries. */
typedef struct
{
  const char *name;
  gint64      params;
  gint64      macs;
  int         entries;
} FusedCount;

static const FusedCount counts[] = {
  { "parnet-s", 19128980, 0, 158 },
  { "parnet-m", 35576616, 0, 158 },
  { "parnet-l", 54914824, 0, 158 },
  { "parnet-xl", 84962784, 0, 158 },
  { "repvgg-a0", 8309384, 0, 46 },
  { "repvgg-a1", 12789864, 0, 0 },
  { "repvgg-a2", 25499944, 0, 0 },
  { "repvgg-b0", 14339048, 0, 0 },
  { "repvgg-b1", 51829480, 0, 0 },
  { "repvgg-b1g2", 41360104, 0, 0 },
  { "repvgg-b1g4", 36125416, 0, 0 },
  { "repvgg-b2", 80315112, 0, 0 },
  { "repvgg-b2g4", 55777512, 0, 0 },
  { "repvgg-b3", 110960872, 0, 0 },
  { "vanillanet-5", 15523304, G_GINT64_CONSTANT (5161185280), 18 },
};

static void
test_counts (gconstpointer data)
{
  const FusedCount *c = data;
  g_autoptr(NdGraph) g = build (c->name, 224, 1000);
  g_autoptr(NdGraph) f = NULL;
  gint64 params, macs;

  if (g == NULL)
    return;
  f = fuse (g);
  nd_graph_count (f, &params, &macs, NULL);
  g_test_message ("%s fused: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs, "
                  "%d state_dict entries", c->name, params, macs, state_dict_entries (f));
  g_assert_cmpint (params, ==, c->params);
  if (c->macs != 0)
    g_assert_cmpint (macs, ==, c->macs);
  if (c->entries != 0)
    g_assert_cmpint (state_dict_entries (f), ==, c->entries);
  if (strcmp (c->name, "parnet-s") == 0)
    g_assert_cmpfloat (fabs (macs / 1e9 - 4.734), <, 0.0005);
}

/* ParNet's fused deploy names and what stays unfused. */
static void
test_parnet_names (void)
{
  g_autoptr(NdGraph) g = build ("parnet-s", 64, 10);
  g_autoptr(NdGraph) f = NULL;

  if (g == NULL)
    return;
  f = fuse (g);
  g_assert_nonnull (nd_graph_lookup_weight (f, "streams.2.4.block.rbr_dense.weight"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "streams.2.4.block.rbr_dense.bias"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "streams.2.4.block.rbr_identity.running_var"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "inits.0.0.block.rbr_dense.weight"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "combine.2.block.se.cvsig.conv.weight"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "combine.0.b2.running_mean"));
  g_assert_null (nd_graph_lookup_weight (f, "inits.0.0.block.rbr_1x1.1.conv.weight"));
  g_assert_null (nd_graph_lookup_weight (f, "streams.0.0.block.rbr_dense.bn.weight"));
  g_assert_cmpint (state_dict_entries (g), ==, 378);
  g_assert_cmpint (state_dict_entries (f), ==, 158);
}

int
main (int argc, char **argv)
{
  static const char * const equivalent[] = {
    "parnet-s", "repvgg-a0", "repvgg-b1g4", "vanillanet-5", "resnet-18",
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (equivalent); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fuse-models/equivalent/%s", equivalent[i]);

      g_test_add_data_func (path, equivalent[i], test_equivalent);
    }
  g_test_add_func ("/fuse-models/parnet-names", test_parnet_names);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fuse-models/counts/%s", counts[i].name);

      g_test_add_data_func (path, &counts[i], test_counts);
    }
  return g_test_run ();
}
