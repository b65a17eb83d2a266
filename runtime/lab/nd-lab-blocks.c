/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <glib/gi18n-lib.h>

#include "nd-fuse.h"
#include "nd-lab-blocks.h"
#include "nd-model.h"
#include "nd-test-input.h"

/* Two models measured block by block: see nd-lab-blocks.h for what "matched" means. */

typedef struct
{
  NdPlan   *plan;
  NdTensor *input;
  double   *per;      /* [n_nodes × iters] per-op times */
  double   *wall;     /* [iters] */
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->plan, nd_plan_free);
  g_clear_pointer (&r->input, nd_tensor_unref);
  g_clear_pointer (&r->per, g_free);
  g_clear_pointer (&r->wall, g_free);
}

char *
nd_lab_stage_name (int stride)
{
  if (stride >= ND_LAB_STAGE_HEAD)
    return g_strdup (_("head"));
  return g_strdup_printf (_("stride %d"), stride);
}

/* The classifier: a linear layer, or a global pool to 1×1 (SE gates pool too, but their block
 * outputs the gated full-size map). */
static gboolean
block_is_head (const NdGraph *g, const NdBlockStats *st)
{
  for (int i = st->first_node; i <= st->last_node; i++)
    {
      const NdNode *n = nd_graph_node (g, i);
      const char *key = n->block ? n->block : n->name;

      if (g_strcmp0 (key, st->block) != 0)
        continue;
      if (n->op == ND_OP_LINEAR || n->role == ND_ROLE_HEAD)
        return TRUE;
      if ((n->op == ND_OP_ADAPTIVE_AVGPOOL || n->op == ND_OP_ADAPTIVE_MAXPOOL)
          && n->role != ND_ROLE_SSE_GATE && st->out_h == 1 && st->out_w == 1)
        return TRUE;
    }
  return FALSE;
}

static int
stage_stride (const NdGraph *g, const NdBlockStats *st)
{
  double ratio;

  if (block_is_head (g, st))
    return ND_LAB_STAGE_HEAD;
  ratio = st->out_h > 0 ? (double) g->in_h / st->out_h : 1;
  return 1 << (int) CLAMP (lround (log2 (MAX (ratio, 1))), 0, 20);
}

static int
cmp_stage_order (gconstpointer pa, gconstpointer pb)
{
  const NdLabBlock *a = pa, *b = pb;

  if (a->stride != b->stride)
    return a->stride < b->stride ? -1 : 1;
  if (a->depth != b->depth)
    return a->depth < b->depth ? -1 : 1;
  return a->position - b->position;   /* graph order, stored there before sorting */
}

/* The blocks of @g with their stage, position and times from @per ([n_nodes × iters]). */
static void
side_fill (NdLabBlockSide *side, const double *per, int iters)
{
  const NdGraph *g = side->graph;
  int n_nodes = nd_graph_n_nodes (g);
  g_autoptr(GPtrArray) stats = nd_graph_block_stats (g);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree double *sums = g_new0 (double, (gsize) MAX (stats->len, 1) * iters);

  side->n_blocks = (int) stats->len;
  side->blocks = g_new0 (NdLabBlock, MAX (side->n_blocks, 1));
  for (int b = 0; b < side->n_blocks; b++)
    {
      const NdBlockStats *st = g_ptr_array_index (stats, b);
      NdLabBlock *blk = &side->blocks[b];

      *blk = (NdLabBlock) { .block = g_strdup (st->block), .stride = stage_stride (g, st),
                            .position = b, .depth = st->depth, .stream = st->stream,
                            .out_c = st->out_c, .out_h = st->out_h, .out_w = st->out_w,
                            .macs = st->macs };
      g_hash_table_insert (index, blk->block, GINT_TO_POINTER (b + 1));
    }
  for (int k = 1; k < n_nodes; k++)
    {
      const NdNode *n = nd_graph_node (g, k);
      const char *key = n->block ? n->block : n->name;
      int b = key ? GPOINTER_TO_INT (g_hash_table_lookup (index, key)) - 1 : -1;

      side->op_sum_ms += side->op_ms[k];
      if (b < 0)
        continue;
      side->blocks[b].ms += side->op_ms[k];
      for (int i = 0; i < iters; i++)
        sums[(gsize) b * iters + i] += per[(gsize) k * iters + i];
    }
  for (int b = 0; b < side->n_blocks; b++)
    {
      NdLabSpread s;

      nd_lab_spread (sums + (gsize) b * iters, iters, &s);
      side->blocks[b].p25_ms = s.p25;
      side->blocks[b].p75_ms = s.p75;
    }
  /* stage by stage, by depth within a stage; then number the positions */
  qsort (side->blocks, side->n_blocks, sizeof (NdLabBlock), cmp_stage_order);
  for (int b = 0; b < side->n_blocks; b++)
    side->blocks[b].position = b > 0 && side->blocks[b - 1].stride == side->blocks[b].stride
                               ? side->blocks[b - 1].position + 1 : 0;
}

