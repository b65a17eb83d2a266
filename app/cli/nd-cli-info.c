/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-cli-common.h"

/* `info`: parameters, MACs, depth and a per-block table. JSON keys: model, family, fused,
 * resolution, classes, params, macs, depth, flops, bytes_read, bytes_written,
 * memory_access_bytes, weight_depth, ops, branches, blocks[{block, stream, depth, role,
 * params, macs, flops, bytes_read, bytes_written, shape}]. */
int
nd_cli_info (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(GPtrArray) blocks = NULL;
  g_autoptr(GError) error = NULL;
  gint64 params, macs, flops, bytes_r, bytes_w;
  int depth, weight_depth, n_ops, n_branches, status = 0;

  if (!nd_cli_parse ("info", NULL, _("Parameters, MACs, depth and blocks of a model."),
                     model_entries, NULL, &argc, &argv))
    return 2;
  model = nd_cli_model_load (&o, 0, &error);
  if (model == NULL)
    {
      status = nd_cli_fail (error);
      goto out;
    }
  nd_graph_count (model->graph, &params, &macs, &depth);
  nd_graph_cost (model->graph, &flops, &bytes_r, &bytes_w);
  nd_graph_structure (model->graph, &weight_depth, &n_ops, &n_branches);
  blocks = nd_graph_block_stats (model->graph);

  if (o.json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model->spec.name);
      json_builder_set_member_name (b, "family");
      json_builder_add_string_value (b, nd_family_name (model->spec.family));
      json_builder_set_member_name (b, "fused");
      json_builder_add_boolean_value (b, model->graph->fused);
      json_builder_set_member_name (b, "resolution");
      json_builder_add_int_value (b, model->graph->in_h);
      json_builder_set_member_name (b, "classes");
      json_builder_add_int_value (b, nd_graph_node (model->graph, model->graph->output)->out_c);
      json_builder_set_member_name (b, "params");
      json_builder_add_int_value (b, params);
      json_builder_set_member_name (b, "macs");
      json_builder_add_int_value (b, macs);
      json_builder_set_member_name (b, "depth");
      json_builder_add_int_value (b, depth);
      json_builder_set_member_name (b, "flops");
      json_builder_add_int_value (b, flops);
      json_builder_set_member_name (b, "bytes_read");
      json_builder_add_int_value (b, bytes_r);
      json_builder_set_member_name (b, "bytes_written");
      json_builder_add_int_value (b, bytes_w);
      json_builder_set_member_name (b, "memory_access_bytes");
      json_builder_add_int_value (b, bytes_r + bytes_w);
      json_builder_set_member_name (b, "weight_depth");
      json_builder_add_int_value (b, weight_depth);
      json_builder_set_member_name (b, "ops");
      json_builder_add_int_value (b, n_ops);
      json_builder_set_member_name (b, "branches");
      json_builder_add_int_value (b, n_branches);
      json_builder_set_member_name (b, "blocks");
      json_builder_begin_array (b);
      for (guint i = 0; i < blocks->len; i++)
        {
          NdBlockStats *st = g_ptr_array_index (blocks, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "block");
          json_builder_add_string_value (b, st->block);
          json_builder_set_member_name (b, "stream");
          json_builder_add_int_value (b, st->stream);
          json_builder_set_member_name (b, "depth");
          json_builder_add_int_value (b, st->depth);
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, nd_role_name (st->role));
          json_builder_set_member_name (b, "params");
          json_builder_add_int_value (b, st->params);
          json_builder_set_member_name (b, "macs");
          json_builder_add_int_value (b, st->macs);
          json_builder_set_member_name (b, "flops");
          json_builder_add_int_value (b, st->flops);
          json_builder_set_member_name (b, "bytes_read");
          json_builder_add_int_value (b, st->bytes_read);
          json_builder_set_member_name (b, "bytes_written");
          json_builder_add_int_value (b, st->bytes_written);
          json_builder_set_member_name (b, "shape");
          json_builder_begin_array (b);
          json_builder_add_int_value (b, st->out_c);
          json_builder_add_int_value (b, st->out_h);
          json_builder_add_int_value (b, st->out_w);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      nd_cli_print_json (root);
      goto out;
    }

  printf (_("%s (%s form) at %d×%d, %d classes\n"), model->spec.name,
          model->graph->fused ? _("fused") : _("training"), model->graph->in_h,
          model->graph->in_w, nd_graph_node (model->graph, model->graph->output)->out_c);
  printf (_("parameters %'" PRId64 "   MACs %'" PRId64 " (%.3f G)   depth %d\n\n"),
          params, macs, macs / 1e9, depth);
  printf (_("FLOPs %.3f G   memory access %.1f MB   %d weight layers deep   %d ops   "
            "%d branches\n\n"), flops / 1e9, (bytes_r + bytes_w) / 1e6, weight_depth, n_ops,
          n_branches);
  printf ("%-28s %6s %5s %-12s %12s %14s  %s\n", _("block"), _("stream"), _("depth"),
          _("role"), _("params"), _("MACs"), _("output"));
  for (guint i = 0; i < blocks->len; i++)
    {
      NdBlockStats *st = g_ptr_array_index (blocks, i);
      g_autofree char *stream = st->stream >= 0 ? g_strdup_printf ("%d", st->stream)
                                                : g_strdup ("–");

      printf ("%-28s %6s %5d %-12s %12" PRId64 " %14" PRId64
              "  %d×%d×%d\n", st->block, stream, st->depth, nd_role_name (st->role),
              st->params, st->macs, st->out_c, st->out_h, st->out_w);
    }
out:
  nd_cli_model_options_clear (&o);
  return status;
}
