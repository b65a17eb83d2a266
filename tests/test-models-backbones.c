/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-backend-cpu.h"
#include "nd-checkpoint.h"
#include "nd-fuse.h"
#include "nd-weights.h"
#include "test-models-util.h"

/* The zoo of classic and efficient backbones (issue 15): exact parameter counts against the
 * references, MACs against torchvision's documented GFLOPS (its "GFLOPS" are MACs), depth,
 * official key shapes, knobs, and the fused form (BN folding) against the training form. */

typedef struct
{
  const char *name;
  const char *family;
  gint64      params;   /* sum of p.numel () of the torchvision model, without aux heads */
  double      gmacs;    /* torchvision docs, 2 decimals; 0: not checked (timm's tables count
                         * MACs their own way) */
  int         depth;
} Case;

static const Case cases[] = {
  { "vgg-19", "vgg", 143667240, 19.63, 19 },
  { "resnet-101", "resnet", 44549160, 7.80, 101 },
  { "resnext-50-32x4d", "resnext", 25028904, 4.23, 50 },
  { "mobilenet-v2", "mobilenet", 3504872, 0.30, 53 },
  { "shufflenet-v2-1.0", "shufflenet", 2278604, 0.14, 51 },
  { "densenet-121", "densenet", 7978856, 2.83, 121 },
  /* 27,161,264 with the auxiliary classifier, which is not built */
  { "inception-v3", "inception", 23834568, 5.71, 48 },
  /* timm's layouts: sum of p.numel () of tools/nd_timm.py's definitions, which round to timm's
   * published 25.5, 41.6, 27.6, 22.6, 36.6 and 24.6 M */
  { "resnet-v2-50", "resnet-v2", 25549352, 0, 50 },
  { "darknet-53", "darknet", 41609928, 0, 53 },
  { "cspdarknet-53", "cspdarknet", 27642184, 0, 68 },
  { "vovnet-39", "vovnet", 22600296, 0, 40 },
  { "vovnet-57", "vovnet", 36640296, 0, 58 },
  { "ese-vovnet-39", "ese-vovnet", 24568936, 0, 40 },
};

static void
test_counts (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(NdGraph) g = build (c->name, NULL);
  gint64 params, macs;
  int depth;

  nd_graph_count (g, &params, &macs, &depth);
  g_test_message ("%s: %" G_GINT64_FORMAT " params, %" G_GINT64_FORMAT " MACs, depth %d",
                  c->name, params, macs, depth);
  g_assert_cmpint (params, ==, c->params);
  if (c->gmacs > 0)
    g_assert_cmpfloat (fabs (macs / 1e9 - c->gmacs), <=, 0.005);
  g_assert_cmpint (depth, ==, c->depth);
  g_assert_cmpstr (g->family, ==, c->family);
  g_assert_cmpstr (g->model_name, ==, c->name);
}

/* Training form vs BN-folded form on the naive reference, random non-trivial BN. */
static void
test_fused (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL, f = NULL;
  g_autoptr(NdTensor) x = NULL, y = NULL, yf = NULL;
  NdModelSpec spec;
  gint64 params, fparams;
  int n_bn = 0;

  g_assert_true (nd_model_spec_parse (c->name, &spec, NULL));
  /* Inception-v3's valid convs and pools need at least 75 px; the timm models (c->gmacs 0)
   * run at 32 px on the naive oracle here, their 64/80 px fused forms are checked against
   * PyTorch by zoo-crosscheck */
  spec.resolution = strcmp (c->family, "inception") == 0 ? 80 : c->gmacs > 0 ? 64 : 32;
  spec.classes = 10;
  g = build_spec (&spec);
  nd_model_init_random (g, 11);
  f = nd_fuse_graph (g, &error);
  g_assert_no_error (error);
  x = nd_test_random_input (1, 3, spec.resolution, spec.resolution, 5);
  y = nd_ref_run_graph (g, x, NULL);
  yf = nd_ref_run_graph (f, x, NULL);
  nd_test_assert_close (yf, y, 1e-4, 0, c->name);
  nd_graph_count (g, &params, NULL, NULL);
  nd_graph_count (f, &fparams, NULL, NULL);
  for (int i = 0; i < nd_graph_n_nodes (f); i++)
    n_bn += nd_graph_node (f, i)->op == ND_OP_BATCHNORM;
  g_test_message ("%s fused: %d → %d nodes, %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT
                  " params, %d BN left", c->name, nd_graph_n_nodes (g), nd_graph_n_nodes (f),
                  params, fparams, n_bn);
  /* every BN that follows a conv is folded; DenseNet's and ResNetV2's pre-activation BNs
   * (BN → ReLU → conv, after a concat or an add) have no conv before them and stay */
  if (strcmp (c->family, "densenet") != 0 && strcmp (c->family, "resnet-v2") != 0)
    g_assert_cmpint (n_bn, ==, 0);
  if (strcmp (c->family, "resnet-v2") == 0)   /* every block's norm1, and the final norm */
    g_assert_cmpint (n_bn, ==, 3 + 4 + 6 + 3 + 1);
  if (strcmp (c->family, "vgg") != 0)
    g_assert_cmpint (fparams, <, params);
}

