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
 * models (docs/reference/networks.md §1.3, §2.3, §3.5, §4). */

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

static int
find_name (const NdGraph *g, const char *name)
{
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    if (g_strcmp0 (nd_graph_node (g, i)->name, name) == 0)
      return i;
  g_error ("no node %s", name);
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

/* Fused params at 224 with 1000 classes, exact MACs (0: not checked), GMACs to 3 decimals
 * (0: not checked), state_dict entries (0: not checked). */
typedef struct
{
  const char *name;
  gint64      params;
  gint64      macs;
  double      gmacs;
  int         entries;
} FusedCount;

static const FusedCount counts[] = {
  { "parnet-s", 19128980, 0, 4.734, 158 },
  { "parnet-m", 35576616, 0, 8.582, 158 },
  { "parnet-l", 54914824, 0, 13.324, 158 },
  { "parnet-xl", 84962784, 0, 20.716, 158 },
  { "repvgg-a0", 8309384, 0, 1.361, 46 },
  { "repvgg-a1", 12789864, 0, 2.364, 0 },
  { "repvgg-a2", 25499944, 0, 5.117, 0 },
  { "repvgg-b0", 14339048, 0, 3.058, 0 },
  { "repvgg-b1", 51829480, 0, 11.815, 0 },
  { "repvgg-b1g2", 41360104, 0, 8.810, 0 },
  { "repvgg-b1g4", 36125416, 0, 7.307, 0 },
  { "repvgg-b2", 80315112, 0, 18.377, 0 },
  { "repvgg-b2g4", 55777512, 0, 11.332, 0 },
  { "repvgg-b3", 110960872, 0, 26.209, 0 },
  { "vanillanet-5", 15523304, G_GINT64_CONSTANT (5161185280), 5.161, 18 },
};

static void
test_counts (gconstpointer data)
{
  const FusedCount *c = data;
  g_autoptr(NdGraph) g = build (c->name, 224, 1000);
  g_autoptr(NdGraph) f = NULL;
  gint64 params, macs;

  f = fuse (g);
  nd_graph_count (f, &params, &macs, NULL);
  g_test_message ("%s fused: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs, "
                  "%d state_dict entries", c->name, params, macs, state_dict_entries (f));
  g_assert_cmpint (params, ==, c->params);
  if (c->macs != 0)
    g_assert_cmpint (macs, ==, c->macs);
  if (c->entries != 0)
    g_assert_cmpint (state_dict_entries (f), ==, c->entries);
  if (c->gmacs != 0)
    g_assert_cmpfloat (fabs (macs / 1e9 - c->gmacs), <, 0.0005);
}

/* ParNet's fused deploy names and what stays unfused. */
static void
test_parnet_names (void)
{
  g_autoptr(NdGraph) g = build ("parnet-s", 64, 10);
  g_autoptr(NdGraph) f = NULL;

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

/* RepVGG deploy names: one rbr_reparam per block, nothing of the training branches left. */
static void
test_repvgg_names (void)
{
  g_autoptr(NdGraph) g = build ("repvgg-b1g4", 64, 10);
  g_autoptr(NdGraph) f = NULL, again = NULL;
  int convs = 0;

  f = fuse (g);
  for (int i = 0; i < nd_graph_n_nodes (f); i++)
    {
      const NdNode *node = nd_graph_node (f, i);

      g_assert_cmpint (node->op, !=, ND_OP_BATCHNORM);
      g_assert_cmpint (node->op, !=, ND_OP_ADD);
      if (node->op != ND_OP_CONV2D)
        continue;
      convs++;
      g_assert_true (g_str_has_suffix (node->name, ".rbr_reparam"));
      g_assert_cmpint (node->role, ==, ND_ROLE_FUSED3X3);
      g_assert_nonnull (node->origins);
    }
  g_assert_cmpint (convs, ==, 28);
  g_assert_nonnull (nd_graph_lookup_weight (f, "stage0.rbr_reparam.bias"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "stage3.15.rbr_reparam.weight"));
  g_assert_cmpint (nd_graph_lookup_weight (f, "stage3.15.rbr_reparam.weight")->shape[1], ==,
                   512 / 4);   /* B1 stage 3 is 512 wide; odd blocks are g4 */
  /* a fused graph has nothing left to fuse */
  again = fuse (f);
  g_assert_cmpint (nd_graph_n_nodes (again), ==, nd_graph_n_nodes (f));
}

/* VanillaNet-5 deploy form, node by node (docs/reference/networks.md §3.3), and the λ < 1 refusal. */
static void
test_vanillanet_names (void)
{
  static const char * const convs[] = {
    "stem.0", "stem.1", "stages.0.conv", "stages.0.act", "stages.1.conv", "stages.1.act",
    "stages.2.conv", "stages.2.act", "cls.2", NULL,
  };
  g_autoptr(NdGraph) g = build ("vanillanet-5", 64, 10);
  g_autoptr(NdGraph) f = NULL, refused = NULL;
  g_autoptr(GError) error = NULL;
  NdModelSpec spec;
  int k = 0;

  f = fuse (g);
  for (int i = 0; i < nd_graph_n_nodes (f); i++)
    {
      const NdNode *node = nd_graph_node (f, i);

      g_assert_cmpint (node->op, !=, ND_OP_BATCHNORM);
      g_assert_cmpint (node->op, !=, ND_OP_LEAKY_RELU);
      if (node->op != ND_OP_CONV2D)
        continue;
      g_assert_cmpstr (node->name, ==, convs[k]);
      g_assert_true (node->p.has_bias);
      k++;
    }
  g_assert_null (convs[k]);
  g_assert_cmpint (nd_graph_n_nodes (f), ==, 18);
  g_assert_cmpint (nd_graph_node (f, f->output)->id, ==, find_name (f, "cls.2"));

  nd_model_spec_parse ("vanillanet-5", &spec, NULL);
  spec.resolution = 64;
  spec.classes = 10;
  spec.lambda = 0.35;
  g_clear_pointer (&g, nd_graph_unref);
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  refused = nd_fuse_graph (g, &error);
  g_assert_null (refused);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "0.35"));
}

