/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "nd-compare-private.h"
#include "nd-compare-sides.h"
#include "nd-render-graph.h"
#include "nd-theme.h"

struct _NdCompareSides
{
  GtkBox          parent_instance;
  GtkEntry       *model[2];
  GtkSpinButton  *width, *resolution;
  int             iters;      /* runs per model: 10 (the CLI's default) or as last started */
  GtkCheckButton *fused;
  GtkButton      *measure, *stop;
  GtkSpinner     *spinner;
  GtkLabel       *status, *readout, *cli, *title[2];
  GtkDrawingArea *graph[2];
  GtkWidget      *table;
  GListStore     *store;
  NdLabBlockDiff *diff;
  GCancellable   *job;        /* the measurement running, or NULL */
  gboolean        disposed;
  NdRenderStyle   style;      /* one view transform for both graphs: pan and zoom stay in step */
  double          drag_x, drag_y;
  int             axis_depth;
  double          ms_scale;
  char           *selected[2];
  char           *hover_text;
  guint           frames[2];
};

G_DEFINE_FINAL_TYPE (NdCompareSides, nd_compare_sides, GTK_TYPE_BOX)

typedef struct
{
  char    *name[2];
  NdKnobs  knobs;
  gboolean fused;
  int      iters;
} Job;

static void
job_free (Job *job)
{
  g_free (job->name[0]);
  g_free (job->name[1]);
  g_free (job);
}

/* Builds both presets and measures them through nd_lab_blocks_measure, the CLI's own path;
 * touches no widget. */
static void
measure_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Job *job = data;
  GError *error = NULL;
  g_autoptr(NdBackend) backend = nd_backend_new ("cpu", -1, &error);
  g_autoptr(NdGraph) a = NULL;
  g_autoptr(NdGraph) b = NULL;
  NdLabBlockDiff *d = NULL;

  if (backend != NULL
      && (a = nd_lab_build_preset (job->name[0], &job->knobs, job->fused, &error)) != NULL
      && (b = nd_lab_build_preset (job->name[1], &job->knobs, job->fused, &error)) != NULL)
    d = nd_lab_blocks_measure (a, job->name[0], b, job->name[1], backend, 2, job->iters,
                               cancel, &error);
  if (d == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, d, (GDestroyNotify) nd_lab_block_diff_free);
}

static const char *show_pair (NdCompareSides *self, int i);

/* A row picked in the table outlines its blocks in both graphs, as hovering one does. */
static void
row_selected (GtkSingleSelection *sel, GParamSpec *pspec, NdCompareSides *self)
{
  gpointer item = gtk_single_selection_get_selected_item (sel);
  int i = item ? _nd_compare_table_item_pair (item) : -1;

  if (self->diff != NULL && i >= 0 && i < self->diff->n_pairs)
    show_pair (self, i);
}

static void
set_busy (NdCompareSides *self, gboolean busy)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure), !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->stop), busy);
}

static void
set_diff (NdCompareSides *self, NdLabBlockDiff *d)
{
  g_autofree char *status = NULL;

  g_clear_pointer (&self->diff, nd_lab_block_diff_free);
  self->diff = d;
  g_clear_pointer (&self->selected[0], g_free);
  g_clear_pointer (&self->selected[1], g_free);
  self->axis_depth = MAX (nd_render_graph_n_columns (d->side[0].graph),
                          nd_render_graph_n_columns (d->side[1].graph));
  self->ms_scale = 0;
  for (int s = 0; s < 2; s++)
    {
      const NdLabBlockSide *side = &d->side[s];
      g_autofree char *title = NULL;

      for (int k = 0; k < side->n_blocks; k++)
        self->ms_scale = MAX (self->ms_scale, side->blocks[k].ms);
      /* translators: "A: parnet-s (fused, 64 px): 22.7 ms in ops, 23.2 ms a run" */
      title = g_strdup_printf (_("%s: %s (%s, %d px): %.2f ms in ops, %.2f ms a run"),
                               s == 0 ? "A" : "B", side->model,
                               side->graph->fused ? _("fused") : _("unfused"),
                               side->graph->in_h, side->op_sum_ms, side->wall.median);
      gtk_label_set_text (self->title[s], title);
      gtk_widget_queue_draw (GTK_WIDGET (self->graph[s]));
    }
  _nd_compare_table_fill (self->store, d);
  status = g_strdup_printf (_("Measured on %s: %d runs each after %d warm-up, the models "
                              "alternating; %d of %d rows are matched pairs."), d->backend,
                            d->iters, d->warmup, d->n_matched, d->n_pairs);
  gtk_label_set_text (self->status, status);
  gtk_label_set_text (self->readout, _("Point at a block: its partner is outlined in the other "
                                       "graph and A − B shown here."));
}

