/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "test-models-util.h"

/* RepVGG, VanillaNet, ResNet and VGG builders: training-form counts, names, shapes, knobs.
 * Expected numbers are from docs/reference/networks.md unless a comment says otherwise. */

/* ---- RepVGG ------------------------------------------------------------------------------ */

static void
test_repvgg_counts (void)
{
  static const struct
  {
    const char *name;
    gint64      params;
    int         depth;
    double      deploy_gmacs;   /* docs/reference/networks.md §2.3; 0 where it gives none */
  } cases[] = {
    { "repvgg-a0", 9108968, 23, 1.361 },
    { "repvgg-a1", 14092264, 23, 2.364 },
    { "repvgg-a2", 28210600, 23, 5.117 },
    { "repvgg-b0", 15817960, 29, 3.058 },
    { "repvgg-b1", 57415016, 29, 11.815 },
    { "repvgg-b1g2", 45782376, 29, 8.810 },
    { "repvgg-b1g4", 39966056, 29, 7.307 },
    { "repvgg-b2", 89022376, 29, 18.377 },
    { "repvgg-b2g2", 70846376, 29, 0 },
    { "repvgg-b2g4", 61758376, 29, 11.332 },
    { "repvgg-b3", 123085288, 29, 26.209 },
    { "repvgg-b3g2", 96911848, 29, 0 },
    { "repvgg-b3g4", 83825128, 29, 16.064 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = build (cases[i].name, NULL);
      gint64 params, macs;
      int depth;

      nd_graph_count (g, &params, &macs, &depth);
      g_test_message ("%s: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs, depth %d",
                      cases[i].name, params, macs, depth);
      g_assert_cmpint (params, ==, cases[i].params);
      g_assert_cmpint (depth, ==, cases[i].depth);
      g_assert_cmpstr (g->family, ==, "repvgg");
      /* The training form has a 1×1 conv beside every 3×3 at the same stride and groups, so
       * its conv MACs are 10/9 of the deploy form's; the linear layer is the same. */
      if (cases[i].deploy_gmacs > 0)
        {
          gint64 linear = (gint64) 1000 * nd_graph_lookup_weight (g, "linear.weight")->shape[1];
          gint64 conv = macs - linear;

          g_assert_cmpint (conv % 10, ==, 0);
          g_assert_cmpfloat (fabs ((conv / 10 * 9 + linear) / 1e9 - cases[i].deploy_gmacs), <=,
                             0.0005);
        }
      if (i == 0)
        g_assert_cmpint (state_dict_entries (g), ==, 351);
    }
}

static void
test_repvgg_structure (void)
{
  g_autoptr(NdGraph) g = build ("repvgg-b1g4", NULL);
  const NdNode *n;
  int id;

  assert_shape (g, "stage0.rbr_dense.conv.weight", 4, (int64_t[]) { 64, 3, 3, 3 });
  assert_shape (g, "stage0.rbr_1x1.conv.weight", 4, (int64_t[]) { 64, 3, 1, 1 });
  g_assert_null (nd_graph_lookup_weight (g, "stage0.rbr_identity.weight"));
  g_assert_null (nd_graph_lookup_weight (g, "stage1.0.rbr_identity.weight"));
  /* odd within-stage indices are grouped (g4), even ones are not */
  assert_shape (g, "stage1.0.rbr_dense.conv.weight", 4, (int64_t[]) { 128, 64, 3, 3 });
  assert_shape (g, "stage1.1.rbr_dense.conv.weight", 4, (int64_t[]) { 128, 32, 3, 3 });
  assert_shape (g, "stage1.1.rbr_1x1.conv.weight", 4, (int64_t[]) { 128, 32, 1, 1 });
  assert_shape (g, "stage1.2.rbr_dense.conv.weight", 4, (int64_t[]) { 128, 128, 3, 3 });
  assert_shape (g, "stage3.15.rbr_dense.conv.weight", 4, (int64_t[]) { 512, 128, 3, 3 });
  assert_shape (g, "stage4.0.rbr_dense.conv.weight", 4, (int64_t[]) { 2048, 512, 3, 3 });
  assert_shape (g, "stage2.3.rbr_identity.running_mean", 1, (int64_t[]) { 256 });
  assert_shape (g, "linear.weight", 2, (int64_t[]) { 1000, 2048 });

  id = find_node (g, "stage2.3.rbr_identity");
  n = nd_graph_node (g, id);
  g_assert_cmpint (n->role, ==, ND_ROLE_IDENTITY_BN);
  g_assert_cmpstr (n->block, ==, "stage2.3");
  g_assert_cmpint (n->depth, ==, 1 + 4 + 4);
  g_assert_cmpint (n->stream, ==, -1);
  for (int i = id + 1; i < nd_graph_n_nodes (g); i++)
    {
      n = nd_graph_node (g, i);
      if (n->op == ND_OP_ADD)
        {
          g_assert_cmpint (n->n_inputs, ==, 3);
          g_assert_cmpint (nd_graph_node (g, i + 1)->op, ==, ND_OP_RELU);
          break;
        }
    }
  id = find_node (g, "stage3.0.rbr_1x1.conv");
  n = nd_graph_node (g, id);
  g_assert_cmpint (n->p.stride, ==, 2);
  g_assert_cmpint (n->p.pad, ==, 0);
  g_assert_cmpint (n->out_h, ==, 14);
}

static void
test_repvgg_knobs (void)
{
  NdModelSpec spec;
  g_autoptr(NdGraph) g = NULL;
  int depth;

  g_assert_true (nd_model_spec_parse ("repvgg-a0", &spec, NULL));
  spec.width = 0.5;
  spec.resolution = 48;
  spec.classes = 7;
  spec.in_channels = 1;
  spec.blocks[3] = 3;
  g = build_spec (&spec);
  nd_graph_count (g, NULL, NULL, &depth);
  g_assert_cmpint (depth, ==, 1 + 2 + 4 + 3 + 1 + 1);
  /* 48·0.5 = 24, 1280·0.5 = 640; 48 → 24 → 12 → 6 → 3 → 2 */
  assert_shape (g, "stage0.rbr_dense.conv.weight", 4, (int64_t[]) { 24, 1, 3, 3 });
  assert_shape (g, "linear.weight", 2, (int64_t[]) { 7, 640 });
  g_assert_cmpint (nd_graph_node (g, find_node (g, "stage4.0.rbr_dense.conv"))->out_h, ==, 2);
  g_assert_null (nd_graph_lookup_weight (g, "stage3.3.rbr_dense.conv.weight"));
  assert_forward (g, 7);

  /* groups follow the official layer numbering (2, 4, …, 26 from the first block of stage 1),
   * not the index within a stage, when a stage has an odd number of blocks */
  g_clear_pointer (&g, nd_graph_unref);
  g_assert_true (nd_model_spec_parse ("repvgg-b2g2", &spec, NULL));
  spec.n_blocks = 5;
  memcpy (spec.blocks, (int[]) { 1, 1, 3, 2, 2 }, 5 * sizeof (int));
  spec.resolution = 32;
  g = build_spec (&spec);
  assert_shape (g, "stage1.0.rbr_dense.conv.weight", 4, (int64_t[]) { 160, 64, 3, 3 });
  assert_shape (g, "stage2.0.rbr_dense.conv.weight", 4, (int64_t[]) { 320, 80, 3, 3 });
  assert_shape (g, "stage2.1.rbr_dense.conv.weight", 4, (int64_t[]) { 320, 320, 3, 3 });
  assert_shape (g, "stage2.2.rbr_1x1.conv.weight", 4, (int64_t[]) { 320, 160, 1, 1 });
  assert_shape (g, "stage3.1.rbr_dense.conv.weight", 4, (int64_t[]) { 640, 320, 3, 3 });
  assert_shape (g, "stage4.1.rbr_dense.conv.weight", 4, (int64_t[]) { 2560, 1280, 3, 3 });

  /* layers beyond 26 are never grouped */
  g_clear_pointer (&g, nd_graph_unref);
  spec.width = 0.125;
  memcpy (spec.blocks, (int[]) { 1, 4, 6, 20, 1 }, 5 * sizeof (int));
  g = build_spec (&spec);
  assert_shape (g, "stage3.15.rbr_dense.conv.weight", 4, (int64_t[]) { 80, 40, 3, 3 });
  assert_shape (g, "stage3.17.rbr_dense.conv.weight", 4, (int64_t[]) { 80, 80, 3, 3 });
}

/* ---- VanillaNet -------------------------------------------------------------------------- */

/* The deploy conversion merges conv1 into conv2 in every block, stem2.0 into stem1.0 and
 * cls2.0 into cls1.2; the deploy MACs are the training MACs without those 1×1 convs. */
static gint64
vanillanet_deploy_macs (const NdGraph *g)
{
  gint64 macs = 0;

  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *n = nd_graph_node (g, i);

      if (n->name && (g_str_has_suffix (n->name, ".conv1.0") || g_str_equal (n->name, "stem2.0")
                      || g_str_equal (n->name, "cls2.0")))
        continue;
      macs += nd_node_macs (g, n);
    }
  return macs;
}

