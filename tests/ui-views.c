/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-model.h"
#include "nd-preprocess.h"
#include "nd-safetensors.h"
#include "nd-weights.h"
#include "ui-fixture.h"
#include "ui-views.h"

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ((UiPainted *) data)->frames++;
  return G_SOURCE_CONTINUE;
}

void
ui_painted_init (UiPainted *p, GtkWidget *window)
{
  p->window = window;
  gtk_widget_add_tick_callback (window, tick_cb, p, NULL);
}

void
ui_painted_wait (UiPainted *p)
{
  guint64 until = p->frames + 3;

  WAIT_UNTIL (p->frames >= until, 20);
}

void
ui_render_png (GtkWidget *widget, const char *path)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s", path);
}

/* After a paint: before it, a widget waiting for its redraw has nothing to render (as
 * nd_window_save_screenshot() does). */
static void
after_paint_cb (GdkFrameClock *clock, UiPainted *p)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, p);
  ui_render_png (p->window, p->path);
  g_clear_pointer (&p->path, g_free);
}

void
ui_painted_save (UiPainted *p, const char *dir_env, const char *name)
{
  const char *dir = g_getenv (dir_env);

  ui_painted_wait (p);
  if (dir == NULL)
    return;
  p->path = g_build_filename (dir, name, NULL);
  g_signal_connect (gtk_widget_get_frame_clock (p->window), "after-paint",
                    G_CALLBACK (after_paint_cb), p);
  gtk_widget_queue_draw (p->window);
  WAIT_UNTIL (p->path == NULL, 20);
}

NdGraph *
ui_shipped_graph (const char *file, const char *model, double width)
{
  g_autofree char *path = g_build_filename (ND_SOURCE_ASSETS_DIR, "weights", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdWeightSet) set = nd_safetensors_load (path, NULL, &error);
  NdModelSpec spec;
  NdGraph *graph;

  g_assert_no_error (error);
  g_assert_true (nd_model_spec_parse (model, &spec, &error));
  spec.width = width;
  spec.resolution = 32;
  spec.classes = 10;
  spec.in_channels = 1;
  graph = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  g_assert_true (nd_graph_load_weights (graph, set, &error));
  g_assert_no_error (error);
  return graph;
}

NdTensor *
ui_sample_input (void)
{
  g_autofree char *path = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples",
                                            "0000-ankle-boot.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (path, &error);
  NdPreprocess pp;
  NdTensor *input;

  g_assert_no_error (error);
  nd_preprocess_for_fashion_mnist (32, 0.2860f, 0.3530f, &pp);
  input = nd_preprocess_image (gdk_pixbuf_read_pixels (pixbuf), gdk_pixbuf_get_width (pixbuf),
                               gdk_pixbuf_get_height (pixbuf), gdk_pixbuf_get_rowstride (pixbuf),
                               gdk_pixbuf_get_has_alpha (pixbuf) ? ND_PIXEL_FORMAT_RGBA8
                                                                 : ND_PIXEL_FORMAT_RGB8,
                               &pp, &error);
  g_assert_no_error (error);
  return input;
}
