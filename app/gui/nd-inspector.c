/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nd-image.h"
#include "nd-inspector.h"
#include "nd-erf-view.h"
#include "nd-lesson-view.h"
#include "nd-receptive-field.h"
#include "nd-render-featuremap.h"
#include "nd-render-gates.h"
#include "nd-render-kernel.h"
#include "nd-render-rf.h"
#include "nd-theme.h"

struct _NdInspector
{
  GtkWidget          parent_instance;
  GtkWidget         *scroller;
  GtkWidget         *grid;
  GtkWidget         *title;
  GtkWidget         *lesson_button;
  GtkWidget         *erf_button;
  GtkWidget         *fmap, *rf, *gates, *kernel;
  GtkWidget         *fmap_label, *rf_label, *gates_label, *kernel_label;
  GtkWidget         *fmap_readout;
  GtkWidget         *panes[4];     /* feature maps, receptive field, gates, kernel */
  gboolean           across;       /* the panes in one row (a low inspector) */
  guint              relayout_id;
  NdInferenceResult *result;
  char              *block;
  NdFeatureCell      cell;
  gboolean           have_cell;
  int                enlarged;     /* the channel shown alone, −1 for the grid */
  int                gate_hover;   /* −1: none */
  cairo_surface_t   *input_surface;
  NdRenderStyle      style;
};

G_DEFINE_FINAL_TYPE (NdInspector, nd_inspector, GTK_TYPE_WIDGET)

static NdTensor *
block_output (NdInspector *self, int *node)
{
  if (self->result == NULL || self->block == NULL)
    return NULL;
  return nd_inference_result_block_output (self->result, self->block, node);
}

static void
draw_fmap (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdInspector *self = data;
  NdTensor *t = block_output (self, NULL);

  if (self->enlarged >= 0)
    nd_render_featuremap_channel (cr, t, self->enlarged, w, h, &self->style);
  else
    nd_render_featuremap (cr, t, w, h, &self->style);
  if (t != NULL && self->have_cell)
    nd_render_featuremap_mark_cell (cr, t, self->enlarged, &self->cell, w, h, &self->style);
}

static void
draw_rf (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdInspector *self = data;
  NdReceptiveField rf;
  gboolean have = FALSE;
  int node = -1;

  if (self->result == NULL)
    return;
  if (self->have_cell && block_output (self, &node) != NULL && node > 0)
    have = nd_receptive_field (self->result->graph, node, self->cell.y, self->cell.x, &rf,
                               NULL);
  nd_render_rf (cr, self->input_surface, self->result->graph->in_w, self->result->graph->in_h,
                have ? &rf : NULL, w, h, &self->style);
}

static void
draw_gates (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdInspector *self = data;
  g_autofree float *v = NULL;
  int n = 0;
  double max = 1;

  if (self->result != NULL)
    v = nd_inference_result_gates (self->result, self->block, &n, &max);
  nd_render_gates_hover (cr, v, n, max, self->gate_hover, w, h, &self->style);
}

/* The kernel steps of the hovered cell's output channel, FALSE where there are none. */
static gboolean
kernel_steps (NdInspector *self, NdKernelSteps *steps)
{
  int out = self->have_cell ? self->cell.channel : 0;

  if (self->result == NULL || self->block == NULL
      || !nd_kernel_steps_compute (self->result->training, self->block, out, 0, steps, NULL))
    return FALSE;
  if (self->result->block_diff != NULL)
    {
      double *d = g_hash_table_lookup (self->result->block_diff, self->block);

      if (d != NULL)
        steps->measured_diff = *d;
    }
  return TRUE;
}

static void
draw_kernel (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdInspector *self = data;
  NdKernelSteps steps;

  nd_render_kernel (cr, kernel_steps (self, &steps) ? &steps : NULL, w, h, &self->style);
}