static void
test_vanillanet_counts (void)
{
  static const struct
  {
    const char *name;
    double      mparams;        /* training form, millions (3 decimals) */
    double      deploy_gmacs;
    int         depth;
  } cases[] = {
    { "vanillanet-6", 56.117, 5.993, 6 },
    { "vanillanet-7", 56.670, 6.894, 7 },
    { "vanillanet-8", 65.176, 7.736, 8 },
    { "vanillanet-9", 73.681, 8.577, 9 },
    { "vanillanet-10", 82.186, 9.419, 10 },
    { "vanillanet-11", 90.692, 10.261, 11 },
    { "vanillanet-12", 99.197, 11.103, 12 },
    { "vanillanet-13", 107.702, 11.944, 13 },
    { "vanillanet-13-x1.5", 236.942, 26.548, 13 },
  };
  g_autoptr(NdGraph) g5 = build ("vanillanet-5", NULL);
  gint64 params, macs;
  int depth;

  nd_graph_count (g5, &params, &macs, &depth);
  g_test_message ("vanillanet-5: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs",
                  params, macs);
  g_assert_cmpint (params, ==, 22328800);
  g_assert_cmpint (depth, ==, 5);
  g_assert_cmpint (state_dict_entries (g5), ==, 89);
  g_assert_cmpint (vanillanet_deploy_macs (g5), ==, G_GINT64_CONSTANT (5161185280));
  /* derived from the §4 deploy formula plus the merged 1×1 convs:
   * 56²·512² + 56²·512² + 28²·1024² + 14²·2048² + 1000² */
  g_assert_cmpint (macs, ==, G_GINT64_CONSTANT (8450519616));
  g_assert_cmpstr (g5->family, ==, "vanillanet");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = build (cases[i].name, NULL);

      nd_graph_count (g, &params, &macs, &depth);
      g_test_message ("%s: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs",
                      cases[i].name, params, macs);
      g_assert_cmpfloat (fabs (params / 1e6 - cases[i].mparams), <=, 0.0005);
      g_assert_cmpfloat (fabs (vanillanet_deploy_macs (g) / 1e9 - cases[i].deploy_gmacs), <=,
                         0.0005);
      g_assert_cmpint (depth, ==, cases[i].depth);
      /* 29 + 20(N−2) entries in training form */
      g_assert_cmpint (state_dict_entries (g), ==, 29 + 20 * (cases[i].depth - 2));
    }
}

