/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-colormap.h"
#include "nd-error.h"
#include "nd-render-kernel.h"

/* The numbers the last nd_render_kernel () printed (a test hook; drawing is on one thread). */
static GPtrArray *drawn_numbers;

static const NdNode *
find_node (const NdGraph *graph, const char *block, NdRole role, NdOp op)
{
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *n = nd_graph_node (graph, i);

      if (n->role == role && n->op == op && g_strcmp0 (n->block, block) == 0)
        return n;
    }
  return NULL;
}

/* The identity folds only when it is summed directly (RepVGG); ParNet's identity is multiplied
 * by the SSE gate first, so it stays a separate branch in the fused form. */
static gboolean
feeds_add (const NdGraph *graph, const NdNode *node)
{
  for (int i = node->id + 1; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *n = nd_graph_node (graph, i);

      for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] == node->id && n->op == ND_OP_ADD)
          return TRUE;
    }
  return FALSE;
}

static void
bn_scale_shift (const NdNode *bn, int c, float *scale, float *shift)
{
  float g = bn->w[ND_W_WEIGHT]->data[c], b = bn->w[ND_W_BIAS]->data[c];
  float mu = bn->w[ND_W_MEAN]->data[c], var = bn->w[ND_W_VAR]->data[c];

  *scale = g / sqrtf (var + bn->p.eps);
  *shift = b - mu * *scale;
}

gboolean
nd_kernel_steps_compute (const NdGraph *graph,
                         const char    *block,
                         int            out_channel,
                         int            in_channel,
                         NdKernelSteps *steps,
                         GError       **error)
{
  const NdNode *dense, *dense_bn, *one, *one_bn, *id_bn, *pool;
  int in_per_group;

  g_return_val_if_fail (graph != NULL && block != NULL && steps != NULL, FALSE);

  *steps = (NdKernelSteps) { .measured_diff = -1 };
  dense = find_node (graph, block, ND_ROLE_DENSE3X3, ND_OP_CONV2D);
  dense_bn = find_node (graph, block, ND_ROLE_DENSE3X3, ND_OP_BATCHNORM);
  if (dense == NULL || dense_bn == NULL || dense->p.kernel != 3)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("Block %s has no 3×3 branch with a batch norm to fuse"), block);
      return FALSE;
    }
  in_per_group = (int) dense->w[ND_W_WEIGHT]->shape[1];
  if (out_channel < 0 || out_channel >= dense->out_c || in_channel < 0
      || in_channel >= in_per_group)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Kernel slice (%d, %d) is outside the %d×%d weights of %s"), out_channel,
                   in_channel, dense->out_c, in_per_group, block);
      return FALSE;
    }
  steps->out_channel = out_channel;
  steps->in_channel = in_channel;
  memcpy (steps->dense, dense->w[ND_W_WEIGHT]->data + ((gsize) out_channel * in_per_group
                                                       + in_channel) * 9, 9 * sizeof (float));
  bn_scale_shift (dense_bn, out_channel, &steps->scale_dense, &steps->shift_dense);

  one = find_node (graph, block, ND_ROLE_BRANCH1X1, ND_OP_CONV2D);
  one_bn = find_node (graph, block, ND_ROLE_BRANCH1X1, ND_OP_BATCHNORM);
  pool = find_node (graph, block, ND_ROLE_BRANCH_POOL, ND_OP_AVGPOOL);
  if (one != NULL && one_bn != NULL && one->w[ND_W_WEIGHT]->shape[1] == in_per_group)
    {
      float w = one->w[ND_W_WEIGHT]->data[(gsize) out_channel * in_per_group + in_channel];

      steps->has_one = TRUE;
      if (pool != NULL && pool->p.kernel == 2)
        {
          /* AvgPool2×2 (stride 2) then 1×1 reads rows/cols 2y, 2y+1; a pad-1 stride-2 3×3 reads
           * 2y−1 … 2y+1, so the pooled weight lands on the 2×2 bottom-right corner. */
          steps->pooled_one = TRUE;
          steps->one[4] = steps->one[5] = steps->one[7] = steps->one[8] = w / 4;
        }
      else
        steps->one[4] = w;
      bn_scale_shift (one_bn, out_channel, &steps->scale_one, &steps->shift_one);
    }

  id_bn = find_node (graph, block, ND_ROLE_IDENTITY_BN, ND_OP_BATCHNORM);
  if (id_bn != NULL && feeds_add (graph, id_bn))
    {
      steps->has_identity = TRUE;
      /* Channel o of a grouped conv reads channel o mod (C/g) of its group. */
      if (in_channel == out_channel % in_per_group)
        steps->identity[4] = 1;
      bn_scale_shift (id_bn, out_channel, &steps->scale_id, &steps->shift_id);
    }

  for (int k = 0; k < 9; k++)
    steps->fused[k] = steps->dense[k] * steps->scale_dense
                      + steps->one[k] * steps->scale_one
                      + steps->identity[k] * steps->scale_id;
  steps->fused_bias = steps->shift_dense + steps->shift_one + steps->shift_id;
  return TRUE;
}

