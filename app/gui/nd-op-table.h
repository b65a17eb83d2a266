/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-inference.h"

G_BEGIN_DECLS

/* The per-op latency table (the rows of `nondeep-cli bench`), sortable by every column. */
#define ND_TYPE_OP_TABLE (nd_op_table_get_type ())
G_DECLARE_FINAL_TYPE (NdOpTable, nd_op_table, ND, OP_TABLE, GtkWidget)

GtkWidget *nd_op_table_new        (void);
/* Shows @result's per-op medians (a result without them leaves the table as it is). */
void       nd_op_table_set_result (NdOpTable               *self,
                                   NdInferenceResult       *result);
guint      nd_op_table_get_n_rows (NdOpTable               *self);
/* Appends the rows as a JSON array [[id, "name", "kind", median_ms], …] in graph order. */
void       nd_op_table_to_json    (NdOpTable               *self,
                                   GString                 *out);

G_END_DECLS