static void
test_vanillanet_structure (void)
{
  NdModelSpec spec;
  g_autoptr(NdGraph) g = build ("vanillanet-7", &spec);
  const NdNode *n;
  int id;

  assert_shape (g, "stem1.0.weight", 4, (int64_t[]) { 512, 3, 4, 4 });
  assert_shape (g, "stem1.0.bias", 1, (int64_t[]) { 512 });
  assert_shape (g, "stem2.2.weight", 4, (int64_t[]) { 512, 1, 7, 7 });
  assert_shape (g, "stem2.2.bn.running_var", 1, (int64_t[]) { 512 });
  g_assert_null (nd_graph_lookup_weight (g, "stem2.2.bias"));
  assert_shape (g, "stages.0.conv1.0.weight", 4, (int64_t[]) { 512, 512, 1, 1 });
  assert_shape (g, "stages.1.conv2.0.weight", 4, (int64_t[]) { 1024, 512, 1, 1 });
  assert_shape (g, "stages.1.act.weight", 4, (int64_t[]) { 1024, 1, 7, 7 });
  assert_shape (g, "stages.4.act.bn.weight", 1, (int64_t[]) { 4096 });
  assert_shape (g, "cls1.2.weight", 4, (int64_t[]) { 1000, 4096, 1, 1 });
  assert_shape (g, "cls1.3.running_mean", 1, (int64_t[]) { 1000 });
  assert_shape (g, "cls2.0.weight", 4, (int64_t[]) { 1000, 1000, 1, 1 });
  g_assert_null (nd_graph_lookup_weight (g, "stages.5.conv1.0.weight"));

  /* stage 1 (stride 2): conv2 BN → max pool → ReLU → dw conv; the 1×1s run at 56×56 */
  id = find_node (g, "stages.1.conv2.1");
  g_assert_cmpfloat (nd_graph_node (g, id)->p.eps, ==, 1e-6f);
  g_assert_cmpint (nd_graph_node (g, id)->out_h, ==, 56);
  n = nd_graph_node (g, id + 1);
  g_assert_cmpint (n->op, ==, ND_OP_MAXPOOL);
  g_assert_cmpint (n->out_h, ==, 28);
  g_assert_cmpint (nd_graph_node (g, id + 2)->op, ==, ND_OP_RELU);
  n = nd_graph_node (g, id + 3);
  g_assert_cmpstr (n->name, ==, "stages.1.act");
  g_assert_cmpint (n->p.groups, ==, 1024);
  g_assert_cmpint (n->p.pad, ==, 3);
  g_assert_cmpint (n->role, ==, ND_ROLE_SERIES_ACT);
  g_assert_cmpint (n->depth, ==, 3);
  g_assert_cmpstr (n->block, ==, "stages.1");
  /* stage 0 (stride 1): no pool */
  id = find_node (g, "stages.0.conv2.1");
  g_assert_cmpint (nd_graph_node (g, id + 1)->op, ==, ND_OP_RELU);
  /* λ = 1 leaky after conv1 */
  n = nd_graph_node (g, find_node (g, "stages.0.conv1.1") + 1);
  g_assert_cmpint (n->op, ==, ND_OP_LEAKY_RELU);
  g_assert_cmpfloat (n->p.alpha, ==, 1.0f);
  n = nd_graph_node (g, g->output);
  g_assert_cmpstr (n->name, ==, "cls2.0");
  g_assert_cmpint (n->depth, ==, 7);
  g_assert_cmpint (n->out_c, ==, 1000);
}

