/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "backend-ops.h"
#include "nd-backend-cpu.h"
#include "nd-cpu-gemm.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* The graph half of test-backend-ops.c's table: plan-level fusions, element-wise ops, pools,
 * layout ops and liveness-planned buffers, each on every backend present against the naive
 * oracle. */

typedef enum { EP_RELU, EP_SILU, EP_LEAKY, EP_GATE2, EP_ADD_SILU, EP_CAPTURED_ACT,
               EP_CAPTURED_CONV, EP_DW_RELU, EP_ADD_TWO_CONVS, EP_ADD_SILU_WIDE, EP_POOL_RELU,
               EP_GAP_SIGMOID, EP_1X1_ADD_RELU, EP_S2_ADD_RELU, EP_ROWS_ADD_RELU,
               EP_OCV_ADD_RELU } EpCase;

static void
graph_cpu_eltwise (const Backend *be, int variant)
{
  g_autoptr(NdGraph) g = nd_graph_new (6, 11, 9);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GArray) capture = g_array_new (FALSE, FALSE, sizeof (int));
  NdOpParams bn = { .eps = 1e-5f }, leaky = { .alpha = 0.1f }, gate2 = { .alpha = 2.0f };
  NdOpParams ap = { .kernel = 3, .stride = 2, .pad = 1 }, mp = { .kernel = 3, .stride = 2, .pad = 1 };
  NdOpParams p2 = { .kernel = 2, .stride = 2 }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams ada = { .out_h = 4, .out_w = 3 }, sh = { .groups = 3 };
  NdOpParams fc = { .out_c = 7 };
  int b, r, s, sg, l, add, gp, gt, a1, m1, a2, m2, ad, am, cat, shf, two[2], three[3];

  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, (int[]) { 0 }, 1, "bn", NULL);
  r = nd_graph_add (g, ND_OP_RELU, NULL, &b, 1, NULL, NULL);
  s = nd_graph_add (g, ND_OP_SILU, NULL, &b, 1, NULL, NULL);
  sg = nd_graph_add (g, ND_OP_SIGMOID, NULL, &b, 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &b, 1, NULL, NULL);
  three[0] = r, three[1] = s, three[2] = l;
  add = nd_graph_add (g, ND_OP_ADD, NULL, three, 3, NULL, NULL);
  gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &sg, 1, NULL, NULL);
  two[0] = add, two[1] = gp;
  gt = nd_graph_add (g, ND_OP_GATE, &gate2, two, 2, NULL, NULL);
  a1 = nd_graph_add (g, ND_OP_AVGPOOL, &ap, &gt, 1, NULL, NULL);
  m1 = nd_graph_add (g, ND_OP_MAXPOOL, &mp, &gt, 1, NULL, NULL);
  a2 = nd_graph_add (g, ND_OP_AVGPOOL, &p2, &gt, 1, NULL, NULL);
  m2 = nd_graph_add (g, ND_OP_MAXPOOL, &p2, &gt, 1, NULL, NULL);
  ad = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &ada, &gt, 1, NULL, NULL);
  am = nd_graph_add (g, ND_OP_ADAPTIVE_MAXPOOL, &ada, &gt, 1, NULL, NULL);
  two[0] = a2, two[1] = m2;
  cat = nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, two, 2, NULL, NULL);
  shf = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &cat, 1, NULL, NULL);
  two[0] = a1, two[1] = m1;
  nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
  two[0] = ad, two[1] = am;
  nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_LINEAR, &fc, &shf, 1, "fc", NULL);
  nd_test_randomize_graph (g, 9);
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    g_array_append_val (capture, i);
  plan = backend_ops_check (be, g, 2, (const int *) capture->data, capture->len, FALSE, FALSE, "eltwise");
  /* every op has a fast CPU kernel */
  for (int i = 1; i < nd_graph_n_nodes (g) && be->kind == ND_DEVICE_KIND_CPU; i++)
    g_assert_cmpstr (plan->op_algo[i], !=, "ref");
}