static void
test_structure (void)
{
  g_autoptr(NdGraph) v = build ("vgg-19", NULL);
  g_autoptr(NdGraph) x = build ("resnext-50-32x4d", NULL);
  g_autoptr(NdGraph) m = build ("mobilenet-v2", NULL);
  g_autoptr(NdGraph) s = build ("shufflenet-v2-1.0", NULL);
  g_autoptr(NdGraph) d = build ("densenet-121", NULL);
  const NdNode *n;

  /* VGG-19: configuration E, the last conv is features.34, its pool features.36 */
  assert_shape (v, "features.34.weight", 4, (int64_t[]) { 512, 512, 3, 3 });
  n = nd_graph_node (v, find_node (v, "features.34") + 2);
  g_assert_cmpint (n->op, ==, ND_OP_MAXPOOL);
  g_assert_cmpstr (n->block, ==, "features.36");

  /* ResNeXt: 32 groups of 4 (layer1) to 32 (layer4) channels */
  assert_shape (x, "layer1.0.conv1.weight", 4, (int64_t[]) { 128, 64, 1, 1 });
  assert_shape (x, "layer1.0.conv2.weight", 4, (int64_t[]) { 128, 4, 3, 3 });
  assert_shape (x, "layer4.2.conv2.weight", 4, (int64_t[]) { 1024, 32, 3, 3 });
  assert_shape (x, "layer4.2.conv3.weight", 4, (int64_t[]) { 2048, 1024, 1, 1 });
  g_assert_cmpint (nd_graph_node (x, find_node (x, "layer4.2.conv2"))->p.groups, ==, 32);

  /* MobileNetV2: expansion 1 has no expand conv; ReLU6 after the depthwise; residual adds */
  assert_shape (m, "features.1.conv.0.0.weight", 4, (int64_t[]) { 32, 1, 3, 3 });
  assert_shape (m, "features.1.conv.1.weight", 4, (int64_t[]) { 16, 32, 1, 1 });
  assert_shape (m, "features.1.conv.2.running_var", 1, (int64_t[]) { 16 });
  assert_shape (m, "features.2.conv.1.0.weight", 4, (int64_t[]) { 96, 1, 3, 3 });
  assert_shape (m, "features.17.conv.3.weight", 1, (int64_t[]) { 320 });
  assert_shape (m, "features.18.0.weight", 4, (int64_t[]) { 1280, 320, 1, 1 });
  assert_shape (m, "classifier.1.weight", 2, (int64_t[]) { 1000, 1280 });
  n = nd_graph_node (m, find_node (m, "features.2.conv.1.1") + 1);
  g_assert_cmpint (n->op, ==, ND_OP_RELU6);
  n = nd_graph_node (m, find_node (m, "features.3.conv.3") + 1);
  g_assert_cmpint (n->op, ==, ND_OP_ADD);
  g_assert_cmpstr (n->block, ==, "features.3");

  /* ShuffleNetV2: a stride-1 unit splits its input; the join interleaves the halves */
  assert_shape (s, "stage2.0.branch1.0.weight", 4, (int64_t[]) { 24, 1, 3, 3 });
  assert_shape (s, "stage2.0.branch1.2.weight", 4, (int64_t[]) { 58, 24, 1, 1 });
  assert_shape (s, "stage2.1.branch2.0.weight", 4, (int64_t[]) { 58, 58, 1, 1 });
  assert_shape (s, "stage4.3.branch2.6.weight", 1, (int64_t[]) { 232 });
  g_assert_null (nd_graph_lookup_weight (s, "stage2.1.branch1.0.weight"));
  n = nd_graph_node (s, find_node (s, "stage2.1.branch2.0") - 1);
  g_assert_cmpint (n->op, ==, ND_OP_SLICE);
  g_assert_cmpint (n->p.offset, ==, 58);
  g_assert_cmpint (n->out_c, ==, 58);
  assert_shape (s, "conv5.0.weight", 4, (int64_t[]) { 1024, 464, 1, 1 });

  /* DenseNet-121: 64 + 6·32 = 256 into transition1, 1024 at the end */
  assert_shape (d, "features.denseblock1.denselayer1.norm1.weight", 1, (int64_t[]) { 64 });
  assert_shape (d, "features.denseblock1.denselayer6.conv1.weight", 4,
                (int64_t[]) { 128, 224, 1, 1 });
  assert_shape (d, "features.transition1.conv.weight", 4, (int64_t[]) { 128, 256, 1, 1 });
  assert_shape (d, "features.denseblock4.denselayer16.conv2.weight", 4,
                (int64_t[]) { 32, 128, 3, 3 });
  assert_shape (d, "features.norm5.running_mean", 1, (int64_t[]) { 1024 });
  assert_shape (d, "classifier.weight", 2, (int64_t[]) { 1000, 1024 });
}