/* Every kernel value on hover, also when the cells are too small to print it. */
static gboolean
kernel_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                   NdInspector *self)
{
  NdKernelSteps steps;
  g_autofree char *text = NULL;

  if (keyboard || !kernel_steps (self, &steps))
    return FALSE;
  text = nd_render_kernel_value_at (&steps, gtk_widget_get_width (widget),
                                    gtk_widget_get_height (widget), &self->style, x, y);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* "channel 12 · row 3, column 5 · 0.7341": the hovered cell's value, as the model computed
 * it. */
static void
update_readout (NdInspector *self)
{
  NdTensor *t = block_output (self, NULL);
  g_autofree char *text = NULL;

  if (t != NULL && t->ndim == 4 && self->have_cell && self->cell.channel >= 0
      && self->cell.y >= 0 && self->cell.x >= 0 && self->cell.channel < t->shape[1]
      && self->cell.y < t->shape[2] && self->cell.x < t->shape[3])
    {
      gint64 i = ((gint64) self->cell.channel * t->shape[2] + self->cell.y) * t->shape[3]
                 + self->cell.x;

      text = g_strdup_printf (_("channel %d · row %d, column %d · %.4g"), self->cell.channel,
                              self->cell.y, self->cell.x, t->data[i]);
    }
  gtk_label_set_text (GTK_LABEL (self->fmap_readout), text ? text : "");
}

static void
update_labels (NdInspector *self)
{
  NdTensor *t = block_output (self, NULL);
  g_autofree char *title = NULL;
  g_autofree char *fm = NULL;
  g_autofree float *v = NULL;
  int n = 0;
  double max;
  NdKernelSteps steps;

  title = self->block ? g_strdup_printf (_("Block %s"), self->block)
                      : g_strdup (_("Click a block in the architecture view"));
  gtk_label_set_text (GTK_LABEL (self->title), title);
  gtk_widget_set_sensitive (self->lesson_button, self->result && self->block
                            && !self->result->fused_only);
  gtk_widget_set_sensitive (self->erf_button, self->result && self->block);
  if (t != NULL && self->enlarged >= 0)
    fm = g_strdup_printf (_("Feature map %d of %d · %d×%d · click for all"), self->enlarged,
                          (int) t->shape[1], (int) t->shape[2], (int) t->shape[3]);
  else if (t != NULL)
    fm = g_strdup_printf (_("Output feature maps · %d×%d×%d"), (int) t->shape[1],
                          (int) t->shape[2], (int) t->shape[3]);
  else
    fm = g_strdup (_("Output feature maps"));
  gtk_label_set_text (GTK_LABEL (self->fmap_label), fm);
  if (self->result != NULL)
    v = nd_inference_result_gates (self->result, self->block, &n, &max);
  gtk_label_set_text (GTK_LABEL (self->gates_label),
                      v ? _("SE gate per channel")
                        : _("SE gate per channel · none in this block"));
  gtk_label_set_text (GTK_LABEL (self->kernel_label),
                      self->result && self->result->fused_only
                      ? _("How the fused 3×3 kernel is made · these weights hold the fused "
                          "kernels only")
                      : self->result && self->block
                        && nd_kernel_steps_compute (self->result->training, self->block, 0, 0,
                                                    &steps, NULL)
                      ? _("How the fused 3×3 kernel is made")
                      : _("How the fused 3×3 kernel is made · no re-parameterizable branches"));
}

/* Without a hovered cell, the centre cell of channel 0: the receptive field shows at once. */
static void
default_cell (NdInspector *self)
{
  NdTensor *t = block_output (self, NULL);

  if (self->have_cell || t == NULL || t->ndim != 4)
    return;
  self->cell = (NdFeatureCell) { 0, (int) t->shape[2] / 2, (int) t->shape[3] / 2 };
  self->have_cell = TRUE;
}

static void
redraw (NdInspector *self)
{
  NdTensor *t = block_output (self, NULL);

  /* A new block or model may have fewer channels than the enlarged one. */
  if (self->enlarged >= 0 && (t == NULL || t->ndim != 4 || self->enlarged >= t->shape[1]))
    self->enlarged = -1;
  default_cell (self);
  update_labels (self);
  update_readout (self);
  gtk_widget_queue_draw (self->fmap);
  gtk_widget_queue_draw (self->rf);
  gtk_widget_queue_draw (self->gates);
  gtk_widget_queue_draw (self->kernel);
}

static void
motion_cb (GtkEventControllerMotion *motion, double x, double y, NdInspector *self)
{
  NdTensor *t = block_output (self, NULL);
  NdFeatureCell cell;
  int w = gtk_widget_get_width (self->fmap), h = gtk_widget_get_height (self->fmap);
  gboolean hit;

  if (t == NULL)
    return;
  hit = self->enlarged >= 0
        ? nd_render_featuremap_channel_cell_at (t, self->enlarged, w, h, &self->style, x, y,
                                                &cell)
        : nd_render_featuremap_cell_at (t, w, h, &self->style, x, y, &cell);
  if (hit && (!self->have_cell || memcmp (&cell, &self->cell, sizeof cell) != 0))
    {
      self->cell = cell;
      self->have_cell = TRUE;
      update_readout (self);
      gtk_widget_queue_draw (self->fmap);
      gtk_widget_queue_draw (self->rf);
      gtk_widget_queue_draw (self->kernel);
    }
}

/* The block's fusion, step by step, in its own window (nd-lesson-view.c). */
static void
lesson_cb (NdInspector *self)
{
  NdLessonView *view;

  if (self->result == NULL || self->block == NULL || self->result->fused_only)
    return;
  view = nd_lesson_view_present (GTK_WIDGET (self), self->result->training, self->result->input,
                                 self->block);
  /* the channel picked in the feature maps, as output and (identity) input channel */
  if (self->have_cell)
    nd_lesson_view_set_channels (view, self->cell.channel, self->cell.channel);
}

/* The block's effective receptive field and Grad-CAM, in their own window (nd-erf-view.c). */
static void
erf_cb (NdInspector *self)
{
  if (self->result != NULL && self->block != NULL)
    nd_erf_view_present (GTK_WIDGET (self), self->result->graph, self->result->input,
                         self->block, NULL);
}

/* A click on a map enlarges it; a click on the enlarged map goes back to the grid. */
static void
fmap_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, NdInspector *self)
{
  NdTensor *t = block_output (self, NULL);
  NdFeatureCell cell;

  if (t == NULL)
    return;
  if (self->enlarged >= 0)
    self->enlarged = -1;
  else if (nd_render_featuremap_cell_at (t, gtk_widget_get_width (self->fmap),
                                         gtk_widget_get_height (self->fmap), &self->style, x,
                                         y, &cell))
    {
      self->enlarged = cell.channel;
      self->cell = cell;
      self->have_cell = TRUE;
    }
  redraw (self);
}