/* Fused epilogues: a conv absorbs the activation / gate / merge add that follows it. */
static void
graph_cpu_fused (const Backend *be, int variant)
{
  EpCase ec = variant;
  /* wide: CPU Winograd F(4,3) in blocks of 32 tiles, 15 a tile row, so the epilogue runs
   * on partial tile rows */
  gboolean wide = ec == EP_ADD_SILU_WIDE || ec == EP_1X1_ADD_RELU || ec == EP_S2_ADD_RELU
                  || ec == EP_OCV_ADD_RELU;
  g_autoptr(NdGraph) g = wide ? nd_graph_new (20, 24, 60) : nd_graph_new (20, 13, 12);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams c3 = { .out_c = 20, .kernel = 3, .stride = 1, .pad = 1, .groups = 1, .has_bias = 1 };
  NdOpParams dw = { .out_c = 20, .kernel = 7, .stride = 1, .pad = 3, .groups = 20, .has_bias = 1 };
  NdOpParams c1 = { .out_c = 20, .kernel = 1, .stride = 1, .groups = 1 };
  NdOpParams leaky = { .alpha = 0.25f }, gate2 = { .alpha = 2.0f }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams bn = { .eps = 1e-5f };
  int conv, act = -1, two[2], capture[1], zero = 0, n_capture = 0;

  /* ≥ 32 output channels: whole strips take the register epilogue, the ragged ones the
   * tile's */
  NdOpParams s2 = { .out_c = 40, .kernel = 3, .stride = 2, .pad = 1, .groups = 1, .has_bias = 1 };
  NdOpParams s2_1x1 = { .out_c = 40, .kernel = 1, .stride = 2, .groups = 1, .has_bias = 1 };
  NdOpParams c1w = { .out_c = 40, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams c1b = { .out_c = 200, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  const NdOpParams *cp = ec == EP_DW_RELU ? &dw : ec == EP_1X1_ADD_RELU ? &c1w
                         : ec == EP_S2_ADD_RELU ? &s2_1x1 : ec == EP_OCV_ADD_RELU ? &s2
                         : ec == EP_ROWS_ADD_RELU ? &c1b : &c3;

  conv = nd_graph_add (g, ND_OP_CONV2D, cp, &zero, 1, "conv", NULL);
  switch (ec)
    {
    case EP_RELU:
    case EP_CAPTURED_ACT:
    case EP_CAPTURED_CONV:
    case EP_DW_RELU:
      act = nd_graph_add (g, ND_OP_RELU, NULL, &conv, 1, NULL, NULL);
      break;
    case EP_SILU:
      act = nd_graph_add (g, ND_OP_SILU, NULL, &conv, 1, NULL, NULL);
      break;
    case EP_LEAKY:
      act = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &conv, 1, NULL, NULL);
      break;
    case EP_GATE2:
      {
        /* ParNet case B: the gate comes from the block input, computed after the conv */
        int p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &zero, 1, NULL, NULL);
        int se = nd_graph_add (g, ND_OP_CONV2D, &c1, &p, 1, "se", NULL);

        two[0] = conv, two[1] = se;
        act = nd_graph_add (g, ND_OP_GATE, &gate2, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_SILU, NULL, &act, 1, NULL, NULL);
      }
      break;
    case EP_ADD_SILU:
    case EP_ADD_SILU_WIDE:
      {
        /* ParNet case A: SiLU (conv + BN_id(x) ⊙ σ(se)) */
        int id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &zero, 1, "id", NULL);
        int p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, NULL);
        int se = nd_graph_add (g, ND_OP_CONV2D, &c1, &p, 1, "se", NULL), gt;

        two[0] = id, two[1] = se;
        gt = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 1.0f }, two, 2, NULL, NULL);
        two[0] = conv, two[1] = gt;
        act = nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_SILU, NULL, &act, 1, NULL, NULL);
      }
      break;
    case EP_POOL_RELU:
    case EP_GAP_SIGMOID:
      {
        /* VanillaNet's conv → max pool → ReLU: the pool takes the activation (odd map: the
         * pool's last row and column are partial) */
        NdOpParams mp = { .kernel = 2, .stride = 2 };
        int pool = ec == EP_POOL_RELU
                   ? nd_graph_add (g, ND_OP_MAXPOOL, &mp, &conv, 1, NULL, NULL)
                   : nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &conv, 1, NULL, NULL);

        act = nd_graph_add (g, ec == EP_POOL_RELU ? ND_OP_RELU : ND_OP_SIGMOID, NULL, &pool, 1,
                            NULL, NULL);
      }
      break;
    case EP_1X1_ADD_RELU:
    case EP_S2_ADD_RELU:
    case EP_OCV_ADD_RELU:
    case EP_ROWS_ADD_RELU:
      {
        /* the packed GEMM's epilogue (bias, ADD, ReLU; the ADD's other input is a second
         * conv, which must not take it): split by columns reading the input in place (1×1,
         * ResNet's conv3), by columns through im2col chunks (a stride-2 1×1: C's columns are
         * offset by the chunk's), by rows (200 channels, 156 columns); and the output-channel
         * kernel's (a stride-2 3×3) */
        NdOpParams mp = { .kernel = 2, .stride = 2 };
        int src = ec == EP_S2_ADD_RELU || ec == EP_OCV_ADD_RELU
                  ? nd_graph_add (g, ND_OP_AVGPOOL, &mp, &zero, 1, NULL, NULL) : zero;
        int other = nd_graph_add (g, ND_OP_CONV2D, ec == EP_ROWS_ADD_RELU ? &c1b : &c1w, &src, 1,
                                  "other", NULL);

        two[0] = conv, two[1] = other;
        act = nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_RELU, NULL, &act, 1, NULL, NULL);
      }
      break;
    case EP_ADD_TWO_CONVS:
      {
        /* ResNet's projection shortcut: both convs could absorb the add; only one may */
        int sc = nd_graph_add (g, ND_OP_CONV2D, &c1, &zero, 1, "shortcut", NULL);

        two[0] = conv, two[1] = sc;
        act = nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_RELU, NULL, &act, 1, NULL, NULL);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  g->output = act;
  nd_test_randomize_graph (g, 77);
  if (ec == EP_CAPTURED_ACT || ec == EP_CAPTURED_CONV)
    capture[n_capture++] = ec == EP_CAPTURED_ACT ? act : conv;
  plan = backend_ops_check (be, g, 2, capture, n_capture, TRUE, FALSE, "fused");
  if (be->kind != ND_DEVICE_KIND_CPU)
    return;
  if (ec == EP_S2_ADD_RELU)
    g_assert_cmpstr (plan->op_algo[conv], ==, "im2col+sgemm");
  if (ec == EP_OCV_ADD_RELU && nd_cpu_gemm_supported ())
    g_assert_cmpstr (plan->op_algo[conv], ==, "direct-oc");
  if (n_capture > 0)
    g_assert_cmpstr (plan->op_algo[act], !=, "fused");
  else
    {
      g_assert_cmpstr (plan->op_algo[act], ==, "fused");
      g_assert_cmpfloat (plan->op_ms[act], ==, 0);
    }
}

