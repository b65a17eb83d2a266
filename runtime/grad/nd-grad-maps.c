/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-grad-private.h"
#include "nd-receptive-field.h"

/* What the views and the CLI draw from the backward pass: effective receptive fields and
 * class saliency (input gradient, Grad-CAM). */

typedef struct
{
  double d2;
  double mass;
} Cell;

static int
cell_cmp (const void *a, const void *b)
{
  const Cell *x = a, *y = b;

  return (x->d2 > y->d2) - (x->d2 < y->d2);
}

gboolean
nd_grad_mass_radii (const float *map, int h, int w, double cy, double cx, double *radius_50,
                    double *radius_95)
{
  g_autofree Cell *cells = g_new (Cell, (gsize) h * w);
  double total = 0, acc = 0;
  gboolean have_50 = FALSE;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        Cell *c = &cells[(gsize) y * w + x];

        c->d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
        c->mass = MAX (map[(gsize) y * w + x], 0.0f);
        total += c->mass;
      }
  if (!(total > 0))
    return FALSE;
  qsort (cells, (gsize) h * w, sizeof (Cell), cell_cmp);
  *radius_50 = *radius_95 = sqrt (cells[(gsize) h * w - 1].d2);
  for (gsize i = 0; i < (gsize) h * w; i++)
    {
      acc += cells[i].mass;
      if (!have_50 && acc >= 0.5 * total)
        {
          *radius_50 = sqrt (cells[i].d2);
          have_50 = TRUE;
        }
      if (acc >= 0.95 * total)
        {
          *radius_95 = sqrt (cells[i].d2);
          break;
        }
    }
  return TRUE;
}

int
nd_grad_find_block (const NdGraph *graph, const char *block)
{
  gsize len = strlen (block);
  int found = -1;

  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    {
      const char *b = nd_graph_node (graph, i)->block;

      if (b != NULL && strncmp (b, block, len) == 0 && (b[len] == '\0' || b[len] == '.'))
        found = i;
    }
  return found;
}

static int
dbl_cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), dbl_cmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void
nd_erf_clear (NdErf *erf)
{
  g_clear_pointer (&erf->map, nd_tensor_unref);
}

/* The unit with −1 positions resolved to the node's centre; FALSE when it is outside. */
static gboolean
resolve_unit (const NdGraph *graph, const NdGradUnit *in, NdGradUnit *unit, GError **error)
{
  const NdNode *node;

  *unit = *in;
  if (unit->node < 1 || unit->node >= nd_graph_n_nodes (graph))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("no node %d in this model"), unit->node);
      return FALSE;
    }
  node = nd_graph_node (graph, unit->node);
  if (unit->y < 0 && unit->x < 0)
    {
      unit->y = node->out_h / 2;
      unit->x = node->out_w / 2;
    }
  return TRUE;
}

