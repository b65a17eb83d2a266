/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-dataset.h"
#include "nd-error.h"
#include "nd-grad.h"

/* `erf`: the effective receptive field of a block's centre unit (every channel), measured as
 * the mean |input gradient| over random inputs or a dataset's images, next to its theoretical
 * field. */

static int
cmp_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* @n Fashion-MNIST test images chosen by @seed (distinct), preprocessed for @model, which
 * must take 1-channel inputs. */
static NdTensor *
fashion_mnist_inputs (NdCliModel *model, const char *data_dir, int n, guint32 seed,
                      GError **error)
{
  g_autoptr(NdDataset) set = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(NdTensor) out = NULL;
  g_autofree int *order = NULL;
  NdGrayPreprocess pp;

  if (model->graph->in_c != 1 || model->graph->in_h != model->graph->in_w)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s takes %d-channel inputs; Fashion-MNIST fits 1-channel models (e.g. "
                     "--in-channels 1, or --dataset DIR)"), model->spec.name,
                   model->graph->in_c);
      return NULL;
    }
  if (!nd_gray_preprocess_parse (model->preprocess, &pp, error)
      || (set = nd_dataset_load_fashion_mnist (data_dir, TRUE, error)) == NULL)
    return NULL;
  pp.size = model->graph->in_h;
  n = MIN (n, set->n);
  order = g_new (int, set->n);
  for (int i = 0; i < set->n; i++)
    order[i] = i;
  out = nd_tensor_new_4d (n, 1, pp.size, pp.size);
  for (int i = 0; i < n; i++)
    {
      /* a partial Fisher–Yates shuffle: the first n of a random order */
      int j = g_rand_int_range (rand, i, set->n), t = order[i];

      order[i] = order[j];
      order[j] = t;
      nd_dataset_fill_input (set, order[i], &pp, out, i);
    }
  return g_steal_pointer (&out);
}

/* The first @n images of @dir (PNG, JPEG, WebP, sorted by name), preprocessed for @model as
 * `run --image` does. */
static NdTensor *
folder_inputs (NdCliModel *model, const char *dir, int n, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(NdTensor) out = NULL;
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);

      if (g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg")
          || g_str_has_suffix (lower, ".jpeg") || g_str_has_suffix (lower, ".webp"))
        g_ptr_array_add (files, g_build_filename (dir, name, NULL));
    }
  if (files->len == 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s holds no PNG, JPEG or WebP images"), dir);
      return NULL;
    }
  g_ptr_array_sort (files, cmp_paths);
  n = MIN (n, (int) files->len);
  out = nd_tensor_new_4d (n, model->graph->in_c, model->graph->in_h, model->graph->in_w);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(NdTensor) t = nd_cli_load_image (files->pdata[i], model, error);

      if (t == NULL)
        return NULL;
      if (t->numel * n != out->numel)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                       _("%s: the image does not preprocess to the model's input"),
                       (const char *) files->pdata[i]);
          return NULL;
        }
      memcpy (out->data + (gsize) i * t->numel, t->data, sizeof (float) * t->numel);
    }
  return g_steal_pointer (&out);
}

static void
report (gboolean json, const NdCliModel *model, const char *block, const char *dataset,
        const NdErf *erf)
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
      json_builder_set_member_name (b, "inputs");
      json_builder_add_string_value (b, dataset != NULL ? "dataset" : "random");
      json_builder_set_member_name (b, "dataset");
      if (dataset != NULL)
        json_builder_add_string_value (b, dataset);
      else
        json_builder_add_null_value (b);
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
  if (dataset != NULL)
    printf (_("  inputs: images of %s\n"), dataset);
  else
    printf (_("  inputs: random, N(0, 1) per pixel\n"));
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
  g_autofree char *block = NULL, *png = NULL, *dataset = NULL, *data_dir = NULL;
  int samples = 16, status = 0;
  GOptionEntry entries[] = {
    { "block", 'b', 0, G_OPTION_ARG_STRING, &block,
      N_("Block path, or a prefix of one (streams.1, layer3): its last node"), N_("BLOCK") },
    { "samples", 'n', 0, G_OPTION_ARG_INT, &samples,
      N_("Inputs to average over (default 16)"), "N" },
    { "dataset", 0, 0, G_OPTION_ARG_FILENAME, &dataset,
      N_("Average over real images instead of random ones: fashion-mnist (its test set, "
         "1-channel models) or a folder of images (the first N by name)"),
      N_("fashion-mnist|DIR") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Where the Fashion-MNIST IDX files are (default /usr/share/datasets/fashion-mnist)"),
      N_("DIR") },
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
  if (dataset != NULL)
    {
      g_autoptr(NdTensor) inputs = NULL;

      inputs = g_str_equal (dataset, "fashion-mnist")
               ? fashion_mnist_inputs (model, data_dir, samples, (guint32) o.seed, &error)
               : folder_inputs (model, dataset, samples, &error);
      if (inputs == NULL
          || !nd_grad_erf_inputs (model->graph, backend, &unit, inputs, &erf, &error))
        goto fail;
    }
  else if (!nd_grad_erf (model->graph, backend, &unit, samples, (guint32) o.seed, &erf, &error))
    goto fail;
  report (o.json, model, block, dataset, &erf);
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