/* Two ParNet-like streams (case A and case B blocks), a fusion (MultiBN + interleaved concat +
 * grouped block + shuffle), a stride-2 block with the pool branch, head. */
static int
block (NdGraph *g, int x, int cin, int cout, int s, int groups, const char *name)
{
  NdOpParams d = { .out_c = cout, .kernel = 3, .stride = s, .pad = 1, .groups = groups };
  NdOpParams p1 = { .out_c = cout, .kernel = 1, .stride = 1, .groups = groups };
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams pool = { .kernel = 2, .stride = 2 }, sh = { .groups = groups };
  g_autofree char *n1 = g_strconcat (name, ".d", NULL), *n2 = g_strconcat (name, ".dbn", NULL);
  g_autofree char *n3 = g_strconcat (name, ".p", NULL), *n4 = g_strconcat (name, ".pbn", NULL);
  g_autofree char *n5 = g_strconcat (name, ".se", NULL), *n6 = g_strconcat (name, ".id", NULL);
  int dc = nd_graph_add (g, ND_OP_CONV2D, &d, &x, 1, n1, NULL);
  int db = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &dc, 1, n2, NULL);
  int src = s == 2 ? nd_graph_add (g, ND_OP_AVGPOOL, &pool, &x, 1, NULL, NULL) : x;
  int pc = nd_graph_add (g, ND_OP_CONV2D, &p1, &src, 1, n3, NULL);
  int pb = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &pc, 1, n4, NULL);
  int ins[3], y;

  if (cin == cout && s == 1)
    {
      int id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &x, 1, n6, NULL);
      int gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, NULL);
      int se = nd_graph_add (g, ND_OP_CONV2D, &p1, &gp, 1, n5, NULL);
      int gt;

      ins[0] = id, ins[1] = se;
      gt = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 1 }, ins, 2, NULL, NULL);
      ins[0] = db, ins[1] = pb, ins[2] = gt;
      y = nd_graph_add (g, ND_OP_ADD, NULL, ins, 3, NULL, NULL);
    }
  else
    {
      int gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &x, 1, NULL, NULL);
      int se = nd_graph_add (g, ND_OP_CONV2D, &p1, &gp, 1, n5, NULL), a;

      ins[0] = db, ins[1] = pb;
      a = nd_graph_add (g, ND_OP_ADD, NULL, ins, 2, NULL, NULL);
      ins[0] = a, ins[1] = se;
      y = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 2 }, ins, 2, NULL, NULL);
    }
  y = nd_graph_add (g, ND_OP_SILU, NULL, &y, 1, NULL, NULL);
  if (groups > 1)
    y = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &y, 1, NULL, NULL);
  return y;
}

