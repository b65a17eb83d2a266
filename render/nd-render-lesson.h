/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-lesson.h"
#include "nd-render-style.h"

G_BEGIN_DECLS

/* Draws step @index of @lesson in @width × @height: its title and explanation (with the
 * formula as text), the paper section, the measured difference of the block output from the
 * training form, and its tensors: kernels as the slice (@out_c ← @in_c) with values,
 * per-channel vectors as bars with @out_c marked, VanillaNet's activation as a curve. */
void      nd_render_lesson_step    (cairo_t             *cr,
                                    const NdLesson      *lesson,
                                    guint                index,
                                    int                  out_c,
                                    int                  in_c,
                                    double               width,
                                    double               height,
                                    const NdRenderStyle *style);

/* The same, with the fused step's merge shown at @merge (0: the addends in their places and
 * no result yet, 1: at rest, as nd_render_lesson_step()); other steps ignore @merge. */
void      nd_render_lesson_step_merge (cairo_t             *cr,
                                       const NdLesson      *lesson,
                                       guint                index,
                                       int                  out_c,
                                       int                  in_c,
                                       double               merge,
                                       double               width,
                                       double               height,
                                       const NdRenderStyle *style);

/* Draws a pitfall's measurements: block and logits differences, top-5, and (int8) the
 * kernels' value histograms before and after fusion. */
void      nd_render_lesson_pitfall (cairo_t                     *cr,
                                    const NdLessonPitfallResult *result,
                                    double                       width,
                                    double                       height,
                                    const NdRenderStyle         *style);

/* A handout: an overview page, one A4 page per step and, with @pitfall, a page for it. */
gboolean  nd_render_lesson_pdf     (const NdLesson              *lesson,
                                    int                          out_c,
                                    int                          in_c,
                                    const NdLessonPitfallResult *pitfall,
                                    const char                  *path,
                                    GError                     **error);

/* The fused step's merge as @n_frames PNGs (DIR/merge-000.png …), 900×640, light. Fails for a
 * block without a fused step. */
gboolean  nd_render_lesson_merge_frames (const NdLesson *lesson,
                                         int             out_c,
                                         int             in_c,
                                         const char     *dir,
                                         int             n_frames,
                                         GError        **error);

G_END_DECLS
