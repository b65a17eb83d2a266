/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-cli-lab.h"
#include "nd-lab-blocks.h"
#include "nd-quoted.h"

typedef struct
{
  NdCliModel     *model;
  NdLabCompareRow m;
} Row;

static void
row_clear (Row *r)
{
  g_clear_pointer (&r->model, nd_cli_model_free);
}

static void
spread_json (JsonBuilder *b, const NdLabSpread *s, const char *prefix)
{
  static const char *keys[] = { "median_ms", "p25_ms", "p75_ms", "min_ms", "max_ms" };
  double v[] = { s->median, s->p25, s->p75, s->min, s->max };

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      g_autofree char *key = g_strconcat (prefix, keys[k], NULL);

      json_builder_set_member_name (b, key);
      json_builder_add_double_value (b, v[k]);
    }
}

static void
row_json (JsonBuilder *b, const Row *r)
{
  const NdQuotedTop1 *q = nd_quoted_top1 (r->model->spec.name);

  json_builder_begin_object (b);
#define MEMBER_STR(k, v) json_builder_set_member_name (b, k); json_builder_add_string_value (b, v)
#define MEMBER_INT(k, v) json_builder_set_member_name (b, k); json_builder_add_int_value (b, v)
#define MEMBER_DBL(k, v) json_builder_set_member_name (b, k); json_builder_add_double_value (b, v)
  MEMBER_STR ("model", r->model->spec.name);
  json_builder_set_member_name (b, "fused");
  json_builder_add_boolean_value (b, r->model->graph->fused);
  MEMBER_INT ("resolution", r->model->graph->in_h);
  MEMBER_INT ("params", r->m.params);
  MEMBER_INT ("macs", r->m.macs);
  MEMBER_DBL ("gmacs", r->m.macs / 1e9);
  MEMBER_INT ("flops", r->m.flops);
  MEMBER_INT ("memory_access_bytes", r->m.bytes);
  MEMBER_DBL ("memory_access_mb", r->m.bytes / 1e6);
  MEMBER_INT ("weight_depth", r->m.weight_depth);
  MEMBER_INT ("ops", r->m.ops);
  MEMBER_INT ("branches", r->m.branches);
  spread_json (b, &r->m.lat, "");
  MEMBER_DBL ("throughput_ips", 1000.0 / r->m.lat.median);
  /* the same model on the Vulkan device beside a CPU run */
  json_builder_set_member_name (b, "vulkan");
  if (!r->m.has_second)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      spread_json (b, &r->m.lat_second, "");
      MEMBER_DBL ("throughput_ips", 1000.0 / r->m.lat_second.median);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "quoted_top1");
  if (q == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      MEMBER_DBL ("value", q->top1);
      MEMBER_STR ("source", q->source);
      json_builder_set_member_name (b, "verified");
      json_builder_add_boolean_value (b, q->verified);
      json_builder_set_member_name (b, "measured");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
    }
#undef MEMBER_STR
#undef MEMBER_INT
#undef MEMBER_DBL
  json_builder_end_object (b);
}

