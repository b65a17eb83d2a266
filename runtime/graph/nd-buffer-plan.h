/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The one activation-buffer planner every backend uses (liveness-based reuse).
 *
 * A backend numbers the values it stores (node outputs, scratch) and the positions at which
 * its work runs (in the order it runs). Each value is written at one position and last read
 * at another; the planner gives it a slot shared with values whose lifetimes do not overlap.
 * A slot freed by a value becomes reusable at the first *fence* after the value's last read:
 * a sequential backend makes every position a fence (the default); a backend whose dispatches
 * overlap between barriers (Vulkan) marks only the positions with a barrier before them, so
 * an overwrite never races a read or a write issued since the last barrier.
 * Sizes are in whatever unit the backend allocates (floats, bytes). */

typedef struct _NdBufferPlan NdBufferPlan;

NdBufferPlan *nd_buffer_plan_new        (int           n_values,
                                         int           n_positions);
void          nd_buffer_plan_free       (NdBufferPlan *self);
/* @value is written at @def and last read at @last (@last < @def: never read). A value never
 * set gets no slot. */
void          nd_buffer_plan_set_value  (NdBufferPlan *self,
                                         int           value,
                                         gsize         size,
                                         int           def,
                                         int           last);
/* A value that must stay valid until the end (captured, the output): never reused. */
void          nd_buffer_plan_keep       (NdBufferPlan *self,
                                         int           value);
/* Marks whether there is a fence before @position (all are fences until told otherwise). */
void          nd_buffer_plan_set_fence  (NdBufferPlan *self,
                                         int           position,
                                         gboolean      fence);
/* Assigns the slots: each value takes the smallest free slot that fits, else the largest free
 * one (grown), else a new one. */
void          nd_buffer_plan_solve      (NdBufferPlan *self);
/* After solve: the value's slot (-1: none), the slots and their sizes. */
int           nd_buffer_plan_slot       (NdBufferPlan *self,
                                         int           value);
int           nd_buffer_plan_n_slots    (NdBufferPlan *self);
gsize         nd_buffer_plan_slot_size  (NdBufferPlan *self,
                                         int           slot);
/* The sum of the slot sizes, and what one buffer per value would take. */
gsize         nd_buffer_plan_total      (NdBufferPlan *self);
gsize         nd_buffer_plan_unshared   (NdBufferPlan *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdBufferPlan, nd_buffer_plan_free)

G_END_DECLS
