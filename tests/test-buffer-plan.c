/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-buffer-plan.h"

/* The shared activation-buffer planner on hand-made lifetimes: what may share a slot, and
 * that fences hold reuse back (a race no serial device such as lavapipe would show). */

/* A chain a → b → c → d: each value is read by the next position only. */
static NdBufferPlan *
chain (gboolean fences)
{
  NdBufferPlan *bp = nd_buffer_plan_new (4, 4);

  for (int v = 0; v < 4; v++)
    nd_buffer_plan_set_value (bp, v, 100, v, v + 1 < 4 ? v + 1 : v);
  for (int p = 0; p <= 4 && !fences; p++)
    nd_buffer_plan_set_fence (bp, p, FALSE);
  nd_buffer_plan_solve (bp);
  return bp;
}

static void
test_chain_reuse (void)
{
  g_autoptr(NdBufferPlan) bp = chain (TRUE);

  /* a value is never written over its own input; two slots ping-pong */
  g_assert_cmpint (nd_buffer_plan_n_slots (bp), ==, 2);
  for (int v = 0; v + 1 < 4; v++)
    g_assert_cmpint (nd_buffer_plan_slot (bp, v), !=, nd_buffer_plan_slot (bp, v + 1));
  g_assert_cmpint (nd_buffer_plan_slot (bp, 0), ==, nd_buffer_plan_slot (bp, 2));
  g_assert_cmpuint (nd_buffer_plan_total (bp), ==, 200);
  g_assert_cmpuint (nd_buffer_plan_unshared (bp), ==, 400);
}

/* Without fences (one interval, dispatches free to overlap) nothing may be reused. */
static void
test_no_fence_no_reuse (void)
{
  g_autoptr(NdBufferPlan) bp = chain (FALSE);

  g_assert_cmpint (nd_buffer_plan_n_slots (bp), ==, 4);
}

/* A slot freed at position 1 becomes reusable only at the next fence (3), not at 2. */
static void
test_fence_defers_reuse (void)
{
  g_autoptr(NdBufferPlan) bp = nd_buffer_plan_new (4, 5);

  nd_buffer_plan_set_value (bp, 0, 10, 0, 1);
  nd_buffer_plan_set_value (bp, 1, 10, 1, 4);
  nd_buffer_plan_set_value (bp, 2, 10, 2, 4);   /* after 0's last read, before a fence */
  nd_buffer_plan_set_value (bp, 3, 10, 3, 4);   /* after the fence at 3 */
  for (int p = 0; p <= 5; p++)
    nd_buffer_plan_set_fence (bp, p, p == 3);
  nd_buffer_plan_solve (bp);
  g_assert_cmpint (nd_buffer_plan_slot (bp, 2), !=, nd_buffer_plan_slot (bp, 0));
  g_assert_cmpint (nd_buffer_plan_slot (bp, 3), ==, nd_buffer_plan_slot (bp, 0));
}

/* Kept values (captured, the output) are never reused; a dead end frees after its write;
 * a value that needs more than a free slot holds grows the largest one. */
static void
test_keep_dead_end_grow (void)
{
  g_autoptr(NdBufferPlan) bp = nd_buffer_plan_new (5, 5);

  nd_buffer_plan_set_value (bp, 0, 10, 0, 1);
  nd_buffer_plan_keep (bp, 0);
  nd_buffer_plan_set_value (bp, 1, 20, 1, -1);  /* never read */
  nd_buffer_plan_set_value (bp, 2, 30, 2, 3);
  nd_buffer_plan_set_value (bp, 3, 40, 3, 4);
  nd_buffer_plan_set_value (bp, 4, 5, 4, 4);
  nd_buffer_plan_solve (bp);
  for (int v = 1; v < 5; v++)
    g_assert_cmpint (nd_buffer_plan_slot (bp, v), !=, nd_buffer_plan_slot (bp, 0));
  /* 2 takes the dead end's slot, grown from 20 to 30 */
  g_assert_cmpint (nd_buffer_plan_slot (bp, 2), ==, nd_buffer_plan_slot (bp, 1));
  g_assert_cmpuint (nd_buffer_plan_slot_size (bp, nd_buffer_plan_slot (bp, 2)), ==, 30);
  /* 4 (5 units) takes the smallest free slot that fits: 2's, freed after position 3 */
  g_assert_cmpint (nd_buffer_plan_slot (bp, 4), ==, nd_buffer_plan_slot (bp, 2));
  g_assert_cmpint (nd_buffer_plan_slot (bp, 3), !=, nd_buffer_plan_slot (bp, 4));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/buffer-plan/chain-reuse", test_chain_reuse);
  g_test_add_func ("/buffer-plan/no-fence-no-reuse", test_no_fence_no_reuse);
  g_test_add_func ("/buffer-plan/fence-defers-reuse", test_fence_defers_reuse);
  g_test_add_func ("/buffer-plan/keep-dead-end-grow", test_keep_dead_end_grow);
  return g_test_run ();
}
