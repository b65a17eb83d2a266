/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-dataset.h"
#include "nd-model.h"
#include "nd-preprocess.h"
#include "nd-teach-page.h"

G_BEGIN_DECLS

/* Shared by nd-teach-page.c (classes, camera, head in use), nd-teach-page-backbone.c (what is
 * taught on) and nd-teach-page-train.c (the training worker). */

/* A captured frame or added image, as it came (at most 256 px on its short side): samples do
 * not depend on the backbone, which preprocesses them when it trains. */
typedef struct
{
  GBytes        *bytes;
  int            width, height, stride;
  NdPixelFormat  format;
} TeachImage;

TeachImage *_nd_teach_image_new  (const guint8  *pixels,
                                  int            width,
                                  int            height,
                                  int            stride,
                                  NdPixelFormat  format);
void        _nd_teach_image_free (TeachImage    *img);

/* Where a backbone comes from: a weights file (@path), or the window's graph. */
typedef struct
{
  char        *path;
  NdGraph     *graph;
  NdModelSpec  spec;
  char        *preprocess;   /* the window's gray transform, or NULL */
  char        *identity;     /* what a head names: the file's base name, or preset and knobs */
  char        *title;        /* shown on the page */
} TeachSource;

TeachSource *_nd_teach_source_shipped (void);
/* The model the window runs now (its latest result's graph); fails before it ran one. */
TeachSource *_nd_teach_source_window  (NdTeachPage  *self,
                                       GError      **error);
void         _nd_teach_source_free    (TeachSource  *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TeachSource, _nd_teach_source_free)

/* A built backbone (refcounted, shared by the page, its workers and the heads taught on it):
 * the fused graph, its feature node and a batch-1 CPU plan that captures it (used by one
 * training worker at a time), and the input transform. */
typedef struct
{
  char              *identity, *title;
  NdGraph           *source_graph;   /* the window's graph it was built from, or NULL */
  NdGraph           *graph;          /* fused */
  int                feature_node;
  int                channels, side;
  NdGrayPreprocess   gray;           /* 1-channel models */
  NdPreprocess       color;          /* the others: the family's evaluation transform */
  NdBackend         *backend;
  NdPlan            *feature_plan;
} TeachBackbone;

/* Any thread. */
TeachBackbone *_nd_teach_backbone_build (const TeachSource   *src,
                                         GError             **error);
TeachBackbone *_nd_teach_backbone_ref   (TeachBackbone       *bb);
void           _nd_teach_backbone_unref (TeachBackbone       *bb);
/* Whether @bb was built from @src (the same file, or the same window graph). */
gboolean       _nd_teach_backbone_is    (const TeachBackbone *bb,
                                         const TeachSource   *src);
/* Preprocesses a picture into image @index of @out [N, C, R, R]. */
gboolean       _nd_teach_backbone_input (const TeachBackbone *bb,
                                         const guint8        *pixels,
                                         int                  width,
                                         int                  height,
                                         int                  stride,
                                         NdPixelFormat        format,
                                         NdTensor            *out,
                                         int                  index,
                                         GError             **error);

/* A taught head in use: its backbone, the head and the backbone's plan with the head as the
 * classifier (run by one prediction worker at a time). Refcounted. */
typedef struct
{
  TeachBackbone *backbone;
  NdTeachHead   *head;
  NdPlan        *plan;
} TeachModel;

typedef struct
{
  char        *name;
  GPtrArray   *samples;       /* TeachImage */
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
  GtkDropDown        *backbone_dropdown;
  GtkLabel           *backbone_label;
  GtkEntry           *class_entry;
  GtkListBox         *class_list;
  GtkButton          *train_button;
  GtkWidget          *save_button;
  GtkProgressBar     *train_progress;
  GtkLabel           *result_label;
  GtkLabel           *prediction_label;
  GtkDrawingArea     *confusion;

  GObject            *camera;          /* NdCameraController; NULL without capture */
  TeachBackbone      *backbone;        /* the last one built, or NULL */
  GPtrArray          *classes;         /* TeachClass */
  int                 capturing;       /* class index, or −1 */
  TeachModel         *model;           /* the head in use, or NULL */
  gpointer            pending;         /* NdFrame: the newest frame waiting to be classified */
  gboolean            predicting;      /* a frame is being classified on a worker */
  gboolean            disposed;
  char               *prediction;
  guint64             n_predicted;
  guint64             n_frames;

  GCancellable       *training;        /* set while the worker trains */
};

void           _nd_teach_model_unref    (TeachModel          *model);
/* The source chosen in the Backbone drop-down. */
TeachSource   *_nd_teach_page_source    (NdTeachPage  *self,
                                         GError      **error);
/* Puts a new model (@backbone reffed; @head and @plan owned) in place: Save, the confusion
 * matrix, live classification. */
void     _nd_teach_page_use_head        (NdTeachPage   *self,
                                         TeachBackbone *backbone,
                                         NdTeachHead   *head,
                                         NdPlan        *plan);
void     _nd_teach_page_show_result     (NdTeachPage  *self,
                                         double        seconds);
/* nd-teach-page-train.c: the Train button (Stop while training). */
void     _nd_teach_page_train_clicked   (NdTeachPage  *self);

G_END_DECLS
