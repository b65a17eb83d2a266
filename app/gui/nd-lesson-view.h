/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-graph.h"
#include "nd-lesson.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* The re-parameterization lesson of one block (nd-lesson.h): step forward and back (buttons,
 * ← →), each step drawn with its explanation, tensors and measured difference; any output and
 * input channel; a pitfall measured on demand. The lesson is computed off the main thread. */
#define ND_TYPE_LESSON_VIEW (nd_lesson_view_get_type ())
G_DECLARE_FINAL_TYPE (NdLessonView, nd_lesson_view, ND, LESSON_VIEW, GtkWidget)

GtkWidget  *nd_lesson_view_new         (void);
/* Starts computing the lesson of @block of the training form @train on @input [1, C, H, W]. */
void        nd_lesson_view_set_source  (NdLessonView *self,
                                        NdGraph      *train,
                                        NdTensor     *input,
                                        const char   *block);
/* TRUE while a lesson or a pitfall is being computed. */
gboolean    nd_lesson_view_is_busy     (NdLessonView *self);
/* Number of steps (0 before the lesson is ready or when it failed). */
guint       nd_lesson_view_get_n_steps (NdLessonView *self);
guint       nd_lesson_view_get_step    (NdLessonView *self);
void        nd_lesson_view_set_step    (NdLessonView *self,
                                        guint         step);
void        nd_lesson_view_set_channels (NdLessonView *self,
                                         int           out_c,
                                         int           in_c);
/* -1: none; otherwise an NdLessonPitfall. */
void        nd_lesson_view_set_pitfall (NdLessonView *self,
                                        int           pitfall);
/* The measured pitfall, or NULL while none is chosen or it is being measured. */
const NdLessonPitfallResult *nd_lesson_view_get_pitfall_result (NdLessonView *self);
/* VanillaNet: recomputes the lesson with the deep-training slope @lambda (0..1) in place of
 * the model's, the weights unchanged; −1 goes back to the model's. */
void        nd_lesson_view_set_lambda  (NdLessonView *self,
                                        double        lambda);
/* The lesson shown (transfer none), or NULL before it is ready. */
const NdLesson *nd_lesson_view_get_lesson (NdLessonView *self);
/* The step id shown ("training", …), or NULL. */
const char *nd_lesson_view_get_step_id (NdLessonView *self);

/* Opens the lesson of @block in its own window, transient for @parent's window (may be
 * NULL); returns the view (transfer none; its root is the window). */
NdLessonView *nd_lesson_view_present     (GtkWidget    *parent,
                                        NdGraph      *train,
                                        NdTensor     *input,
                                        const char   *block);

G_END_DECLS