/* Walks both sides' stage-ordered blocks together: equal (stage, position) pair up. */
static void
pair_blocks (NdLabBlockDiff *d)
{
  const NdLabBlockSide *A = &d->side[0], *B = &d->side[1];
  int i = 0, j = 0;

  d->pairs = g_new0 (NdLabBlockPair, A->n_blocks + B->n_blocks + 1);
  while (i < A->n_blocks || j < B->n_blocks)
    {
      const NdLabBlock *a = i < A->n_blocks ? &A->blocks[i] : NULL;
      const NdLabBlock *b = j < B->n_blocks ? &B->blocks[j] : NULL;
      NdLabBlockPair *p = &d->pairs[d->n_pairs++];
      int order = a == NULL ? 1 : b == NULL ? -1
                  : a->stride != b->stride ? (a->stride < b->stride ? -1 : 1)
                  : (a->position > b->position) - (a->position < b->position);

      *p = (NdLabBlockPair) { .a = order <= 0 ? i : -1, .b = order >= 0 ? j : -1,
                              .diff_ms = NAN, .diff_pct = NAN };
      p->stride = order <= 0 ? a->stride : b->stride;
      p->position = order <= 0 ? a->position : b->position;
      if (order == 0)
        {
          p->diff_ms = a->ms - b->ms;
          p->diff_pct = b->ms > 0 ? 100.0 * (a->ms - b->ms) / b->ms : NAN;
          d->n_matched++;
        }
      i += order <= 0;
      j += order >= 0;
    }
  d->stages = g_new0 (NdLabStageSum, d->n_pairs + 1);
  for (int k = 0; k < d->n_pairs; k++)
    {
      const NdLabBlockPair *p = &d->pairs[k];
      NdLabStageSum *st = &d->stages[d->n_stages > 0 ? d->n_stages - 1 : 0];

      if (d->n_stages == 0 || st->stride != p->stride)
        {
          st = &d->stages[d->n_stages++];
          st->stride = p->stride;
        }
      if (p->a >= 0)
        {
          st->n_a++;
          st->a_ms += A->blocks[p->a].ms;
        }
      if (p->b >= 0)
        {
          st->n_b++;
          st->b_ms += B->blocks[p->b].ms;
        }
    }
}

static gboolean
prepare_run (NdGraph *g, const char *name, NdBackend *backend, int iters, Run *r,
             GError **error)
{
  NdPlanOptions popts = { .batch = 1, .timings = TRUE };

  if ((r->plan = nd_backend_prepare (backend, g, &popts, error)) == NULL
      || (r->input = nd_test_input_new (1, g->in_c, g->in_h, g->in_w, error)) == NULL)
    {
      g_prefix_error (error, "%s: ", name);
      return FALSE;
    }
  r->per = g_new0 (double, (gsize) r->plan->n_nodes * iters);
  r->wall = g_new0 (double, iters);
  return TRUE;
}

static gboolean
run_once (Run *r, int it, int iters, GCancellable *cancel, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancel, error)
      || !nd_plan_run (r->plan, r->input, error))
    return FALSE;
  if (it < 0)
    return TRUE;   /* warm-up */
  r->wall[it] = r->plan->total_ms;
  for (int k = 0; k < r->plan->n_nodes; k++)
    r->per[(gsize) k * iters + it] = r->plan->op_ms[k];
  return TRUE;
}