static void
gates_motion_cb (GtkEventControllerMotion *motion, double x, double y, NdInspector *self)
{
  g_autofree float *v = NULL;
  int n = 0, i;
  double max;

  if (self->result != NULL)
    v = nd_inference_result_gates (self->result, self->block, &n, &max);
  i = v ? nd_render_gates_index_at_full (n, gtk_widget_get_width (self->gates),
                                         gtk_widget_get_height (self->gates), x)
        : -1;
  if (i != self->gate_hover)
    {
      self->gate_hover = i;
      gtk_widget_queue_draw (self->gates);
    }
}

static void
gates_leave_cb (GtkEventControllerMotion *motion, NdInspector *self)
{
  self->gate_hover = -1;
  gtk_widget_queue_draw (self->gates);
}

/* Below this height the four panes go in one row, so all show without scrolling (a
 * 1024×700 window); above it 2×2, where the kernel has room for its numbers. */
#define ACROSS_BELOW_HEIGHT 360

static gboolean
relayout_cb (gpointer data)
{
  NdInspector *self = data;
  GtkLayoutManager *grid_layout = gtk_widget_get_layout_manager (self->grid);

  self->relayout_id = 0;
  for (int i = 0; i < 4; i++)
    {
      GtkLayoutChild *child = gtk_layout_manager_get_layout_child (grid_layout,
                                                                   self->panes[i]);

      gtk_grid_layout_child_set_column (GTK_GRID_LAYOUT_CHILD (child),
                                        self->across ? i : i % 2);
      gtk_grid_layout_child_set_row (GTK_GRID_LAYOUT_CHILD (child), self->across ? 0 : i / 2);
    }
  return G_SOURCE_REMOVE;
}

static void
nd_inspector_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *min, int *nat, int *min_baseline, int *nat_baseline)
{
  gtk_widget_measure (ND_INSPECTOR (widget)->scroller, orientation, for_size, min, nat,
                      min_baseline, nat_baseline);
}

/* The scroller fills the inspector; the panes move (after this allocation, not during it)
 * when the height crosses ACROSS_BELOW_HEIGHT. The height does not depend on the
 * arrangement, so this cannot oscillate. */
static void
nd_inspector_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  NdInspector *self = ND_INSPECTOR (widget);
  gboolean across = height < ACROSS_BELOW_HEIGHT;

  gtk_widget_allocate (self->scroller, width, height, baseline, NULL);
  if (across != self->across)
    {
      self->across = across;
      if (self->relayout_id == 0)
        self->relayout_id = g_idle_add (relayout_cb, self);
    }
}

static void
nd_inspector_dispose (GObject *object)
{
  NdInspector *self = ND_INSPECTOR (object);

  g_clear_handle_id (&self->relayout_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), ND_TYPE_INSPECTOR);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  g_clear_pointer (&self->block, g_free);
  g_clear_pointer (&self->input_surface, cairo_surface_destroy);
  G_OBJECT_CLASS (nd_inspector_parent_class)->dispose (object);
}

