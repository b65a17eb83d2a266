/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-dataset.h"
#include "nd-teach-page.h"

G_BEGIN_DECLS

/* Shared by nd-teach-page.c (classes, camera, head in use) and nd-teach-page-train.c (the
 * training worker). */
typedef struct
{
  char        *name;
  GPtrArray   *samples;       /* NdTensor [1, C, R, R], preprocessed */
  GtkWidget   *row;
  GtkLabel    *count_label;
  NdTeachPage *page;
  int          index;
} TeachClass;

struct _NdTeachPage
{
  GtkWidget           parent_instance;

  GtkWidget          *scroller;
  GtkToggleButton    *camera_button;
  GtkPicture         *preview;
  GtkLabel           *status_label;
  GtkEntry           *class_entry;
  GtkListBox         *class_list;
  GtkButton          *train_button;
  GtkWidget          *save_button;
  GtkProgressBar     *train_progress;
  GtkLabel           *result_label;
  GtkLabel           *prediction_label;
  GtkDrawingArea     *confusion;

  GObject            *camera;          /* NdCameraController; NULL without capture */
  /* the backbone, opened on first use */
  NdGraph            *backbone;        /* fused */
  char               *backbone_name;   /* its file's base name */
  NdGrayPreprocess    pp;
  int                 feature_node;
  NdBackend          *backend;
  NdPlan             *feature_plan;    /* batch 1, captures feature_node; the training worker's
                                        * while @training is set */
  NdTensor           *input;           /* [1, C, R, R] scratch */

  GPtrArray          *classes;         /* TeachClass */
  int                 capturing;       /* class index, or −1 */
  NdTeachHead        *head;
  NdPlan             *head_plan;       /* the backbone with the head in place of its classifier */
  char               *prediction;
  guint64             n_predicted;
  guint64             n_frames;

  GCancellable       *training;        /* set while the worker trains */
};

gboolean _nd_teach_page_ensure_backbone (NdTeachPage  *self,
                                         GError      **error);
/* Puts @head (owned) and its prepared @plan (owned) in place: Save, the confusion matrix. */
void     _nd_teach_page_use_head        (NdTeachPage  *self,
                                         NdTeachHead  *head,
                                         NdPlan       *plan);
void     _nd_teach_page_show_result     (NdTeachPage  *self,
                                         double        seconds);
/* nd-teach-page-train.c: the Train button (Stop while training). */
void     _nd_teach_page_train_clicked   (NdTeachPage  *self);

G_END_DECLS