static void
graph_liveness (const Backend *be, int variant)
{
  gboolean fused_convs = variant;
  g_autoptr(NdGraph) g = nd_graph_new (3, 32, 32);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 }, fc = { .out_c = 10 };
  NdOpParams c3 = { .out_c = 24, .kernel = 3, .stride = 1, .pad = 1, .groups = 1, .has_bias = 1 };
  int i0, i1, s0, s1, d0, b1, b2, cat, f, two[2], capture[2];

  i0 = block (g, 0, 3, 24, 2, 1, "inits.0");           /* 16 */
  i1 = block (g, i0, 24, 32, 2, 1, "inits.1");         /* 8 */
  s0 = i0;
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *name = g_strdup_printf ("streams.0.%d", k);

      if (fused_convs)
        {
          /* a fused block: conv with bias → gate(2σ) → SiLU */
          int c = nd_graph_add (g, ND_OP_CONV2D, &c3, &s0, 1, name, NULL);
          int gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &s0, 1, NULL, NULL);
          g_autofree char *se = g_strconcat (name, ".se", NULL);
          int sc = nd_graph_add (g, ND_OP_CONV2D,
                                 &(NdOpParams) { .out_c = 24, .kernel = 1, .stride = 1,
                                                 .groups = 1 }, &gp, 1, se, NULL);
          two[0] = c, two[1] = sc;
          s0 = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 2 }, two, 2, NULL, NULL);
          s0 = nd_graph_add (g, ND_OP_SILU, NULL, &s0, 1, NULL, NULL);
        }
      else
        s0 = block (g, s0, 24, 24, 1, 1, name);
    }
  s1 = block (g, i1, 32, 32, 1, 1, "streams.1.0");
  d0 = block (g, s0, 24, 32, 2, 1, "downsamples_2.0");
  b1 = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &s1, 1, "f.b1", NULL);
  b2 = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d0, 1, "f.b2", NULL);
  two[0] = b1, two[1] = b2;
  cat = nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, two, 2, NULL, NULL);
  f = block (g, cat, 64, 48, 2, 2, "f.2");              /* 4, g = 2 */
  f = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &f, 1, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_LINEAR, &fc, &f, 1, "head.fc", NULL);
  nd_test_randomize_graph (g, 5);
  capture[0] = s0;
  capture[1] = cat;
  /* two runs on different inputs: a stale reused buffer would show */
  plan = backend_ops_check (be, g, 2, capture, 2, TRUE, TRUE, "liveness");
  for (int i = 1; i < nd_graph_n_nodes (g) && be->kind == ND_DEVICE_KIND_CPU; i++)
    g_assert_cmpstr (plan->op_algo[i], !=, "ref");
}

