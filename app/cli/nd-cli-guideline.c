/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-cli-lab.h"

/* `guideline NAME`: the experiments of runtime/lab/nd-lab-guideline.c, printed. */

static void
variant_json (JsonBuilder *b, const NdLabVariant *v)
{
  json_builder_begin_object (b);
#define MEMBER_INT(k, x) json_builder_set_member_name (b, k); json_builder_add_int_value (b, x)
#define MEMBER_DBL(k, x) json_builder_set_member_name (b, k); json_builder_add_double_value (b, x)
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, v->label);
  json_builder_set_member_name (b, "input");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, v->graph->in_c);
  json_builder_add_int_value (b, v->graph->in_h);
  json_builder_add_int_value (b, v->graph->in_w);
  json_builder_end_array (b);
  MEMBER_INT ("params", v->params);
  MEMBER_INT ("macs", v->macs);
  MEMBER_INT ("flops", v->flops);
  MEMBER_INT ("memory_access_bytes", v->bytes);
  MEMBER_INT ("weight_depth", v->weight_depth);
  MEMBER_INT ("ops", v->ops);
  MEMBER_INT ("branches", v->branches);
  MEMBER_DBL ("median_ms", v->lat.median);
  MEMBER_DBL ("p25_ms", v->lat.p25);
  MEMBER_DBL ("p75_ms", v->lat.p75);
  MEMBER_DBL ("min_ms", v->lat.min);
  MEMBER_DBL ("max_ms", v->lat.max);
  MEMBER_DBL ("gflops", v->flops / (v->lat.median * 1e6));
  if (v->model != NULL)
    {
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, v->model);
      json_builder_set_member_name (b, "fused");
      json_builder_add_boolean_value (b, v->fused);
      json_builder_set_member_name (b, "streams_requested");
      json_builder_add_string_value (b, nd_streams_mode_name (v->streams));
      /* null: no streams run in parallel here (ResNet, or a backend without the choice) */
      json_builder_set_member_name (b, "streams_mode");
      if (v->streams_ran == ND_STREAMS_AUTO)
        json_builder_add_null_value (b);
      else
        json_builder_add_string_value (b, nd_streams_mode_name (v->streams_ran));
      json_builder_set_member_name (b, "streams_reason");
      if (v->streams_reason == NULL)
        json_builder_add_null_value (b);
      else
        json_builder_add_string_value (b, v->streams_reason);
      json_builder_set_member_name (b, "quoted_top1");
      if (v->quoted == NULL)
        json_builder_add_null_value (b);
      else
        {
          json_builder_begin_object (b);
          MEMBER_DBL ("top1", v->quoted->top1);
          json_builder_set_member_name (b, "source");
          json_builder_add_string_value (b, v->quoted->source);
          json_builder_set_member_name (b, "verified");
          json_builder_add_boolean_value (b, v->quoted->verified);
          json_builder_end_object (b);
        }
    }
  if (v->split)
    {
      MEMBER_DBL ("weight_ops_ms", v->weight_ops_ms);
      MEMBER_DBL ("eltwise_ms", v->eltwise_ms);
      MEMBER_INT ("eltwise_flops", v->eltwise_flops);
      MEMBER_INT ("eltwise_merged", v->eltwise_merged);
    }
#undef MEMBER_INT
#undef MEMBER_DBL
  json_builder_end_object (b);
}