static void
print_rows (const Row *rows, int n, gboolean csv, NdBackend *backend, NdBackend *second,
            const char *why, int iters)
{
  if (csv)
    printf ("model,fused,resolution,params,gmacs,flops,memory_access_mb,weight_depth,ops,"
            "branches,median_ms,p25_ms,p75_ms,throughput_ips,vulkan_median_ms,quoted_top1,"
            "quoted_top1_source\n");
  else
    {
      printf (_("%d runs each, models alternating, on %s\n"), iters, backend->description);
      if (second != NULL)
        printf (_("and on %s (Vulkan column)\n"), second->description);
      else
        printf (_("Vulkan not measured: %s\n"), why);
      printf ("%-20s %9s %7s %9s %6s %5s %8s %10s %17s %8s %10s %s\n", _("model"),
              _("params M"), "GMACs", _("MAC MB"), _("depth"), _("ops"), _("branches"),
              _("median ms"), _("IQR ms"), _("img/s"), _("Vulkan ms"), _("top-1 (quoted)"));
    }
  for (int i = 0; i < n; i++)
    {
      const Row *r = &rows[i];
      const NdQuotedTop1 *q = nd_quoted_top1 (r->model->spec.name);
      g_autofree char *name = g_strdup_printf ("%s%s", r->model->spec.name,
                                               r->model->graph->fused ? _(" (fused)") : "");

      g_autofree char *top1_csv = q ? g_strdup_printf ("%.3f", q->top1) : g_strdup ("");
      g_autofree char *vk = r->m.has_second ? g_strdup_printf ("%.4f", r->m.lat_second.median)
                                            : g_strdup ("");
      const NdLabCompareRow *m = &r->m;

      if (csv)
        printf ("%s,%s,%d,%" PRId64 ",%.4f,%" PRId64 ",%.2f,%d,%d,%d,"
                "%.4f,%.4f,%.4f,%.2f,%s,%s,\"%s\"\n", r->model->spec.name,
                r->model->graph->fused ? "true" : "false", r->model->graph->in_h, m->params,
                m->macs / 1e9, m->flops, m->bytes / 1e6, m->weight_depth, m->ops, m->branches,
                m->lat.median, m->lat.p25, m->lat.p75, 1000.0 / m->lat.median, vk,
                top1_csv, q ? q->source : "");
      else
        {
          g_autofree char *iqr = g_strdup_printf ("%.3f–%.3f", m->lat.p25, m->lat.p75);
          g_autofree char *vk_text = m->has_second
                                       ? g_strdup_printf ("%.3f", m->lat_second.median)
                                       : g_strdup ("–");
          g_autofree char *top1 = q ? g_strdup_printf ("%.2f%s", q->top1, q->verified ? "" : "?")
                                    : g_strdup ("–");

          printf ("%-20s %9.2f %7.3f %9.1f %6d %5d %8d %10.3f %17s %8.1f %10s %s\n", name,
                  m->params / 1e6, m->macs / 1e9, m->bytes / 1e6, m->weight_depth, m->ops,
                  m->branches, m->lat.median, iqr, 1000.0 / m->lat.median,
                  vk_text, top1);
        }
    }
  if (!csv)
    printf (_("top-1 is quoted from the papers (ImageNet, trained weights), not measured: "
              "see --json for each source; ? = not checked against the paper\n"));
}

/* "stage": "stride 8" or "head" (not translated: a key for scripts), "stride": 8 or null */
static void
stage_json (JsonBuilder *b, int stride)
{
  g_autofree char *stage = g_strdup_printf ("stride %d", stride);

  json_builder_set_member_name (b, "stage");
  json_builder_add_string_value (b, stride >= ND_LAB_STAGE_HEAD ? "head" : stage);
  json_builder_set_member_name (b, "stride");
  if (stride >= ND_LAB_STAGE_HEAD)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, stride);
}

static void
block_json (JsonBuilder *b, const NdLabBlock *blk)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "block");
  json_builder_add_string_value (b, blk->block);
  stage_json (b, blk->stride);
  json_builder_set_member_name (b, "position");
  json_builder_add_int_value (b, blk->position);
  json_builder_set_member_name (b, "depth");
  json_builder_add_int_value (b, blk->depth);
  json_builder_set_member_name (b, "stream");
  json_builder_add_int_value (b, blk->stream);
  json_builder_set_member_name (b, "shape");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, blk->out_c);
  json_builder_add_int_value (b, blk->out_h);
  json_builder_add_int_value (b, blk->out_w);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "macs");
  json_builder_add_int_value (b, blk->macs);
  json_builder_set_member_name (b, "ms");
  json_builder_add_double_value (b, blk->ms);
  json_builder_set_member_name (b, "p25_ms");
  json_builder_add_double_value (b, blk->p25_ms);
  json_builder_set_member_name (b, "p75_ms");
  json_builder_add_double_value (b, blk->p75_ms);
  json_builder_end_object (b);
}

static void
number_or_null (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, v);
}

/* JSON of --per-block: context, iters, warmup, matching (what a pair means), models[{model,
 * fused, resolution, op_sum_ms, wall{median_ms, …}, blocks[{block, stage, stride, position,
 * depth, stream, shape, macs, ms, p25_ms, p75_ms}]}], pairs[{stage, stride, position,
 * block_a, block_b, a_ms, b_ms, diff_ms, diff_pct}] (null where unmatched), stages[{stage,
 * stride, blocks_a, blocks_b, a_ms, b_ms}] (each stage summed: no pairing), matched. */
