/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nd-verdict.h"
#include "nd-vk-plan-private.h"
#include "nd-vk-tune.h"

/* Kernel tuning, as cuDNN's benchmark mode and MIOpen's find-db do it. The rules of
 * nd-vk-ops.c (Winograd where, which GEMM tile, split-K when) were written from lavapipe and
 * one call on an H200; on another GPU, or another driver, some shapes run faster otherwise.
 * With NdPlanOptions.tune, each convolution without a verdict is timed in every kernel
 * variant that builds it differently from the rules (a plan per variant, per-op GPU
 * timestamps, runs alternating with the rules' plan, the median of TUNE_RUNS) and built in
 * the fastest when that beats the rules by TUNE_MARGIN. The verdicts go to
 * $XDG_CACHE_HOME/nondeep/vulkan-kernels.ini, a group per device, driver and version, a key
 * per convolution shape, as FFTW keeps its wisdom: later plans (the window's too) use them
 * untimed, so the CLI and the window run the same kernels. A missing, stale or malformed file
 * only means the rules. */

#define TUNE_WARMUP 2
#define TUNE_RUNS   7
#define TUNE_MARGIN 0.95
/* … and it must be faster than the rules in this quantile of the paired runs too (6 of 7),
 * so that one lucky median does not decide. */
#define TUNE_QUANTILE 0.75
/* Timing holds the rules' plan and one variant's at once: past this many activation bytes
 * each (a large batch) the plan keeps the rules untimed, as the CPU's layout timing does. */
#define TUNE_MAX_ACTIVATIONS ((guint64) 1 << 30)

static GHashTable *verdicts;   /* "group/key" → GINT_TO_POINTER (variant + 1); the times
                                * stay in the file, for people */
G_LOCK_DEFINE_STATIC (verdicts);

static char *
verdicts_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "nondeep", "vulkan-kernels.ini", NULL);
}

/* The device, its driver build (the pipeline cache's UUID changes with it) and this version:
 * verdicts never cross any of them. */
static char *
device_group (const NdVkContext *ctx)
{
  const VkPhysicalDeviceProperties *p = &ctx->props;
  GString *g = g_string_new (NULL);

  g_string_append_printf (g, "%04x:%04x driver %08x ", p->vendorID, p->deviceID,
                          p->driverVersion);
  for (int i = 0; i < VK_UUID_SIZE; i++)
    g_string_append_printf (g, "%02x", p->pipelineCacheUUID[i]);
  g_string_append (g, " nondeep " ND_VERSION);
  return g_string_free (g, FALSE);
}

/* A convolution's shape as its kernels see it (the epilogue does not change the choice). */
static char *
shape_key (const NdGraph *graph, const NdNode *n, const NdPlanOptions *options)
{
  const NdNode *in = nd_graph_node (graph, n->inputs[0]);

  return g_strdup_printf ("%s.b%d.i%dx%dx%d.o%dx%dx%d.k%dx%d.s%d.p%dx%d.g%d",
                          options->fp16 ? "fp16" : "fp32", options->batch, in->out_c,
                          in->out_h, in->out_w, n->out_c, n->out_h, n->out_w, n->p.kernel,
                          nd_op_kernel_w (&n->p), n->p.stride, n->p.pad, nd_op_pad_w (&n->p),
                          n->p.groups);
}

/* The variant a file's value names, or -1 for a malformed value. */
static int
parse_verdict (const char *value)
{
  const char *names[ND_VK_N_VARIANTS + 1] = { NULL };
  double ms[2];
  int variant;

  for (int k = 0; k < ND_VK_N_VARIANTS; k++)
    names[k] = nd_vk_variant_name (k);
  return nd_verdict_parse (value, names, &variant, ms) ? variant : -1;
}

static void
insert_locked (const char *group, const char *key, int variant)
{
  g_hash_table_insert (verdicts, g_strconcat (group, "/", key, NULL),
                       GINT_TO_POINTER (variant + 1));
}

/* Reads the file into @kf (empty when it cannot) and every valid verdict into the table. */
static void
load_locked (GKeyFile *kf)
{
  g_autofree char *path = verdicts_path ();
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL))
    return;
  groups = g_key_file_get_groups (kf, NULL);
  for (int gi = 0; groups[gi] != NULL; gi++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (kf, groups[gi], NULL, NULL);

      for (int i = 0; keys != NULL && keys[i] != NULL; i++)
        {
          g_autofree char *value = g_key_file_get_value (kf, groups[gi], keys[i], NULL);
          int variant = value != NULL ? parse_verdict (value) : -1;

          if (variant >= 0)
            insert_locked (groups[gi], keys[i], variant);
        }
    }
}

