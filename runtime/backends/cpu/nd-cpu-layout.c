/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-nc16.h"
#include "nd-cpu-plan-private.h"
#include "nd-error.h"
#include "nd-verdict.h"

/* Which nodes of a CPU plan run on the channel-blocked layout (nd-cpu-nc16.h). A node's
 * buffer takes the layout of the kernel that writes it; a kernel reading a value in the other
 * layout reads a converted copy (conv[h]). Regions are the connected sets of nodes that can
 * run blocked (an NC16 kernel exists, their channel counts are multiples of 16, element-wise
 * ops joining them). ND_CPU_LAYOUT_REGIONS keeps the regions of two blocked kernels or more
 * (a lone one would only trade its own speed-up for the edges' conversions); whether they
 * pay is then measured: the prepare (nd-backend-cpu.c) times the plan against an NCHW one. */

struct _NdCpuConv
{
  int        u;
  gboolean   to_nc16;
  NdTensor  *t;
  NdCpuConv *next;
};

/* The values head @h reads: its node's inputs and its epilogue's operands; returns how many */
static int
head_inputs (const NdCpuPlan *self, const NdGraph *graph, int h, int *u)
{
  const NdNode *node = nd_graph_node (graph, h);
  const NdCpuKernel *k = self->kernels[h];
  int n = 0;

  for (int i = 0; i < node->n_inputs; i++)
    u[n++] = node->inputs[i];
  for (int s = 0; k != NULL && s < k->epilogue.n_steps; s++)
    if (k->epilogue.steps[s].other_node >= 0)
      u[n++] = k->epilogue.steps[s].other_node;
  return n;
}