static void
per_block_json (const NdLabBlockDiff *d, NdBackend *backend)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  nd_lab_json_context (b, backend);
  json_builder_set_member_name (b, "iters");
  json_builder_add_int_value (b, d->iters);
  json_builder_set_member_name (b, "warmup");
  json_builder_add_int_value (b, d->warmup);
  json_builder_set_member_name (b, "matching");
  json_builder_add_string_value (b, "stage (output stride, head) and position in the stage "
                                    "by depth; not by function");
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (int s = 0; s < 2; s++)
    {
      const NdLabBlockSide *side = &d->side[s];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, side->model);
      json_builder_set_member_name (b, "fused");
      json_builder_add_boolean_value (b, side->graph->fused);
      json_builder_set_member_name (b, "resolution");
      json_builder_add_int_value (b, side->graph->in_h);
      json_builder_set_member_name (b, "op_sum_ms");
      json_builder_add_double_value (b, side->op_sum_ms);
      json_builder_set_member_name (b, "wall");
      json_builder_begin_object (b);
      spread_json (b, &side->wall, "");
      json_builder_end_object (b);
      json_builder_set_member_name (b, "blocks");
      json_builder_begin_array (b);
      for (int k = 0; k < side->n_blocks; k++)
        block_json (b, &side->blocks[k]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "pairs");
  json_builder_begin_array (b);
  for (int i = 0; i < d->n_pairs; i++)
    {
      const NdLabBlockPair *p = &d->pairs[i];
      const NdLabBlock *ba = p->a >= 0 ? &d->side[0].blocks[p->a] : NULL;
      const NdLabBlock *bb = p->b >= 0 ? &d->side[1].blocks[p->b] : NULL;

      json_builder_begin_object (b);
      stage_json (b, p->stride);
      json_builder_set_member_name (b, "position");
      json_builder_add_int_value (b, p->position);
      json_builder_set_member_name (b, "block_a");
      ba ? json_builder_add_string_value (b, ba->block) : json_builder_add_null_value (b);
      json_builder_set_member_name (b, "block_b");
      bb ? json_builder_add_string_value (b, bb->block) : json_builder_add_null_value (b);
      number_or_null (b, "a_ms", ba ? ba->ms : NAN);
      number_or_null (b, "b_ms", bb ? bb->ms : NAN);
      number_or_null (b, "diff_ms", p->diff_ms);
      number_or_null (b, "diff_pct", p->diff_pct);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stages");
  json_builder_begin_array (b);
  for (int i = 0; i < d->n_stages; i++)
    {
      const NdLabStageSum *st = &d->stages[i];

      json_builder_begin_object (b);
      stage_json (b, st->stride);
      json_builder_set_member_name (b, "blocks_a");
      json_builder_add_int_value (b, st->n_a);
      json_builder_set_member_name (b, "blocks_b");
      json_builder_add_int_value (b, st->n_b);
      json_builder_set_member_name (b, "a_ms");
      json_builder_add_double_value (b, st->a_ms);
      json_builder_set_member_name (b, "b_ms");
      json_builder_add_double_value (b, st->b_ms);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "matched");
  json_builder_add_int_value (b, d->n_matched);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  nd_cli_print_json (root);
}