/* Every op of the training and the fused form has a CPU fast kernel: none falls back to the
 * naive reference. */
static void
test_cpu_fast (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;
  NdModelSpec spec;

  g_assert_true (nd_model_spec_parse (c->name, &spec, NULL));
  spec.resolution = strcmp (c->family, "inception") == 0 ? 80 : 64;
  spec.classes = 10;
  g = build_spec (&spec);
  for (int fused = 0; fused < 2; fused++)
    {
      g_autoptr(NdGraph) f = fused ? nd_fuse_graph (g, &error) : nd_graph_ref (g);
      NdPlanOptions opts = { .batch = 1 };
      g_autoptr(NdPlan) plan = NULL;

      g_assert_no_error (error);
      plan = nd_backend_prepare (cpu, f, &opts, &error);
      g_assert_no_error (error);
      for (int i = 1; i < nd_graph_n_nodes (f); i++)
        if (g_strcmp0 (plan->op_algo[i], "ref") == 0)
          g_error ("%s%s: node %d (%s) runs on the reference", c->name, fused ? " fused" : "",
                   i, nd_op_name (nd_graph_node (f, i)->op));
    }
}

/* A state dict with the preset's keys and shapes is detected as that preset (inspect,
 * run --weights without --model); changed block counts and classes come back as knobs. */
static void
test_detect (gconstpointer data)
{
  const Case *c = data;
  NdModelSpec spec;
  NdCheckpointModel m;

  g_assert_true (nd_model_spec_parse (c->name, &spec, NULL));
  for (int variant = 0; variant < 2; variant++)
    {
      g_autoptr(NdGraph) g = NULL;
      NdWeightSet *set;
      gboolean ok;

      if (variant == 1)
        {
          spec.classes = 10;
          for (int k = 0; k < spec.n_blocks; k++)
            spec.blocks[k] = 2;
          spec.resolution = strcmp (c->family, "inception") == 0 ? 80 : 64;
        }
      g = build_spec (&spec);
      set = nd_graph_dup_weights (g);
      ok = nd_checkpoint_detect (set, &m);
      nd_weight_set_free (set);
      g_test_message ("%s: %s %s, knobs “%s” %s", c->name, m.family, m.preset, m.knobs,
                      m.reason);
      g_assert_true (ok);
      /* a bottleneck ResNet with other block counts reads as resnet-50 --blocks …: the same
       * network as resnet-101 --blocks …; likewise vovnet-39 --blocks … for vovnet-57 */
      if (variant == 0
          || (strcmp (c->family, "resnet") != 0 && strcmp (c->family, "vovnet") != 0))
        g_assert_cmpstr (m.preset, ==, c->name);
      g_assert_cmpstr (m.family, ==, c->family);
      g_assert_false (m.deploy);
      g_assert_cmpint (m.classes, ==, variant ? 10 : 1000);
      if (variant == 0)
        g_assert_cmpstr (m.knobs, ==, "");
      else if (spec.n_blocks > 0)
        g_assert_nonnull (strstr (m.knobs, "--blocks 2,2"));
    }
}