static int
find (int *parent, int i)
{
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

gboolean
nd_cpu_layout_plan (NdCpuPlan *self, const NdGraph *graph, int batch, NdCpuLayoutMode mode)
{
  NdPlan *plan = &self->parent;
  int n = plan->n_nodes;
  gboolean any = FALSE;
  g_autofree NdCpuKernel **k16 = NULL;
  g_autofree gboolean *on = NULL, *agn = NULL, *keep = NULL;
  g_autofree int *writer = NULL, *parent = NULL, *size = NULL;

  if (mode == ND_CPU_LAYOUT_NCHW || !nd_cpu_gemm_supported ())
    return FALSE;
  k16 = g_new0 (NdCpuKernel *, n);
  on = g_new0 (gboolean, n);
  agn = g_new0 (gboolean, n);
  keep = g_new0 (gboolean, n);
  writer = g_new (int, n);
  parent = g_new (int, n);
  for (int v = 0; v < n; v++)
    {
      writer[v] = -1;
      parent[v] = v;
    }
  for (int p = 1; p < n; p++)
    {
      int h = self->runs_at[p];
      NdCpuKernel *k;

      if (h < 0)
        continue;
      writer[self->writes[h]] = h;
      k = self->kernels[h];
      if (k == NULL)
        continue;
      if (nd_cpu_nc16_agnostic (graph, nd_graph_node (graph, h)) && k->epilogue.n_steps == 0)
        agn[h] = TRUE;
      else if ((k16[h] = nd_cpu_nc16_new (graph, nd_graph_node (graph, h), batch)) != NULL
               && k->epilogue.n_steps > 0 && !k16[h]->fuses_epilogue)
        {
          k16[h]->free (k16[h]);
          k16[h] = NULL;
        }
      on[h] = k16[h] != NULL;
    }
  /* element-wise ops join a region when one of their operands is in it (positions are
   * topological) */
  for (int p = 1; p < n; p++)
    {
      int h = self->runs_at[p];
      int u[ND_MAX_INPUTS + ND_CPU_EP_MAX_STEPS], nu;

      if (h < 0 || !agn[h])
        continue;
      nu = head_inputs (self, graph, h, u);
      for (int i = 0; i < nu; i++)
        if (writer[u[i]] >= 0 && on[writer[u[i]]])
          on[h] = TRUE;
    }
  for (int p = 1; p < n; p++)
    {
      int h = self->runs_at[p];
      int u[ND_MAX_INPUTS + ND_CPU_EP_MAX_STEPS], nu;

      if (h < 0 || !on[h])
        continue;
      nu = head_inputs (self, graph, h, u);
      for (int i = 0; i < nu; i++)
        if (writer[u[i]] >= 0 && on[writer[u[i]]])
          parent[find (parent, h)] = find (parent, writer[u[i]]);
    }
  size = g_new0 (int, n);
  for (int h = 1; h < n; h++)
    if (on[h] && k16[h] != NULL)
      size[find (parent, h)]++;
  for (int h = 1; h < n; h++)
    if (on[h] && (mode == ND_CPU_LAYOUT_ALL || size[find (parent, h)] >= 2))
      keep[find (parent, h)] = TRUE;

  self->nc16 = g_new0 (gboolean, n);
  for (int h = 1; h < n; h++)
    {
      if (on[h] && keep[find (parent, h)])
        {
          if (k16[h] != NULL)
            {
              k16[h]->epilogue = self->kernels[h]->epilogue;
              self->kernels[h]->free (self->kernels[h]);
              self->kernels[h] = g_steal_pointer (&k16[h]);
              plan->op_algo[h] = self->kernels[h]->algo;
            }
          self->nc16[self->writes[h]] = TRUE;
          any = TRUE;
        }
      if (k16[h] != NULL)
        k16[h]->free (k16[h]);
    }
  if (!any)
    g_clear_pointer (&self->nc16, g_free);
  return any;
}

static gboolean
is_nc16 (const NdCpuPlan *self, int v)
{
  return self->nc16 != NULL && self->nc16[v];
}

/* Whether head @h reads @u across a layout edge (a 1 × 1 map is laid out the same either way;
 * the stem reads NCHW and writes blocked) */
static gboolean
crosses (const NdCpuPlan *self, int h, int u)
{
  const NdNode *node = nd_graph_node (self->parent.graph, u);
  const NdCpuKernel *k = self->kernels[h];
  gboolean reads_nc16 = is_nc16 (self, self->writes[h]) && !(k != NULL && k->nchw_in);

  return reads_nc16 != is_nc16 (self, u) && (gint64) node->out_h * node->out_w > 1;
}

static void
tensor_free (gpointer data)
{
  free (data);
}

gboolean
nd_cpu_layout_alloc (NdCpuPlan *self, GError **error)
{
  NdPlan *plan = &self->parent;
  const NdGraph *graph = plan->graph;
  int n = plan->n_nodes;

  if (self->nc16 == NULL)
    return TRUE;
  self->conv = g_new0 (NdCpuConv *, n);
  for (int p = 1; p < n; p++)
    {
      int h = self->runs_at[p];
      int u[ND_MAX_INPUTS + ND_CPU_EP_MAX_STEPS], nu;

      if (h < 0)
        continue;
      nu = head_inputs (self, graph, h, u);
      for (int i = 0; i < nu; i++)
        {
          const NdNode *un = nd_graph_node (graph, u[i]);
          int64_t shape[4] = { plan->batch, un->out_c, un->out_h, un->out_w };
          gsize bytes = (gsize) shape[0] * shape[1] * shape[2] * shape[3] * sizeof (float);
          NdCpuConv *c;
          float *data;

          if (!crosses (self, h, u[i]))
            continue;
          if (posix_memalign ((void **) &data, 64, MAX (bytes, 64)) != 0)
            {
              g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                                   _("Out of memory for the activation buffers"));
              return FALSE;
            }
          c = g_new0 (NdCpuConv, 1);
          c->u = u[i];
          c->to_nc16 = !is_nc16 (self, u[i]);
          c->t = nd_tensor_new_wrap (4, shape, data, data, tensor_free);
          c->next = self->conv[h];
          self->conv[h] = c;
          plan->activation_bytes += bytes;
        }
    }
  return TRUE;
}

const NdTensor *
nd_cpu_layout_input (NdCpuPlan *self, int h, int u)
{
  const NdTensor *src = self->buffers[u];

  if (self->conv == NULL)
    return src;
  for (NdCpuConv *c = self->conv[h]; c != NULL; c = c->next)
    if (c->u == u)
      {
        nd_cpu_nc16_convert (src->data, c->t->data, (int) src->shape[0], (int) src->shape[1],
                             src->shape[2] * src->shape[3], c->to_nc16);
        return c->t;
      }
  return src;
}