static void
per_block_text (const NdLabBlockDiff *d)
{
  const char *na = d->side[0].model, *nb = d->side[1].model;

  printf (_("Per block, %d runs each after %d warm-up, the two models alternating, on %s\n"),
          d->iters, d->warmup, d->backend);
  printf (_("ms: the block's per-op medians summed (per-op timing on). Blocks are paired by "
            "stage (output stride) and position in it, not by what they do.\n"));
  printf ("%-9s %4s %-24s %-24s %9s %9s %9s %8s\n", _("stage"), _("pos"), na, nb, _("A ms"),
          _("B ms"), _("A−B ms"), _("A−B %"));
  for (int i = 0; i < d->n_pairs; i++)
    {
      const NdLabBlockPair *p = &d->pairs[i];
      const NdLabBlock *a = p->a >= 0 ? &d->side[0].blocks[p->a] : NULL;
      const NdLabBlock *b = p->b >= 0 ? &d->side[1].blocks[p->b] : NULL;
      g_autofree char *stage = nd_lab_stage_name (p->stride);
      g_autofree char *ams = a ? g_strdup_printf ("%.3f", a->ms) : g_strdup ("-");
      g_autofree char *bms = b ? g_strdup_printf ("%.3f", b->ms) : g_strdup ("-");
      g_autofree char *dms = isnan (p->diff_ms) ? g_strdup (_("unmatched"))
                                                : g_strdup_printf ("%+.3f", p->diff_ms);
      g_autofree char *dpct = isnan (p->diff_pct) ? g_strdup ("")
                                                  : g_strdup_printf ("%+.0f%%", p->diff_pct);

      printf ("%-9s %4d %-24s %-24s %9s %9s %9s %8s\n", stage, p->position,
              a ? a->block : "-", b ? b->block : "-", ams, bms, dms, dpct);
    }
  printf (_("Each stage summed (no pairing needed):\n"));
  for (int i = 0; i < d->n_stages; i++)
    {
      const NdLabStageSum *st = &d->stages[i];
      g_autofree char *stage = nd_lab_stage_name (st->stride);

      printf (_("%-9s %s %.3f ms in %d blocks, %s %.3f ms in %d blocks, A−B %+.3f ms\n"), stage,
              na, st->a_ms, st->n_a, nb, st->b_ms, st->n_b, st->a_ms - st->b_ms);
    }
  printf (_("%s: %.3f ms in ops (wall %.3f ms); %s: %.3f ms in ops (wall %.3f ms); "
            "%d pairs matched\n"), na, d->side[0].op_sum_ms, d->side[0].wall.median, nb,
          d->side[1].op_sum_ms, d->side[1].wall.median, d->n_matched);
}

/* --per-block: the two models of @rows through nd_lab_blocks_measure, as the window's Side by
 * side page measures them. */
static int
compare_per_block (Row *rows, int n, NdBackend *backend, int warmup, int iters, gboolean csv,
                   gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdLabBlockDiff) d = NULL;

  if (n != 2)
    return nd_cli_failf (_("--per-block compares exactly two models (--models A,B)"));
  d = nd_lab_blocks_measure (rows[0].model->graph, rows[0].model->spec.name,
                             rows[1].model->graph, rows[1].model->spec.name, backend, warmup,
                             iters, NULL, &error);
  if (d == NULL)
    return nd_cli_fail (error);
  if (json)
    per_block_json (d, backend);
  else if (csv)
    {
      g_autofree char *text = nd_lab_block_diff_csv (d);

      fputs (text, stdout);
    }
  else
    per_block_text (d);
  return 0;
}

static gboolean
load_rows (NdCliModelOptions *o, char **names, Row *rows, GError **error)
{
  for (int i = 0; names[i] != NULL; i++)
    {
      Row *r = &rows[i];

      g_free (o->model);
      o->model = g_strdup (g_strstrip (names[i]));
      if ((r->model = nd_cli_model_load (o, 0, error)) == NULL)
        return FALSE;
      r->m.name = r->model->spec.name;
      r->m.graph = r->model->graph;
    }
  return TRUE;
}

#define ND_COMPARE_MAX_MODELS 16

/* `compare`: the models side by side. JSON keys: backend, device, threads, precision, date,
 * iters, warmup, rows[{model, fused, resolution, params, macs, gmacs, flops,
 * memory_access_bytes, memory_access_mb, weight_depth, ops, branches, median_ms, p25_ms,
 * p75_ms, min_ms, max_ms, throughput_ips, vulkan{median_ms, p25_ms, p75_ms, min_ms, max_ms,
 * throughput_ips} or null, quoted_top1{value, source, verified, measured} or null}],
 * vulkan_device (or null) and vulkan_unavailable (the reason, or null). With the CPU backend,
 * each model is also measured on the Vulkan device when it is a GPU (--with-vulkan: any
 * Vulkan device, lavapipe too; --cpu-only: none). */
