/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-lab.h"
#include "nd-test-input.h"

/* The one measurement behind `nondeep-cli compare` and the window's Compare page, so that
 * the two show the same numbers for the same models. */

typedef struct
{
  NdPlan   *plan, *plan2;
  NdTensor *input;
  double   *ms, *ms2;
} Slot;

static void
slot_clear (Slot *s)
{
  g_clear_pointer (&s->plan, nd_plan_free);
  g_clear_pointer (&s->plan2, nd_plan_free);
  g_clear_pointer (&s->input, nd_tensor_unref);
  g_clear_pointer (&s->ms, g_free);
  g_clear_pointer (&s->ms2, g_free);
}

static gboolean
prepare_slot (NdLabCompareRow *r, Slot *s, NdBackend *backend, NdBackend *second, int iters,
              GError **error)
{
  NdGraph *g = r->graph;
  NdPlanOptions popts = { .batch = 1 };   /* no per-op timestamps: they cost latency */
  gint64 br, bw;

  nd_graph_count (g, &r->params, &r->macs, NULL);
  nd_graph_cost (g, &r->flops, &br, &bw);
  r->bytes = br + bw;
  nd_graph_structure (g, &r->weight_depth, &r->ops, &r->branches);
  s->ms = g_new0 (double, iters);
  if ((s->plan = nd_backend_prepare (backend, g, &popts, error)) == NULL)
    return FALSE;
  if (second != NULL)
    {
      s->ms2 = g_new0 (double, iters);
      if ((s->plan2 = nd_backend_prepare (second, g, &popts, error)) == NULL)
        return FALSE;
    }
  s->input = nd_test_input_new (1, g->in_c, g->in_h, g->in_w, error);
  return s->input != NULL;
}

gboolean
nd_lab_compare (NdLabCompareRow *rows, int n, NdBackend *backend, NdBackend *second,
                int warmup, int iters, GError **error)
{
  g_autofree Slot *slots = g_new0 (Slot, MAX (n, 1));
  gboolean ok = TRUE;

  g_return_val_if_fail (backend != NULL && n >= 0 && iters >= 1 && warmup >= 0, FALSE);
  for (int i = 0; ok && i < n; i++)
    {
      ok = prepare_slot (&rows[i], &slots[i], backend, second, iters, error);
      if (!ok)
        g_prefix_error (error, "%s: ", rows[i].name);
    }
  for (int i = 0; ok && i < n; i++)
    ok = nd_lab_time_plan (slots[i].plan, slots[i].input, warmup, 0, NULL, NULL, error)
         && (slots[i].plan2 == NULL
             || nd_lab_time_plan (slots[i].plan2, slots[i].input, warmup, 0, NULL, NULL, error));
  /* round robin, model 1, 2, …, 1, 2, … (and each on the second backend right after), so a
   * machine that speeds up or slows down during the run treats every model alike */
  for (int it = 0; ok && it < iters; it++)
    for (int i = 0; ok && i < n; i++)
      {
        Slot *s = &slots[i];

        if ((ok = nd_plan_run (s->plan, s->input, error)))
          s->ms[it] = s->plan->total_ms;
        if (ok && s->plan2 != NULL && (ok = nd_plan_run (s->plan2, s->input, error)))
          s->ms2[it] = s->plan2->total_ms;
      }
  for (int i = 0; ok && i < n; i++)
    {
      nd_lab_spread (slots[i].ms, iters, &rows[i].lat);
      rows[i].has_second = slots[i].ms2 != NULL;
      if (rows[i].has_second)
        nd_lab_spread (slots[i].ms2, iters, &rows[i].lat_second);
    }
  for (int i = 0; i < n; i++)
    slot_clear (&slots[i]);
  return ok;
}

NdBackend *
nd_lab_second_backend (NdBackend *backend, gboolean cpu_device_too, char **why)
{
  g_autoptr(GError) error = NULL;
  NdBackend *vk;

  if (strcmp (backend->name, "cpu") != 0)
    {
      *why = g_strdup (_("the main backend is not the CPU"));
      return NULL;
    }
  vk = nd_backend_new ("vulkan", -1, &error);
  if (vk == NULL)
    *why = g_strdup (error->message);
  else if (!vk->gpu && !cpu_device_too)
    {
      /* lavapipe and the like run on the same cores: slow, and no news */
      *why = g_strdup_printf (_("the Vulkan device is not a GPU (%s)"), vk->description);
      g_clear_pointer (&vk, nd_backend_free);
    }
  return vk;
}
