/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-error.h"
#include "nd-grad.h"
#include "nd-npy.h"

/* `saliency`: which input pixels the class score depends on (the input gradient, or Grad-CAM
 * on the last spatial layer), as numbers, a .npy of the raw gradient and a PNG heat map. */

/* A dark-to-bright ramp (black, purple, orange, pale yellow), v in [0, 1]. */
static void
heat_colour (double v, guint8 *rgb)
{
  static const double stops[5][3] = {
    { 0, 0, 0.02 }, { 0.34, 0.06, 0.43 }, { 0.73, 0.21, 0.33 }, { 0.98, 0.55, 0.04 },
    { 0.99, 1.0, 0.64 },
  };
  double t = CLAMP (v, 0, 1) * 4;
  int i = MIN ((int) t, 3);
  double f = t - i;

  for (int c = 0; c < 3; c++)
    rgb[c] = (guint8) lround (255 * ((1 - f) * stops[i][c] + f * stops[i + 1][c]));
}

gboolean
nd_cli_write_heatmap (const char *path, const float *map, int h, int w, const NdTensor *under,
                      int box_x0, int box_y0, int box_x1, int box_y1, GError **error)
{
  int scale = MAX (1, (256 + MAX (h, w) - 1) / MAX (h, w));
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w * scale, h * scale);
  double max = 0, lo = INFINITY, hi = -INFINITY;
  int stride, C = under ? (int) under->shape[1] : 0;
  guint8 *px;

  if (pb == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                   _("cannot allocate a %d×%d image"), w * scale, h * scale);
      return FALSE;
    }
  stride = gdk_pixbuf_get_rowstride (pb);
  px = gdk_pixbuf_get_pixels (pb);
  for (gsize i = 0; i < (gsize) h * w; i++)
    max = MAX (max, map[i]);
  for (gsize i = 0; under != NULL && i < (gsize) C * h * w; i++)
    {
      lo = MIN (lo, under->data[i]);
      hi = MAX (hi, under->data[i]);
    }
  for (int y = 0; y < h * scale; y++)
    for (int x = 0; x < w * scale; x++)
      {
        int sy = y / scale, sx = x / scale;
        guint8 *p = px + (gsize) y * stride + (gsize) x * 3;
        gboolean on_x = (sx == box_x0 || sx == box_x1) && sy >= box_y0 && sy <= box_y1;
        gboolean on_y = (sy == box_y0 || sy == box_y1) && sx >= box_x0 && sx <= box_x1;
        gboolean edge = box_x0 >= 0 && (on_x || on_y);

        heat_colour (max > 0 ? map[(gsize) sy * w + sx] / max : 0, p);
        if (under != NULL && hi > lo)
          {
            /* the input, grey, under the heat: 45 % image, 55 % heat */
            double g = 0;

            for (int c = 0; c < C; c++)
              g += (under->data[((gsize) c * h + sy) * w + sx] - lo) / (hi - lo) / C;
            for (int c = 0; c < 3; c++)
              p[c] = (guint8) lround (0.45 * 255 * g + 0.55 * p[c]);
          }
        if (edge)
          p[0] = 80, p[1] = 220, p[2] = 255;   /* the theoretical field's outline */
      }
  return gdk_pixbuf_save (pb, path, "png", error, NULL);
}

/* An --input tensor: NCHW float32 .npy, every value finite. */
static NdTensor *
load_npy_input (const char *path, GError **error)
{
  g_autoptr(NdTensor) t = nd_npy_load (path, error);

  if (t == NULL)
    return NULL;
  if (t->ndim != 4 || t->shape[2] != t->shape[3] || t->shape[0] < 1
      || t->shape[0] > ND_CLI_MAX_BATCH)
    {
      g_autofree char *shape = nd_tensor_shape_string (t);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s: expected a square NCHW tensor of 1 to %d images, got %s"), path,
                   ND_CLI_MAX_BATCH, shape);
      return NULL;
    }
  for (int64_t i = 0; i < t->numel; i++)
    if (!isfinite (t->data[i]))
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("%s: holds NaN or Inf values"), path);
        return NULL;
      }
  return g_steal_pointer (&t);
}