void
nd_cpu_layout_copy_out (NdCpuPlan *self, int v, float *dst)
{
  const NdTensor *t = self->buffers[v];

  if (is_nc16 (self, v) && t->shape[2] * t->shape[3] > 1)
    nd_cpu_nc16_convert (t->data, dst, (int) t->shape[0], (int) t->shape[1],
                         t->shape[2] * t->shape[3], FALSE);
  else
    memcpy (dst, t->data, t->numel * sizeof (float));
}

void
nd_cpu_layout_free (NdCpuPlan *self)
{
  for (int h = 0; self->conv != NULL && h < self->parent.n_nodes; h++)
    while (self->conv[h] != NULL)
      {
        NdCpuConv *c = self->conv[h];

        self->conv[h] = c->next;
        nd_tensor_unref (c->t);
        g_free (c);
      }
  g_clear_pointer (&self->conv, g_free);
  g_clear_pointer (&self->nc16, g_free);
}

/* ---- timed verdicts ------------------------------------------------------------------- */

/* The prepare's timed choices (nd-backend-cpu.c), by graph key, remembered in this process and
 * in $XDG_CACHE_HOME/nondeep/cpu-layout.ini (one group a version, "KEY=nc16;NCHW ms;NC16 ms"),
 * as FFTW keeps its wisdom: the window and the CLI then run a graph in the same layout, so
 * the numbers they show agree to the bit, and a graph is timed once on a machine. A missing,
 * stale or malformed file only means timing again. */

typedef struct
{
  gboolean nc16;
  double   ms[2];
} Verdict;

static GHashTable *verdicts;   /* key → Verdict */
G_LOCK_DEFINE_STATIC (verdicts);

#define VERDICT_GROUP "nondeep " ND_VERSION

static char *
verdicts_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "nondeep", "cpu-layout.ini", NULL);
}

static gboolean
parse_verdict (const char *value, Verdict *v)
{
  static const char * const layouts[] = { "nchw", "nc16", NULL };
  int choice;

  if (!nd_verdict_parse (value, layouts, &choice, v->ms))
    return FALSE;
  v->nc16 = choice == 1;
  return TRUE;
}

/* Reads the file into @kf (empty when it cannot) and its valid verdicts into the table */
static void
load_locked (GKeyFile *kf)
{
  g_autofree char *path = verdicts_path ();
  g_auto(GStrv) keys = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL))
    return;
  keys = g_key_file_get_keys (kf, VERDICT_GROUP, NULL, NULL);
  for (int i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_value (kf, VERDICT_GROUP, keys[i], NULL);
      char *end;
      guint64 key = g_ascii_strtoull (keys[i], &end, 16);
      Verdict v;

      if (value != NULL && *end == '\0' && key <= G_MAXUINT && parse_verdict (value, &v))
        g_hash_table_insert (verdicts, GUINT_TO_POINTER ((guint) key), g_memdup2 (&v, sizeof v));
    }
}

gboolean
nd_cpu_layout_verdict (guint key, gboolean *nc16, double ms[2])
{
  Verdict *v;

  G_LOCK (verdicts);
  if (verdicts == NULL)
    {
      g_autoptr(GKeyFile) kf = g_key_file_new ();

      verdicts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
      load_locked (kf);
    }
  v = g_hash_table_lookup (verdicts, GUINT_TO_POINTER (key));
  if (v != NULL)
    {
      *nc16 = v->nc16;
      ms[0] = v->ms[0];
      ms[1] = v->ms[1];
    }
  G_UNLOCK (verdicts);
  return v != NULL;
}

void
nd_cpu_layout_remember (guint key, gboolean nc16, const double ms[2])
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = verdicts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_strdup_printf ("%08x", key);
  g_autofree char *value = nd_verdict_format (nc16 ? "nc16" : "nchw", ms);
  Verdict v = { nc16, { ms[0], ms[1] } };

  G_LOCK (verdicts);
  if (verdicts == NULL)
    verdicts = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  /* read again: another process may have added verdicts since */
  load_locked (kf);
  g_hash_table_insert (verdicts, GUINT_TO_POINTER (key), g_memdup2 (&v, sizeof v));
  g_key_file_set_value (kf, VERDICT_GROUP, name, value);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_key_file_save_to_file (kf, path, &error))
    g_debug ("CPU layout verdicts not saved to %s: %s", path,
             error != NULL ? error->message : g_strerror (errno));
  G_UNLOCK (verdicts);
}