static void
measure_done (GObject *source, GAsyncResult *res, gpointer data)
{
  NdCompareSides *self = ND_COMPARE_SIDES (source);
  g_autoptr(GError) error = NULL;
  NdLabBlockDiff *d = g_task_propagate_pointer (G_TASK (res), &error);

  if (self->disposed)
    {
      g_clear_pointer (&d, nd_lab_block_diff_free);
      return;
    }
  if (g_task_get_cancellable (G_TASK (res)) != self->job)
    {
      g_clear_pointer (&d, nd_lab_block_diff_free);   /* superseded by a newer measurement */
      return;
    }
  g_clear_object (&self->job);
  set_busy (self, FALSE);
  if (d == NULL)
    gtk_label_set_text (self->status,
                        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                        ? _("Cancelled; the graphs show the last measurement.")
                        : error->message);
  else
    set_diff (self, d);
}

static void
update_cli (NdCompareSides *self, const Job *job)
{
  g_autofree char *cmd = NULL;
  char w[G_ASCII_DTOSTR_BUF_SIZE];

  /* the project's rule: every number the window shows, the CLI reproduces */
  cmd = g_strdup_printf (_("Same numbers from the command line: nondeep-cli compare --models "
                           "%s,%s --per-block --width %s --resolution %d%s --iters %d --csv"),
                         job->name[0], job->name[1],
                         g_ascii_formatd (w, sizeof w, "%g", job->knobs.width),
                         job->knobs.resolution, job->fused ? " --fused" : "", job->iters);
  gtk_label_set_text (self->cli, cmd);
}

void
nd_compare_sides_start (NdCompareSides *self, const char *model_a, const char *model_b,
                        double width, int resolution, gboolean fused, int iters)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Job *job;

  g_return_if_fail (ND_IS_COMPARE_SIDES (self));
  gtk_editable_set_text (GTK_EDITABLE (self->model[0]), model_a);
  gtk_editable_set_text (GTK_EDITABLE (self->model[1]), model_b);
  gtk_spin_button_set_value (self->width, width);
  gtk_spin_button_set_value (self->resolution, resolution);
  gtk_check_button_set_active (self->fused, fused);
  self->iters = MAX (iters, 1);
  job = g_new0 (Job, 1);
  job->name[0] = g_strstrip (g_strdup (model_a));
  job->name[1] = g_strstrip (g_strdup (model_b));
  job->fused = fused;
  job->iters = MAX (iters, 1);
  nd_knobs_init (&job->knobs);
  if (!nd_knobs_set_width (&job->knobs, width, &error)
      || !nd_knobs_set_resolution (&job->knobs, resolution, &error))
    {
      gtk_label_set_text (self->status, error->message);
      job_free (job);
      return;
    }
  nd_compare_sides_cancel (self);
  self->job = g_cancellable_new ();
  update_cli (self, job);
  task = g_task_new (self, self->job, measure_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  set_busy (self, TRUE);
  {
    g_autofree char *status = g_strdup_printf (_("Measuring %s and %s block by block, "
                                                  "alternating, %d runs each…"),
                                                job->name[0], job->name[1], job->iters);

    gtk_label_set_text (self->status, status);
  }
  g_task_run_in_thread (task, measure_thread);
}

