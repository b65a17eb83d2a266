/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include "nd-buffer-plan.h"

typedef struct
{
  gsize    size;      /* 0: no buffer */
  int      def, last;
  gboolean keep;
  int      slot;
  int      free_at;   /* first position at which the slot may be reused; G_MAXINT: never */
} Value;

struct _NdBufferPlan
{
  int       n_values, n_positions;
  Value    *values;
  gboolean *fence;    /* [n_positions + 1] */
  GArray   *sizes;    /* gsize per slot */
};

NdBufferPlan *
nd_buffer_plan_new (int n_values, int n_positions)
{
  NdBufferPlan *self = g_new0 (NdBufferPlan, 1);

  self->n_values = n_values;
  self->n_positions = n_positions;
  self->values = g_new0 (Value, MAX (n_values, 1));
  for (int v = 0; v < n_values; v++)
    self->values[v].slot = -1;
  self->fence = g_new (gboolean, n_positions + 1);
  for (int p = 0; p <= n_positions; p++)
    self->fence[p] = TRUE;
  self->sizes = g_array_new (FALSE, TRUE, sizeof (gsize));
  return self;
}

void
nd_buffer_plan_free (NdBufferPlan *self)
{
  if (self == NULL)
    return;
  g_free (self->values);
  g_free (self->fence);
  g_array_unref (self->sizes);
  g_free (self);
}

void
nd_buffer_plan_set_value (NdBufferPlan *self, int value, gsize size, int def, int last)
{
  g_return_if_fail (value >= 0 && value < self->n_values);
  g_return_if_fail (def >= 0 && def < self->n_positions && last < self->n_positions);
  self->values[value].size = size;
  self->values[value].def = def;
  self->values[value].last = MAX (last, def);   /* a dead end frees after its own write */
}

void
nd_buffer_plan_keep (NdBufferPlan *self, int value)
{
  g_return_if_fail (value >= 0 && value < self->n_values);
  self->values[value].keep = TRUE;
}

void
nd_buffer_plan_set_fence (NdBufferPlan *self, int position, gboolean fence)
{
  g_return_if_fail (position >= 0 && position <= self->n_positions);
  self->fence[position] = fence;
}

static int
compare_def (const void *a, const void *b, void *data)
{
  const Value *values = data;
  int x = *(const int *) a, y = *(const int *) b;

  if (values[x].def != values[y].def)
    return values[x].def < values[y].def ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* The smallest free slot that fits @need, else the largest free one grown to it, else new. */
static int
pick_slot (NdBufferPlan *self, const gboolean *busy, gsize need)
{
  int fit = -1, grow = -1;

  for (guint s = 0; s < self->sizes->len; s++)
    {
      gsize size = g_array_index (self->sizes, gsize, s);

      if (busy[s])
        continue;
      if (size >= need && (fit < 0 || size < g_array_index (self->sizes, gsize, fit)))
        fit = s;
      if (size < need && (grow < 0 || size > g_array_index (self->sizes, gsize, grow)))
        grow = s;
    }
  if (fit >= 0)
    return fit;
  if (grow >= 0)
    {
      g_array_index (self->sizes, gsize, grow) = need;
      return grow;
    }
  g_array_append_val (self->sizes, need);
  return self->sizes->len - 1;
}

void
nd_buffer_plan_solve (NdBufferPlan *self)
{
  int cap = MAX (self->n_values, 1);
  g_autofree int *order = g_new (int, cap);
  g_autofree int *owner = g_new (int, cap);        /* per slot: the value holding it, or -1 */
  g_autofree gboolean *busy = g_new0 (gboolean, cap);
  int n = 0;

  g_array_set_size (self->sizes, 0);
  for (int v = 0; v < self->n_values; v++)
    {
      Value *val = &self->values[v];

      val->slot = -1;
      if (val->size == 0)
        continue;
      order[n++] = v;
      val->free_at = G_MAXINT;
      if (!val->keep)
        for (int p = val->last + 1; p <= self->n_positions; p++)
          if (self->fence[p])
            {
              val->free_at = p;
              break;
            }
    }
  g_qsort_with_data (order, n, sizeof (int), compare_def, self->values);
  for (int i = 0; i < n; i++)
    {
      Value *val = &self->values[order[i]];

      /* release the slots whose holders are free by this position; then take one */
      for (guint s = 0; s < self->sizes->len; s++)
        if (busy[s] && self->values[owner[s]].free_at <= val->def)
          busy[s] = FALSE;
      val->slot = pick_slot (self, busy, val->size);
      busy[val->slot] = TRUE;
      owner[val->slot] = order[i];
    }
}

int
nd_buffer_plan_slot (NdBufferPlan *self, int value)
{
  g_return_val_if_fail (value >= 0 && value < self->n_values, -1);
  return self->values[value].slot;
}

int
nd_buffer_plan_n_slots (NdBufferPlan *self)
{
  return (int) self->sizes->len;
}

gsize
nd_buffer_plan_slot_size (NdBufferPlan *self, int slot)
{
  g_return_val_if_fail (slot >= 0 && slot < (int) self->sizes->len, 0);
  return g_array_index (self->sizes, gsize, slot);
}

gsize
nd_buffer_plan_total (NdBufferPlan *self)
{
  gsize total = 0;

  for (guint s = 0; s < self->sizes->len; s++)
    total += g_array_index (self->sizes, gsize, s);
  return total;
}

gsize
nd_buffer_plan_unshared (NdBufferPlan *self)
{
  gsize total = 0;

  for (int v = 0; v < self->n_values; v++)
    total += self->values[v].size;
  return total;
}
