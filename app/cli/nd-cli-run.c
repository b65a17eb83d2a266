/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-weights.h"
#include "nd-npy.h"
#include "nd-teach.h"

typedef struct
{
  int   index;
  float logit;
  double prob;
} Pred;

static int
pred_cmp (gconstpointer a, gconstpointer b)
{
  const Pred *pa = a, *pb = b;
  /* NaN sorts last: comparisons with it are all false, which qsort cannot order */
  float x = isnan (pa->logit) ? -INFINITY : pa->logit;
  float y = isnan (pb->logit) ? -INFINITY : pb->logit;

  return (x < y) - (x > y);
}

/* An --input tensor: a square NCHW float32 .npy whose batch and side fit the ints they
 * become, every value finite (a ReLU turns NaN into 0: garbage in would give a confident
 * top-5). */
static NdTensor *
load_input (const char *path, GError **error)
{
  g_autoptr(NdTensor) input = nd_npy_load (path, error);
  g_autofree char *shape = NULL;
  gint64 bad = 0;

  if (input == NULL)
    return NULL;
  shape = nd_tensor_shape_string (input);
  if (input->ndim != 4 || input->shape[2] != input->shape[3])
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a square NCHW tensor, got %s"), path, shape);
      return NULL;
    }
  if (input->shape[0] < 1 || input->shape[0] > ND_CLI_MAX_BATCH || input->shape[1] < 1
      || input->shape[2] < 1 || input->shape[2] > ND_KNOBS_MAX_RESOLUTION)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s: shape %s: the batch must be 1 to %d images of at least one channel "
                     "and a side of 1 to %d pixels"), path, shape, ND_CLI_MAX_BATCH,
                   ND_KNOBS_MAX_RESOLUTION);
      return NULL;
    }
  for (int64_t i = 0; i < input->numel; i++)
    bad += !isfinite (input->data[i]);
  if (bad > 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s: %" PRId64 " of its %" PRId64
                     " values are NaN or Inf"), path, bad, (gint64) input->numel);
      return NULL;
    }
  return g_steal_pointer (&input);
}

/* --devices: each device's own run, the first device's wait for it and the transfer. */
static void
add_devices (JsonBuilder *b, gboolean json, const NdPlan *plan)
{
  if (plan->n_devices == 0)
    return;
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (int d = 0; d < plan->n_devices; d++)
    {
      const NdPlanDevice *dev = &plan->devices[d];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, dev->index);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, dev->name);
      json_builder_set_member_name (b, "run_ms");
      json_builder_add_double_value (b, dev->run_ms);
      json_builder_set_member_name (b, "wait_ms");
      json_builder_add_double_value (b, dev->wait_ms);
      json_builder_set_member_name (b, "transfer_ms");
      json_builder_add_double_value (b, dev->transfer_ms);
      json_builder_end_object (b);
      if (!json)
        printf (_("device %d (%s): run %.3f ms, waited for %.3f ms, transfer %.3f ms\n"),
                dev->index, dev->name, dev->run_ms, dev->wait_ms, dev->transfer_ms);
    }
  json_builder_end_array (b);
}

/* The top @top classes of each image, as JSON (model, fused, backend, weights_note, ms,
 * results[[{index, label, probability, logit}]], top = results[0]) or text. Returns how many
 * logits were not finite. */
static gint64
report (gboolean json, const NdCliModel *model, const NdBackend *backend, const NdPlan *plan,
        int top, char **head_labels)
{
  int classes = (int) (plan->output->numel / plan->batch);
  g_auto(GStrv) labels = head_labels ? g_strdupv (head_labels) : nd_cli_labels (classes, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree Pred *preds = g_new (Pred, classes);
  gint64 non_finite = 0;

  top = MIN (top, classes);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model->spec.name);
  json_builder_set_member_name (b, "fused");
  json_builder_add_boolean_value (b, model->graph->fused);
  json_builder_set_member_name (b, "backend");
  json_builder_add_string_value (b, backend->name);
  if (model->weights_note != NULL)
    {
      json_builder_set_member_name (b, "weights_note");
      json_builder_add_string_value (b, model->weights_note);
    }
  json_builder_set_member_name (b, "ms");
  json_builder_add_double_value (b, plan->total_ms);
  add_devices (b, json, plan);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (int n = 0; n < plan->batch; n++)
    {
      const float *logits = plan->output->data + (gint64) n * classes;
      double max = -INFINITY, sum = 0;

      for (int c = 0; c < classes; c++)
        {
          non_finite += !isfinite (logits[c]);
          if (isfinite (logits[c]))
            max = MAX (max, logits[c]);
        }
      for (int c = 0; c < classes; c++)
        sum += exp (logits[c] - max);
      for (int c = 0; c < classes; c++)
        preds[c] = (Pred) { c, logits[c], exp (logits[c] - max) / sum };
      qsort (preds, classes, sizeof (Pred), pred_cmp);

      json_builder_begin_array (b);
      if (!json && plan->batch > 1)
        printf (_("image %d:\n"), n);
      for (int k = 0; k < top; k++)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "index");
          json_builder_add_int_value (b, preds[k].index);
          json_builder_set_member_name (b, "label");
          json_builder_add_string_value (b, labels[preds[k].index]);
          json_builder_set_member_name (b, "probability");
          json_builder_add_double_value (b, preds[k].prob);
          json_builder_set_member_name (b, "logit");
          json_builder_add_double_value (b, preds[k].logit);
          json_builder_end_object (b);
          /* NaN/Inf become null in JSON (nd_cli_print_json) and "n/a" here, never "nan%" */
          if (!json && isfinite (preds[k].prob))
            printf ("%6.2f%%  %4d  %s\n", 100 * preds[k].prob, preds[k].index,
                    labels[preds[k].index]);
          else if (!json)
            printf ("%7s  %4d  %s\n", _("n/a"), preds[k].index, labels[preds[k].index]);
        }
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      JsonObject *obj = json_node_get_object (root);
      JsonArray *results = json_object_get_array_member (obj, "results");

      /* "top": the first (usually only) image's list, for scripts */
      json_object_set_member (obj, "top", json_node_copy (json_array_get_element (results, 0)));
      nd_cli_print_json (root);
    }
  else
    printf (_("%s, %s form, %s: %.2f ms\n"), model->spec.name,
            model->graph->fused ? _("fused") : _("training"), backend->description,
            plan->total_ms);
  return non_finite;
}