static void
report (gboolean json, const NdCliModel *model, const NdPlan *plan, const NdSaliency *sal,
        const int *classes, const char *method, double backward_ms)
{
  int K = (int) (plan->output->numel / plan->batch);
  g_auto(GStrv) labels = nd_cli_labels (K, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gsize per = sal->input_grad->numel / plan->batch;
  const NdNode *cam = sal->cam_node >= 0 ? nd_graph_node (model->graph, sal->cam_node) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model->spec.name);
  json_builder_set_member_name (b, "fused");
  json_builder_add_boolean_value (b, model->graph->fused);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, method);
  if (cam != NULL)
    {
      json_builder_set_member_name (b, "cam_node");
      json_builder_add_string_value (b, cam->name ? cam->name : nd_op_name (cam->op));
      json_builder_set_member_name (b, "cam_block");
      json_builder_add_string_value (b, cam->block ? cam->block : "");
    }
  json_builder_set_member_name (b, "forward_ms");
  json_builder_add_double_value (b, plan->total_ms);
  json_builder_set_member_name (b, "backward_ms");
  json_builder_add_double_value (b, backward_ms);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (int n = 0; n < plan->batch; n++)
    {
      const float *g = sal->input_grad->data + n * per;
      double gmax = 0, gsum = 0;

      for (gsize i = 0; i < per; i++)
        {
          gmax = MAX (gmax, fabsf (g[i]));
          gsum += fabsf (g[i]);
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "class");
      json_builder_add_int_value (b, classes[n]);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, labels[classes[n]]);
      json_builder_set_member_name (b, "logit");
      json_builder_add_double_value (b, plan->output->data[(gsize) n * K + classes[n]]);
      json_builder_set_member_name (b, "grad_abs_max");
      json_builder_add_double_value (b, gmax);
      json_builder_set_member_name (b, "grad_abs_mean");
      json_builder_add_double_value (b, gsum / per);
      json_builder_end_object (b);
      if (!json)
        printf (_("image %d: class %d (%s), logit %.4f, |d logit/d input| max %.3g mean %.3g\n"),
                n, classes[n], labels[classes[n]], plan->output->data[(gsize) n * K + classes[n]],
                gmax, gsum / per);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      nd_cli_print_json (root);
    }
  else
    printf (_("%s, %s form, %s: forward %.2f ms, backward %.2f ms%s%s\n"), model->spec.name,
            model->graph->fused ? _("fused") : _("training"), method, plan->total_ms,
            backward_ms, cam ? _(", Grad-CAM on ") : "", cam ? (cam->block ? cam->block
                                                                 : cam->name) : "");
}

/* The class each image is explained for: --class, else its top logit. */
static int *
pick_classes (const NdPlan *plan, int klass)
{
  int K = (int) (plan->output->numel / plan->batch);
  int *classes = g_new (int, plan->batch);

  for (int n = 0; n < plan->batch; n++)
    {
      const float *l = plan->output->data + (gsize) n * K;

      classes[n] = klass;
      if (klass < 0)
        {
          classes[n] = 0;
          for (int k = 1; k < K; k++)
            if (l[k] > l[classes[n]])
              classes[n] = k;
        }
    }
  return classes;
}