static void
test_vanillanet_knobs (void)
{
  NdModelSpec spec;
  g_autoptr(NdGraph) g = NULL;
  const NdNode *n;

  g_assert_true (nd_model_spec_parse ("vanillanet-6", &spec, NULL));
  spec.lambda = 0.25;
  spec.width = 1.0 / 32;
  spec.resolution = 64;
  spec.classes = 5;
  spec.in_channels = 1;
  g = build_spec (&spec);
  assert_shape (g, "stem1.0.weight", 4, (int64_t[]) { 16, 1, 4, 4 });
  assert_shape (g, "stages.3.conv2.0.weight", 4, (int64_t[]) { 128, 128, 1, 1 });
  assert_shape (g, "cls2.0.weight", 4, (int64_t[]) { 5, 5, 1, 1 });
  n = nd_graph_node (g, find_node (g, "stem1.1") + 1);
  g_assert_cmpint (n->op, ==, ND_OP_LEAKY_RELU);
  g_assert_cmpfloat (n->p.alpha, ==, 0.25f);
  n = nd_graph_node (g, find_node (g, "cls1.3") + 1);
  g_assert_cmpfloat (n->p.alpha, ==, 0.25f);
  assert_forward (g, 5);

  /* act_num 2: 5×5 series activation */
  g_clear_pointer (&g, nd_graph_unref);
  spec.act_num = 2;
  spec.lambda = 0.0;
  g = build_spec (&spec);
  assert_shape (g, "stages.0.act.weight", 4, (int64_t[]) { 32, 1, 5, 5 });
  g_assert_cmpint (nd_graph_node (g, find_node (g, "stages.0.act"))->p.pad, ==, 2);
}

