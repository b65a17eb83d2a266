/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-vk-plan-private.h"
#include "nd-vk-split.h"

/* ParNet's streams on several devices, as its authors validated it on several GPUs: stream s
 * runs on entry s % n of the device list, each entry (entry 0 excepted) its own logical
 * device with its own plan of the stem and its streams (the stem is recomputed there rather
 * than sent). Entry 0 is the main plan: its own streams, then the fusion and the head. The
 * other devices' stream outputs come back through their host-visible readback memory (in the
 * same submission as their dispatches) and reach entry 0 as the main plan's CPU steps do:
 * copied into its host-visible upload memory, then uploaded at the start of the next
 * segment. The main plan places those "remote" steps just before their first reader, so its
 * own streams run while the other devices compute theirs. */

typedef struct
{
  int             index;     /* Vulkan device index */
  guint           streams;   /* bit s: stream s */
  NdVkContext    *ctx;       /* entries ≥ 1: their own logical device */
  NdGraph        *graph;     /* the stem and the streams it runs */
  NdPlan         *plan;
  int            *to_full;   /* [graph nodes] the main graph's id of each node */
  const NdTensor *input;
  GThread        *thread;
  gboolean        ok;
  GError         *error;
  double          run_ms, wait_ms, transfer_ms;
} NdVkRemote;

struct _NdVkSplit
{
  NdVkPlan   *main;
  int         n;          /* entries, entry 0 the main device */
  NdVkRemote  r[ND_VK_MAX_DEVICES];
  int        *owner;      /* [n_nodes] entry of a remote node, else -1 */
  int        *sub_id;     /* [n_nodes] its id in that entry's graph, else -1 */
};

/* The main graph's nodes @keep (closed under inputs) as a graph of their own that shares the
 * weight tensors; @sub_id receives the new ids. */
static NdGraph *
subgraph (const NdGraph *g, const gboolean *keep, int *sub_id, GError **error)
{
  g_autoptr(NdGraph) sub = nd_graph_new (g->in_c, g->in_h, g->in_w);

  sub->fused = g->fused;
  sub->model_name = g_strdup (g->model_name);
  sub->family = g_strdup (g->family);
  sub_id[0] = 0;
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *node = nd_graph_node (g, i);
      int inputs[ND_MAX_INPUTS], id;
      NdNode *copy;

      if (!keep[i])
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        inputs[k] = sub_id[node->inputs[k]];
      id = nd_graph_add (sub, node->op, &node->p, inputs, node->n_inputs, node->name, error);
      if (id < 0)
        return NULL;
      sub_id[i] = id;
      copy = nd_graph_node (sub, id);
      for (int w = 0; w < ND_W_COUNT; w++)
        if (node->w[w] != NULL)
          {
            g_clear_pointer (&copy->w[w], nd_tensor_unref);
            copy->w[w] = nd_tensor_ref (node->w[w]);
          }
      nd_graph_tag (sub, id, node->stream, node->block, node->role, node->depth);
    }
  return g_steal_pointer (&sub);
}

/* Entry @e's graph and plan: the streams it owns, what they read (the stem), and as outputs
 * the stream nodes that the main device reads or the caller captures. */
static gboolean
prepare_remote (NdVkSplit *self, int e, const NdPlanOptions *options, GError **error)
{
  NdVkRemote *r = &self->r[e];
  NdPlan *main = &self->main->parent;
  const NdGraph *g = main->graph;
  int n = main->n_nodes, n_out = 0;
  g_autofree gboolean *keep = g_new0 (gboolean, n);
  g_autofree int *sub_id = g_new (int, n);
  g_autofree int *outs = g_new (int, n);
  NdPlanOptions sub_opts = *options;

  for (int i = n - 1; i >= 1; i--)
    {
      const NdNode *node = nd_graph_node (g, i);

      keep[i] |= self->owner[i] == e;
      for (int k = 0; keep[i] && k < node->n_inputs; k++)
        keep[node->inputs[k]] = TRUE;
    }
  for (int i = 1; i < n; i++)
    {
      gboolean read_by_main = FALSE;

      sub_id[i] = -1;
      if (self->owner[i] != e)
        continue;
      for (int c = i + 1; c < n && !read_by_main; c++)
        {
          const NdNode *node = nd_graph_node (g, c);

          for (int k = 0; k < node->n_inputs; k++)
            read_by_main |= node->inputs[k] == i && self->owner[c] < 0;
        }
      if (read_by_main || main->capture_mask[i])
        outs[n_out++] = i;
    }
  if (n_out == 0)
    return TRUE;   /* streams of 0 blocks: nothing to run there */
  r->graph = subgraph (g, keep, sub_id, error);
  if (r->graph == NULL)
    return FALSE;
  r->to_full = g_new (int, nd_graph_n_nodes (r->graph));
  for (int i = 0; i < n; i++)
    if (keep[i] || i == 0)
      {
        r->to_full[sub_id[i]] = i;
        if (self->owner[i] == e)
          self->sub_id[i] = sub_id[i];
      }
  r->graph->output = sub_id[outs[n_out - 1]];
  for (int k = 0; k < n_out; k++)
    outs[k] = sub_id[outs[k]];
  sub_opts.capture = outs;
  sub_opts.n_capture = n_out - 1;
  sub_opts.devices = NULL;
  sub_opts.n_devices = 0;
  r->ctx = nd_vk_context_new_instance (error);
  if (r->ctx == NULL || !nd_vk_context_open_device (r->ctx, r->index, error))
    return FALSE;
  r->plan = nd_vk_plan_new (main->backend, r->ctx, r->graph, &sub_opts, error);
  return r->plan != NULL;
}