/* `run`: top-K of one input (or of each image of an input batch). */
int
nd_cli_run (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *image = NULL, *input_path = NULL, *dump = NULL, *head_path = NULL;
  g_autofree char *streams_mode = NULL;
  int top = 5, status = 0;
  GOptionEntry entries[] = {
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, N_("Input image (PNG, JPEG, …)"), N_("FILE") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &input_path,
      N_("Input tensor: .npy float32 NCHW"), N_("FILE.npy") },
    { "top", 'k', 0, G_OPTION_ARG_INT, &top, N_("How many classes to show (default 5)"), "K" },
    { "dump-logits", 0, 0, G_OPTION_ARG_FILENAME, &dump,
      N_("Write the logits as .npy float32"), N_("FILE.npy") },
    { "head", 0, 0, G_OPTION_ARG_FILENAME, &head_path,
      N_("A classifier head from `teach`, in place of the model's (give its --weights too)"),
      N_("FILE") },
    { "streams-mode", 0, 0, G_OPTION_ARG_STRING, &streams_mode,
      N_("CPU: run ParNet's streams concurrently, in sequence, or whichever timed faster "
         "(default auto)"), "auto|concurrent|sequential" },
    { NULL }
  };
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTeachHead) head = NULL;
  NdPlanOptions popts = { .batch = 1 };
  int hint = 0;
  gint64 non_finite = 0;

  if (!nd_cli_parse ("run", NULL, _("Classify an image or an input tensor."), model_entries,
                     entries, &argc, &argv))
    return 2;
  if (streams_mode != NULL && !nd_streams_mode_parse (streams_mode, &popts.streams, &error))
    goto fail;
  if ((image == NULL) == (input_path == NULL))
    {
      status = nd_cli_failf (_("give exactly one of --image FILE or --input FILE.npy"));
      goto out;
    }
  if (top < 1)
    {
      status = nd_cli_failf (_("--top must be at least 1"));
      goto out;
    }
  if (input_path != NULL)
    {
      input = load_input (input_path, &error);
      if (input == NULL)
        goto fail;
      hint = (int) input->shape[2];
      popts.batch = (int) input->shape[0];
      o.batch = popts.batch;
    }
  if (head_path != NULL && (head = nd_teach_head_load (head_path, &error)) == NULL)
    goto fail;
  if (head != NULL && o.weights == NULL)
    {
      /* a head holds no backbone: name the one it was taught on */
      status = nd_cli_failf (_("--head needs its backbone as --weights FILE (it was taught on "
                               "“%s”)"), head->backbone);
      goto out;
    }
  if (head != NULL && *head->backbone != '\0')
    {
      g_autofree char *base = g_path_get_basename (o.weights);

      /* features of another backbone can have the same width and mean nothing to the head */
      if (!g_str_equal (base, head->backbone))
        {
          status = nd_cli_failf (_("the head was taught on “%s”, not “%s”"), head->backbone,
                                 base);
          goto out;
        }
    }
  model = nd_cli_model_load (&o, hint, &error);
  if (model == NULL)
    goto fail;
  if (head != NULL)
    {
      /* the taught classes replace the model's classifier (runtime/teach) */
      NdGraph *graph = nd_teach_apply_head (model->graph, head, &error);

      if (graph == NULL)
        goto fail;
      nd_graph_unref (model->graph);
      model->graph = graph;
    }
  if (model->weights_note != NULL && !o.json)
    {
      g_autofree char *note = nd_escape_for_terminal (model->weights_note);

      g_printerr ("%s\n", note);
    }
  if (image != NULL && (input = nd_cli_load_image (image, model, &error)) == NULL)
    goto fail;
  plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error);
  if (plan == NULL || !nd_plan_run (plan, input, &error))
    goto fail;
  if (dump != NULL && !nd_npy_save (dump, plan->output, &error))
    goto fail;

  non_finite = report (o.json, model, backend, plan, top, head ? head->classes : NULL);
  if (non_finite > 0)
    {
      status = nd_cli_failf (_("the output holds %" PRId64 " non-finite values (NaN "
                               "or Inf): the ranking above means nothing (check the input)"),
                             non_finite);
      goto out;
    }
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