static void
nd_inspector_class_init (NdInspectorClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = nd_inspector_dispose;
  widget_class->measure = nd_inspector_measure;
  widget_class->size_allocate = nd_inspector_size_allocate;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/nondeep/Explorer/nd-inspector.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, NdInspector, name)
  gtk_widget_class_bind_template_callback (widget_class, lesson_cb);
  gtk_widget_class_bind_template_callback (widget_class, erf_cb);
  BIND (scroller);
  BIND (grid);
  BIND (title);
  BIND (fmap);
  BIND (rf);
  BIND (gates);
  BIND (kernel);
  BIND (fmap_label);
  BIND (rf_label);
  BIND (gates_label);
  BIND (kernel_label);
  BIND (fmap_readout);
  BIND (lesson_button);
  BIND (erf_button);
#undef BIND
  gtk_widget_class_bind_template_child_full (widget_class, "fmap_pane", FALSE,
                                             G_STRUCT_OFFSET (NdInspector, panes[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "rf_pane", FALSE,
                                             G_STRUCT_OFFSET (NdInspector, panes[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "gates_pane", FALSE,
                                             G_STRUCT_OFFSET (NdInspector, panes[2]));
  gtk_widget_class_bind_template_child_full (widget_class, "kernel_pane", FALSE,
                                             G_STRUCT_OFFSET (NdInspector, panes[3]));
}

static void
nd_inspector_init (NdInspector *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *gate_motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkWidget *areas[] = { NULL, NULL, NULL, NULL };
  GtkDrawingAreaDrawFunc funcs[] = { draw_fmap, draw_rf, draw_gates, draw_kernel };

  gtk_widget_init_template (GTK_WIDGET (self));
  nd_render_style_init (&self->style, FALSE);
  self->enlarged = -1;
  self->gate_hover = -1;
  areas[0] = self->fmap, areas[1] = self->rf, areas[2] = self->gates, areas[3] = self->kernel;
  for (guint i = 0; i < G_N_ELEMENTS (areas); i++)
    {
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (areas[i]), funcs[i], self, NULL);
      nd_theme_follow (areas[i], &self->style);
    }
  gtk_widget_set_cursor_from_name (self->fmap, "crosshair");
  gtk_widget_set_has_tooltip (self->kernel, TRUE);
  g_signal_connect (self->kernel, "query-tooltip", G_CALLBACK (kernel_tooltip_cb), self);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (self->fmap, motion);
  g_signal_connect (click, "pressed", G_CALLBACK (fmap_pressed_cb), self);
  gtk_widget_add_controller (self->fmap, GTK_EVENT_CONTROLLER (click));
  g_signal_connect (gate_motion, "motion", G_CALLBACK (gates_motion_cb), self);
  g_signal_connect (gate_motion, "leave", G_CALLBACK (gates_leave_cb), self);
  gtk_widget_add_controller (self->gates, gate_motion);
  update_labels (self);
}

GtkWidget *
nd_inspector_new (void)
{
  return g_object_new (ND_TYPE_INSPECTOR, NULL);
}

void
nd_inspector_set_result (NdInspector *self, NdInferenceResult *result)
{
  g_return_if_fail (ND_IS_INSPECTOR (self));
  if (result != NULL)
    nd_inference_result_ref (result);
  if (self->result == NULL || result == NULL || self->result->input != result->input)
    {
      g_clear_pointer (&self->input_surface, cairo_surface_destroy);
      if (result != NULL && result->input != NULL)
        self->input_surface = nd_image_surface_from_input (result->input);
    }
  g_clear_pointer (&self->result, nd_inference_result_unref);
  self->result = result;
  redraw (self);
}

void
nd_inspector_set_block (NdInspector *self, const char *block)
{
  g_return_if_fail (ND_IS_INSPECTOR (self));
  if (g_strcmp0 (block, self->block) == 0)
    return;
  g_free (self->block);
  self->block = g_strdup (block);
  self->have_cell = FALSE;
  self->enlarged = -1;
  redraw (self);
}

void
nd_inspector_set_cell (NdInspector *self, int channel, int y, int x)
{
  g_return_if_fail (ND_IS_INSPECTOR (self));
  self->cell = (NdFeatureCell) { channel, y, x };
  self->have_cell = TRUE;
  redraw (self);
}

void
nd_inspector_enlarge (NdInspector *self, int channel)
{
  g_return_if_fail (ND_IS_INSPECTOR (self));
  self->enlarged = MAX (channel, -1);
  /* The readout and the mark follow to the enlarged channel, at the same cell. */
  if (channel >= 0)
    self->cell.channel = channel;
  redraw (self);
}

int
nd_inspector_get_enlarged (NdInspector *self)
{
  g_return_val_if_fail (ND_IS_INSPECTOR (self), -1);
  return self->enlarged;
}