/* nd_grad_erf over random inputs from @rand, or over @inputs when not NULL. */
static gboolean
erf_measure (NdGraph *graph, NdBackend *backend, const NdGradUnit *in_unit, int samples,
             GRand *rand, const NdTensor *inputs, NdErf *erf, GError **error)
{
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) x = NULL;
  g_autofree double *acc = NULL, *fwd_ms = NULL, *bwd_ms = NULL;
  g_autofree int *capture = NULL;
  NdPlanOptions opts = { .batch = 1 };
  NdReceptiveField rf;
  NdGradUnit unit;
  int C = graph->in_c, H = graph->in_h, W = graph->in_w;

  memset (erf, 0, sizeof *erf);
  if (samples < 1)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("the effective receptive field needs at least one sample"));
      return FALSE;
    }
  if (!resolve_unit (graph, in_unit, &unit, error)
      || !nd_receptive_field (graph, unit.node, unit.y, unit.x, &rf, error))
    return FALSE;
  capture = nd_grad_capture_all (graph, &opts.n_capture);
  opts.capture = capture;
  plan = nd_backend_prepare (backend, graph, &opts, error);
  if (plan == NULL)
    return FALSE;
  x = nd_tensor_new_4d (1, C, H, W);
  acc = g_new0 (double, (gsize) H * W);
  fwd_ms = g_new (double, samples);
  bwd_ms = g_new (double, samples);
  for (int s = 0; s < samples; s++)
    {
      g_autoptr(NdTensor) grad = NULL;
      gint64 t0 = g_get_monotonic_time (), t1;

      if (inputs != NULL)
        memcpy (x->data, inputs->data + (gsize) s * x->numel, sizeof (float) * x->numel);
      else
        nd_tensor_fill_normal (x, rand, 0, 1);
      if (!nd_plan_run (plan, x, error))
        return FALSE;
      t1 = g_get_monotonic_time ();
      grad = nd_graph_backward (graph, plan->captured, &unit, ND_GRAD_DEFAULT, error);
      if (grad == NULL)
        return FALSE;
      fwd_ms[s] = (t1 - t0) / 1000.0;
      bwd_ms[s] = (g_get_monotonic_time () - t1) / 1000.0;
      for (int c = 0; c < C; c++)
        for (gsize i = 0; i < (gsize) H * W; i++)
          acc[i] += fabs (grad->data[(gsize) c * H * W + i]) / ((double) C * samples);
    }
  erf->map = nd_tensor_new_4d (1, 1, H, W);
  for (gsize i = 0; i < (gsize) H * W; i++)
    erf->map->data[i] = (float) acc[i];
  erf->node = unit.node;
  erf->y = unit.y;
  erf->x = unit.x;
  erf->samples = samples;
  erf->rf_x0 = rf.x0;
  erf->rf_y0 = rf.y0;
  erf->rf_x1 = rf.x1;
  erf->rf_y1 = rf.y1;
  erf->rf_width = rf.width;
  erf->rf_height = rf.height;
  erf->rf_global = rf.global;
  erf->centre_y = 0.5 * (rf.y0 + rf.y1);
  erf->centre_x = 0.5 * (rf.x0 + rf.x1);
  {
    double total = 0, inside = 0;

    for (int yy = 0; yy < H; yy++)
      for (int xx = 0; xx < W; xx++)
        {
          double m = acc[(gsize) yy * W + xx];

          total += m;
          if (yy >= rf.y0 && yy <= rf.y1 && xx >= rf.x0 && xx <= rf.x1)
            inside += m;
        }
    erf->mass_outside_rf = total > 0 ? 1 - inside / total : 0;
  }
  erf->forward_ms = median (fwd_ms, samples);
  erf->backward_ms = median (bwd_ms, samples);
  if (!nd_grad_mass_radii (erf->map->data, H, W, erf->centre_y, erf->centre_x,
                           &erf->radius_50, &erf->radius_95))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED,
                   _("the gradient of node %d is zero on every input pixel"), unit.node);
      nd_erf_clear (erf);
      return FALSE;
    }
  return TRUE;
}

gboolean
nd_grad_erf (NdGraph *graph, NdBackend *backend, const NdGradUnit *unit, int samples,
             guint32 seed, NdErf *erf, GError **error)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  return erf_measure (graph, backend, unit, samples, rand, NULL, erf, error);
}

gboolean
nd_grad_erf_inputs (NdGraph *graph, NdBackend *backend, const NdGradUnit *unit,
                    const NdTensor *inputs, NdErf *erf, GError **error)
{
  memset (erf, 0, sizeof *erf);
  if (inputs->ndim != 4 || inputs->shape[0] < 1 || inputs->shape[1] != graph->in_c
      || inputs->shape[2] != graph->in_h || inputs->shape[3] != graph->in_w)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("the inputs must be [N, %d, %d, %d] for this model"), graph->in_c,
                   graph->in_h, graph->in_w);
      return FALSE;
    }
  return erf_measure (graph, backend, unit, (int) inputs->shape[0], NULL, inputs, erf, error);
}

int
nd_grad_cam_node (const NdGraph *graph)
{
  for (int i = graph->output - 1; i > 0; i--)
    {
      const NdNode *node = nd_graph_node (graph, i);

      if (node->out_h * node->out_w > 1)
        return i;
    }
  return -1;
}

void
nd_saliency_clear (NdSaliency *saliency)
{
  g_clear_pointer (&saliency->input_grad, nd_tensor_unref);
  g_clear_pointer (&saliency->map, nd_tensor_unref);
}

/* Bilinear, half-pixel centres (PyTorch's align_corners=False), from @src [h × w] to @dst
 * [H × W]. */