/* ---- ResNet, VGG ------------------------------------------------------------------------- */

static void
test_deep_counts (void)
{
  static const struct
  {
    const char *name;
    gint64      params;
    double      gmacs;      /* torchvision's documented "GFLOPS" (MACs), 2 decimals */
    int         depth;
    /* state_dict entries: stem 1 + 5, per block 2 or 3 convs + BNs (×6 each), a downsample
     * 6 more, fc 2; VGG 16 layers × 2 */
    int         entries;
  } cases[] = {
    { "resnet-18", 11689512, 1.81, 18, 6 + 8 * 12 + 3 * 6 + 2 },
    { "resnet-34", 21797672, 3.66, 34, 6 + 16 * 12 + 3 * 6 + 2 },
    { "resnet-50", 25557032, 4.09, 50, 6 + 16 * 18 + 4 * 6 + 2 },
    { "vgg-16", 138357544, 15.47, 16, 16 * 2 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = build (cases[i].name, NULL);
      gint64 params, macs;
      int depth;

      nd_graph_count (g, &params, &macs, &depth);
      g_test_message ("%s: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs, depth %d",
                      cases[i].name, params, macs, depth);
      g_assert_cmpint (params, ==, cases[i].params);
      g_assert_cmpfloat (fabs (macs / 1e9 - cases[i].gmacs), <=, 0.005);
      g_assert_cmpint (depth, ==, cases[i].depth);
      g_assert_cmpint (state_dict_entries (g), ==, cases[i].entries);
    }
}

static void
test_resnet_structure (void)
{
  g_autoptr(NdGraph) g = build ("resnet-50", NULL);
  const NdNode *n;
  int id;

  assert_shape (g, "conv1.weight", 4, (int64_t[]) { 64, 3, 7, 7 });
  assert_shape (g, "bn1.running_var", 1, (int64_t[]) { 64 });
  assert_shape (g, "layer1.0.conv1.weight", 4, (int64_t[]) { 64, 64, 1, 1 });
  assert_shape (g, "layer1.0.downsample.0.weight", 4, (int64_t[]) { 256, 64, 1, 1 });
  assert_shape (g, "layer1.0.downsample.1.weight", 1, (int64_t[]) { 256 });
  g_assert_null (nd_graph_lookup_weight (g, "layer1.1.downsample.0.weight"));
  assert_shape (g, "layer2.0.conv2.weight", 4, (int64_t[]) { 128, 128, 3, 3 });
  assert_shape (g, "layer4.2.conv3.weight", 4, (int64_t[]) { 2048, 512, 1, 1 });
  assert_shape (g, "fc.weight", 2, (int64_t[]) { 1000, 2048 });
  g_assert_null (nd_graph_lookup_weight (g, "conv1.bias"));

  /* v1.5: the stride is on conv2 */
  n = nd_graph_node (g, find_node (g, "layer3.0.conv1"));
  g_assert_cmpint (n->p.stride, ==, 1);
  g_assert_cmpint (n->out_h, ==, 28);
  n = nd_graph_node (g, find_node (g, "layer3.0.conv2"));
  g_assert_cmpint (n->p.stride, ==, 2);
  g_assert_cmpint (n->out_h, ==, 14);
  g_assert_cmpint (n->depth, ==, 1 + 3 * 3 + 4 * 3 + 2);
  n = nd_graph_node (g, find_node (g, "layer3.0.downsample.0"));
  g_assert_cmpint (n->p.stride, ==, 2);
  g_assert_cmpint (n->role, ==, ND_ROLE_SHORTCUT);
  g_assert_cmpstr (n->block, ==, "layer3.0");
  id = find_node (g, "layer3.0.downsample.1");
  n = nd_graph_node (g, id + 1);
  g_assert_cmpint (n->op, ==, ND_OP_ADD);
  g_assert_cmpint (n->inputs[1], ==, id);
  g_assert_cmpint (nd_graph_node (g, n->inputs[0])->op, ==, ND_OP_BATCHNORM);
  g_assert_cmpstr (nd_graph_node (g, n->inputs[0])->name, ==, "layer3.0.bn3");
  /* stem: 7×7 s2 p3, max pool 3 s2 p1 → 56 */
  n = nd_graph_node (g, find_node (g, "bn1") + 2);
  g_assert_cmpint (n->op, ==, ND_OP_MAXPOOL);
  g_assert_cmpint (n->p.pad, ==, 1);
  g_assert_cmpint (n->out_h, ==, 56);
  g_assert_cmpint (nd_graph_node (g, g->output)->depth, ==, 50);

  {
    g_autoptr(NdGraph) v = build ("vgg-16", NULL);
    static const int convs[] = { 0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28 };

    for (gsize i = 0; i < G_N_ELEMENTS (convs); i++)
      {
        g_autofree char *key = g_strdup_printf ("features.%d", convs[i]);

        id = find_node (v, key);
        g_assert_cmpint (id, >, 0);
        n = nd_graph_node (v, id);
        g_assert_cmpint (n->op, ==, ND_OP_CONV2D);
        g_assert_true (n->p.has_bias);
        g_assert_cmpint (n->depth, ==, (int) i + 1);
      }
    assert_shape (v, "features.28.weight", 4, (int64_t[]) { 512, 512, 3, 3 });
    assert_shape (v, "classifier.0.weight", 2, (int64_t[]) { 4096, 25088 });
    assert_shape (v, "classifier.6.weight", 2, (int64_t[]) { 1000, 4096 });
    n = nd_graph_node (v, find_node (v, "features.28") + 2);
    g_assert_cmpint (n->op, ==, ND_OP_MAXPOOL);
    g_assert_cmpstr (n->block, ==, "features.30");
    g_assert_cmpint (n->out_h, ==, 7);
  }
}

static void
test_deep_knobs (void)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;

  g_assert_true (nd_model_spec_parse ("resnet-50", &spec, NULL));
  spec.width = 0.125;
  spec.resolution = 40;
  spec.classes = 4;
  spec.in_channels = 1;
  spec.blocks[0] = 1;
  spec.blocks[1] = 1;
  spec.blocks[2] = 2;
  spec.blocks[3] = 1;
  {
    g_autoptr(NdGraph) g = build_spec (&spec);
    int depth;

    nd_graph_count (g, NULL, NULL, &depth);
    g_assert_cmpint (depth, ==, 1 + 5 * 3 + 1);
    assert_shape (g, "conv1.weight", 4, (int64_t[]) { 8, 1, 7, 7 });
    assert_shape (g, "fc.weight", 2, (int64_t[]) { 4, 256 });
    assert_forward (g, 4);
  }

  g_assert_true (nd_model_spec_parse ("resnet-18", &spec, NULL));
  spec.n_blocks = 3;
  g_assert_null (nd_model_build (&spec, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
  g_assert_nonnull (strstr (error->message, "4 --blocks entries"));
  g_clear_error (&error);

  g_assert_true (nd_model_spec_parse ("vgg-16", &spec, NULL));
  spec.width = 1.0 / 16;
  spec.resolution = 32;
  spec.classes = 3;
  {
    g_autoptr(NdGraph) g = build_spec (&spec);

    /* 32 → 1 after five pools; the 7×7 adaptive pool replicates it, as PyTorch does */
    assert_shape (g, "classifier.0.weight", 2, (int64_t[]) { 4096, 32 * 49 });
    assert_forward (g, 3);
  }
  spec.n_blocks = 5;
  g_assert_null (nd_model_build (&spec, &error));
  g_assert_nonnull (strstr (error->message, "--blocks does not apply to VGG"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/models/repvgg/counts", test_repvgg_counts);
  g_test_add_func ("/models/repvgg/structure", test_repvgg_structure);
  g_test_add_func ("/models/repvgg/knobs", test_repvgg_knobs);
  g_test_add_func ("/models/vanillanet/counts", test_vanillanet_counts);
  g_test_add_func ("/models/vanillanet/structure", test_vanillanet_structure);
  g_test_add_func ("/models/vanillanet/knobs", test_vanillanet_knobs);
  g_test_add_func ("/models/deep/counts", test_deep_counts);
  g_test_add_func ("/models/deep/structure", test_resnet_structure);
  g_test_add_func ("/models/deep/knobs", test_deep_knobs);

  return g_test_run ();
}
