/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-inference.h"

G_BEGIN_DECLS

/* The selected block, live: its output feature maps (hover a cell for its receptive field on
 * the input), its SE gate values, and how its fused 3×3 kernel is made from the branches with
 * the measured fused-vs-unfused output difference. */
#define ND_TYPE_INSPECTOR (nd_inspector_get_type ())
G_DECLARE_FINAL_TYPE (NdInspector, nd_inspector, ND, INSPECTOR, GtkWidget)

GtkWidget *nd_inspector_new        (void);
void       nd_inspector_set_result (NdInspector       *self,
                                    NdInferenceResult *result);
void       nd_inspector_set_block  (NdInspector       *self,
                                    const char        *block);
/* Sets the hovered cell as if the pointer were on it (tests, screenshots). */
void       nd_inspector_set_cell   (NdInspector       *self,
                                    int                channel,
                                    int                y,
                                    int                x);

/* Shows output channel @channel alone, filling the pane, as a click on it does; −1 goes
 * back to the grid of all channels. */
void       nd_inspector_enlarge    (NdInspector       *self,
                                    int                channel);
int        nd_inspector_get_enlarged (NdInspector     *self);

G_END_DECLS