static void
ensure_loaded_locked (void)
{
  if (verdicts == NULL)
    {
      g_autoptr(GKeyFile) kf = g_key_file_new ();

      verdicts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      load_locked (kf);
    }
}

/* The remembered variant of @key on the device @group, or -1. */
static int
lookup (const char *group, const char *key)
{
  g_autofree char *full = g_strconcat (group, "/", key, NULL);
  int variant;

  G_LOCK (verdicts);
  ensure_loaded_locked ();
  variant = GPOINTER_TO_INT (g_hash_table_lookup (verdicts, full)) - 1;
  G_UNLOCK (verdicts);
  return variant;
}

/* Remembers the verdicts of @keys[i] for every i with @todo[i]. */
static void
remember (const char *group, char **keys, const gboolean *todo, const guint8 *variant,
          const double *rules_ms, const double *best_ms, int n)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = verdicts_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  G_LOCK (verdicts);
  ensure_loaded_locked ();
  /* read again: another process may have added verdicts since */
  load_locked (kf);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *value = NULL;

      if (!todo[i])
        continue;
      value = nd_verdict_format (nd_vk_variant_name (variant[i]),
                                 (double[2]) { rules_ms[i], best_ms[i] });
      g_key_file_set_value (kf, group, keys[i], value);
      insert_locked (group, keys[i], variant[i]);
    }
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_key_file_save_to_file (kf, path, &error))
    g_debug ("Vulkan kernel verdicts not saved to %s: %s", path,
             error != NULL ? error->message : g_strerror (errno));
  G_UNLOCK (verdicts);
}

/* Each convolution step's op hash into @hash (0 for the nodes that head no such step). */
static void
hash_steps (NdPlan *plan, guint *hash)
{
  NdVkPlan *self = (NdVkPlan *) plan;

  memset (hash, 0, plan->n_nodes * sizeof *hash);
  for (int s = 0; s < self->n_steps; s++)
    if (!self->steps[s].host
        && nd_graph_node (plan->graph, self->steps[s].head)->op == ND_OP_CONV2D)
      hash[self->steps[s].head] = nd_vk_op_hash (&self->steps[s].op) | 1u;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The median per-op time of each node over TUNE_RUNS timed runs of @plan into @ms, and the
 * TUNE_QUANTILE one into @hi. With a reference plan @ref whose medians are @ref_ms, the runs
 * alternate with @ref's and @ms[i] is @ref_ms[i] times the median of the paired ratios (@hi
 * the same of their quantile): a GPU's clocks drift between one plan's runs and the next
 * plan's, not within a pair. */
static gboolean
time_plan (NdPlan *plan, NdPlan *ref, const double *ref_ms, const NdTensor *input, double *ms,
           double *hi, GError **error)
{
  int n = plan->n_nodes;
  g_autofree double *samples = g_new (double, (gsize) n * TUNE_RUNS);

  for (int r = 0; r < TUNE_WARMUP + TUNE_RUNS; r++)
    {
      if ((ref != NULL && !nd_plan_run (ref, input, error)) || !nd_plan_run (plan, input, error))
        return FALSE;
      if (r >= TUNE_WARMUP)
        for (int i = 0; i < n; i++)
          samples[(gsize) i * TUNE_RUNS + r - TUNE_WARMUP]
            = ref == NULL ? plan->op_ms[i]
              : ref->op_ms[i] > 0 ? plan->op_ms[i] / ref->op_ms[i] : 0.0;
    }
  for (int i = 0; i < n; i++)
    {
      qsort (samples + (gsize) i * TUNE_RUNS, TUNE_RUNS, sizeof (double), compare_doubles);
      ms[i] = samples[(gsize) i * TUNE_RUNS + TUNE_RUNS / 2] * (ref != NULL ? ref_ms[i] : 1.0);
      hi[i] = samples[(gsize) i * TUNE_RUNS + (int) (TUNE_QUANTILE * TUNE_RUNS)]
              * (ref != NULL ? ref_ms[i] : 1.0);
    }
  return TRUE;
}

/* The convolutions built otherwise than the rules would (nd-vk-plan-steps.c names their
 * variant; a verdict naming a variant that builds a shape as the rules do changes nothing). */
static int
count_tuned (const NdPlan *plan)
{
  int count = 0;

  for (int i = 0; i < plan->n_nodes; i++)
    count += plan->op_variant[i] != NULL;
  return count;
}

int
nd_vk_tune_pick (const double *total, const double *total_hi, const gboolean *timed,
                 int n_variants)
{
  int best = ND_VK_VARIANT_RULES;

  for (int v = 1; v < n_variants; v++)
    if (timed[v] && total[v] < total[best] && total[v] < TUNE_MARGIN * total[ND_VK_VARIANT_RULES]
        && total_hi[v] < total[ND_VK_VARIANT_RULES])
      best = v;
  return best;
}