NdVkSplit *
nd_vk_split_new (NdVkPlan *main, const NdPlanOptions *options, gboolean *remote, GError **error)
{
  const NdGraph *g = main->parent.graph;
  int n = main->parent.n_nodes, n_streams = 0;
  NdVkSplit *self;

  for (int i = 1; i < n; i++)
    n_streams = MAX (n_streams, nd_graph_node (g, i)->stream + 1);
  if (g_strcmp0 (g->family, "parnet") != 0 || n_streams < 2)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Only ParNet's parallel streams can be split over devices (--devices); "
                     "%s has none"), g->model_name ? g->model_name : _("this model"));
      return NULL;
    }
  if (options->n_devices > MIN (n_streams, ND_VK_MAX_DEVICES))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s has %d streams, so its streams can be split over at most %d devices "
                     "(--devices lists %d)"), g->model_name ? g->model_name : _("this model"),
                   n_streams, MIN (n_streams, ND_VK_MAX_DEVICES), options->n_devices);
      return NULL;
    }
  self = g_new0 (NdVkSplit, 1);
  self->main = main;
  self->n = options->n_devices;
  self->owner = g_new (int, n);
  self->sub_id = g_new (int, n);
  for (int e = 0; e < self->n; e++)
    self->r[e].index = options->devices[e];
  for (int i = 0; i < n; i++)
    {
      int s = nd_graph_node (g, i)->stream;
      int e = i > 0 && s >= 0 ? s % self->n : 0;

      self->owner[i] = e > 0 ? e : -1;
      self->sub_id[i] = -1;
      remote[i] = e > 0;
      if (i > 0 && s >= 0)
        self->r[e].streams |= 1u << s;
    }
  for (int e = 1; e < self->n; e++)
    if (!prepare_remote (self, e, options, error))
      {
        nd_vk_split_free (self);
        return NULL;
      }
  main->parent.n_devices = self->n;
  main->parent.devices = g_new0 (NdPlanDevice, self->n);
  for (int e = 0; e < self->n; e++)
    {
      NdPlanDevice *d = &main->parent.devices[e];

      d->index = self->r[e].index;
      d->name = g_strdup (e == 0 ? main->ctx->props.deviceName
                                 : self->r[e].ctx->props.deviceName);
      d->streams = self->r[e].streams;
    }
  return self;
}

/* Whether a node another device computes is read by this one (a stream output). */
gboolean
nd_vk_split_read_here (NdVkPlan *self, int id)
{
  const NdGraph *g = self->parent.graph;

  for (int c = id + 1; c < nd_graph_n_nodes (g); c++)
    {
      const NdNode *node = nd_graph_node (g, c);

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] == id && !self->remote[c])
          return TRUE;
    }
  return FALSE;
}

/* A fetched stream output has no inputs here (level 0): it moves to just before its first
 * reader, so this device's own work up to there is submitted before the plan waits. */
void
nd_vk_split_place_remote (NdVkPlan *self)
{
  for (int s = 0; s < self->n_steps; s++)
    {
      NdVkStep *step = &self->steps[s];
      int first = G_MAXINT;

      if (!self->remote[step->tail])
        continue;
      for (int t = 0; t < self->n_steps; t++)
        for (int k = 0; k < self->steps[t].n_inputs; k++)
          if (self->steps[t].inputs[k] == step->tail)
            first = MIN (first, self->steps[t].level);
      if (first != G_MAXINT)
        step->level = first - 1;
    }
}

