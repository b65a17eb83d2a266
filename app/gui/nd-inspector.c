/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-image.h"
#include "nd-inspector.h"
#include "nd-lesson-view.h"
#include "nd-receptive-field.h"
#include "nd-render-featuremap.h"
#include "nd-render-gates.h"
#include "nd-render-kernel.h"
#include "nd-render-rf.h"

struct _NdInspector
{
  GtkWidget          parent_instance;
  GtkWidget         *outer;
  GtkWidget         *grid;
  GtkWidget         *title;
  GtkWidget         *lesson_button;
  GtkWidget         *fmap, *rf, *gates, *kernel;
  GtkWidget         *fmap_label, *rf_label, *gates_label, *kernel_label;
  NdInferenceResult *result;
  char              *block;
  NdFeatureCell      cell;
  gboolean           have_cell;
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

  nd_render_featuremap (cr, t, w, h, &self->style);
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
  nd_render_gates (cr, v, n, max, w, h, &self->style);
}

static void
draw_kernel (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdInspector *self = data;
  NdKernelSteps steps;
  int out = self->have_cell ? self->cell.channel : 0;

  if (self->result == NULL || self->block == NULL
      || !nd_kernel_steps_compute (self->result->training, self->block, out, 0, &steps, NULL))
    {
      nd_render_kernel (cr, NULL, w, h, &self->style);
      return;
    }
  if (self->result->block_diff != NULL)
    {
      double *d = g_hash_table_lookup (self->result->block_diff, self->block);

      if (d != NULL)
        steps.measured_diff = *d;
    }
  nd_render_kernel (cr, &steps, w, h, &self->style);
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
  if (t != NULL)
    fm = g_strdup_printf (_("Output feature maps · %d×%d×%d"), (int) t->shape[1],
                          (int) t->shape[2], (int) t->shape[3]);
  else
    fm = g_strdup (_("Output feature maps"));
  gtk_label_set_text (GTK_LABEL (self->fmap_label), fm);
  if (self->result != NULL)
    v = nd_inference_result_gates (self->result, self->block, &n, &max);
  gtk_label_set_text (GTK_LABEL (self->gates_label),
                      v ? _("SE gate per channel") : _("SE gate per channel · none in this block"));
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
  default_cell (self);
  update_labels (self);
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

  if (t == NULL)
    return;
  if (nd_render_featuremap_cell_at (t, gtk_widget_get_width (self->fmap),
                                    gtk_widget_get_height (self->fmap), &self->style, x, y,
                                    &cell))
    {
      self->cell = cell;
      self->have_cell = TRUE;
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

static GtkWidget *
add_pane (NdInspector *self, const char *text, GtkWidget **label, int col, int row,
          GtkDrawingAreaDrawFunc func)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *area = gtk_drawing_area_new ();

  *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (*label), 0);
  /* Long titles must not widen the window past the screen. */
  gtk_label_set_ellipsize (GTK_LABEL (*label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (*label, "heading");
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), func, self, NULL);
  gtk_widget_set_hexpand (area, TRUE);
  gtk_widget_set_vexpand (area, TRUE);
  gtk_widget_set_size_request (area, 200, 120);
  gtk_box_append (GTK_BOX (box), *label);
  gtk_box_append (GTK_BOX (box), area);
  gtk_grid_attach (GTK_GRID (self->grid), box, col, row, 1, 1);
  return area;
}

static void
nd_inspector_dispose (GObject *object)
{
  NdInspector *self = ND_INSPECTOR (object);

  g_clear_pointer (&self->outer, gtk_widget_unparent);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  g_clear_pointer (&self->block, g_free);
  g_clear_pointer (&self->input_surface, cairo_surface_destroy);
  G_OBJECT_CLASS (nd_inspector_parent_class)->dispose (object);
}

static void
nd_inspector_class_init (NdInspectorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_inspector_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
nd_inspector_init (NdInspector *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  nd_render_style_init (&self->style, FALSE);
  self->outer = outer;
  gtk_widget_set_parent (outer, GTK_WIDGET (self));
  gtk_widget_set_margin_start (outer, 8);
  gtk_widget_set_margin_end (outer, 8);
  gtk_widget_set_margin_top (outer, 6);
  gtk_widget_set_margin_bottom (outer, 6);
  self->title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->title), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->title, "title-4");
  gtk_widget_set_hexpand (self->title, TRUE);
  self->lesson_button = gtk_button_new_with_label (_("Re-parameterization Lesson…"));
  g_signal_connect_swapped (self->lesson_button, "clicked", G_CALLBACK (lesson_cb), self);
  {
    GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

    gtk_box_append (GTK_BOX (row), self->title);
    gtk_box_append (GTK_BOX (row), self->lesson_button);
    gtk_box_append (GTK_BOX (outer), row);
  }
  self->grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (self->grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (self->grid), 8);
  gtk_grid_set_column_homogeneous (GTK_GRID (self->grid), TRUE);
  gtk_box_append (GTK_BOX (outer), self->grid);
  self->fmap = add_pane (self, _("Output feature maps"), &self->fmap_label, 0, 0, draw_fmap);
  self->rf = add_pane (self, _("Receptive field on the input"), &self->rf_label, 1, 0, draw_rf);
  self->gates = add_pane (self, _("SE gate per channel"), &self->gates_label, 0, 1, draw_gates);
  self->kernel = add_pane (self, _("How the fused 3×3 kernel is made"), &self->kernel_label, 1,
                           1, draw_kernel);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (self->fmap, motion);
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
