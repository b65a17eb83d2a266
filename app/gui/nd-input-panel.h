/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-image.h"
#include "nd-inference.h"

G_BEGIN_DECLS

/* The input side of the window: the test-pattern button (win.test-pattern), the bundled
 * samples, a preview of the image, and the top-5 predictions with bars. Emits "open-path"
 * (const char *path) when a sample is picked. */
#define ND_TYPE_INPUT_PANEL (nd_input_panel_get_type ())
G_DECLARE_FINAL_TYPE (NdInputPanel, nd_input_panel, ND, INPUT_PANEL, GtkWidget)

GtkWidget  *nd_input_panel_new          (void);
/* Lists the .png/.jpg files of @dir as samples; returns how many. */
guint       nd_input_panel_set_samples_dir (NdInputPanel *self,
                                            const char   *dir);
/* The path of sample @index, or NULL. */
const char *nd_input_panel_get_sample   (NdInputPanel *self,
                                         guint         index);
void        nd_input_panel_show_image   (NdInputPanel  *self,
                                         const NdImage *image,
                                         const char    *description);
void        nd_input_panel_show_message (NdInputPanel *self,
                                         const char   *message);
const char *nd_input_panel_get_message  (NdInputPanel *self);
/* Top-5 of @result, named from @labels (NULL: class numbers; names may hold synonyms after a
 * comma, the first is shown), and what the weights are. */
void        nd_input_panel_set_result   (NdInputPanel       *self,
                                         NdInferenceResult  *result,
                                         char              **labels,
                                         const char         *weights_text);

G_END_DECLS