int
nd_cli_saliency (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *image = NULL, *input_path = NULL, *dump = NULL, *png = NULL;
  g_autofree char *dump_map = NULL;
  g_autofree char *method = NULL;
  int klass = -1, status = 0, hint = 0;
  GOptionEntry entries[] = {
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, N_("Input image (PNG, JPEG, …)"), N_("FILE") },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &input_path,
      N_("Input tensor: .npy float32 NCHW"), N_("FILE.npy") },
    { "class", 'c', 0, G_OPTION_ARG_INT, &klass, N_("Class to explain (default: the top one)"),
      "K" },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method, N_("grad (default) or gradcam"),
      N_("METHOD") },
    { "dump-grad", 0, 0, G_OPTION_ARG_FILENAME, &dump,
      N_("Write d logit[class] / d input as .npy float32 NCHW"), N_("FILE.npy") },
    { "dump-map", 0, 0, G_OPTION_ARG_FILENAME, &dump_map,
      N_("Write the saliency map (what --png draws) as .npy float32 [N, 1, H, W]"),
      N_("FILE.npy") },
    { "png", 0, 0, G_OPTION_ARG_FILENAME, &png,
      N_("Write the first image's saliency over the input as a PNG"), N_("FILE.png") },
    { NULL }
  };
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree int *capture = NULL, *classes = NULL;
  NdPlanOptions popts = { .batch = 1 };
  NdSaliency sal = { 0 };
  NdSaliencyMethod m = ND_SALIENCY_GRAD;
  gint64 t0;

  if (!nd_cli_parse ("saliency", NULL, _("Which input pixels a class score depends on."),
                     model_entries, entries, &argc, &argv))
    return 2;
  if ((image == NULL) == (input_path == NULL))
    {
      status = nd_cli_failf (_("give exactly one of --image FILE or --input FILE.npy"));
      goto out;
    }
  if (method != NULL && strcmp (method, "gradcam") == 0)
    m = ND_SALIENCY_GRADCAM;
  else if (method != NULL && strcmp (method, "grad") != 0)
    {
      status = nd_cli_failf (_("--method must be grad or gradcam, not “%s”"), method);
      goto out;
    }
  if (input_path != NULL)
    {
      if ((input = load_npy_input (input_path, &error)) == NULL)
        goto fail;
      hint = (int) input->shape[2];
      o.batch = popts.batch = (int) input->shape[0];
    }
  /* an image with no --model and no --weights is explained on the app's default trained
   * ParNet, as camera and eval do; random weights would explain nothing */
  if (image != NULL && !nd_cli_use_trained_weights (&o, &error))
    goto fail;
  if ((model = nd_cli_model_load (&o, hint, &error)) == NULL)
    goto fail;
  if (image != NULL && (input = nd_cli_load_image (image, model, &error)) == NULL)
    goto fail;
  if (strcmp (o.backend ? o.backend : "cpu", "cpu") != 0)
    {
      status = nd_cli_failf (_("saliency runs on the CPU backend only"));
      goto out;
    }
  capture = nd_grad_capture_all (model->graph, &popts.n_capture);
  popts.capture = capture;
  plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error);
  if (plan == NULL || !nd_plan_run (plan, input, &error))
    goto fail;
  classes = pick_classes (plan, klass);
  t0 = g_get_monotonic_time ();
  if (!nd_grad_saliency (model->graph, plan->captured, classes, m, &sal, &error))
    goto fail;
  report (o.json, model, plan, &sal, classes, m == ND_SALIENCY_GRAD ? "grad" : "gradcam",
          (g_get_monotonic_time () - t0) / 1000.0);
  if (dump != NULL && !nd_npy_save (dump, sal.input_grad, &error))
    goto fail;
  if (dump_map != NULL && !nd_npy_save (dump_map, sal.map, &error))
    goto fail;
  if (png != NULL)
    {
      g_autoptr(NdTensor) first = nd_tensor_new_4d (1, input->shape[1], input->shape[2],
                                                    input->shape[3]);

      memcpy (first->data, input->data, first->numel * sizeof (float));
      if (!nd_cli_write_heatmap (png, sal.map->data, (int) input->shape[2],
                                 (int) input->shape[3], first, -1, -1, -1, -1, &error))
        goto fail;
    }
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_saliency_clear (&sal);
  nd_cli_model_options_clear (&o);
  return status;
}