/* Decides each shape of the convolutions with @todo[i] from @ms[v · n + i] (the median time
 * of node i in variant v; < 0: not timed, the same kernels as the rules) and @hi (its
 * TUNE_QUANTILE time): all nodes of a shape take the variant of the least total time among
 * those that beat the rules' by TUNE_MARGIN and in the quantile too, so every later plan
 * (which knows shapes, not nodes) runs what this one does. The per-node means of the rules'
 * and the verdict's times go to @rules_ms, @best_ms. */
static void
decide (char **keys, gboolean *todo, const double *ms, const double *hi, int n,
        guint8 *variant, double *rules_ms, double *best_ms)
{
  g_autofree gboolean *done = g_new0 (gboolean, n);

  for (int i = 0; i < n; i++)
    {
      double total[ND_VK_N_VARIANTS] = { 0 }, total_hi[ND_VK_N_VARIANTS] = { 0 };
      gboolean timed[ND_VK_N_VARIANTS];
      int best, count = 0;

      if (!todo[i] || done[i])
        continue;
      for (int v = 0; v < ND_VK_N_VARIANTS; v++)
        timed[v] = TRUE;
      for (int j = i; j < n; j++)
        if (todo[j] && !done[j] && g_str_equal (keys[j], keys[i]))
          {
            count++;
            for (int v = 0; v < ND_VK_N_VARIANTS; v++)
              {
                timed[v] &= ms[(gsize) v * n + j] >= 0;
                total[v] += ms[(gsize) v * n + j];
                total_hi[v] += hi[(gsize) v * n + j];
              }
          }
      best = nd_vk_tune_pick (total, total_hi, timed, ND_VK_N_VARIANTS);
      g_debug ("kernels for %s (%d): %s, %.4f ms (rules %.4f ms)", keys[i], count,
               nd_vk_variant_name (best), total[best], total[ND_VK_VARIANT_RULES]);
      for (int j = i; j < n; j++)
        if (todo[j] && !done[j] && g_str_equal (keys[j], keys[i]))
          {
            done[j] = TRUE;
            variant[j] = best;
            rules_ms[j] = total[ND_VK_VARIANT_RULES] / count;
            best_ms[j] = total[best] / count;
          }
    }
}

/* Times the variants of the convolutions with @todo[i] (the others keep @variant[i]) and
 * sets @variant[i] to their shape's fastest; remembers them. 1 when timed, 0 when the plan
 * is too large to, -1 for a failure of the rules' own plan or cancellation (a variant that
 * does not build is skipped). */
