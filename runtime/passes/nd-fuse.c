/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-fuse-private.h"

int
_nd_fuse_sole_consumer (const NdFuseWork *work, int id)
{
  int reader = -1, count = 0;

  if (work->graph->output == id)
    return -1;
  for (int j = id + 1; j < work->n; j++)
    {
      const NdNode *node = nd_graph_node (work->graph, j);

      if (work->dead[j])
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] == id)
          {
            reader = j;
            count++;
          }
    }
  return count == 1 ? reader : -1;
}

void
_nd_fuse_kill (NdFuseWork *work, int id, int replacement)
{
  NdNode *dead = nd_graph_node (work->graph, id);

  for (int j = id + 1; j < work->n; j++)
    {
      NdNode *node = nd_graph_node (work->graph, j);

      if (work->dead[j])
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] == id)
          {
            g_assert (replacement >= 0 && replacement < j);
            node->inputs[k] = replacement;
          }
    }
  if (work->graph->output == id)
    {
      g_assert (replacement >= 0);
      work->graph->output = replacement;
    }
  work->dead[id] = TRUE;
  dead->n_inputs = 0;
}

void
_nd_fuse_add_origins (GPtrArray *names, const NdNode *node)
{
  if (node->origins != NULL)
    {
      for (char **o = node->origins; *o != NULL; o++)
        g_ptr_array_add (names, g_strdup (*o));
    }
  else if (node->name != NULL)
    {
      g_ptr_array_add (names, g_strdup (node->name));
    }
}

void
_nd_fuse_set_conv (NdNode *node, NdTensor *weight, NdTensor *bias, GPtrArray *names)
{
  for (int s = 0; s < ND_W_COUNT; s++)
    g_clear_pointer (&node->w[s], nd_tensor_unref);
  node->w[ND_W_WEIGHT] = weight;
  node->w[ND_W_BIAS] = bias;
  node->p.has_bias = bias != NULL;
  g_strfreev (node->origins);
  g_ptr_array_add (names, NULL);
  node->origins = (char **) g_ptr_array_free (names, FALSE);
}

/* Official deploy names (docs/reference/networks.md §1.1, §2.4, §3.3), keyed on the name of the
 * dense/first conv that the fused node kept: a name that starts with @prefix and ends with
 * @suffix (or equals it, when @exact) has that suffix replaced by @to. First match wins. */
typedef struct
{
  const char *prefix;
  const char *suffix;
  const char *to;
  gboolean    exact;
} NdDeployName;

static const NdDeployName deploy_names[] = {
  { "", ".block.rbr_dense.conv", ".block.rbr_dense", FALSE },   /* ParNet block */
  { "", ".rbr_dense.conv", ".rbr_reparam", FALSE },             /* RepVGG block */
  { "stages.", ".conv1.0", ".conv", FALSE },                    /* VanillaNet block */
  { "", "stem1.0", "stem.0", TRUE },                            /* VanillaNet stem */
  { "", "stem2.2", "stem.1", TRUE },                            /* its activation */
  { "", "cls1.2", "cls.2", TRUE },                              /* its classifier */
};

static char *
deploy_name (const char *name)
{
  gsize len = strlen (name);

  for (gsize i = 0; i < G_N_ELEMENTS (deploy_names); i++)
    {
      const NdDeployName *d = &deploy_names[i];
      gsize slen = strlen (d->suffix);

      if (d->exact ? strcmp (name, d->suffix) != 0
                   : (len <= slen || !g_str_has_suffix (name, d->suffix)))
        continue;
      if (g_str_has_prefix (name, d->prefix))
      {
        g_autofree char *stem = g_strndup (name, len - slen);

        return g_strconcat (stem, d->to, NULL);
      }
    }
  return g_strdup (name);
}

/* VanillaNet's deep-training activation leaky_relu(λ) is the identity only at λ = 1; with any
 * other slope the conv pairs around it cannot merge, and a half-fused VanillaNet has no
 * official deploy form, so the whole graph is refused. */
static gboolean
check_vanillanet_lambda (const NdGraph *graph, GError **error)
{
  if (graph->family == NULL || strcmp (graph->family, "vanillanet") != 0)
    return TRUE;
  for (int i = 0; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *node = nd_graph_node (graph, i);

      if (node->op == ND_OP_LEAKY_RELU && node->p.alpha != 1.0f)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                       _("VanillaNet merges only at λ = 1 (this model has λ = %g); finish the "
                         "deep-training schedule or run it unfused"), node->p.alpha);
          return FALSE;
        }
    }
  return TRUE;
}

/* leaky_relu with slope 1 is x ≥ 0 ? x : x, the identity. */
static gboolean
drop_identity_activations (NdFuseWork *work)
{
  gboolean changed = FALSE;

  for (int i = 1; i < work->n; i++)
    {
      NdNode *node = nd_graph_node (work->graph, i);

      if (!work->dead[i] && node->op == ND_OP_LEAKY_RELU && node->p.alpha == 1.0f)
        {
          _nd_fuse_kill (work, i, node->inputs[0]);
          changed = TRUE;
        }
    }
  return changed;
}

static gboolean
apply_rules (NdFuseWork *work)
{
  gboolean changed = FALSE;

  for (int i = 1; i < work->n; i++)
    if (!work->dead[i])
      changed |= _nd_fuse_fold_bn (work, i);
  for (int i = 1; i < work->n; i++)
    if (!work->dead[i])
      changed |= _nd_fuse_merge_convs (work, i);
  for (int i = 1; i < work->n; i++)
    if (!work->dead[i])
      changed |= _nd_fuse_merge_branches (work, i);
  return changed;
}

/* Deploy names for fused nodes, then dense ids without the dead nodes. */
static void
finish (NdFuseWork *work)
{
  NdGraph *graph = work->graph;
  g_autofree int *new_id = g_new (int, work->n);
  int next = 0;

  for (int i = 0; i < work->n; i++)
    {
      NdNode *node = nd_graph_node (graph, i);

      new_id[i] = work->dead[i] ? -1 : next++;
      if (work->dead[i] || node->origins == NULL || node->name == NULL)
        continue;
      {
        char *name = deploy_name (node->name);

        g_free (node->name);
        node->name = name;
      }
    }
  for (int i = 0; i < work->n; i++)
    {
      NdNode *node = nd_graph_node (graph, i);

      if (work->dead[i])
        continue;
      node->id = new_id[i];
      for (int k = 0; k < node->n_inputs; k++)
        {
          g_assert (new_id[node->inputs[k]] >= 0);
          node->inputs[k] = new_id[node->inputs[k]];
        }
    }
  graph->output = new_id[graph->output];
  for (int i = work->n - 1; i >= 0; i--)
    if (work->dead[i])
      g_ptr_array_remove_index (graph->nodes, i);
  work->n = nd_graph_n_nodes (graph);
  graph->fused = TRUE;
}

NdGraph *
nd_fuse_graph (const NdGraph *graph, GError **error)
{
  g_autoptr(NdGraph) copy = NULL;
  g_autofree gboolean *dead = NULL;
  NdFuseWork work;

  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_vanillanet_lambda (graph, error))
    return NULL;

  copy = nd_graph_copy (graph);
  dead = g_new0 (gboolean, nd_graph_n_nodes (copy));
  work.graph = copy;
  work.dead = dead;
  work.n = nd_graph_n_nodes (copy);

  drop_identity_activations (&work);
  while (apply_rules (&work))
    ;
  finish (&work);
  return g_steal_pointer (&copy);
}