static gpointer
remote_run (gpointer data)
{
  NdVkRemote *r = data;
  gint64 start = g_get_monotonic_time ();

  r->ok = nd_vk_plan_run (r->plan, r->input, &r->error);
  r->run_ms = (g_get_monotonic_time () - start) / 1000.0;
  return NULL;
}

void
nd_vk_split_start (NdVkSplit *self, const NdTensor *input)
{
  for (int e = 1; e < self->n; e++)
    {
      NdVkRemote *r = &self->r[e];

      r->wait_ms = r->transfer_ms = r->run_ms = 0;
      g_clear_error (&r->error);
      r->ok = TRUE;
      r->input = input;
      if (r->plan != NULL)
        r->thread = g_thread_new ("nd-vk-split", remote_run, r);
    }
}

static gboolean
join (NdVkRemote *r, GError **error)
{
  if (r->thread != NULL)
    {
      gint64 start = g_get_monotonic_time ();

      g_thread_join (g_steal_pointer (&r->thread));
      r->wait_ms += (g_get_monotonic_time () - start) / 1000.0;
    }
  if (!r->ok && r->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&r->error));
      return FALSE;
    }
  return r->ok;
}

/* Node @id of the main graph as entry @e's plan left it. */
static const NdTensor *
remote_value (NdVkSplit *self, int id)
{
  NdPlan *plan = self->r[self->owner[id]].plan;
  int sid = self->sub_id[id];

  return sid == plan->graph->output ? plan->output : plan->captured[sid];
}

gboolean
nd_vk_split_fetch (NdVkSplit *self, int id, NdTensor *dst, GError **error)
{
  const NdTensor *v;
  gint64 start;

  g_return_val_if_fail (self->owner[id] > 0, FALSE);
  if (!join (&self->r[self->owner[id]], error))
    return FALSE;
  start = g_get_monotonic_time ();
  v = remote_value (self, id);
  g_assert (v != NULL && v->numel == dst->numel);
  memcpy (dst->data, v->data, dst->numel * sizeof (float));
  nd_vk_split_add_transfer (self, id, (g_get_monotonic_time () - start) / 1000.0);
  return TRUE;
}

void
nd_vk_split_add_transfer (NdVkSplit *self, int id, double ms)
{
  if (self->owner[id] > 0)
    self->r[self->owner[id]].transfer_ms += ms;
}

gboolean
nd_vk_split_finish (NdVkSplit *self, double main_ms, GError **error)
{
  NdPlan *main = &self->main->parent;
  gboolean ok = TRUE;

  for (int e = 1; e < self->n; e++)
    {
      NdVkRemote *r = &self->r[e];

      /* every thread is joined, even after a failure */
      ok = join (r, ok ? error : NULL) && ok;
      if (!ok || r->plan == NULL)
        continue;
      for (int i = 1; i < nd_graph_n_nodes (r->graph); i++)
        {
          int full = r->to_full[i];

          if (self->owner[full] != e)
            continue;
          main->op_ms[full] = r->plan->op_ms[i];
          main->op_algo[full] = r->plan->op_algo[i];
          main->op_device[full] = r->plan->op_device[i];
          if (main->capture_mask[full])
            {
              g_clear_pointer (&main->captured[full], nd_tensor_unref);
              main->captured[full] = nd_tensor_ref ((NdTensor *) remote_value (self, full));
            }
        }
    }
  for (int e = 0; e < self->n; e++)
    {
      NdPlanDevice *d = &main->devices[e];

      d->run_ms = e == 0 ? main_ms : self->r[e].run_ms;
      d->wait_ms = self->r[e].wait_ms;
      d->transfer_ms = self->r[e].transfer_ms;
    }
  return ok;
}

void
nd_vk_split_free (NdVkSplit *self)
{
  NdPlan *main = &self->main->parent;

  for (int e = 1; e < self->n; e++)
    {
      NdVkRemote *r = &self->r[e];

      if (r->thread != NULL)
        g_thread_join (r->thread);
      g_clear_error (&r->error);
      if (r->plan != NULL)
        nd_vk_plan_free (r->plan);
      g_clear_pointer (&r->graph, nd_graph_unref);
      g_clear_pointer (&r->ctx, nd_vk_context_free);
      g_free (r->to_full);
    }
  for (int e = 0; e < main->n_devices; e++)
    g_free (main->devices[e].name);
  g_clear_pointer (&main->devices, g_free);
  main->n_devices = 0;
  g_free (self->owner);
  g_free (self->sub_id);
  g_free (self);
}
