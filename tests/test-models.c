/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "test-models-util.h"

/* Model specs, knobs, ParNet, every preset through the oracle, random init. Expected
 * numbers are from docs/reference/networks.md unless a comment says otherwise; counts are of the training
 * form. RepVGG, VanillaNet, ResNet and VGG are in test-models-zoo.c. */

/* ---- names ------------------------------------------------------------------------------- */

static void
test_names (void)
{
  const char * const *names = nd_model_names ();
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  int n = 0;

  for (; names[n] != NULL; n++)
    {
      g_assert_true (nd_model_spec_parse (names[n], &spec, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (spec.name, ==, names[n]);
      g_assert_true (g_str_has_prefix (names[n], nd_family_name (spec.family)));
    }
  g_assert_cmpint (n, ==, 44);

  g_assert_true (nd_model_spec_parse ("ParNet-XL", &spec, &error));
  g_assert_cmpstr (spec.name, ==, "parnet-xl");
  g_assert_cmpstr (spec.variant, ==, "xl");
  g_assert_cmpint (spec.streams, ==, 3);
  g_assert_cmpint (spec.n_blocks, ==, 3);
  g_assert_cmpint (spec.blocks[0], ==, 4);
  g_assert_cmpint (spec.blocks[2], ==, 5);
  g_assert_cmpint (spec.resolution, ==, 224);
  g_assert_cmpint (spec.classes, ==, 1000);
  g_assert_cmpint (spec.in_channels, ==, 3);

  g_assert_true (nd_model_spec_parse ("REPVGG-B1G4", &spec, &error));
  g_assert_cmpint (spec.family, ==, ND_FAMILY_REPVGG);
  g_assert_cmpstr (spec.variant, ==, "b1g4");
  g_assert_cmpint (spec.streams, ==, 0);
  g_assert_true (nd_model_spec_parse ("VanillaNet-13-x1.5", &spec, &error));
  g_assert_cmpstr (spec.variant, ==, "13-x1.5");
  g_assert_cmpint (spec.act_num, ==, 3);
  g_assert_cmpfloat (spec.lambda, ==, 1.0);

  g_assert_false (nd_model_spec_parse ("parnet-xxl", &spec, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
  g_assert_nonnull (strstr (error->message, "parnet-xxl"));
  g_clear_error (&error);
  g_assert_false (nd_model_spec_parse ("", &spec, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
  g_clear_error (&error);
  g_assert_false (nd_model_spec_parse (NULL, &spec, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);

  g_assert_cmpstr (nd_family_name (ND_FAMILY_PARNET), ==, "parnet");
  g_assert_cmpstr (nd_family_name (ND_FAMILY_VANILLANET), ==, "vanillanet");
  g_assert_cmpstr (nd_family_name (ND_FAMILY_VGG), ==, "vgg");
}

/* ---- ParNet ------------------------------------------------------------------------------ */

static void
test_parnet_counts (void)
{
  static const struct
  {
    const char *name;
    gint64      params;
    double      gmacs;
  } cases[] = {
    { "parnet-s", 20930936, 5.260 },
    { "parnet-m", 38953256, 9.535 },
    { "parnet-l", 60180008, 14.804 },
    { "parnet-xl", 93176168, 23.016 },
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
      g_assert_cmpfloat (fabs (macs / 1e9 - cases[i].gmacs), <=, 0.0005);
      /* The exact S count, derived independently from the per-block formulas of docs/reference/networks.md
       * §1.3 (9K·HW + K·HW + K per block, 1000·c_last for the head); it rounds to 5.260. */
      if (i == 0)
        g_assert_cmpint (macs, ==, G_GINT64_CONSTANT (5259501056));
      g_assert_cmpint (depth, ==, 12);
      g_assert_cmpint (state_dict_entries (g), ==, 378);
      g_assert_cmpstr (g->model_name, ==, cases[i].name);
      g_assert_cmpstr (g->family, ==, "parnet");
      g_assert_false (g->fused);
    }
}

static gint64
sum_prefix (GPtrArray *stats, const char *prefix)
{
  gint64 n = 0;

  for (guint i = 0; i < stats->len; i++)
    {
      NdBlockStats *st = g_ptr_array_index (stats, i);

      if (g_str_has_prefix (st->block, prefix))
        n += st->params;
    }
  return n;
}

static void
test_parnet_block_stats (void)
{
  g_autoptr(NdGraph) g = build ("parnet-m", NULL);
  g_autoptr(GPtrArray) stats = nd_graph_block_stats (g);
  int n_stream_blocks[3] = { 0 };

  g_assert_cmpint (sum_prefix (stats, "inits."), ==, 1898304);
  g_assert_cmpint (sum_prefix (stats, "streams."), ==, 18769408);
  g_assert_cmpint (sum_prefix (stats, "downsamples_2."), ==, 1806336);
  g_assert_cmpint (sum_prefix (stats, "combine"), ==, 14430208);
  g_assert_cmpint (sum_prefix (stats, "head"), ==, 2049000);

  for (guint i = 0; i < stats->len; i++)
    {
      NdBlockStats *st = g_ptr_array_index (stats, i);

      if (g_str_has_prefix (st->block, "streams."))
        {
          int k = st->block[8] - '0';

          g_assert_cmpint (st->stream, ==, k);
          n_stream_blocks[k]++;
          g_assert_cmpint (st->role, ==, ND_ROLE_DENSE3X3);
        }
      else
        g_assert_cmpint (st->stream, ==, -1);
      if (g_str_equal (st->block, "combine.3"))
        {
          g_assert_cmpint (st->depth, ==, 11);
          g_assert_cmpint (st->out_c, ==, 2048);
          g_assert_cmpint (st->out_h, ==, 7);
        }
      if (g_str_equal (st->block, "combine"))
        {
          g_assert_cmpint (st->depth, ==, 10);
          g_assert_cmpint (st->out_c, ==, 512);
          g_assert_cmpint (st->out_h, ==, 14);
        }
      if (g_str_equal (st->block, "downsamples_2.1"))
        g_assert_cmpint (st->depth, ==, 9);
      if (g_str_equal (st->block, "streams.2.4"))
        g_assert_cmpint (st->depth, ==, 9);
      if (g_str_equal (st->block, "streams.0.0"))
        g_assert_cmpint (st->depth, ==, 3);
      if (g_str_equal (st->block, "inits.2"))
        g_assert_cmpint (st->depth, ==, 4);
    }
  g_assert_cmpint (n_stream_blocks[0], ==, 4);
  g_assert_cmpint (n_stream_blocks[1], ==, 5);
  g_assert_cmpint (n_stream_blocks[2], ==, 5);
}

static void
test_parnet_structure (void)
{
  g_autoptr(NdGraph) g = build ("parnet-s", NULL);
  const NdNode *n;
  int id;

  assert_shape (g, "inits.0.0.block.rbr_dense.conv.weight", 4, (int64_t[]) { 64, 3, 3, 3 });
  assert_shape (g, "inits.0.1.block.rbr_1x1.1.conv.weight", 4, (int64_t[]) { 92, 64, 1, 1 });
  assert_shape (g, "streams.2.4.block.rbr_identity.running_var", 1, (int64_t[]) { 384 });
  assert_shape (g, "streams.0.3.block.se.cvsig.conv.weight", 4, (int64_t[]) { 92, 92, 1, 1 });
  assert_shape (g, "downsamples_2.0.block.rbr_dense.conv.weight", 4,
                (int64_t[]) { 192, 92, 3, 3 });
  assert_shape (g, "downsamples_2.1.0.b1.weight", 1, (int64_t[]) { 192 });
  assert_shape (g, "downsamples_2.1.0.b2.running_mean", 1, (int64_t[]) { 192 });
  assert_shape (g, "downsamples_2.1.2.block.rbr_1x1.1.bn.weight", 1, (int64_t[]) { 384 });
  /* g = 2 fusion block: 2·c1 inputs split in two groups */
  assert_shape (g, "downsamples_2.1.2.block.rbr_dense.conv.weight", 4,
                (int64_t[]) { 384, 192, 3, 3 });
  assert_shape (g, "downsamples_2.1.2.block.se.cvsig.conv.weight", 4,
                (int64_t[]) { 384, 192, 1, 1 });
  /* combine is stride 1: no pool index in its 1×1 branch */
  assert_shape (g, "combine.2.block.rbr_1x1.conv.weight", 4, (int64_t[]) { 384, 384, 1, 1 });
  assert_shape (g, "combine.3.block.rbr_1x1.1.conv.weight", 4,
                (int64_t[]) { 1280, 384, 1, 1 });
  assert_shape (g, "head.fc.weight", 2, (int64_t[]) { 1000, 1280 });
  assert_shape (g, "head.fc.bias", 1, (int64_t[]) { 1000 });
  g_assert_null (nd_graph_lookup_weight (g, "combine.3.block.rbr_identity.weight"));
  g_assert_null (nd_graph_lookup_weight (g, "streams.0.4.block.rbr_dense.conv.weight"));
  g_assert_null (nd_graph_lookup_weight (g, "streams.0.0.block.se.cvsig.conv.bias"));

  /* a stream block: case A, gate alpha 1 on the identity BN, three-way add, SiLU */
  id = find_node (g, "streams.1.2.block.rbr_identity");
  g_assert_cmpint (id, >, 0);
  n = nd_graph_node (g, id);
  g_assert_cmpint (n->role, ==, ND_ROLE_IDENTITY_BN);
  g_assert_cmpint (n->stream, ==, 1);
  g_assert_cmpstr (n->block, ==, "streams.1.2");
  g_assert_cmpint (n->depth, ==, 3 + 1 + 2);
  g_assert_cmpfloat (n->p.eps, ==, 1e-5f);
  for (int i = id + 1; i < nd_graph_n_nodes (g); i++)
    {
      n = nd_graph_node (g, i);
      if (n->op == ND_OP_GATE)
        {
          g_assert_cmpfloat (n->p.alpha, ==, 1.0f);
          g_assert_cmpint (n->inputs[0], ==, id);
          break;
        }
    }
  for (int i = id + 1; i < nd_graph_n_nodes (g); i++)
    {
      n = nd_graph_node (g, i);
      if (n->op == ND_OP_ADD)
        {
          g_assert_cmpint (n->n_inputs, ==, 3);
          g_assert_cmpint (n->role, ==, ND_ROLE_MERGE);
          g_assert_cmpint (nd_graph_node (g, i + 1)->op, ==, ND_OP_SILU);
          break;
        }
    }

  /* a fusion block: case B gate ×2 after a two-way add, then SiLU and a g = 2 shuffle */
  id = find_node (g, "combine.2.block.se.cvsig.conv");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpint (nd_graph_node (g, id)->role, ==, ND_ROLE_SSE_GATE);
  g_assert_cmpstr (nd_graph_node (g, id)->block, ==, "combine");
  {
    gboolean seen_gate = FALSE, seen_shuffle = FALSE;

    for (int i = id + 1; i < nd_graph_n_nodes (g); i++)
      {
        n = nd_graph_node (g, i);
        if (g_strcmp0 (n->block, "combine") != 0)
          break;
        if (n->op == ND_OP_ADD)
          g_assert_cmpint (n->n_inputs, ==, 2);
        if (n->op == ND_OP_GATE)
          {
            g_assert_cmpfloat (n->p.alpha, ==, 2.0f);
            seen_gate = TRUE;
          }
        if (n->op == ND_OP_CHANNEL_SHUFFLE)
          {
            g_assert_cmpint (n->p.groups, ==, 2);
            g_assert_cmpint (n->role, ==, ND_ROLE_SHUFFLE);
            seen_shuffle = TRUE;
          }
      }
    g_assert_true (seen_gate);
    g_assert_true (seen_shuffle);
  }
  /* the concat interleaves b1 (the stream) with b2 (y_old) */
  id = find_node (g, "combine.0.b1");
  n = nd_graph_node (g, id + 2);
  g_assert_cmpint (n->op, ==, ND_OP_CONCAT_INTERLEAVE);
  g_assert_cmpint (n->inputs[0], ==, id);
  g_assert_cmpint (n->inputs[1], ==, find_node (g, "combine.0.b2"));
  g_assert_cmpint (n->role, ==, ND_ROLE_CONCAT);
  g_assert_cmpint (nd_graph_node (g, id)->role, ==, ND_ROLE_FUSION_BN);

  /* stride-2 1×1 branch: avg pool 2×2 first */
  id = find_node (g, "inits.1.block.rbr_1x1.1.conv");
  n = nd_graph_node (g, nd_graph_node (g, id)->inputs[0]);
  g_assert_cmpint (n->op, ==, ND_OP_AVGPOOL);
  g_assert_cmpint (n->p.kernel, ==, 2);
  g_assert_cmpint (n->p.stride, ==, 2);
  g_assert_cmpint (n->role, ==, ND_ROLE_BRANCH_POOL);

  n = nd_graph_node (g, g->output);
  g_assert_cmpint (n->op, ==, ND_OP_LINEAR);
  g_assert_cmpstr (n->name, ==, "head.fc");
  g_assert_cmpint (n->depth, ==, 12);
}

static void
test_parnet_streams (void)
{
  static const struct
  {
    int streams;
    int depth;
    int entries;
  } cases[] = {
    /* 1: 2 inits + 4 + ds2.0 + ds2.1 + combine.3 + head; 2: inits.1 (3) + 5 blocks + fusion
     * + combine.3 + head */
    { 1, 2 + 4 + 3 + 1, 0 },
    { 2, 3 + 5 + 1 + 1 + 1, 0 },
    { 3, 12, 378 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NdModelSpec spec;
      g_autoptr(NdGraph) g = NULL;
      int depth, n_streams = 0;
      gboolean seen[3] = { FALSE };

      g_assert_true (nd_model_spec_parse ("parnet-s", &spec, NULL));
      spec.streams = cases[i].streams;
      spec.classes = 10;
      spec.resolution = 64;
      spec.width = 0.25;
      g = build_spec (&spec);
      nd_graph_count (g, NULL, NULL, &depth);
      g_assert_cmpint (depth, ==, cases[i].depth);
      for (int k = 0; k < nd_graph_n_nodes (g); k++)
        {
          int s = nd_graph_node (g, k)->stream;

          g_assert_cmpint (s, <, cases[i].streams);
          if (s >= 0 && !seen[s])
            {
              seen[s] = TRUE;
              n_streams++;
            }
        }
      g_assert_cmpint (n_streams, ==, cases[i].streams);
      g_assert_nonnull (nd_graph_lookup_weight (g, "combine.3.block.rbr_dense.conv.weight"));
      g_assert_nonnull (nd_graph_lookup_weight (g, "downsamples_2.0.block.rbr_dense.conv.weight"));
      if (cases[i].streams == 1)
        {
          g_assert_nonnull (nd_graph_lookup_weight (g,
                                                    "downsamples_2.1.block.rbr_dense.conv.weight"));
          g_assert_null (nd_graph_lookup_weight (g, "inits.1.block.rbr_dense.conv.weight"));
        }
      if (cases[i].streams == 2)
        {
          g_assert_nonnull (nd_graph_lookup_weight (g, "downsamples_2.1.0.b1.weight"));
          g_assert_null (nd_graph_lookup_weight (g, "combine.0.b1.weight"));
          g_assert_null (nd_graph_lookup_weight (g, "inits.2.block.rbr_dense.conv.weight"));
        }
      if (cases[i].entries)
        g_assert_cmpint (state_dict_entries (g), ==, cases[i].entries);
      /* widths ×0.25: 92 → 24 (2·round(11.5) = 24), 1280 → 320 */
      assert_shape (g, "inits.0.1.block.rbr_dense.conv.weight", 4,
                    (int64_t[]) { 24, 24, 3, 3 });
      assert_shape (g, "head.fc.weight", 2, (int64_t[]) { 10, 320 });
      assert_forward (g, 10);
    }
}

static void
test_parnet_blocks_knob (void)
{
  NdModelSpec spec;
  g_autoptr(NdGraph) g = NULL;
  int depth;

  g_assert_true (nd_model_spec_parse ("parnet-m", &spec, NULL));
  spec.n_blocks = 3;
  spec.blocks[0] = 0;
  spec.blocks[1] = 2;
  spec.blocks[2] = 7;
  spec.resolution = 32;
  spec.width = 0.125;
  spec.in_channels = 1;
  spec.classes = 3;
  g = build_spec (&spec);
  /* stream 2: inits.2 (4) + 7 blocks, combine, combine.3, head */
  nd_graph_count (g, NULL, NULL, &depth);
  g_assert_cmpint (depth, ==, 4 + 7 + 3);
  g_assert_null (nd_graph_lookup_weight (g, "streams.0.0.block.rbr_dense.conv.weight"));
  g_assert_nonnull (nd_graph_lookup_weight (g, "streams.2.6.block.rbr_dense.conv.weight"));
  g_assert_null (nd_graph_lookup_weight (g, "streams.2.7.block.rbr_dense.conv.weight"));
  assert_shape (g, "inits.0.0.block.rbr_dense.conv.weight", 4, (int64_t[]) { 16, 1, 3, 3 });
  /* stream 0 with no blocks: downsamples_2.0 reads inits.0.1 directly */
  {
    int ds = find_node (g, "downsamples_2.0.block.rbr_dense.conv");
    const NdNode *in = nd_graph_node (g, nd_graph_node (g, ds)->inputs[0]);

    g_assert_cmpstr (in->block, ==, "inits.0.1");
    g_assert_cmpint (nd_graph_node (g, ds)->depth, ==, 3);
  }
  assert_forward (g, 3);
}

/* ---- every preset, random init ----------------------------------------------------------- */

/* Every preset, narrowed and at 32×32 so the naive oracle is quick: it builds, its tags are
 * complete, and a forward pass gives finite logits of the right shape. */
static void
test_all_presets_forward (void)
{
  const char * const *names = nd_model_names ();

  for (int i = 0; names[i] != NULL; i++)
    {
      NdModelSpec spec;
      g_autoptr(NdGraph) g = NULL;

      g_assert_true (nd_model_spec_parse (names[i], &spec, NULL));
      spec.width = 1.0 / 8;    /* keeps every gN stage divisible by its groups */
      /* Inception-v3's unpadded stem and reductions need 75 px, as torchvision's */
      spec.resolution = spec.family == ND_FAMILY_INCEPTION ? 80 : 32;
      spec.classes = 3;
      g = build_spec (&spec);
      g_assert_cmpstr (g->model_name, ==, names[i]);
      g_assert_cmpstr (g->family, ==, nd_family_name (spec.family));
      for (int k = 1; k < nd_graph_n_nodes (g); k++)
        {
          const NdNode *n = nd_graph_node (g, k);

          g_assert_nonnull (n->block);
          g_assert_cmpint (n->depth, >=, 1);
          g_assert_cmpint (n->role, !=, ND_ROLE_NONE);
          if (nd_op_n_weights (n->op, &n->p) > 0)
            g_assert_nonnull (n->name);
        }
      g_test_message ("%s: %d nodes", names[i], nd_graph_n_nodes (g));
      assert_forward (g, 3);
    }
}

/* A width that leaves a grouped stage indivisible is refused by the graph, with the module */
static void
test_shape_error_passes_through (void)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;

  g_assert_true (nd_model_spec_parse ("repvgg-b1g4", &spec, NULL));
  spec.width = 0.05;     /* stage 1: 128 · 0.05 → 6 channels, not divisible by 4 */
  g_assert_null (nd_model_build (&spec, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_assert_nonnull (strstr (error->message, "stage1.1.rbr_dense.conv"));
}

static void
weights_sum (const char *key, NdTensor *t, gboolean is_param, gpointer user_data)
{
  double *sum = user_data;

  for (int64_t i = 0; i < t->numel; i++)
    *sum += t->data[i] * (double) ((i % 7) + 1);
}

static void
test_init_random (void)
{
  g_autoptr(NdGraph) a = NULL;
  g_autoptr(NdGraph) b = NULL;
  NdModelSpec spec;
  double sa = 0, sb = 0, sc = 0;
  const NdNode *n;

  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, NULL));
  spec.width = 0.25;
  spec.resolution = 64;
  a = build_spec (&spec);
  b = build_spec (&spec);
  nd_model_init_random (a, G_GUINT64_CONSTANT (0x123456789abc));
  nd_model_init_random (b, G_GUINT64_CONSTANT (0x123456789abc));
  nd_graph_foreach_weight (a, weights_sum, &sa);
  nd_graph_foreach_weight (b, weights_sum, &sb);
  g_assert_cmpfloat (sa, ==, sb);
  /* the high word of the seed matters */
  nd_model_init_random (b, G_GUINT64_CONSTANT (0x123556789abc));
  nd_graph_foreach_weight (b, weights_sum, &sc);
  g_assert_cmpfloat (sa, !=, sc);

  n = nd_graph_node (a, find_node (a, "streams.0.0.block.rbr_dense.bn"));
  for (int c = 0; c < n->out_c; c++)
    {
      g_assert_cmpfloat (n->w[ND_W_WEIGHT]->data[c], >=, 0.5f);
      g_assert_cmpfloat (n->w[ND_W_WEIGHT]->data[c], <=, 1.5f);
      g_assert_cmpfloat (n->w[ND_W_VAR]->data[c], >=, 0.5f);
      g_assert_cmpfloat (n->w[ND_W_VAR]->data[c], <=, 2.0f);
    }
  /* He-normal: the sample std of a large conv weight is near sqrt(2 / fan_in) */
  {
    NdTensor *w = nd_graph_lookup_weight (a, "combine.2.block.rbr_dense.conv.weight");
    double s2 = 0, expect = 2.0 / (w->numel / w->shape[0]);

    for (int64_t i = 0; i < w->numel; i++)
      s2 += (double) w->data[i] * w->data[i];
    s2 /= w->numel;
    g_assert_cmpfloat (fabs (s2 / expect - 1), <, 0.05);
  }
}

/* ---- knob errors ------------------------------------------------------------------------- */

static void
expect_error (const NdModelSpec *spec, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = nd_model_build (spec, &error);

  g_assert_null (g);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected “%s” in “%s”", fragment, error->message);
}

static void
test_knob_errors (void)
{
  NdModelSpec p, s;

  g_assert_true (nd_model_spec_parse ("parnet-s", &p, NULL));

  s = p; s.streams = 4;
  expect_error (&s, "1, 2 or 3 streams");
  s = p; s.streams = -1;
  expect_error (&s, "1, 2 or 3 streams");
  s = p; s.width = 0;
  expect_error (&s, "width multiplier");
  s = p; s.width = -0.5;
  expect_error (&s, "width multiplier");
  s = p; s.width = 8.5;
  expect_error (&s, "width multiplier");
  s = p; s.width = NAN;
  expect_error (&s, "width multiplier");
  s = p; s.resolution = 200;
  expect_error (&s, "multiple of 32");
  s = p; s.resolution = 16;
  expect_error (&s, "between 32 and 4096");
  s = p; s.resolution = 4128;
  expect_error (&s, "between 32 and 4096");
  s = p; s.classes = -3;
  expect_error (&s, "classes");
  s = p; s.classes = 100001;
  expect_error (&s, "classes");
  s = p; s.in_channels = 65;
  expect_error (&s, "input channels");
  s = p; s.in_channels = -1;
  expect_error (&s, "input channels");
  s = p; s.lambda = 1.5;
  expect_error (&s, "λ");
  s = p; s.lambda = 0.5;
  expect_error (&s, "--lambda applies to VanillaNet only");
  s = p; s.n_blocks = 2;
  expect_error (&s, "3 --blocks entries");
  s = p; s.streams = 2; s.n_blocks = 3; s.blocks[0] = 1;
  expect_error (&s, "2 --blocks entries");
  s = p; s.blocks[1] = 65;
  expect_error (&s, "between 0 and 64");
  s = p; s.blocks[2] = -1;
  expect_error (&s, "between 0 and 64");
  s = p; g_strlcpy (s.name, "parnet-q", sizeof s.name);
  expect_error (&s, "parnet-q");
  s = p; s.family = ND_FAMILY_REPVGG;
  expect_error (&s, "not a RepVGG model");

  g_assert_true (nd_model_spec_parse ("repvgg-a0", &p, NULL));
  s = p; s.streams = 3;
  expect_error (&s, "--streams applies to ParNet only");
  s = p; s.n_blocks = 4;
  expect_error (&s, "5 --blocks entries");
  s = p; s.blocks[4] = 100;
  expect_error (&s, "between 0 and 64");
  s = p; s.lambda = 0.0;
  expect_error (&s, "VanillaNet only");

  g_assert_true (nd_model_spec_parse ("vanillanet-5", &p, NULL));
  s = p; s.lambda = -0.1;
  expect_error (&s, "λ");
  s = p; s.n_blocks = 3; s.blocks[0] = 1;
  expect_error (&s, "--blocks does not apply to VanillaNet");
  s = p; s.resolution = 100;
  expect_error (&s, "multiple of 32");
  s = p; s.act_num = 9;
  expect_error (&s, "series activation");
  s = p; s.streams = 2;
  expect_error (&s, "--streams applies to ParNet only");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/models/names", test_names);
  g_test_add_func ("/models/knob-errors", test_knob_errors);
  g_test_add_func ("/models/parnet/counts", test_parnet_counts);
  g_test_add_func ("/models/parnet/block-stats", test_parnet_block_stats);
  g_test_add_func ("/models/parnet/structure", test_parnet_structure);
  g_test_add_func ("/models/parnet/streams", test_parnet_streams);
  g_test_add_func ("/models/parnet/blocks-knob", test_parnet_blocks_knob);
  g_test_add_func ("/models/all-presets-forward", test_all_presets_forward);
  g_test_add_func ("/models/shape-error", test_shape_error_passes_through);
  g_test_add_func ("/models/init-random", test_init_random);

  return g_test_run ();
}