static void
measure_clicked (GtkButton *button, NdCompareSides *self)
{
  nd_compare_sides_start (self, gtk_editable_get_text (GTK_EDITABLE (self->model[0])),
                          gtk_editable_get_text (GTK_EDITABLE (self->model[1])),
                          gtk_spin_button_get_value (self->width),
                          gtk_spin_button_get_value_as_int (self->resolution),
                          gtk_check_button_get_active (self->fused),
                          self->iters);
}

void
nd_compare_sides_cancel (NdCompareSides *self)
{
  g_return_if_fail (ND_IS_COMPARE_SIDES (self));
  if (self->job != NULL)
    g_cancellable_cancel (self->job);   /* measure_done reports it and clears the job */
}

static void
stop_clicked (GtkButton *button, NdCompareSides *self)
{
  nd_compare_sides_cancel (self);
}

static NdRenderGraphData
graph_data (NdCompareSides *self, int s, NdRenderStyle *style)
{
  const NdLabBlockSide *side = &self->diff->side[s];

  *style = self->style;
  style->axis_depth = self->axis_depth;   /* one depth axis for both: columns line up */
  return (NdRenderGraphData) { .graph = side->graph, .op_ms = side->op_ms,
                               .selected = self->selected[s], .ms_scale = self->ms_scale };
}

static void
draw_graph (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdCompareSides *self = data;
  int s = area == self->graph[1];
  NdRenderStyle style;
  NdRenderGraphData gd;

  if (self->diff == NULL)
    {
      nd_render_fill_bg (cr, &self->style, w, h);
      nd_render_set_rgba (cr, self->style.muted);
      cairo_set_font_size (cr, self->style.font_size);
      nd_render_text (cr, s == 0 ? _("Model A: press Measure") : _("Model B: press Measure"),
                      w / 2.0, h / 2.0, 0.5);
      return;
    }
  gd = graph_data (self, s, &style);
  nd_render_graph (cr, &gd, w, h, &style);
  self->frames[s]++;
}

/* The pair that holds @block on side @s, or -1. */
static int
pair_of (const NdLabBlockDiff *d, int s, const char *block)
{
  for (int i = 0; i < d->n_pairs; i++)
    {
      int k = s == 0 ? d->pairs[i].a : d->pairs[i].b;

      if (k >= 0 && g_str_equal (d->side[s].blocks[k].block, block))
        return i;
    }
  return -1;
}

static char *
pair_text (const NdLabBlockDiff *d, int i)
{
  const NdLabBlockPair *p = &d->pairs[i];
  const NdLabBlock *a = p->a >= 0 ? &d->side[0].blocks[p->a] : NULL;
  const NdLabBlock *b = p->b >= 0 ? &d->side[1].blocks[p->b] : NULL;
  g_autofree char *stage = nd_lab_stage_name (p->stride);
  const NdLabBlock *only = a ? a : b;

  if (a != NULL && b != NULL)
    /* translators: "A parnet-s streams.0.1 0.398 ms · B resnet-18 layer1.1 0.589 ms ·
     * A − B −0.191 ms (−32.4 %) · stride 4, #2" */
    return g_strdup_printf (_("A %s %s %.3f ms · B %s %s %.3f ms · A − B %+.3f ms (%+.1f %%) "
                              "· %s, #%d"), d->side[0].model, a->block, a->ms,
                            d->side[1].model, b->block, b->ms, p->diff_ms, p->diff_pct,
                            stage, p->position);
  return g_strdup_printf (_("%s %s %s %.3f ms · unmatched: %s has no block #%d at %s"),
                          a ? "A" : "B", d->side[a ? 0 : 1].model, only->block, only->ms,
                          d->side[a ? 1 : 0].model, p->position, stage);
}

