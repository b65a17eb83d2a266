/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-lab.h"

G_BEGIN_DECLS

/* The Guidelines page of the Compare window: one design-guideline experiment at a time
 * (nd_lab_guideline_run, the same as `nondeep-cli guideline NAME`), run on the CPU in a
 * worker thread and drawn as bars with the paper's claim and what this machine shows. */
#define ND_TYPE_GUIDELINE_PAGE (nd_guideline_page_get_type ())
G_DECLARE_FINAL_TYPE (NdGuidelinePage, nd_guideline_page, ND, GUIDELINE_PAGE, GtkBox)

GtkWidget             *nd_guideline_page_new        (void);
/* Runs @name synchronously (tests): the page then shows it. For parnet-table @size is the
 * resolution and @base_channels is ignored. */
gboolean               nd_guideline_page_run        (NdGuidelinePage *self,
                                                     const char      *name,
                                                     int              base_channels,
                                                     int              size,
                                                     int              iters,
                                                     GError         **error);
/* What the page shows, or NULL before the first run. */
const NdLabExperiment *nd_guideline_page_get_result (NdGuidelinePage *self);
/* The GtkGrid of parnet-table's rows (a header row, then one per preset: model, params,
 * GMACs, depth, unfused, fused, concurrent and sequential ms, quoted top-1); hidden for the
 * other experiments. */
GtkWidget             *nd_guideline_page_get_table  (NdGuidelinePage *self);

G_END_DECLS