static void
test_inception (void)
{
  g_autoptr(NdGraph) g = build ("inception-v3", NULL);
  const NdNode *n;

  g_assert_cmpint (g->in_h, ==, 299);
  assert_shape (g, "Conv2d_1a_3x3.conv.weight", 4, (int64_t[]) { 32, 3, 3, 3 });
  assert_shape (g, "Mixed_6b.branch7x7_2.conv.weight", 4, (int64_t[]) { 128, 128, 1, 7 });
  assert_shape (g, "Mixed_6e.branch7x7dbl_4.conv.weight", 4, (int64_t[]) { 192, 192, 7, 1 });
  assert_shape (g, "Mixed_7c.branch3x3dbl_3b.conv.weight", 4, (int64_t[]) { 384, 384, 3, 1 });
  assert_shape (g, "fc.weight", 2, (int64_t[]) { 1000, 2048 });
  g_assert_null (nd_graph_lookup_weight (g, "AuxLogits.fc.weight"));
  n = nd_graph_node (g, find_node (g, "Mixed_6b.branch7x7_2.conv"));
  g_assert_cmpint (n->p.pad, ==, 0);
  g_assert_cmpint (n->p.pad_w, ==, 3);
  g_assert_cmpint (n->out_h, ==, 17);
  g_assert_cmpint (n->out_w, ==, 17);
  g_assert_cmpfloat (nd_graph_node (g, find_node (g, "Mixed_6b.branch7x7_2.bn"))->p.eps, ==,
                     1e-3f);
  /* Mixed_5b: four branches, 64 + 64 + 96 + 32 channels, after a 3×3 s1 p1 average pool */
  n = nd_graph_node (g, find_node (g, "Mixed_5b.branch_pool.conv") - 1);
  g_assert_cmpint (n->op, ==, ND_OP_AVGPOOL);
  g_assert_cmpint (n->p.kernel, ==, 3);
  g_assert_cmpint (n->p.pad, ==, 1);
  n = nd_graph_node (g, find_node (g, "Mixed_5b.branch_pool.bn") + 2);
  g_assert_cmpint (n->op, ==, ND_OP_CONCAT);
  g_assert_cmpint (n->n_inputs, ==, 4);
  g_assert_cmpint (n->out_c, ==, 256);
  g_assert_cmpint (n->out_h, ==, 35);
  g_assert_cmpstr (n->block, ==, "Mixed_5b");
}

/* timm's layouts: the keys and shapes that make timm's files load, and the ops that differ */
static void
test_timm_structure (void)
{
  g_autoptr(NdGraph) r = build ("resnet-v2-50", NULL);
  g_autoptr(NdGraph) d = build ("darknet-53", NULL);
  g_autoptr(NdGraph) c = build ("cspdarknet-53", NULL);
  g_autoptr(NdGraph) v = build ("ese-vovnet-39", NULL);
  const NdNode *n;

  /* ResNetV2: the shortcut reads the pre-activation; the head is a biased 1×1 conv */
  assert_shape (r, "stem.conv.weight", 4, (int64_t[]) { 64, 3, 7, 7 });
  assert_shape (r, "stages.0.blocks.0.downsample.conv.weight", 4, (int64_t[]) { 256, 64, 1, 1 });
  g_assert_null (nd_graph_lookup_weight (r, "stages.0.blocks.1.downsample.conv.weight"));
  assert_shape (r, "stages.3.blocks.2.norm1.running_var", 1, (int64_t[]) { 2048 });
  assert_shape (r, "head.fc.weight", 4, (int64_t[]) { 1000, 2048, 1, 1 });
  n = nd_graph_node (r, find_node (r, "stages.1.blocks.0.downsample.conv"));
  g_assert_cmpint (n->p.stride, ==, 2);
  g_assert_cmpint (nd_graph_node (r, n->inputs[0])->op, ==, ND_OP_RELU);
  g_assert_cmpint (nd_graph_node (r, r->output)->op, ==, ND_OP_CONV2D);

  /* Darknet-53 at timm's 256 px: 8×8 before the head; LeakyReLU at PyTorch's 0.01 */
  g_assert_cmpint (d->in_h, ==, 256);
  assert_shape (d, "stages.4.blocks.3.conv2.conv.weight", 4, (int64_t[]) { 1024, 512, 3, 3 });
  n = nd_graph_node (d, find_node (d, "stages.4.blocks.3.conv2.bn") + 1);
  g_assert_cmpint (n->op, ==, ND_OP_LEAKY_RELU);
  g_assert_cmpfloat (n->p.alpha, ==, 0.01f);
  g_assert_cmpint (n->out_h, ==, 8);

  /* CSPDarknet-53: the first stage expands to 2·64 and its blocks keep 64; later ones halve */
  assert_shape (c, "stages.0.conv_exp.conv.weight", 4, (int64_t[]) { 128, 64, 1, 1 });
  assert_shape (c, "stages.0.blocks.0.conv1.conv.weight", 4, (int64_t[]) { 32, 64, 1, 1 });
  assert_shape (c, "stages.2.blocks.7.conv1.conv.weight", 4, (int64_t[]) { 128, 128, 1, 1 });
  assert_shape (c, "stages.2.conv_transition.conv.weight", 4, (int64_t[]) { 256, 256, 1, 1 });
  n = nd_graph_node (c, find_node (c, "stages.2.blocks.0.conv1.conv"));
  n = nd_graph_node (c, n->inputs[0]);
  g_assert_cmpint (n->op, ==, ND_OP_SLICE);
  g_assert_cmpint (n->p.offset, ==, 128);

  /* ESE-VoVNet-39: ceil-mode pools (56 → 28 → 14 → 7), one-shot aggregation of 128 + 5·128,
   * the effective SE on each stage's last module, the residual on the modules after */
  assert_shape (v, "stages.0.blocks.0.conv_concat.conv.weight", 4, (int64_t[]) { 256, 768, 1, 1 });
  assert_shape (v, "stages.3.blocks.1.attn.fc.bias", 1, (int64_t[]) { 1024 });
  g_assert_null (nd_graph_lookup_weight (v, "stages.3.blocks.0.attn.fc.weight"));
  n = nd_graph_node (v, find_node (v, "stages.1.blocks.0.conv_mid.0.conv"));
  n = nd_graph_node (v, n->inputs[0]);
  g_assert_cmpint (n->op, ==, ND_OP_MAXPOOL);
  g_assert_true (n->p.ceil_mode);
  g_assert_cmpint (n->out_h, ==, 28);
  n = nd_graph_node (v, find_node (v, "stages.3.blocks.1.attn.fc") + 1);
  g_assert_cmpint (n->op, ==, ND_OP_GATE);
  g_assert_true (n->p.hard_gate);
  g_assert_cmpint (n->out_h, ==, 7);
  n = nd_graph_node (v, find_node (v, "stages.3.blocks.1.attn.fc") + 2);
  g_assert_cmpint (n->op, ==, ND_OP_ADD);
}