const char *
nd_compare_sides_hover (NdCompareSides *self, int s, double x, double y)
{
  GtkWidget *area;
  NdRenderStyle style;
  NdRenderGraphData gd;
  const char *block;
  int i;

  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self) && (s == 0 || s == 1), NULL);
  if (self->diff == NULL)
    return NULL;
  area = GTK_WIDGET (self->graph[s]);
  gd = graph_data (self, s, &style);
  block = nd_render_graph_block_at (&gd, gtk_widget_get_width (area),
                                    gtk_widget_get_height (area), &style, x, y);
  if (block == NULL || (i = pair_of (self->diff, s, block)) < 0)
    return NULL;
  return show_pair (self, i);
}

/* Outlines pair @i's blocks in both graphs and reads it out. */
static const char *
show_pair (NdCompareSides *self, int i)
{
  for (int k = 0; k < 2; k++)
    {
      int b = k == 0 ? self->diff->pairs[i].a : self->diff->pairs[i].b;

      g_free (self->selected[k]);
      self->selected[k] = b >= 0 ? g_strdup (self->diff->side[k].blocks[b].block) : NULL;
      gtk_widget_queue_draw (GTK_WIDGET (self->graph[k]));
    }
  g_free (self->hover_text);
  self->hover_text = pair_text (self->diff, i);
  gtk_label_set_text (self->readout, self->hover_text);
  return self->hover_text;
}

static void
motion_cb (GtkEventControllerMotion *m, double x, double y, NdCompareSides *self)
{
  GtkWidget *area = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (m));

  nd_compare_sides_hover (self, area == GTK_WIDGET (self->graph[1]), x, y);
}

static void
redraw_both (NdCompareSides *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->graph[0]));
  gtk_widget_queue_draw (GTK_WIDGET (self->graph[1]));
}

/* Zoom about the centre of graph @s; both graphs share the transform, so they stay aligned. */
void
nd_compare_sides_scroll (NdCompareSides *self, int s, double dy)
{
  GtkWidget *area;
  double factor = dy < 0 ? 1.15 : 1 / 1.15;
  double zoom = CLAMP (self->style.zoom * factor, 0.25, 8), cx, cy;

  g_return_if_fail (ND_IS_COMPARE_SIDES (self) && (s == 0 || s == 1));
  area = GTK_WIDGET (self->graph[s]);
  cx = gtk_widget_get_width (area) / 2.0;
  cy = gtk_widget_get_height (area) / 2.0;

  self->style.pan_x = cx - (cx - self->style.pan_x) * zoom / self->style.zoom;
  self->style.pan_y = cy - (cy - self->style.pan_y) * zoom / self->style.zoom;
  self->style.zoom = zoom;
  redraw_both (self);
}

static gboolean
scroll_cb (GtkEventControllerScroll *c, double dx, double dy, NdCompareSides *self)
{
  GtkWidget *area = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (c));

  nd_compare_sides_scroll (self, area == GTK_WIDGET (self->graph[1]), dy);
  return TRUE;
}

static void
drag_begin_cb (GtkGestureDrag *g, double x, double y, NdCompareSides *self)
{
  self->drag_x = self->style.pan_x;
  self->drag_y = self->style.pan_y;
}

static void
drag_update_cb (GtkGestureDrag *g, double dx, double dy, NdCompareSides *self)
{
  self->style.pan_x = self->drag_x + dx;
  self->style.pan_y = self->drag_y + dy;
  redraw_both (self);
}

static GtkWidget *
graph_area (NdCompareSides *self, int s)
{
  GtkWidget *area = gtk_drawing_area_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll =
    gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->graph[s] = GTK_DRAWING_AREA (area);
  gtk_drawing_area_set_draw_func (self->graph[s], draw_graph, self, NULL);
  gtk_widget_set_hexpand (area, TRUE);
  gtk_widget_set_vexpand (area, TRUE);
  gtk_widget_set_size_request (area, 300, 90);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (area, motion);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (area, scroll);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (area, GTK_EVENT_CONTROLLER (drag));
  return area;
}

