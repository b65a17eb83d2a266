/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-fusion-check.h"

NdTensor *
nd_reference_input_new (int n, int c, int h, int w, GError **error)
{
  int64_t shape[4] = { n, c, h, w };
  NdTensor *t = nd_tensor_try_new (4, shape, error);

  if (t == NULL)
    {
      g_prefix_error (error, "input %d×%d×%d×%d: ", n, c, h, w);
      return NULL;
    }
  for (int b = 0; b < n; b++)
    for (int k = 0; k < c; k++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            double u = (x + 0.5) / w - 0.5, v = (y + 0.5) / h - 0.5;

            t->data[(((gint64) b * c + k) * h + y) * w + x] =
              (float) (1.5 * sin (12.0 * sqrt (u * u + v * v) + k + b) + u - v);
          }
  return t;
}

/* A captured node keeps its own buffer and ends an epilogue fusion on the CPU, so the live
 * plan captures just the block on show (at 224 px, all of them cost ~1.5× in latency). */
int *
nd_fusion_check_capture (const NdGraph *graph, const char *block, int *n)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GPtrArray) stats = nd_graph_block_stats (graph);

  for (guint b = 0; b < stats->len; b++)
    {
      const NdBlockStats *st = g_ptr_array_index (stats, b);

      if (block == NULL || g_strcmp0 (st->block, block) == 0)
        g_array_append_val (ids, st->last_node);
    }
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    if (nd_graph_node (graph, i)->op == ND_OP_GATE
        && (block == NULL || g_strcmp0 (nd_graph_node (graph, i)->block, block) == 0))
      g_array_append_val (ids, nd_graph_node (graph, i)->inputs[1]);
  *n = ids->len;
  return (int *) g_array_free (ids, FALSE);
}

static int
block_last_node (const NdGraph *graph, const char *block)
{
  for (int i = nd_graph_n_nodes (graph) - 1; i > 0; i--)
    {
      const NdNode *n = nd_graph_node (graph, i);

      if (g_strcmp0 (n->block ? n->block : n->name, block) == 0)
        return i;
    }
  return -1;
}

gboolean
nd_fusion_check_run (NdPlan *fused, NdPlan *train, const NdTensor *input, NdFusionCheck *check,
                     GError **error)
{
  g_autoptr(GPtrArray) stats = NULL;

  g_return_val_if_fail (fused != NULL && train != NULL && check != NULL, FALSE);
  memset (check, 0, sizeof *check);
  if (!nd_plan_run (train, input, error) || !nd_plan_run (fused, input, error))
    return FALSE;
  check->block_abs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  check->block_rel = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  stats = nd_graph_block_stats (fused->graph);
  for (guint b = 0; b < stats->len; b++)
    {
      const NdBlockStats *st = g_ptr_array_index (stats, b);
      int other = block_last_node (train->graph, st->block);
      NdTensor *f = fused->captured[st->last_node];
      NdTensor *t = other > 0 ? train->captured[other] : NULL;
      double max_abs, max_rel;

      if (f == NULL || t == NULL || !nd_tensor_compare (f, t, &max_abs, &max_rel))
        continue;
      g_hash_table_insert (check->block_abs, g_strdup (st->block),
                           g_memdup2 (&max_abs, sizeof max_abs));
      g_hash_table_insert (check->block_rel, g_strdup (st->block),
                           g_memdup2 (&max_rel, sizeof max_rel));
      if (check->worst_block == NULL || !(max_rel <= check->blocks_max_rel))
        {
          check->blocks_max_rel = max_rel;
          g_free (check->worst_block);
          check->worst_block = g_strdup (st->block);
        }
    }
  if (!nd_tensor_compare (fused->output, train->output, &check->logits_abs, &check->logits_rel))
    {
      nd_fusion_check_clear (check);
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                           _("The fused and the training form give logits of different "
                             "sizes"));
      return FALSE;
    }
  return TRUE;
}

void
nd_fusion_check_clear (NdFusionCheck *check)
{
  g_clear_pointer (&check->block_abs, g_hash_table_unref);
  g_clear_pointer (&check->block_rel, g_hash_table_unref);
  g_clear_pointer (&check->worst_block, g_free);
}