static void
draw_matrix (cairo_t *cr, const float *m, float scale, double x, double y, double cell,
             double vmax, const NdRenderStyle *style)
{
  char buf[16];

  for (int k = 0; k < 9; k++)
    {
      double v = m[k] * scale;
      double r, g, b;

      nd_colormap_rgb (ND_COLORMAP_DIVERGING, 0.5 + 0.5 * v / vmax, &r, &g, &b);
      cairo_rectangle (cr, x + (k % 3) * cell, y + (k / 3) * cell, cell, cell);
      cairo_set_source_rgb (cr, r, g, b);
      cairo_fill_preserve (cr);
      nd_render_set_rgba (cr, style->muted);
      cairo_set_line_width (cr, 0.5);
      cairo_stroke (cr);
      /* Numbers only where they are readable (7 px and up) and fit their cell. */
      if (MIN (cell * 0.34, style->font_size) >= 7)
        {
          g_snprintf (buf, sizeof buf, "%.2f", v);
          cairo_set_source_rgb (cr, 0.08, 0.08, 0.1);
          cairo_set_font_size (cr, MIN (cell * 0.34, style->font_size));
          nd_render_text (cr, buf, x + (k % 3 + 0.5) * cell, y + (k / 3 + 0.62) * cell, 0.5);
          g_ptr_array_add (drawn_numbers, g_strdup (buf));
        }
    }
}

typedef struct
{
  const float *m;
  float        scale, shift;
  const char  *title;
} Part;

/* The matrices drawn, left to right: dense, 1×1, identity (those present), fused. */
static int
kernel_parts (const NdKernelSteps *steps, Part *parts)
{
  int n = 0;

  parts[n++] = (Part) { steps->dense, steps->scale_dense, steps->shift_dense, _("3×3 · BN") };
  if (steps->has_one)
    parts[n++] = (Part) { steps->one, steps->scale_one, steps->shift_one,
                          steps->pooled_one ? _("pool+1×1 · BN") : _("1×1 · BN") };
  if (steps->has_identity)
    parts[n++] = (Part) { steps->identity, steps->scale_id, steps->shift_id,
                          _("identity · BN") };
  parts[n++] = (Part) { steps->fused, 1, steps->fused_bias, _("fused 3×3") };
  return n;
}

/* n matrices and n−1 operators across; title above, scale/shift below. Matrix p's top-left
 * cell is at (x0 + 4.2·cell·p, y). */
static void
kernel_geometry (int n, double width, double height, const NdRenderStyle *style,
                 double *cell, double *x0, double *y)
{
  double fs = style->font_size;

  *cell = MIN ((width - 8) / (n * 3 + (n - 1) * 1.2), (height - 5 * fs - 8) / 3);
  *cell = MAX (*cell, 2);
  *x0 = (width - *cell * (n * 3 + (n - 1) * 1.2)) / 2;
  *y = fs * 1.6;
}