static GtkWidget *
labelled (const char *mnemonic, GtkWidget *widget)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *label = gtk_label_new_with_mnemonic (mnemonic);

  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), widget);
  return box;
}

static void
add_tool (GtkWidget *box, GtkWidget *child)
{
  gtk_box_append (GTK_BOX (box), child);
}

/* One row, narrow enough for a 1024 px window. */
static GtkWidget *
toolbar (NdCompareSides *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  for (int s = 0; s < 2; s++)
    {
      self->model[s] = GTK_ENTRY (gtk_entry_new ());
      gtk_editable_set_text (GTK_EDITABLE (self->model[s]), s == 0 ? "parnet-s" : "resnet-18");
      gtk_editable_set_width_chars (GTK_EDITABLE (self->model[s]), 8);
      add_tool (box, labelled (s == 0 ? _("Model _A") : _("Model _B"),
                               GTK_WIDGET (self->model[s])));
    }
  self->width = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0.25, 4, 0.25));
  gtk_spin_button_set_value (self->width, 1);
  self->resolution = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (32, 1024, 32));
  gtk_spin_button_set_value (self->resolution, 224);
  gtk_editable_set_width_chars (GTK_EDITABLE (self->width), 4);
  gtk_editable_set_width_chars (GTK_EDITABLE (self->resolution), 4);
  self->fused = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (_("_Fused")));
  gtk_check_button_set_active (self->fused, TRUE);
  self->measure = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Measure")));
  gtk_widget_add_css_class (GTK_WIDGET (self->measure), "suggested-action");
  self->stop = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Cancel")));
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  g_signal_connect (self->measure, "clicked", G_CALLBACK (measure_clicked), self);
  g_signal_connect (self->stop, "clicked", G_CALLBACK (stop_clicked), self);
  add_tool (box, labelled (_("_Width"), GTK_WIDGET (self->width)));
  add_tool (box, labelled (_("_Resolution"), GTK_WIDGET (self->resolution)));
  add_tool (box, GTK_WIDGET (self->fused));
  {
    GtkWidget *run = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

    gtk_box_append (GTK_BOX (run), GTK_WIDGET (self->measure));
    gtk_box_append (GTK_BOX (run), GTK_WIDGET (self->stop));
    gtk_box_append (GTK_BOX (run), GTK_WIDGET (self->spinner));
    add_tool (box, run);
  }
  set_busy (self, FALSE);
  return box;
}

static GtkLabel *
wrapped_label (const char *text, const char *css)
{
  GtkLabel *label = GTK_LABEL (gtk_label_new (text));

  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_xalign (label, 0);
  if (css != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (label), css);
  return label;
}

static void
nd_compare_sides_init (NdCompareSides *self)
{
  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_VERTICAL);
  GtkWidget *graphs = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *scroller = gtk_scrolled_window_new ();

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);
  self->iters = 10;
  nd_render_style_init (&self->style, FALSE);
  nd_theme_follow (GTK_WIDGET (self), &self->style);
  gtk_box_append (GTK_BOX (self), toolbar (self));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (wrapped_label (
    _("Pairs: same stage (output stride; the classifier is its own) and same position in it "
      "by depth, so the same resolution and step, not necessarily the same job; extra blocks "
      "stay unmatched. ms: each op's median, summed per block; one colour scale."),
    "dim-label")));
  for (int s = 0; s < 2; s++)
    {
      self->title[s] = wrapped_label (s == 0 ? _("A") : _("B"), "heading");
      gtk_label_set_wrap (self->title[s], FALSE);
      gtk_label_set_ellipsize (self->title[s], PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (graphs), GTK_WIDGET (self->title[s]));
      gtk_box_append (GTK_BOX (graphs), graph_area (self, s));
    }
  self->table = _nd_compare_table_new (&self->store);
  g_signal_connect (gtk_column_view_get_model (GTK_COLUMN_VIEW (self->table)),
                    "notify::selected-item", G_CALLBACK (row_selected), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->table);
  /* graphs above, full width (the depth axis needs it); the table below, the pane's split
   * draggable */
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scroller, -1, 110);
  gtk_paned_set_start_child (GTK_PANED (paned), graphs);
  gtk_paned_set_end_child (GTK_PANED (paned), scroller);
  gtk_paned_set_shrink_start_child (GTK_PANED (paned), FALSE);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  gtk_widget_set_vexpand (paned, TRUE);
  gtk_box_append (GTK_BOX (self), paned);
  self->readout = wrapped_label ("", "monospace");
  self->cli = wrapped_label ("", "dim-label");
  gtk_label_set_selectable (self->cli, TRUE);
  self->status = wrapped_label (_("Pick two presets and press Measure: both run on the CPU, "
                                  "alternating, with per-op timing."), NULL);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->readout));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->cli));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->status));
}

