/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-receptive-field.h"

/* Intervals are inclusive and unclipped: a pad can make them start below zero. */
typedef struct
{
  gboolean set;
  gint64   y0, y1, x0, x1;
} Rect;

static void
rect_union (Rect *dst, const Rect *src)
{
  if (!src->set)
    return;
  if (!dst->set)
    {
      *dst = *src;
      return;
    }
  dst->y0 = MIN (dst->y0, src->y0);
  dst->x0 = MIN (dst->x0, src->x0);
  dst->y1 = MAX (dst->y1, src->y1);
  dst->x1 = MAX (dst->x1, src->x1);
}

/* PyTorch's adaptive pooling window of output index i: [floor(i·in/out), ceil((i+1)·in/out)). */
static void
adaptive_window (gint64 a, gint64 b, gint64 in, gint64 out, gint64 *lo, gint64 *hi)
{
  *lo = (a * in) / out;
  *hi = ((b + 1) * in + out - 1) / out - 1;
}

gboolean
nd_receptive_field (const NdGraph    *graph,
                    int               node,
                    int               y,
                    int               x,
                    NdReceptiveField *rf,
                    GError          **error)
{
  g_autofree Rect *rects = NULL;
  gboolean global = FALSE;
  const NdNode *target;
  Rect in;

  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (rf != NULL, FALSE);

  if (node < 0 || node >= nd_graph_n_nodes (graph))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Node %d is not in the graph"), node);
      return FALSE;
    }
  target = nd_graph_node (graph, node);
  if (y < 0 || x < 0 || y >= target->out_h || x >= target->out_w)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Cell (%d, %d) is outside the %d×%d output of node %d"), y, x,
                   target->out_h, target->out_w, node);
      return FALSE;
    }

  rects = g_new0 (Rect, node + 1);
  rects[node] = (Rect) { TRUE, y, y, x, x };

  /* Reverse topological order: every consumer of i has been visited before i. */
  for (int i = node; i >= 1; i--)
    {
      const NdNode *n = nd_graph_node (graph, i);
      const Rect *r = &rects[i];

      if (!r->set)
        continue;
      for (int k = 0; k < n->n_inputs; k++)
        {
          const NdNode *src = nd_graph_node (graph, n->inputs[k]);
          Rect t = { TRUE, r->y0, r->y1, r->x0, r->x1 };

          switch (n->op)
            {
            case ND_OP_CONV2D:
            case ND_OP_AVGPOOL:
            case ND_OP_MAXPOOL:
              t.y0 = r->y0 * n->p.stride - n->p.pad;
              t.y1 = r->y1 * n->p.stride - n->p.pad + n->p.kernel - 1;
              t.x0 = r->x0 * n->p.stride - nd_op_pad_w (&n->p);
              t.x1 = r->x1 * n->p.stride - nd_op_pad_w (&n->p) + nd_op_kernel_w (&n->p) - 1;
              break;
            case ND_OP_ADAPTIVE_AVGPOOL:
            case ND_OP_ADAPTIVE_MAXPOOL:
              adaptive_window (r->y0, r->y1, src->out_h, n->out_h, &t.y0, &t.y1);
              adaptive_window (r->x0, r->x1, src->out_w, n->out_w, &t.x0, &t.x1);
              if (n->out_h == 1 && n->out_w == 1 && (src->out_h > 1 || src->out_w > 1))
                global = TRUE;
              break;
            case ND_OP_LINEAR:
              t = (Rect) { TRUE, 0, src->out_h - 1, 0, src->out_w - 1 };
              global = TRUE;
              break;
            case ND_OP_GATE:
              /* The gate vector is a squeeze of the whole map: note it, keep the local field. */
              if (k == 1)
                {
                  global = TRUE;
                  continue;
                }
              break;
            default:
              /* Element-wise, concat, shuffle, softmax: the same spatial cells. A [C,1,1]
               * input broadcast over the map would be global; shapes match otherwise. */
              if (src->out_h != n->out_h || src->out_w != n->out_w)
                {
                  t = (Rect) { TRUE, 0, src->out_h - 1, 0, src->out_w - 1 };
                  global = TRUE;
                }
              break;
            }
          rect_union (&rects[n->inputs[k]], &t);
        }
    }

  in = rects[0];
  if (!in.set)
    {
      /* Only global paths reach the input (e.g. a node behind a gate vector). */
      in = (Rect) { TRUE, 0, graph->in_h - 1, 0, graph->in_w - 1 };
      global = TRUE;
    }
  rf->height = (int) (in.y1 - in.y0 + 1);
  rf->width = (int) (in.x1 - in.x0 + 1);
  rf->y0 = (int) CLAMP (in.y0, 0, graph->in_h - 1);
  rf->y1 = (int) CLAMP (in.y1, 0, graph->in_h - 1);
  rf->x0 = (int) CLAMP (in.x0, 0, graph->in_w - 1);
  rf->x1 = (int) CLAMP (in.x1, 0, graph->in_w - 1);
  rf->global = global;
  return TRUE;
}
