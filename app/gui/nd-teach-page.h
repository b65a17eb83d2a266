/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-teach.h"

G_BEGIN_DECLS

/* The Teach page: teach a backbone new classes (runtime/teach): the shipped Fashion-MNIST
 * ParNet, or the model the window runs (Backbone drop-down). Add classes, hold a
 * class's button to capture camera frames into it (or add a folder of images), Train (a
 * softmax-regression head on the frozen, fused backbone's pooled features; held-out accuracy
 * and the confusion matrix drawn), then the camera is classified live with the new head;
 * Save and Load write and read the head as safetensors. The page runs its own camera
 * (ND_CAMERA_SOURCE, as the window's) and its own plans; training (feature extraction and the
 * head) runs on a worker thread, with progress, and Train turns into Stop meanwhile. */
#define ND_TYPE_TEACH_PAGE (nd_teach_page_get_type ())
G_DECLARE_FINAL_TYPE (NdTeachPage, nd_teach_page, ND, TEACH_PAGE, GtkWidget)

GtkWidget          *nd_teach_page_new            (void);
/* Adds a class (a row with its capture button); returns its index, or -1 when the name is
 * empty, taken or holds a comma. */
int                 nd_teach_page_add_class      (NdTeachPage *self,
                                                  const char  *name);
int                 nd_teach_page_get_n_classes  (NdTeachPage *self);
/* What holding class @index's button does: while TRUE every camera frame is added to it. */
void                nd_teach_page_set_capturing  (NdTeachPage *self,
                                                  int          index,
                                                  gboolean     capturing);
guint               nd_teach_page_get_n_samples  (NdTeachPage *self,
                                                  int          index);
/* Adds the PNG/JPEG/WebP files of @dir to class @index; returns how many. */
int                 nd_teach_page_add_folder     (NdTeachPage *self,
                                                  int          index,
                                                  const char  *dir,
                                                  GError     **error);
/* The backbone the next Train and Load use: the window's model (TRUE), at the time they
 * start, or the shipped Fashion-MNIST ParNet (FALSE, the default). */
void                nd_teach_page_set_window_backbone (NdTeachPage *self,
                                                       gboolean     window);
/* What a head taught now would name as its backbone (the file's base name, or the preset,
 * knobs and weights), or NULL when the window has no model yet. */
char               *nd_teach_page_dup_backbone   (NdTeachPage *self,
                                                  GError     **error);
/* The camera source spec (nd-camera-controller.h; NULL: ND_CAMERA_SOURCE), from the next
 * start on. */
void                nd_teach_page_set_camera_source (NdTeachPage *self,
                                                     const char  *spec);
/* The page's camera toggle. */
void                nd_teach_page_set_camera     (NdTeachPage *self,
                                                  gboolean     on);
guint64             nd_teach_page_get_n_frames   (NdTeachPage *self);
/* The Train button: trains on a worker thread; the head is in use when it finishes. Fails
 * with the message the page shows (too few classes or images, training already, or
 * G_IO_ERROR_CANCELLED once @cancellable or Stop cancels it). */
void                nd_teach_page_train_async    (NdTeachPage         *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean            nd_teach_page_train_finish   (NdTeachPage         *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* The same, iterating the default main context until it finishes (tests, scripts). */
gboolean            nd_teach_page_train          (NdTeachPage *self,
                                                  GError     **error);
gboolean            nd_teach_page_get_training   (NdTeachPage *self);
/* The head in use (trained or loaded), or NULL. */
const NdTeachHead  *nd_teach_page_get_head       (NdTeachPage *self);
/* The class the head gives the newest camera frame (NULL before one), and how many frames it
 * classified. */
const char         *nd_teach_page_get_prediction (NdTeachPage *self);
guint64             nd_teach_page_get_n_predicted (NdTeachPage *self);
gboolean            nd_teach_page_save           (NdTeachPage *self,
                                                  const char  *path,
                                                  GError     **error);
gboolean            nd_teach_page_load           (NdTeachPage *self,
                                                  const char  *path,
                                                  GError     **error);

/* Private to the page. The result line under the buttons. */
void                _nd_teach_page_set_message    (NdTeachPage       *self,
                                                   const char        *text);
/* nd-teach-page-files.c: the folder chooser for class @index; Save… and Load…. */
void                _nd_teach_page_choose_folder  (NdTeachPage       *self,
                                                   int                index);
void                _nd_teach_page_choose_file    (NdTeachPage       *self,
                                                   gboolean           save);
/* nd-teach-page-confusion.c: @head's held-out confusion matrix, drawn with @area's font and
 * colour. */
void                _nd_teach_page_draw_confusion (GtkWidget         *area,
                                                   cairo_t           *cr,
                                                   int                width,
                                                   int                height,
                                                   const NdTeachHead *head);

G_END_DECLS