static void
nd_compare_sides_dispose (GObject *object)
{
  NdCompareSides *self = ND_COMPARE_SIDES (object);

  self->disposed = TRUE;
  if (self->job != NULL)
    g_cancellable_cancel (self->job);
  g_clear_object (&self->job);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (nd_compare_sides_parent_class)->dispose (object);
}

static void
nd_compare_sides_finalize (GObject *object)
{
  NdCompareSides *self = ND_COMPARE_SIDES (object);

  g_clear_pointer (&self->diff, nd_lab_block_diff_free);
  g_free (self->selected[0]);
  g_free (self->selected[1]);
  g_free (self->hover_text);
  G_OBJECT_CLASS (nd_compare_sides_parent_class)->finalize (object);
}

static void
nd_compare_sides_class_init (NdCompareSidesClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_compare_sides_dispose;
  G_OBJECT_CLASS (klass)->finalize = nd_compare_sides_finalize;
}

GtkWidget *
nd_compare_sides_new (void)
{
  return g_object_new (ND_TYPE_COMPARE_SIDES, NULL);
}

gboolean
nd_compare_sides_is_busy (NdCompareSides *self)
{
  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self), FALSE);
  return self->job != NULL;
}

const NdLabBlockDiff *
nd_compare_sides_get_diff (NdCompareSides *self)
{
  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self), NULL);
  return self->diff;
}

const char *
nd_compare_sides_get_status (NdCompareSides *self)
{
  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self), NULL);
  return gtk_label_get_text (self->status);
}

gboolean
nd_compare_sides_block_center (NdCompareSides *self, int s, const char *block, double *x,
                               double *y)
{
  GtkWidget *area;
  NdRenderStyle style;
  NdRenderGraphData gd;
  double bx, by, bw, bh;

  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self) && (s == 0 || s == 1), FALSE);
  if (self->diff == NULL)
    return FALSE;
  area = GTK_WIDGET (self->graph[s]);
  gd = graph_data (self, s, &style);
  if (!nd_render_graph_block_rect (&gd, gtk_widget_get_width (area),
                                   gtk_widget_get_height (area), &style, block, &bx, &by, &bw,
                                   &bh))
    return FALSE;
  *x = bx + bw / 2;
  *y = by + bh / 2;
  return TRUE;
}

guint
nd_compare_sides_get_frames (NdCompareSides *self, int s)
{
  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self) && (s == 0 || s == 1), 0);
  return self->frames[s];
}

char *
nd_compare_sides_get_table_csv (NdCompareSides *self)
{
  GtkSelectionModel *sel;

  g_return_val_if_fail (ND_IS_COMPARE_SIDES (self), NULL);
  sel = gtk_column_view_get_model (GTK_COLUMN_VIEW (self->table));
  return _nd_compare_table_csv (G_LIST_MODEL (sel));
}

void
nd_compare_sides_sort_table (NdCompareSides *self, int col, gboolean descending)
{
  g_return_if_fail (ND_IS_COMPARE_SIDES (self));
  _nd_compare_table_sort (self->table, col, descending);
}