static void
graph_conv_fusion (const Backend *be, int variant)
{
  const NdOp acts[] = { ND_OP_RELU, ND_OP_LEAKY_RELU, ND_OP_SILU, ND_OP_SIGMOID };

  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (int with_bn = 0; with_bn < 2; with_bn++)
      for (int capture_mid = 0; capture_mid < 2; capture_mid++)
        {
          g_autoptr(NdGraph) g = nd_graph_new (5, 9, 7);
          g_autoptr(NdPlan) plan = NULL;
          NdOpParams conv = { .out_c = 11, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                              .has_bias = a % 2 };
          NdOpParams bn = { .eps = 1e-5f };
          NdOpParams act = { .alpha = 0.3f };
          int c, b, r, in = 0;

          c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
          b = with_bn ? nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c, 1, "bn", NULL) : c;
          r = nd_graph_add (g, acts[a], &act, &b, 1, NULL, NULL);
          nd_test_randomize_graph (g, 5 + a);
          plan = backend_ops_check (be, g, 2, capture_mid ? &c : NULL, capture_mid, TRUE, FALSE, "conv-fusion");
          /* With the conv captured, the BN stays its own dispatch but still takes the
           * activation. */
          if (be->kind != ND_DEVICE_KIND_VULKAN)
            continue;
          g_assert_cmpstr (plan->op_algo[r], ==,
                           capture_mid && !with_bn ? "vk-eltwise" : "fused");
          if (with_bn)
            g_assert_cmpstr (plan->op_algo[b], ==, capture_mid ? "vk-eltwise" : "fused");
        }
}

static void
graph_eltwise (const Backend *be, int variant)
{
  g_autoptr(NdGraph) g = nd_graph_new (13, 5, 3);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams leaky = { .alpha = 0.1f };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams se = { .out_c = 13, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gate1 = { .alpha = 1.0f }, gate2 = { .alpha = 2.0f };
  int in = 0, b[4], a2, a3, a4, p, s, g1, g2, r, si, sg, l;
  int capture[16], n = 0;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("bn%d", i);

      b[i] = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, name, NULL);
    }
  r = nd_graph_add (g, ND_OP_RELU, NULL, &in, 1, NULL, NULL);
  si = nd_graph_add (g, ND_OP_SILU, NULL, &b[0], 1, NULL, NULL);
  sg = nd_graph_add (g, ND_OP_SIGMOID, NULL, &b[1], 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &b[2], 1, NULL, NULL);
  a2 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { b[0], b[1] }, 2, NULL, NULL);
  a3 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { b[0], b[1], b[2] }, 3, NULL, NULL);
  a4 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { r, si, sg, l }, 4, NULL, NULL);
  p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &b[3], 1, NULL, NULL);
  s = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
  g1 = nd_graph_add (g, ND_OP_GATE, &gate1, (int[]) { a2, s }, 2, NULL, NULL);
  g2 = nd_graph_add (g, ND_OP_GATE, &gate2, (int[]) { a3, s }, 2, NULL, NULL);
  nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { g1, g2, a4 }, 3, NULL, NULL);
  nd_graph_add (g, ND_OP_SILU, NULL, (int[]) { nd_graph_n_nodes (g) - 1 }, 1, NULL, NULL);
  nd_test_randomize_graph (g, 9);
  for (int i = 0; i < 4; i++)
    capture[n++] = b[i];
  capture[n++] = r;
  capture[n++] = si;
  capture[n++] = sg;
  capture[n++] = l;
  capture[n++] = a2;
  capture[n++] = a3;
  capture[n++] = a4;
  capture[n++] = s;
  capture[n++] = g1;
  capture[n++] = g2;
  plan = backend_ops_check (be, g, 3, capture, n, TRUE, FALSE, "eltwise");
  /* The final ADD → SILU is one dispatch. */
  if (be->kind == ND_DEVICE_KIND_VULKAN)
    g_assert_cmpstr (plan->op_algo[nd_graph_n_nodes (g) - 1], ==, "fused");
}