char *
nd_render_kernel_value_at (const NdKernelSteps *steps,
                           double               width,
                           double               height,
                           const NdRenderStyle *style,
                           double               px,
                           double               py)
{
  Part parts[4];
  double cell, x0, y;
  int n, p, col, row;

  g_return_val_if_fail (style != NULL, NULL);
  if (steps == NULL)
    return NULL;
  n = kernel_parts (steps, parts);
  kernel_geometry (n, width, height, style, &cell, &x0, &y);
  if (px < x0 || py < y || py >= y + 3 * cell)
    return NULL;
  p = (int) ((px - x0) / (4.2 * cell));
  col = (int) ((px - x0 - p * 4.2 * cell) / cell);
  row = (int) ((py - y) / cell);
  if (p >= n || col > 2 || row > 2)
    return NULL;
  /* translators: a kernel cell's value: matrix title, row, column, value */
  return g_strdup_printf (_("%s · row %d, column %d · %.4g"), parts[p].title, row, col,
                          parts[p].m[row * 3 + col] * parts[p].scale);
}

void
nd_render_kernel (cairo_t             *cr,
                  const NdKernelSteps *steps,
                  double               width,
                  double               height,
                  const NdRenderStyle *style)
{
  Part parts[4];
  double vmax = 1e-6, cell, x, y, fs;
  int n;
  char buf[96];

  g_return_if_fail (cr != NULL && style != NULL);

  if (drawn_numbers == NULL)
    drawn_numbers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (drawn_numbers, 0);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  if (steps == NULL)
    {
      cairo_restore (cr);
      return;
    }
  n = kernel_parts (steps, parts);
  for (int p = 0; p < n; p++)
    for (int k = 0; k < 9; k++)
      vmax = MAX (vmax, fabs (parts[p].m[k] * parts[p].scale));

  fs = style->font_size;
  kernel_geometry (n, width, height, style, &cell, &x, &y);
  for (int p = 0; p < n; p++)
    {
      nd_render_set_rgba (cr, style->fg);
      cairo_set_font_size (cr, fs);
      /* Each matrix owns 4.2 cells across: its texts fit there or are left out. */
      nd_render_text_fit (cr, parts[p].title, x + 1.5 * cell, y - fs * 0.5, 0.5, 4.1 * cell,
                          7);
      draw_matrix (cr, parts[p].m, parts[p].scale, x, y, cell, vmax, style);
      nd_render_set_rgba (cr, style->muted);
      cairo_set_font_size (cr, fs * 0.85);
      if (p < n - 1)
        g_snprintf (buf, sizeof buf, _("scale %.3f  shift %.3f"), parts[p].scale, parts[p].shift);
      else
        g_snprintf (buf, sizeof buf, _("bias %.3f"), parts[p].shift);
      nd_render_text_fit (cr, buf, x + 1.5 * cell, y + 3 * cell + fs * 1.2, 0.5, 4.1 * cell, 7);
      if (p < n - 1)
        {
          nd_render_set_rgba (cr, style->fg);
          cairo_set_font_size (cr, MIN (cell, fs * 1.6));
          nd_render_text (cr, p == n - 2 ? "=" : "+", x + 3.6 * cell, y + 1.8 * cell, 0.5);
        }
      x += 4.2 * cell;
    }
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, fs);
  if (steps->measured_diff >= 0)
    g_snprintf (buf, sizeof buf, _("out %d ← in %d · measured max |fused − unfused| = %.2g"),
                steps->out_channel, steps->in_channel, steps->measured_diff);
  else
    g_snprintf (buf, sizeof buf, _("out %d ← in %d · output difference not measured yet"),
                steps->out_channel, steps->in_channel);
  nd_render_text_fit (cr, buf, width / 2, y + 3 * cell + fs * 3, 0.5, width - 4, 7);
  cairo_restore (cr);
}

char **
nd_render_kernel_drawn_numbers (void)
{
  GStrvBuilder *b = g_strv_builder_new ();
  char **v;

  for (guint i = 0; drawn_numbers != NULL && i < drawn_numbers->len; i++)
    g_strv_builder_add (b, drawn_numbers->pdata[i]);
  v = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return v;
}
