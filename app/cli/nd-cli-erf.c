/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-error.h"
#include "nd-grad.h"

/* `erf`: the effective receptive field of a block's centre unit (every channel), measured as
 * the mean |input gradient| over random inputs, next to its theoretical field. */

static void
report (gboolean json, const NdCliModel *model, const char *block, const NdErf *erf)
{
  const NdNode *node = nd_graph_node (model->graph, erf->node);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model->spec.name);
      json_builder_set_member_name (b, "fused");
      json_builder_add_boolean_value (b, model->graph->fused);
      json_builder_set_member_name (b, "resolution");
      json_builder_add_int_value (b, model->graph->in_h);
      json_builder_set_member_name (b, "block");
      json_builder_add_string_value (b, block);
      json_builder_set_member_name (b, "node");
      json_builder_add_string_value (b, node->name ? node->name : nd_op_name (node->op));
      json_builder_set_member_name (b, "unit");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "y");
      json_builder_add_int_value (b, erf->y);
      json_builder_set_member_name (b, "x");
      json_builder_add_int_value (b, erf->x);
      json_builder_set_member_name (b, "channels");
      json_builder_add_string_value (b, "all");
      json_builder_set_member_name (b, "map_h");
      json_builder_add_int_value (b, node->out_h);
      json_builder_set_member_name (b, "map_w");
      json_builder_add_int_value (b, node->out_w);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "samples");
      json_builder_add_int_value (b, erf->samples);
      json_builder_set_member_name (b, "radius_50");
      json_builder_add_double_value (b, erf->radius_50);
      json_builder_set_member_name (b, "radius_95");
      json_builder_add_double_value (b, erf->radius_95);
      json_builder_set_member_name (b, "centre");
      json_builder_begin_array (b);
      json_builder_add_double_value (b, erf->centre_x);
      json_builder_add_double_value (b, erf->centre_y);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "theoretical_rf");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "width");
      json_builder_add_int_value (b, erf->rf_width);
      json_builder_set_member_name (b, "height");
      json_builder_add_int_value (b, erf->rf_height);
      json_builder_set_member_name (b, "box");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, erf->rf_x0);
      json_builder_add_int_value (b, erf->rf_y0);
      json_builder_add_int_value (b, erf->rf_x1);
      json_builder_add_int_value (b, erf->rf_y1);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "global");
      json_builder_add_boolean_value (b, erf->rf_global);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "mass_outside_rf");
      json_builder_add_double_value (b, erf->mass_outside_rf);
      json_builder_set_member_name (b, "forward_ms");
      json_builder_add_double_value (b, erf->forward_ms);
      json_builder_set_member_name (b, "backward_ms");
      json_builder_add_double_value (b, erf->backward_ms);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      nd_cli_print_json (root);
      return;
    }
  printf (_("%s (%s form, %d px), block %s, unit (%d, %d) of %d×%d, all channels, "
            "%d samples\n"), model->spec.name, model->graph->fused ? _("fused") : _("training"),
          model->graph->in_h, block, erf->y, erf->x, node->out_h, node->out_w, erf->samples);
  printf (_("  effective: radius_50 %.1f px, radius_95 %.1f px (around %.1f, %.1f)\n"),
          erf->radius_50, erf->radius_95, erf->centre_x, erf->centre_y);
  printf (_("  theoretical: %d×%d px%s; %.1f %% of the mass lies outside it\n"),
          erf->rf_width, erf->rf_height,
          erf->rf_global ? _(", plus a global path (pooling over the whole image)") : "",
          100 * erf->mass_outside_rf);
  printf (_("  per sample: forward %.1f ms, backward %.1f ms (medians)\n"), erf->forward_ms,
          erf->backward_ms);
}

int
nd_cli_erf (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *block = NULL, *png = NULL;
  int samples = 16, status = 0;
  GOptionEntry entries[] = {
    { "block", 'b', 0, G_OPTION_ARG_STRING, &block,
      N_("Block path, or a prefix of one (streams.1, layer3): its last node"), N_("BLOCK") },
    { "samples", 'n', 0, G_OPTION_ARG_INT, &samples,
      N_("Random inputs to average over (default 16)"), "N" },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png,
      N_("Write the mean |input gradient| as a PNG heat map"), N_("FILE.png") },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  NdErf erf = { 0 };
  NdGradUnit unit = { -1, -1, -1, -1 };

  if (!nd_cli_parse ("erf", NULL, _("The effective receptive field of a block's centre unit."),
                     model_entries, entries, &argc, &argv))
    return 2;
  if (block == NULL)
    {
      status = nd_cli_failf (_("--block is required (e.g. streams.0, layer3, stages.2)"));
      goto out;
    }
  if (samples < 1 || samples > 100000)
    {
      status = nd_cli_failf (_("--samples must be 1 to 100000"));
      goto out;
    }
  if (strcmp (o.backend ? o.backend : "cpu", "cpu") != 0)
    {
      status = nd_cli_failf (_("erf runs on the CPU backend only"));
      goto out;
    }
  if ((model = nd_cli_model_load (&o, 0, &error)) == NULL
      || (backend = nd_cli_backend_new (&o, &error)) == NULL)
    goto fail;
  unit.node = nd_grad_find_block (model->graph, block);
  if (unit.node < 0)
    {
      status = nd_cli_failf (_("%s has no block “%s” (nondeep-cli info --model %s lists them)"),
                             model->spec.name, block, model->spec.name);
      goto out;
    }
  if (!nd_grad_erf (model->graph, backend, &unit, samples, (guint32) o.seed, &erf, &error))
    goto fail;
  report (o.json, model, block, &erf);
  if (png != NULL
      && !nd_cli_write_heatmap (png, erf.map->data, model->graph->in_h, model->graph->in_w, NULL,
                                erf.rf_x0, erf.rf_y0, erf.rf_x1, erf.rf_y1, &error))
    goto fail;
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_erf_clear (&erf);
  nd_cli_model_options_clear (&o);
  return status;
}
