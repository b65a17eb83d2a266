/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-image.h"
#include "nd-inference.h"

G_BEGIN_DECLS

/* The input side of the window: the test-pattern button (win.test-pattern), the bundled
 * samples, the camera toggle (win.camera) with its chooser (win.camera-device), a preview of
 * the image or camera frame, the camera's frame rates, and the top-5 predictions with bars.
 * Emits "open-path" (const char *path) when a sample is picked, and "cameras-requested" when
 * the camera chooser opens (answer with nd_input_panel_set_cameras). */
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
/* The cameras in the chooser (row i targets win.camera-device i), and a line under them
 * (e.g. why there are none), or NULL. */
void        nd_input_panel_set_cameras  (NdInputPanel       *self,
                                         const char * const *names,
                                         const char         *message);
guint       nd_input_panel_get_n_cameras (NdInputPanel *self);
/* The line under the preview while the camera runs ("Camera 30 fps · model 24 fps"); NULL
 * hides it. */
void        nd_input_panel_set_camera_status (NdInputPanel *self,
                                              const char   *text);
const char *nd_input_panel_get_camera_status (NdInputPanel *self);
GdkPaintable *nd_input_panel_get_preview (NdInputPanel *self);
/* Top-5 of @result, named from @labels (NULL: class numbers; names may hold synonyms after a
 * comma, the first is shown), and what the weights are. */
void        nd_input_panel_set_result   (NdInputPanel       *self,
                                         NdInferenceResult  *result,
                                         char              **labels,
                                         const char         *weights_text);

/* The overlay (win.explain): from now on each result's map is laid over the picture it was
 * computed on, which the preview then shows (the newest picture handed in comes back when it
 * goes off), with the class it explains and a colour legend under it. */
void        nd_input_panel_set_explain  (NdInputPanel    *self,
                                         NdExplainMethod  method);
NdExplainMethod nd_input_panel_get_explain (NdInputPanel *self);
/* The line under the picture: what the overlay explains, or why there is no map. */
const char *nd_input_panel_get_explain_text (NdInputPanel *self);

G_END_DECLS