static void
graph_pools (const Backend *be, int variant)
{
  const struct { NdOp op; int k, s, pad, oh, ow, h, w; } cases[] = {
    { ND_OP_AVGPOOL, 2, 2, 0, 0, 0, 13, 13 },
    { ND_OP_AVGPOOL, 3, 1, 1, 0, 0, 7, 5 },
    { ND_OP_MAXPOOL, 3, 2, 1, 0, 0, 13, 11 },
    { ND_OP_MAXPOOL, 2, 2, 0, 0, 0, 1 + 1, 3 },
    /* the separable path: windows wider than the map, wholly inside, one-sided */
    { ND_OP_MAXPOOL, 3, 2, 1, 0, 0, 2, 2 },
    { ND_OP_MAXPOOL, 3, 1, 1, 0, 0, 9, 17 },
    { ND_OP_AVGPOOL, 5, 1, 2, 0, 0, 6, 4 },
    { ND_OP_MAXPOOL, 3, 3, 0, 0, 0, 10, 8 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 13, 13 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 3, 3, 7, 5 },
    { ND_OP_ADAPTIVE_MAXPOOL, 0, 0, 0, 2, 3, 7, 5 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 1, 1 },
    /* Global pools (one workgroup per plane): planes of more and fewer cells than threads. */
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 71, 69 },
    { ND_OP_ADAPTIVE_MAXPOOL, 0, 0, 0, 1, 1, 9, 11 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (3, cases[i].h, cases[i].w);
      g_autoptr(GError) error = NULL;
      NdOpParams p = { .kernel = cases[i].k, .stride = cases[i].s, .pad = cases[i].pad,
                       .out_h = cases[i].oh, .out_w = cases[i].ow };
      int in = 0;

      nd_graph_add (g, cases[i].op, &p, &in, 1, NULL, &error);
      g_assert_no_error (error);
      nd_plan_free (backend_ops_check (be, g, 2, NULL, 0, TRUE, FALSE, nd_op_name (cases[i].op)));
    }
}

static void
graph_layout (const Backend *be, int variant)
{
  for (int groups = 1; groups <= 4; groups *= 2)
    {
      g_autoptr(NdGraph) g = nd_graph_new (12, 3, 5);
      NdOpParams sh = { .groups = groups };
      NdOpParams bn = { .eps = 1e-5f };
      int in = 0, b, s, capture[2];

      b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "bn", NULL);
      s = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &in, 1, NULL, NULL);
      capture[0] = s;
      nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, (int[]) { b, s }, 2, NULL, NULL);
      capture[1] = nd_graph_add (g, ND_OP_SOFTMAX, NULL, (int[]) { s }, 1, NULL, NULL);
      nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, (int[]) { b, s }, 2, NULL, NULL);
      nd_test_randomize_graph (g, 11);
      nd_plan_free (backend_ops_check (be, g, 2, capture, 2, TRUE, FALSE, "layout"));
    }
}

static void
graph_linear_softmax (const Backend *be, int variant)
{
  /* Batch 3 takes the matrix-vector path, batch 7 the tiled GEMM. */
  const struct { int batch; const char *algo; } cases[] = { { 3, "vk-gemv" }, { 7, "vk-gemm" } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (7, 3, 5);
      g_autoptr(NdPlan) plan = NULL;
      NdOpParams fc1 = { .out_c = 127 }, fc2 = { .out_c = 13 };
      int in = 0, l1, r;

      /* A linear on a 7×3×5 map flattens it; the second reads 127 features. */
      l1 = nd_graph_add (g, ND_OP_LINEAR, &fc1, &in, 1, "fc1", NULL);
      r = nd_graph_add (g, ND_OP_RELU, NULL, &l1, 1, NULL, NULL);
      r = nd_graph_add (g, ND_OP_LINEAR, &fc2, &r, 1, "fc2", NULL);
      nd_graph_add (g, ND_OP_SOFTMAX, NULL, &r, 1, NULL, NULL);
      nd_test_randomize_graph (g, 13);
      plan = backend_ops_check (be, g, cases[i].batch, &r, 1, TRUE, FALSE, "linear-softmax");
      if (be->kind != ND_DEVICE_KIND_VULKAN)
        continue;
      g_assert_cmpstr (plan->op_algo[l1], ==, cases[i].algo);
      g_assert_cmpstr (plan->op_algo[l1 + 1], ==, "fused");
    }
}

