/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* What the tests of stand-alone views (lesson, gradients) share: a shipped Fashion-MNIST model,
 * the sample image, and a window whose painted frames are counted and saved as PNG. */

typedef struct
{
  GtkWidget *window;
  guint64    frames;
  char      *path;     /* the screenshot to save after the next paint */
} UiPainted;

/* Counts @window's frames from now on. */
void      ui_painted_init    (UiPainted  *p,
                              GtkWidget  *window);
/* Waits for a few painted frames, so the view shows its newest state. */
void      ui_painted_wait    (UiPainted  *p);
/* ui_painted_wait(), then, when the environment names a directory in @dir_env, saves the
 * window there as @name after its next paint. */
void      ui_painted_save    (UiPainted  *p,
                              const char *dir_env,
                              const char *name);
/* Renders @widget as it is now (gtk_widget_paintable → GskRenderer) into a PNG file. */
void      ui_render_png      (GtkWidget  *widget,
                              const char *path);

/* A shipped model (assets/weights/@file) at 32 px, 10 classes, 1 input channel, @width. */
NdGraph  *ui_shipped_graph   (const char *file,
                              const char *model,
                              double      width);
/* assets/samples/0000-ankle-boot.png preprocessed as for Fashion-MNIST at 32 px. */
NdTensor *ui_sample_input    (void);

G_END_DECLS