static void
test_knobs (void)
{
  static const char * const names[] = { "resnext-50-32x4d", "mobilenet-v2",
                                        "shufflenet-v2-1.0", "densenet-121", "resnet-v2-50",
                                        "darknet-53", "cspdarknet-53", "vovnet-57",
                                        "ese-vovnet-39" };
  g_autoptr(GError) error = NULL;
  NdModelSpec spec;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(NdGraph) g = NULL;

      g_assert_true (nd_model_spec_parse (names[i], &spec, NULL));
      spec.width = 0.25;
      spec.resolution = 40;
      spec.classes = 5;
      spec.in_channels = 1;
      if (spec.n_blocks > 0)
        for (int k = 0; k < spec.n_blocks; k++)
          spec.blocks[k] = 2;
      g = build_spec (&spec);
      assert_forward (g, 5);
    }

  g_assert_true (nd_model_spec_parse ("mobilenet-v2", &spec, NULL));
  spec.n_blocks = 2;
  g_assert_null (nd_model_build (&spec, &error));
  g_assert_nonnull (strstr (error->message, "--blocks does not apply to MobileNet"));
  g_clear_error (&error);
  g_assert_true (nd_model_spec_parse ("densenet-121", &spec, NULL));
  spec.n_blocks = 3;
  g_assert_null (nd_model_build (&spec, &error));
  g_assert_nonnull (strstr (error->message, "4 --blocks entries"));
  g_clear_error (&error);
  g_assert_true (nd_model_spec_parse ("inception-v3", &spec, NULL));
  g_assert_cmpint (spec.resolution, ==, 299);
  spec.resolution = 74;
  g_assert_null (nd_model_build (&spec, &error));
  g_assert_nonnull (strstr (error->message, "at least 75 pixels"));
  g_clear_error (&error);
  spec.resolution = 75;
  spec.width = 0.125;
  spec.classes = 4;
  {
    g_autoptr(NdGraph) g = build_spec (&spec);

    assert_forward (g, 4);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *counts = g_strdup_printf ("/backbones/counts/%s", cases[i].name);
      g_autofree char *fused = g_strdup_printf ("/backbones/fused/%s", cases[i].name);
      g_autofree char *detect = g_strdup_printf ("/backbones/detect/%s", cases[i].name);
      g_autofree char *fast = g_strdup_printf ("/backbones/cpu-fast/%s", cases[i].name);

      g_test_add_data_func (counts, &cases[i], test_counts);
      g_test_add_data_func (fused, &cases[i], test_fused);
      g_test_add_data_func (detect, &cases[i], test_detect);
      g_test_add_data_func (fast, &cases[i], test_cpu_fast);
    }
  g_test_add_func ("/backbones/structure", test_structure);
  g_test_add_func ("/backbones/inception", test_inception);
  g_test_add_func ("/backbones/timm-structure", test_timm_structure);
  g_test_add_func ("/backbones/knobs", test_knobs);
  return g_test_run ();
}