static void
graph_epilogue (const Backend *be, int unused)
{
  for (int variant = 0; variant < 4; variant++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (16, 9, 8);
      g_autoptr(NdPlan) plan = NULL;
      NdOpParams c3 = { .out_c = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
      NdOpParams c1 = { .out_c = 16, .kernel = 1, .stride = 1, .pad = 0, .groups = 1 };
      NdOpParams dw = { .out_c = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 16 };
      NdOpParams bn = { .eps = 1e-5f };
      NdOpParams gap = { .out_h = 1, .out_w = 1 };
      NdOpParams se = { .out_c = 16, .kernel = 1, .stride = 1, .groups = 1 };
      NdOpParams gate = { .alpha = variant == 3 ? 1.0f : 2.0f };
      const NdOpParams *conv = variant == 1 ? &c1 : variant == 2 ? &dw : &c3;
      int in = 0, d, b, idb, p, s_, gt, add, act, other;

      d = nd_graph_add (g, ND_OP_CONV2D, conv, &in, 1, "dense", NULL);
      d = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d, 1, "dense.bn", NULL);
      b = nd_graph_add (g, ND_OP_CONV2D, &c1, &in, 1, "branch", NULL);
      b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &b, 1, "branch.bn", NULL);
      p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &in, 1, NULL, NULL);
      s_ = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
      if (variant < 3)
        {
          /* The chain is the second summand for the 1×1 variant. */
          other = variant == 1 ? b : in;
          add = nd_graph_add (g, ND_OP_ADD, NULL,
                              variant == 1 ? (int[]) { other, d } : (int[]) { d, other }, 2,
                              NULL, NULL);
          gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { add, s_ }, 2, NULL, NULL);
          act = nd_graph_add (g, variant == 0 ? ND_OP_RELU : ND_OP_SILU, NULL, &gt, 1, NULL,
                              NULL);
        }
      else
        {
          idb = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "identity", NULL);
          gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { idb, s_ }, 2, NULL, NULL);
          add = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { d, b, gt }, 3, NULL, NULL);
          act = nd_graph_add (g, ND_OP_SILU, NULL, &add, 1, NULL, NULL);
        }
      nd_test_randomize_graph (g, 41 + variant);
      plan = backend_ops_check (be, g, 2, NULL, 0, TRUE, FALSE, "epilogue");
      if (be->kind != ND_DEVICE_KIND_VULKAN)
        continue;
      g_assert_cmpstr (plan->op_algo[add], ==, "fused");
      g_assert_cmpstr (plan->op_algo[gt], ==, "fused");
      g_assert_cmpstr (plan->op_algo[act], ==, "fused");
    }
}

const GraphCase backend_ops_graph_cases[] = {
  { "eltwise-pools-head", graph_cpu_eltwise, 0 },
  { "fused/conv-relu", graph_cpu_fused, EP_RELU },
  { "fused/conv-silu", graph_cpu_fused, EP_SILU },
  { "fused/conv-leaky", graph_cpu_fused, EP_LEAKY },
  { "fused/conv-gate2-silu", graph_cpu_fused, EP_GATE2 },
  { "fused/conv-add-silu", graph_cpu_fused, EP_ADD_SILU },
  { "fused/conv-add-silu-wide", graph_cpu_fused, EP_ADD_SILU_WIDE },
  { "fused/add-of-two-convs-relu", graph_cpu_fused, EP_ADD_TWO_CONVS },
  { "fused/dw-relu", graph_cpu_fused, EP_DW_RELU },
  { "fused/maxpool-relu", graph_cpu_fused, EP_POOL_RELU },
  { "fused/1x1-add-relu", graph_cpu_fused, EP_1X1_ADD_RELU },
  { "fused/im2col-s2-add-relu", graph_cpu_fused, EP_S2_ADD_RELU },
  { "fused/direct-oc-add-relu", graph_cpu_fused, EP_OCV_ADD_RELU },
  { "fused/1x1-rows-add-relu", graph_cpu_fused, EP_ROWS_ADD_RELU },
  { "fused/global-avgpool-sigmoid", graph_cpu_fused, EP_GAP_SIGMOID },
  { "fused/captured-act-not-fused", graph_cpu_fused, EP_CAPTURED_ACT },
  { "fused/captured-conv-not-fused", graph_cpu_fused, EP_CAPTURED_CONV },
  { "liveness/parnet-like-unfused", graph_liveness, FALSE },
  { "liveness/parnet-like-fused", graph_liveness, TRUE },
  { "conv-fusion", graph_conv_fusion, 0 },
  { "eltwise", graph_eltwise, 0 },
  { "pools", graph_pools, 0 },
  { "layout", graph_layout, 0 },
  { "linear-softmax", graph_linear_softmax, 0 },
  { "epilogue", graph_epilogue, 0 },
};

const guint backend_ops_n_graph_cases = G_N_ELEMENTS (backend_ops_graph_cases);
