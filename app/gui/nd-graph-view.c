/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-graph-view.h"
#include "nd-render-graph.h"
#include "nd-theme.h"

struct _NdGraphView
{
  GtkWidget          parent_instance;
  NdInferenceResult *result;
  guint64            drawn_generation;   /* the model the last snapshot drew (a test hook) */
  char              *selected;
  GPtrArray         *collapsed;   /* group keys, NULL-terminated: NdRenderGraphData.collapsed */
  NdRenderStyle      style;
  double             drag_pan_x, drag_pan_y;
};

G_DEFINE_FINAL_TYPE (NdGraphView, nd_graph_view, GTK_TYPE_WIDGET)

enum { SIGNAL_BLOCK_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
nd_graph_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  NdGraphView *self = ND_GRAPH_VIEW (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  NdRenderGraphData data = { 0 };
  cairo_t *cr;

  if (self->result == NULL || w <= 0 || h <= 0)
    return;
  data.graph = self->result->graph;
  data.op_ms = self->result->op_ms;
  data.selected = self->selected;
  data.collapsed = (const char * const *) self->collapsed->pdata;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  nd_render_graph (cr, &data, w, h, &self->style);
  cairo_destroy (cr);
  /* a number, not a reference: the old model's memory goes as soon as the window drops it */
  self->drawn_generation = self->result->generation;
}

/* A double click collapses the block's group (DenseNet's dense block, a stage's modules, a
 * ResNet layer) into one box, or expands the collapsed group under the pointer. */
static void
toggle_group (NdGraphView *self, const char *block)
{
  g_autofree char *group = nd_render_graph_block_group (self->result->graph, block);

  if (group == NULL)
    return;
  for (guint i = 0; i + 1 < self->collapsed->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->collapsed, i), group) == 0)
      {
        g_ptr_array_remove_index (self->collapsed, i);
        gtk_widget_queue_draw (GTK_WIDGET (self));
        return;
      }
  g_ptr_array_insert (self->collapsed, self->collapsed->len - 1, g_steal_pointer (&group));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, NdGraphView *self)
{
  NdRenderGraphData data = { 0 };
  const char *block;

  if (self->result == NULL)
    return;
  data.graph = self->result->graph;
  data.collapsed = (const char * const *) self->collapsed->pdata;
  block = nd_render_graph_block_at (&data, gtk_widget_get_width (GTK_WIDGET (self)),
                                    gtk_widget_get_height (GTK_WIDGET (self)), &self->style, x,
                                    y);
  if (block != NULL && n_press == 2)
    toggle_group (self, block);
  else if (block != NULL)
    {
      nd_graph_view_set_selected (self, block);
      g_signal_emit (self, signals[SIGNAL_BLOCK_SELECTED], 0, block);
    }
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, NdGraphView *self)
{
  double factor = dy < 0 ? 1.15 : 1 / 1.15;
  double zoom = CLAMP (self->style.zoom * factor, 0.25, 8);
  double cx = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double cy = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

  /* Zoom about the centre: keep the content point under it fixed. */
  self->style.pan_x = cx - (cx - self->style.pan_x) * zoom / self->style.zoom;
  self->style.pan_y = cy - (cy - self->style.pan_y) * zoom / self->style.zoom;
  self->style.zoom = zoom;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, NdGraphView *self)
{
  self->drag_pan_x = self->style.pan_x;
  self->drag_pan_y = self->style.pan_y;
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, NdGraphView *self)
{
  self->style.pan_x = self->drag_pan_x + dx;
  self->style.pan_y = self->drag_pan_y + dy;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The render data of what the view draws (no selection: it does not change what is where). */
static NdRenderGraphData
view_data (NdGraphView *self)
{
  return (NdRenderGraphData) { .graph = self->result->graph, .op_ms = self->result->op_ms,
                               .collapsed = (const char * const *) self->collapsed->pdata };
}

/* Every block's name, op, shape and time, also when its box is too small to show them; a
 * folded group's contents and how to unfold it. */
static gboolean
query_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  NdGraphView *self)
{
  g_autofree char *text = NULL;

  if (keyboard || (text = nd_graph_view_dup_tooltip_at (self, x, y)) == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
nd_graph_view_finalize (GObject *object)
{
  NdGraphView *self = ND_GRAPH_VIEW (object);

  g_clear_pointer (&self->result, nd_inference_result_unref);
  g_free (self->selected);
  g_ptr_array_unref (self->collapsed);
  G_OBJECT_CLASS (nd_graph_view_parent_class)->finalize (object);
}

static void
nd_graph_view_class_init (NdGraphViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = nd_graph_view_finalize;
  widget_class->snapshot = nd_graph_view_snapshot;
  signals[SIGNAL_BLOCK_SELECTED] =
    g_signal_new ("block-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_set_css_name (widget_class, "ndgraphview");
}

static void
nd_graph_view_init (NdGraphView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkEventController *scroll =
    gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);

  self->collapsed = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->collapsed, NULL);
  nd_render_style_init (&self->style, FALSE);
  /* The depth axis follows the model (blocks 2,3,3 end at their own depth, not ParNet-S's). */
  self->style.axis_depth = 0;
  nd_theme_follow (GTK_WIDGET (self), &self->style);
  g_signal_connect (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_MIDDLE);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 400, 220);
}

