/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-inference.h"

G_BEGIN_DECLS

/* The architecture view: nd_render_graph with click to select, scroll to zoom, drag to pan.
 * Emits "block-selected" (const char *block). */
#define ND_TYPE_GRAPH_VIEW (nd_graph_view_get_type ())
G_DECLARE_FINAL_TYPE (NdGraphView, nd_graph_view, ND, GRAPH_VIEW, GtkWidget)

GtkWidget  *nd_graph_view_new          (void);
void        nd_graph_view_set_result   (NdGraphView       *self,
                                        NdInferenceResult *result);
void        nd_graph_view_set_selected (NdGraphView       *self,
                                        const char        *block);
const char *nd_graph_view_get_selected (NdGraphView       *self);
void        nd_graph_view_reset_zoom   (NdGraphView       *self);
/* Test hook: the generation (NdInferenceResult.generation: one per model built) of the
 * result the view last drew, 0 before a frame; a view that stops redrawing keeps an old one. */
guint64     nd_graph_view_get_drawn_generation (NdGraphView *self);
/* The tooltip the view offers at (@x, @y) (nd_render_graph_tooltip_at: a folded group says
 * what it holds), or NULL; free with g_free(). */
char       *nd_graph_view_dup_tooltip_at (NdGraphView *self,
                                          double       x,
                                          double       y);
/* Where the box of @block (or of a folded group, by its name) is drawn, in widget
 * coordinates; FALSE when it is not drawn. */
gboolean    nd_graph_view_get_block_rect (NdGraphView     *self,
                                          const char      *block,
                                          graphene_rect_t *rect);

G_END_DECLS
