/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-ref-ops.h"
#include "nd-vk-plan-private.h"

/* Per-op fallback: an op the device cannot run (nd_vk_op_supported) runs on the CPU with the
 * naive oracle op, inside the same plan. The command buffer is cut there into segments: each
 * segment downloads what the CPU steps after it read, the CPU steps run once it has finished,
 * and the next segment starts by uploading what they made for the GPU. A plan without such
 * ops has one segment, and none of this costs it anything. */

static NdTensor *
node_tensor (NdVkPlan *self, int id)
{
  const NdNode *node = nd_graph_node (self->parent.graph, id);

  return nd_tensor_new_4d (self->parent.batch, node->out_c, node->out_h, node->out_w);
}

void
nd_vk_plan_host_init (NdVkPlan *self)
{
  self->host_val = g_new0 (NdTensor *, self->parent.n_nodes);
  for (int s = 0; s < self->n_steps; s++)
    {
      const NdVkStep *step = &self->steps[s];

      if (!step->host)
        continue;
      self->host_val[step->tail] = node_tensor (self, step->tail);
      for (int k = 0; k < step->n_inputs; k++)
        if (step->inputs[k] != 0 && self->host_val[step->inputs[k]] == NULL)
          self->host_val[step->inputs[k]] = node_tensor (self, step->inputs[k]);
    }
}

gboolean
nd_vk_plan_host_run (NdVkPlan *self, const NdVkSegment *seg, const NdTensor *input,
                     GError **error)
{
  NdPlan *plan = &self->parent;
  const guint8 *down = self->staging_map[1];
  guint8 *up = self->staging_map[0];

  /* the GPU values the CPU steps read, as the segment left them */
  for (int s = seg->end; s < seg->host_end; s++)
    for (int k = 0; k < self->steps[s].n_inputs; k++)
      {
        int v = self->steps[s].inputs[k];

        if (self->hdown_off[v] != G_MAXUINT64)
          nd_vk_plan_get (self, self->host_val[v]->data, down + self->hdown_off[v],
                          self->host_val[v]->numel);
      }
  for (int s = seg->end; s < seg->host_end; s++)
    {
      const NdVkStep *step = &self->steps[s];
      const NdNode *node = nd_graph_node (plan->graph, step->head);
      const NdTensor *in[ND_MAX_INPUTS] = { NULL };
      gint64 start = g_get_monotonic_time ();
      NdTensor *out = self->host_val[step->tail];

      if (self->remote != NULL && self->remote[step->tail])
        {
          /* a stream output of another device: wait for it, then the gather */
          if (!nd_vk_split_fetch (self->split, step->tail, out, error))
            return FALSE;
          start = g_get_monotonic_time ();
          if (self->up_off[step->tail] != G_MAXUINT64)
            nd_vk_plan_put (self, up + self->up_off[step->tail], out->data, out->numel);
          nd_vk_split_add_transfer (self->split, step->tail,
                                    (g_get_monotonic_time () - start) / 1000.0);
          continue;
        }
      for (int k = 0; k < node->n_inputs; k++)
        in[k] = node->inputs[k] == 0 ? input : self->host_val[node->inputs[k]];
      nd_ref_op (node, in, out);
      if (self->up_off[step->tail] != G_MAXUINT64)
        nd_vk_plan_put (self, up + self->up_off[step->tail], out->data, out->numel);
      plan->op_ms[step->head] = (g_get_monotonic_time () - start) / 1000.0;
    }
  return TRUE;
}

/* A node's result after a run: from the CPU step that made it, or downloaded. */
static void
result (NdVkPlan *self, int id, NdTensor *dst)
{
  const guint8 *down = self->staging_map[1];

  if (self->host[id])
    memcpy (dst->data, self->host_val[id]->data, dst->numel * sizeof (float));
  else
    nd_vk_plan_get (self, dst->data, down + self->down_off[id], dst->numel);
}

gboolean
nd_vk_plan_host_results (NdVkPlan *self, GError **error)
{
  NdPlan *plan = &self->parent;

  result (self, plan->graph->output, plan->output);
  /* float16 saturates at ±65504 (to ±inf): say so rather than hand back infinities, or the
   * finite but wrong values an intermediate overflow leaves (the shaders' flag). */
  if (self->es == 2)
    for (int64_t i = -1; i < plan->output->numel; i++)
      if (i < 0 ? *(const guint32 *) (self->staging_map[1] + self->flags_off) != 0
                : !isfinite (plan->output->data[i]))
        {
          g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                               _("A value overflowed float16 storage (beyond ±65504); run "
                                 "this model in fp32"));
          return FALSE;
        }
  for (int i = 0; i < plan->n_nodes; i++)
    if (plan->capture_mask[i] && (self->remote == NULL || !self->remote[i]))
      {
        g_clear_pointer (&plan->captured[i], nd_tensor_unref);
        plan->captured[i] = node_tensor (self, i);
        result (self, i, plan->captured[i]);
      }
  return TRUE;
}

void
nd_vk_plan_host_clear (NdVkPlan *self)
{
  for (int i = 0; self->host_val != NULL && i < self->parent.n_nodes; i++)
    g_clear_pointer (&self->host_val[i], nd_tensor_unref);
  g_clear_pointer (&self->host_val, g_free);
}