static gboolean
run_experiment (const char *name, NdBackend *backend, int base, int size, int warmup,
                int iters, JsonBuilder *b, GError **error)
{
  g_autoptr(NdLabExperiment) e = nd_lab_guideline_run (name, backend, base, size, warmup,
                                                       iters, error);

  if (e == NULL)
    return FALSE;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, e->name);
  json_builder_set_member_name (b, "claim");
  json_builder_add_string_value (b, e->claim);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, e->source);
  json_builder_set_member_name (b, "finding");
  json_builder_add_string_value (b, e->finding);
  json_builder_set_member_name (b, "variants");
  json_builder_begin_array (b);
  for (guint i = 0; i < e->variants->len; i++)
    variant_json (b, g_ptr_array_index (e->variants, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return TRUE;
}

static char *
pad (const char *s, int width)
{
  int n = (int) g_utf8_strlen (s, -1);

  return g_strdup_printf ("%s%*s", s, MAX (width - n, 0), "");
}

/* The variant of @model in that form and stream mode, or NULL. */
static JsonObject *
find_variant (JsonArray *vs, const char *model, gboolean fused, const char *streams)
{
  for (guint k = 0; k < json_array_get_length (vs); k++)
    {
      JsonObject *v = json_array_get_object_element (vs, k);

      if (json_object_has_member (v, "model")
          && g_str_equal (json_object_get_string_member (v, "model"), model)
          && json_object_get_boolean_member (v, "fused") == fused
          && g_str_equal (json_object_get_string_member (v, "streams_requested"), streams))
        return v;
    }
  return NULL;
}

static char *
cell_ms (JsonObject *v)
{
  if (v == NULL)
    return g_strdup ("–");
  return g_strdup_printf ("%.1f (%.1f–%.1f)", json_object_get_double_member (v, "median_ms"),
                          json_object_get_double_member (v, "p25_ms"),
                          json_object_get_double_member (v, "p75_ms"));
}

/* @s right-aligned in @width characters (not bytes: the cells hold – and →). */
static char *
rpad (const char *s, int width)
{
  int n = (int) g_utf8_strlen (s, -1);

  return g_strdup_printf ("%*s%s", MAX (width - n, 0), "", s);
}

/* ParNet's table: one row per preset, its forms as columns (median ms, IQR). */
static void
print_ptable (JsonArray *vs)
{
  g_autoptr(GPtrArray) models = g_ptr_array_new ();
  const char *heads[] = { _("params M"), "GMACs", _("depth"), _("unfused ms"), _("fused ms"),
                          _("concurrent ms"), _("sequential ms"), _("top-1*") };
  static const int widths[] = { 13, 13, 6, 20, 20, 20, 20, 8 };
  g_autofree char *first = pad (_("model"), 10);

  for (guint k = 0; k < json_array_get_length (vs); k++)
    {
      const char *m = json_object_get_string_member (json_array_get_object_element (vs, k),
                                                     "model");

      if (!g_ptr_array_find_with_equal_func (models, m, g_str_equal, NULL))
        g_ptr_array_add (models, (gpointer) m);
    }
  printf ("  %s", first);
  for (guint c = 0; c < G_N_ELEMENTS (heads); c++)
    {
      g_autofree char *cell = rpad (heads[c], widths[c]);

      printf (" %s", cell);
    }
  printf ("\n");
  for (guint i = 0; i < models->len; i++)
    {
      const char *m = g_ptr_array_index (models, i);
      JsonObject *u = find_variant (vs, m, FALSE, "auto"), *f = find_variant (vs, m, TRUE, "auto");
      JsonObject *q = json_object_get_member (f, "quoted_top1") != NULL
                      && !JSON_NODE_HOLDS_NULL (json_object_get_member (f, "quoted_top1"))
                      ? json_object_get_object_member (f, "quoted_top1") : NULL;
      g_autofree char *params = g_strdup_printf ("%.2f→%.2f",
                                                 json_object_get_int_member (u, "params") / 1e6,
                                                 json_object_get_int_member (f, "params") / 1e6);
      g_autofree char *macs = g_strdup_printf ("%.3f→%.3f",
                                               json_object_get_int_member (u, "macs") / 1e9,
                                               json_object_get_int_member (f, "macs") / 1e9);
      g_autofree char *top1 = q == NULL ? g_strdup ("–")
                              : g_strdup_printf ("%.2f%s", json_object_get_double_member (q, "top1"),
                                                 json_object_get_boolean_member (q, "verified")
                                                 ? "" : "?");
      g_autofree char *cu = cell_ms (u), *cf = cell_ms (f);
      g_autofree char *cc = cell_ms (find_variant (vs, m, TRUE, "concurrent"));
      g_autofree char *cs = cell_ms (find_variant (vs, m, TRUE, "sequential"));
      g_autofree char *depth = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                json_object_get_int_member (f, "weight_depth"));
      const char *cells[] = { params, macs, depth, cu, cf, cc, cs, top1 };
      g_autofree char *name = pad (m, 10);

      printf ("  %s", name);
      for (guint c = 0; c < G_N_ELEMENTS (cells); c++)
        {
          g_autofree char *cell = rpad (cells[c], widths[c]);

          printf (" %s", cell);
        }
      printf ("\n");
    }
  printf (_("  params and GMACs unfused→fused; depth in weight layers, fused; latency median "
            "(25–75 %%) ms; * top-1 quoted from the papers, not measured (? unverified)\n"));
}

static void
print_text (JsonObject *root)
{
  JsonArray *exps = json_object_get_array_member (root, "experiments");

  printf (_("%s, %s, %s, %s\n"), json_object_get_string_member (root, "device"),
          json_object_get_string_member (root, "precision"),
          json_object_get_string_member (root, "date"),
          _("median of repeated runs, variants alternating"));
  for (guint i = 0; i < json_array_get_length (exps); i++)
    {
      JsonObject *e = json_array_get_object_element (exps, i);
      JsonArray *vs = json_object_get_array_member (e, "variants");

      printf ("\n%s\n", json_object_get_string_member (e, "name"));
      printf (_("  claim: %s (%s)\n"), json_object_get_string_member (e, "claim"),
              json_object_get_string_member (e, "source"));
      if (nd_lab_guideline_uses_models (json_object_get_string_member (e, "name")))
        {
          print_ptable (vs);
          printf (_("  this machine: %s\n"), json_object_get_string_member (e, "finding"));
          continue;
        }
      printf ("  %-28s %9s %9s %10s %17s %9s\n", _("variant"), "MFLOPs", _("MAC MB"),
              _("median ms"), _("IQR ms"), "GFLOP/s");
      for (guint k = 0; k < json_array_get_length (vs); k++)
        {
          JsonObject *v = json_array_get_object_element (vs, k);
          g_autofree char *label = pad (json_object_get_string_member (v, "label"), 28);
          g_autofree char *iqr = g_strdup_printf ("%.3f–%.3f",
                                                  json_object_get_double_member (v, "p25_ms"),
                                                  json_object_get_double_member (v, "p75_ms"));

          printf ("  %s %9.1f %9.2f %10.3f %17s %9.1f\n", label,
                  json_object_get_int_member (v, "flops") / 1e6,
                  json_object_get_int_member (v, "memory_access_bytes") / 1e6,
                  json_object_get_double_member (v, "median_ms"), iqr,
                  json_object_get_double_member (v, "gflops"));
        }
      printf (_("  this machine: %s\n"), json_object_get_string_member (e, "finding"));
    }
}