static int
tune (NdBackend *backend, NdVkContext *ctx, NdGraph *graph, const NdPlanOptions *options,
      const char *group, char **keys, gboolean *todo, guint8 *variant, GError **error)
{
  int n = nd_graph_n_nodes (graph);
  NdPlanOptions topts = *options;
  g_autoptr(NdTensor) input = nd_tensor_new_4d (options->batch, graph->in_c, graph->in_h,
                                                graph->in_w);
  g_autofree guint *rules_hash = g_new (guint, n);
  g_autofree guint *hash = g_new (guint, n);
  g_autofree double *ms = g_new (double, (gsize) ND_VK_N_VARIANTS * n);
  g_autofree double *hi = g_new (double, (gsize) ND_VK_N_VARIANTS * n);
  g_autofree double *rules_ms = g_new0 (double, n);
  g_autofree double *best_ms = g_new0 (double, n);
  g_autofree guint8 *trial = g_memdup2 (variant, n);
  g_autofree gboolean *other = g_new (gboolean, n);
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  NdPlan *rules, *plan;

  topts.timings = TRUE;
  topts.timings_refresh_ms = 0;
  topts.capture = NULL;
  topts.n_capture = 0;
  nd_tensor_fill_uniform (input, rand, -1.0, 1.0);
  for (gsize k = 0; k < (gsize) ND_VK_N_VARIANTS * n; k++)
    ms[k] = hi[k] = -1.0;
  /* the rules' plan stays: each variant's runs alternate with its runs */
  rules = nd_vk_plan_new_variants (backend, ctx, graph, &topts, trial, error);
  if (rules == NULL)
    return -1;
  if (rules->activation_bytes > TUNE_MAX_ACTIVATIONS)
    {
      nd_vk_plan_free (rules);
      return 0;
    }
  hash_steps (rules, rules_hash);
  if (!time_plan (rules, NULL, NULL, input, ms, hi, error))
    {
      nd_vk_plan_free (rules);
      return -1;
    }
  for (int v = 1; v < ND_VK_N_VARIANTS; v++)
    {
      g_autoptr(GError) local = NULL;
      int differs = 0;

      /* a variant takes seconds: a caller that no longer wants the plan need not wait */
      if (g_cancellable_set_error_if_cancelled (options->cancellable, error))
        {
          nd_vk_plan_free (rules);
          return -1;
        }

      for (int i = 0; i < n; i++)
        if (todo[i])
          trial[i] = v;
      plan = nd_vk_plan_new_variants (backend, ctx, graph, &topts, trial, &local);
      if (plan == NULL)
        {
          g_debug ("kernel variant %s not built: %s", nd_vk_variant_name (v), local->message);
          if (options->progress != NULL)
            options->progress (v, ND_VK_N_VARIANTS - 1, options->progress_data);
          continue;
        }
      /* only the convolutions this variant builds otherwise are timed in it */
      hash_steps (plan, hash);
      for (int i = 0; i < n; i++)
        {
          other[i] = todo[i] && hash[i] != 0 && rules_hash[i] != 0 && hash[i] != rules_hash[i];
          differs += other[i];
        }
      /* (test-vulkan-tune.py reads this line: the variants are timed at all) */
      g_debug ("kernel variant %s: %d convolutions built otherwise", nd_vk_variant_name (v),
               differs);
      if (differs == 0 || !time_plan (plan, rules, ms, input, ms + (gsize) v * n,
                                      hi + (gsize) v * n, &local))
        memset (other, 0, n * sizeof *other);
      for (int i = 0; i < n; i++)
        if (!other[i])
          ms[(gsize) v * n + i] = -1.0;
      if (local != NULL)
        g_debug ("kernel variant %s not timed: %s", nd_vk_variant_name (v), local->message);
      nd_vk_plan_free (plan);
      if (options->progress != NULL)
        options->progress (v, ND_VK_N_VARIANTS - 1, options->progress_data);
    }
  nd_vk_plan_free (rules);
  decide (keys, todo, ms, hi, n, variant, rules_ms, best_ms);
  remember (group, keys, todo, variant, rules_ms, best_ms, n);
  return 1;
}

NdPlan *
nd_vk_tune_prepare (NdBackend *backend, NdVkContext *ctx, NdGraph *graph,
                    const NdPlanOptions *options, GError **error)
{
  const char *env = g_getenv ("ND_VK_TUNE");
  gboolean forced = g_getenv ("ND_VK_TILE") != NULL || g_getenv ("ND_VK_WINOGRAD") != NULL
                    || g_getenv ("ND_VK_MIN_GROUPS") != NULL;
  int n = nd_graph_n_nodes (graph), known = 0, convs = 0;
  g_autofree char *group = NULL;
  g_autofree guint8 *variant = g_new0 (guint8, n);
  g_autofree gboolean *todo = g_new0 (gboolean, n);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_full (n, g_free);
  gint64 start = g_get_monotonic_time ();
  int tuned = 0;
  double tune_ms;
  NdPlan *plan;

  /* The environment's overrides are for comparing kernels: they win over any verdict. A
   * plan over several devices keeps the rules on every device alike. */
  if (forced || options->n_devices >= 2 || g_strcmp0 (env, "0") == 0)
    {
      plan = nd_vk_plan_new (backend, ctx, graph, options, error);
      if (plan != NULL && forced)
        plan->kernels = "forced";
      return plan;
    }
  group = device_group (ctx);
  g_ptr_array_set_size (keys, n);
  for (int i = 0; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      int v;

      if (node->op != ND_OP_CONV2D)
        continue;
      convs++;
      keys->pdata[i] = shape_key (graph, node, options);
      if (!options->retune && (v = lookup (group, keys->pdata[i])) >= 0)
        {
          variant[i] = v;
          known++;
        }
      else
        todo[i] = TRUE;
    }
  if ((options->tune || options->retune || g_strcmp0 (env, "1") == 0) && known < convs
      && (tuned = tune (backend, ctx, graph, options, group, (char **) keys->pdata, todo,
                        variant, error)) < 0)
    return NULL;
  tune_ms = tuned > 0 ? (g_get_monotonic_time () - start) / 1000.0 : 0.0;
  plan = nd_vk_plan_new_variants (backend, ctx, graph, options,
                                  tuned > 0 || known > 0 ? variant : NULL, error);
  if (plan == NULL)
    return NULL;
  plan->kernels = tuned > 0 ? "tuned" : known > 0 ? "tuned earlier" : "rules";
  plan->tuned_ops = count_tuned (plan);
  plan->tune_ms = tune_ms;
  return plan;
}