GtkWidget *
nd_graph_view_new (void)
{
  return g_object_new (ND_TYPE_GRAPH_VIEW, NULL);
}

void
nd_graph_view_set_result (NdGraphView *self, NdInferenceResult *result)
{
  g_return_if_fail (ND_IS_GRAPH_VIEW (self));
  if (result != NULL)
    nd_inference_result_ref (result);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  self->result = result;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
nd_graph_view_set_selected (NdGraphView *self, const char *block)
{
  g_return_if_fail (ND_IS_GRAPH_VIEW (self));
  if (g_strcmp0 (self->selected, block) == 0)
    return;
  g_free (self->selected);
  self->selected = g_strdup (block);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
nd_graph_view_get_selected (NdGraphView *self)
{
  g_return_val_if_fail (ND_IS_GRAPH_VIEW (self), NULL);
  return self->selected;
}

void
nd_graph_view_reset_zoom (NdGraphView *self)
{
  g_return_if_fail (ND_IS_GRAPH_VIEW (self));
  self->style.zoom = 1;
  self->style.pan_x = self->style.pan_y = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint64
nd_graph_view_get_drawn_generation (NdGraphView *self)
{
  g_return_val_if_fail (ND_IS_GRAPH_VIEW (self), 0);
  return self->drawn_generation;
}

char *
nd_graph_view_dup_tooltip_at (NdGraphView *self, double x, double y)
{
  NdRenderGraphData data;

  g_return_val_if_fail (ND_IS_GRAPH_VIEW (self), NULL);
  if (self->result == NULL)
    return NULL;
  data = view_data (self);
  return nd_render_graph_tooltip_at (&data, gtk_widget_get_width (GTK_WIDGET (self)),
                                     gtk_widget_get_height (GTK_WIDGET (self)), &self->style,
                                     x, y);
}

gboolean
nd_graph_view_get_block_rect (NdGraphView *self, const char *block, graphene_rect_t *rect)
{
  NdRenderGraphData data;
  double x, y, w, h;

  g_return_val_if_fail (ND_IS_GRAPH_VIEW (self) && block != NULL && rect != NULL, FALSE);
  if (self->result == NULL)
    return FALSE;
  data = view_data (self);
  if (!nd_render_graph_block_rect (&data, gtk_widget_get_width (GTK_WIDGET (self)),
                                   gtk_widget_get_height (GTK_WIDGET (self)), &self->style,
                                   block, &x, &y, &w, &h))
    return FALSE;
  graphene_rect_init (rect, x, y, w, h);
  return TRUE;
}