int
nd_cli_compare (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *models = NULL;
  g_auto(GStrv) names = NULL;
  gboolean csv = FALSE, cpu_only = FALSE, with_vulkan = FALSE, per_block = FALSE;
  int iters = 10, warmup = 2, status = 0, n = 0;
  GOptionEntry entries[] = {
    { "models", 0, 0, G_OPTION_ARG_STRING, &models,
      N_("Comma-separated model presets (e.g. parnet-s,resnet-50)"), "M,M,…" },
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, N_("Timed runs per model (default 10)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed runs first (default 2)"), "N" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Print CSV"), NULL },
    { "cpu-only", 0, 0, G_OPTION_ARG_NONE, &cpu_only,
      N_("Do not also measure on a Vulkan GPU"), NULL },
    { "with-vulkan", 0, 0, G_OPTION_ARG_NONE, &with_vulkan,
      N_("Also measure on the Vulkan device when it is not a GPU (lavapipe)"), NULL },
    { "per-block", 0, 0, G_OPTION_ARG_NONE, &per_block,
      N_("Two models block by block: per-op medians summed per block, paired by stage and "
         "position, A − B in ms and %"), NULL },
    { NULL }
  };
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdBackend) second = NULL;
  g_autofree char *why = NULL;
  NdLabCompareRow measured[ND_COMPARE_MAX_MODELS];
  g_autoptr(GError) error = NULL;
  Row rows[ND_COMPARE_MAX_MODELS] = { { 0 } };

  if (!nd_cli_parse ("compare", NULL, _("Compare models: counts, measured latency, quoted "
                                        "accuracy."), model_entries, entries, &argc, &argv))
    return 2;
  if (models == NULL || o.model != NULL || o.weights != NULL)
    {
      status = nd_cli_failf (_("compare takes --models M,M,… (and no --model or --weights)"));
      goto out;
    }
  names = g_strsplit (models, ",", -1);
  n = (int) g_strv_length (names);
  if (n < 1 || n > ND_COMPARE_MAX_MODELS || iters < 1 || iters > 10000 || warmup < 0
      || warmup > 10000)
    {
      status = nd_cli_failf (_("--models takes 1–%d names, --iters 1–10000, --warmup 0–10000"),
                             ND_COMPARE_MAX_MODELS);
      goto out;
    }
  if (o.fp16)
    {
      status = nd_cli_failf (_("--fp16 is not supported here: the lab counts float32 bytes"));
      goto out;
    }
  if ((backend = nd_cli_backend_new (&o, &error)) == NULL
      || !load_rows (&o, names, rows, &error))
    {
      status = nd_cli_fail (error);
      goto out;
    }
  if (per_block)
    {
      status = compare_per_block (rows, n, backend, warmup, iters, csv, o.json);
      goto out;
    }
  if (cpu_only)
    why = g_strdup (_("--cpu-only"));
  else
    second = nd_lab_second_backend (backend, with_vulkan, &why);
  for (int i = 0; i < n; i++)
    measured[i] = rows[i].m;
  if (!nd_lab_compare (measured, n, backend, second, warmup, iters, &error))
    {
      status = nd_cli_fail (error);
      goto out;
    }
  for (int i = 0; i < n; i++)
    rows[i].m = measured[i];
  if (o.json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      nd_lab_json_context (b, backend);
      json_builder_set_member_name (b, "vulkan_device");
      if (second != NULL)
        json_builder_add_string_value (b, second->description);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "vulkan_unavailable");
      if (second == NULL)
        json_builder_add_string_value (b, why);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "iters");
      json_builder_add_int_value (b, iters);
      json_builder_set_member_name (b, "warmup");
      json_builder_add_int_value (b, warmup);
      json_builder_set_member_name (b, "rows");
      json_builder_begin_array (b);
      for (int i = 0; i < n; i++)
        row_json (b, &rows[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      nd_cli_print_json (root);
    }
  else
    print_rows (rows, n, csv, backend, second, why, iters);
out:
  for (int i = 0; i < n && i < ND_COMPARE_MAX_MODELS; i++)
    row_clear (&rows[i]);
  nd_cli_model_options_clear (&o);
  return status;
}