/* `guideline NAME|all`: JSON keys: backend, device, threads, precision, date, iters,
 * warmup, channels, size, resolution (parnet-table), experiments[{name, claim, source,
 * finding, variants[{label, input, params, macs, flops, memory_access_bytes, weight_depth,
 * ops, branches, median_ms, p25_ms, p75_ms, min_ms, max_ms, gflops (eltwise also:
 * weight_ops_ms, eltwise_ms, eltwise_flops, eltwise_merged; parnet-table also: model, fused,
 * streams_requested, streams_mode, streams_reason, quoted_top1 {top1, source, verified} or
 * null)}]}]. `all` runs the synthetic experiments; parnet-table (whole presets) runs alone. */
int
nd_cli_guideline (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  int iters = 10, warmup = 2, base = 128, size = 28, resolution = 0, status = 0;
  GOptionEntry entries[] = {
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, N_("Timed runs per variant (default 10)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed runs first (default 2)"), "N" },
    { "channels", 0, 0, G_OPTION_ARG_INT, &base, N_("Base channel width (default 128)"), "C" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, N_("Feature map side (default 28)"), "S" },
    { NULL }
  };
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) names = g_string_new ("all");
  const char *const *known = nd_lab_guideline_names ();
  const char *which;

  for (int i = 0; known[i] != NULL; i++)
    g_string_append_printf (names, ", %s", known[i]);
  if (!nd_cli_parse ("guideline", "NAME", _("Design-guideline experiments on synthetic "
                                            "networks, and ParNet's own table (parnet-table, "
                                            "--resolution R, default 224)."), model_entries, entries, &argc, &argv))
    return 2;
  which = argc >= 2 ? argv[1] : NULL;
  if (which == NULL || argc > 2)
    {
      status = nd_cli_failf (_("guideline takes one NAME: %s"), names->str);
      goto out;
    }
  if (iters < 1 || iters > 10000 || warmup < 0 || warmup > 10000 || base < 8 || base > 4096
      || size < 1 || size > 512)
    {
      status = nd_cli_failf (_("--iters must be 1–10000, --warmup 0–10000, --channels 8–4096, "
                               "--size 1–512"));
      goto out;
    }
  if (o.fp16)
    {
      status = nd_cli_failf (_("--fp16 is not supported here: the lab counts float32 bytes"));
      goto out;
    }
  if (nd_lab_guideline_uses_models (which))
    resolution = o.knobs.set & ND_KNOB_RESOLUTION ? o.knobs.resolution : 224;
  else if (o.knobs.set & ND_KNOB_RESOLUTION)
    {
      status = nd_cli_failf (_("--resolution is for parnet-table; the synthetic experiments "
                               "take --size"));
      goto out;
    }
  if (!g_str_equal (which, "all"))
    {
      if (!g_strv_contains (known, which))
        {
          status = nd_cli_failf (_("Unknown guideline “%s”; known: %s"), which, names->str);
          goto out;
        }
    }
  if ((backend = nd_cli_backend_new (&o, &error)) == NULL)
    goto fail;
  json_builder_begin_object (b);
  nd_lab_json_context (b, backend);
#define MEMBER_INT(k, x) json_builder_set_member_name (b, k); json_builder_add_int_value (b, x)
  MEMBER_INT ("iters", iters);
  MEMBER_INT ("warmup", warmup);
  MEMBER_INT ("channels", base);
  MEMBER_INT ("size", size);
  if (resolution > 0)
    {
      MEMBER_INT ("resolution", resolution);
    }
#undef MEMBER_INT
  json_builder_set_member_name (b, "experiments");
  json_builder_begin_array (b);
  for (int i = 0; known[i] != NULL; i++)
    if (((g_str_equal (which, "all") && !nd_lab_guideline_uses_models (known[i]))
         || g_str_equal (which, known[i]))
        && !run_experiment (known[i], backend, base,
                            nd_lab_guideline_uses_models (known[i]) ? resolution : size,
                            warmup, iters, b, &error))
      goto fail;
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  if (o.json)
    nd_cli_print_json (root);
  else
    print_text (json_node_get_object (root));
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