/* ResNet: every BN folds into its conv, which keeps its torchvision name. */
static void
test_resnet_names (void)
{
  g_autoptr(NdGraph) g = build ("resnet-18", 64, 10);
  g_autoptr(NdGraph) f = NULL;

  f = fuse (g);
  for (int i = 0; i < nd_graph_n_nodes (f); i++)
    g_assert_cmpint (nd_graph_node (f, i)->op, !=, ND_OP_BATCHNORM);
  g_assert_nonnull (nd_graph_lookup_weight (f, "conv1.bias"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "layer2.0.downsample.0.bias"));
  g_assert_nonnull (nd_graph_lookup_weight (f, "layer4.1.conv2.weight"));
  g_assert_null (nd_graph_lookup_weight (f, "layer4.1.bn2.weight"));
  g_assert_cmpint (nd_graph_node (f, find_name (f, "layer2.0.downsample.0"))->role, ==,
                   ND_ROLE_SHORTCUT);
  /* the 20 BNs fold; the 8 ADDs stay: nothing merges across a ResNet shortcut */
  g_assert_cmpint (nd_graph_n_nodes (f), ==, nd_graph_n_nodes (g) - 20);
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
  g_test_add_func ("/fuse-models/repvgg-names", test_repvgg_names);
  g_test_add_func ("/fuse-models/vanillanet-names", test_vanillanet_names);
  g_test_add_func ("/fuse-models/resnet-names", test_resnet_names);
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree char *path = g_strdup_printf ("/fuse-models/counts/%s", counts[i].name);

      g_test_add_data_func (path, &counts[i], test_counts);
    }
  return g_test_run ();
}