void
_nd_grad_upsample (const float *src, int h, int w, float *dst, int H, int W)
{
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        double sy = CLAMP ((y + 0.5) * h / H - 0.5, 0, h - 1);
        double sx = CLAMP ((x + 0.5) * w / W - 0.5, 0, w - 1);
        int y0 = (int) sy, x0 = (int) sx;
        int y1 = MIN (y0 + 1, h - 1), x1 = MIN (x0 + 1, w - 1);
        double fy = sy - y0, fx = sx - x0;

        dst[(gsize) y * W + x] =
          (float) ((1 - fy) * ((1 - fx) * src[y0 * w + x0] + fx * src[y0 * w + x1])
                   + fy * ((1 - fx) * src[y1 * w + x0] + fx * src[y1 * w + x1]));
      }
}

/* ReLU(Σ_c α_c·A_c), α_c = mean over the map of dy/dA_c, for image @n. */
void
_nd_grad_cam (const NdTensor *a, const NdTensor *da, int n, float *cam)
{
  int C = a->shape[1];
  gsize hw = a->shape[2] * a->shape[3];

  memset (cam, 0, hw * sizeof (float));
  for (int c = 0; c < C; c++)
    {
      const float *ac = a->data + ((gsize) n * C + c) * hw;
      const float *dc = da->data + ((gsize) n * C + c) * hw;
      double alpha = 0;

      for (gsize i = 0; i < hw; i++)
        alpha += dc[i];
      alpha /= hw;
      for (gsize i = 0; i < hw; i++)
        cam[i] += (float) (alpha * ac[i]);
    }
  for (gsize i = 0; i < hw; i++)
    cam[i] = MAX (cam[i], 0.0f);
}

gboolean
nd_grad_saliency (const NdGraph *graph, NdTensor * const *acts, const int *classes,
                  NdSaliencyMethod method, NdSaliency *out, GError **error)
{
  const NdNode *head = nd_graph_node (graph, graph->output);
  int N, C = graph->in_c, H = graph->in_h, W = graph->in_w, K = head->out_c;
  gsize per = (gsize) head->out_h * head->out_w;
  g_autoptr(NdTensor) seed = NULL;
  g_autoptr(GPtrArray) grads = NULL;

  memset (out, 0, sizeof *out);
  out->cam_node = -1;
  if (acts[graph->output] == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("saliency: the forward pass kept no output"));
      return FALSE;
    }
  N = (int) acts[graph->output]->shape[0];
  seed = nd_tensor_new_4d (N, K, head->out_h, head->out_w);
  for (int n = 0; n < N; n++)
    {
      if (classes[n] < 0 || classes[n] >= K)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("class %d is out of range: this model has classes 0 to %d"),
                       classes[n], K - 1);
          return FALSE;
        }
      for (gsize i = 0; i < per; i++)
        seed->data[((gsize) n * K + classes[n]) * per + i] = 1.0f;
    }
  if (!nd_graph_backward_seed (graph, acts, graph->output, seed, ND_GRAD_DEFAULT, &grads,
                               error))
    return FALSE;
  out->input_grad = nd_tensor_ref (grads->pdata[0]);
  out->map = nd_tensor_new_4d (N, 1, H, W);
  if (method == ND_SALIENCY_GRAD)
    {
      for (int n = 0; n < N; n++)
        for (gsize i = 0; i < (gsize) H * W; i++)
          {
            float m = 0;

            for (int c = 0; c < C; c++)
              m = MAX (m, fabsf (out->input_grad->data[((gsize) n * C + c) * H * W + i]));
            out->map->data[(gsize) n * H * W + i] = m;
          }
      return TRUE;
    }
  out->cam_node = nd_grad_cam_node (graph);
  if (out->cam_node < 0 || grads->pdata[out->cam_node] == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("Grad-CAM: this model has no spatial layer the class score depends on"));
      nd_saliency_clear (out);
      return FALSE;
    }
  {
    const NdTensor *a = acts[out->cam_node], *da = grads->pdata[out->cam_node];
    g_autofree float *cam = g_new (float, a->shape[2] * a->shape[3]);

    for (int n = 0; n < N; n++)
      {
        _nd_grad_cam (a, da, n, cam);
        _nd_grad_upsample (cam, (int) a->shape[2], (int) a->shape[3],
                           out->map->data + (gsize) n * H * W, H, W);
      }
  }
  return TRUE;
}