NdLabBlockDiff *
nd_lab_blocks_measure (NdGraph *a, const char *name_a, NdGraph *b, const char *name_b,
                       NdBackend *backend, int warmup, int iters, GCancellable *cancel,
                       GError **error)
{
  g_autoptr(NdLabBlockDiff) d = g_new0 (NdLabBlockDiff, 1);
  NdGraph *graphs[2] = { a, b };
  const char *names[2] = { name_a, name_b };
  Run runs[2] = { { 0 } };
  gboolean ok = TRUE;

  g_return_val_if_fail (a != NULL && b != NULL && backend != NULL, NULL);
  g_return_val_if_fail (iters >= 1 && warmup >= 0, NULL);
  d->warmup = warmup;
  d->iters = iters;
  d->backend = g_strdup (backend->description);
  for (int s = 0; ok && s < 2; s++)
    ok = prepare_run (graphs[s], names[s], backend, iters, &runs[s], error);
  for (int s = 0; ok && s < 2; s++)
    for (int i = 0; ok && i < warmup; i++)
      ok = run_once (&runs[s], -1, iters, cancel, error);
  /* A, B, A, B, …: a machine that speeds up or slows down treats both alike */
  for (int it = 0; ok && it < iters; it++)
    for (int s = 0; ok && s < 2; s++)
      ok = run_once (&runs[s], it, iters, cancel, error);
  for (int s = 0; ok && s < 2; s++)
    {
      NdLabBlockSide *side = &d->side[s];
      int n = runs[s].plan->n_nodes;

      side->model = g_strdup (names[s]);
      side->graph = nd_graph_ref (graphs[s]);
      side->op_ms = g_new0 (double, n);
      for (int k = 0; k < n; k++)
        {
          NdLabSpread sp;
          g_autofree double *v = g_memdup2 (runs[s].per + (gsize) k * iters,
                                            sizeof (double) * iters);

          nd_lab_spread (v, iters, &sp);
          side->op_ms[k] = sp.median;
        }
      side_fill (side, runs[s].per, iters);
      nd_lab_spread (runs[s].wall, iters, &side->wall);
    }
  for (int s = 0; s < 2; s++)
    run_clear (&runs[s]);
  if (!ok)
    return NULL;
  pair_blocks (d);
  return g_steal_pointer (&d);
}

void
nd_lab_block_diff_free (NdLabBlockDiff *d)
{
  if (d == NULL)
    return;
  for (int s = 0; s < 2; s++)
    {
      NdLabBlockSide *side = &d->side[s];

      for (int b = 0; b < side->n_blocks; b++)
        g_free (side->blocks[b].block);
      g_free (side->blocks);
      g_free (side->model);
      g_free (side->op_ms);
      g_clear_pointer (&side->graph, nd_graph_unref);
    }
  g_free (d->pairs);
  g_free (d->stages);
  g_free (d->backend);
  g_free (d);
}

NdGraph *
nd_lab_build_preset (const char *name, const NdKnobs *knobs, gboolean fused, GError **error)
{
  g_autoptr(NdGraph) train = NULL;
  NdModelSpec spec;

  if (!nd_model_spec_parse (name, &spec, error))
    return NULL;
  if (knobs != NULL)
    nd_knobs_apply (knobs, &spec);
  if (!nd_model_check_budget (&spec, 1, error) || (train = nd_model_build (&spec, error)) == NULL)
    return NULL;
  nd_model_init_random (train, 1);   /* the CLI's default --seed */
  return fused ? nd_fuse_graph (train, error) : g_steal_pointer (&train);
}

static void
csv_side (GString *s, const NdLabBlock *blk)
{
  if (blk == NULL)
    g_string_append (s, ",");
  else
    g_string_append_printf (s, "%s,", blk->block);
}

char *
nd_lab_block_diff_csv (const NdLabBlockDiff *d)
{
  GString *s = g_string_new ("stage,position,block_a,block_b,a_ms,b_ms,diff_ms,diff_pct,"
                             "a_p25_ms,a_p75_ms,b_p25_ms,b_p75_ms\n");

  for (int i = 0; i < d->n_pairs; i++)
    {
      const NdLabBlockPair *p = &d->pairs[i];
      const NdLabBlock *a = p->a >= 0 ? &d->side[0].blocks[p->a] : NULL;
      const NdLabBlock *b = p->b >= 0 ? &d->side[1].blocks[p->b] : NULL;
      char buf[6][G_ASCII_DTOSTR_BUF_SIZE];
      const double v[4] = { a ? a->ms : NAN, b ? b->ms : NAN, p->diff_ms, p->diff_pct };

      if (p->stride >= ND_LAB_STAGE_HEAD)
        g_string_append (s, "head,");
      else
        g_string_append_printf (s, "%d,", p->stride);
      g_string_append_printf (s, "%d,", p->position);
      csv_side (s, a);
      csv_side (s, b);
      for (int k = 0; k < 4; k++)
        g_string_append_printf (s, "%s,", isnan (v[k]) ? ""
                                : g_ascii_formatd (buf[k], sizeof buf[k], "%.4f", v[k]));
      if (a)
        g_string_append_printf (s, "%s,%s,", g_ascii_formatd (buf[4], sizeof buf[4], "%.4f", a->p25_ms),
                                g_ascii_formatd (buf[5], sizeof buf[5], "%.4f", a->p75_ms));
      else
        g_string_append (s, ",,");
      if (b)
        g_string_append_printf (s, "%s,%s\n", g_ascii_formatd (buf[4], sizeof buf[4], "%.4f", b->p25_ms),
                                g_ascii_formatd (buf[5], sizeof buf[5], "%.4f", b->p75_ms));
      else
        g_string_append (s, ",\n");
    }
  return g_string_free (s, FALSE);
}
