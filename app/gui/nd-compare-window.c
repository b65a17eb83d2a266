/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include <cairo-svg.h>
#include <glib/gi18n.h>

#include "nd-backend.h"
#include "nd-compare-private.h"
#include "nd-compare-sides.h"
#include "nd-compare-window.h"
#include "nd-fuse.h"
#include "nd-guideline-page.h"
#include "nd-lab.h"
#include "nd-model.h"
#include "nd-quoted.h"
#include "nd-render-plot.h"

typedef struct
{
  char   *model;
  gboolean fused;
  double  params_m, gmacs, mac_mb, median_ms, p25_ms, p75_ms;
  double  vulkan_ms;   /* median on the Vulkan device measured beside the CPU; NAN if none */
  int     depth, resolution;
  double  top1;      /* quoted; NAN where no source is recorded */
} Row;

enum { AXIS_LATENCY, AXIS_GMACS, AXIS_MAC, AXIS_PARAMS, AXIS_DEPTH, AXIS_TOP1, N_AXES };

static const char *axis_names[N_AXES] = {
  N_("latency (ms, median)"), N_("GMACs"), N_("memory access (MB)"), N_("parameters (M)"),
  N_("depth (weight layers)"), N_("ImageNet top-1 % (quoted)"),
};

struct _NdCompareWindow
{
  AdwWindow       parent_instance;
  GtkEntry       *models;
  GtkCheckButton *fused;
  GtkSpinButton  *resolution;
  GtkDropDown    *x_axis, *y_axis;
  GtkButton      *measure;
  GtkLabel       *status, *table, *hover;
  GtkDrawingArea *plot, *roof_plot;
  GArray         *rows;       /* Row */
  Roofline       *roofline;   /* of the selected model, or NULL */
  int             selected;   /* row, -1 none */
  char           *caption;    /* backend, device, threads, precision, date */
  GCancellable   *cancel;
  AdwViewStack   *stack;      /* the Models and Guidelines pages */
  GtkWidget      *guidelines;
  GtkWidget      *sides;      /* the Side by side page */
};

G_DEFINE_FINAL_TYPE (NdCompareWindow, nd_compare_window, ADW_TYPE_WINDOW)

static void
row_clear (Row *r)
{
  g_free (r->model);
}

static void
row_free (Row *r)
{
  row_clear (r);
  g_free (r);
}

/* Builds every model (random weights, seed 1, as `nondeep-cli compare`) and measures them
 * through nd_lab_compare (), the CLI's own measurement: no widgets touched, so a worker
 * thread can call it. */
static GArray *
measure_rows (const char *models, int resolution, gboolean fused, int iters, char **caption,
              GError **error)
{
  g_auto(GStrv) names = g_strsplit (models, ",", -1);
  int n = (int) g_strv_length (names);
  g_autoptr(NdBackend) backend = nd_backend_new ("cpu", -1, error);
  g_autoptr(NdBackend) second = NULL;
  g_autofree char *why = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_autofree NdLabCompareRow *m = g_new0 (NdLabCompareRow, MAX (n, 1));
  gboolean ok = backend != NULL && n > 0;

  g_array_set_clear_func (rows, (GDestroyNotify) row_clear);
  for (int i = 0; ok && i < n; i++)
    {
      NdModelSpec spec;
      g_autoptr(NdGraph) train = NULL;

      ok = nd_model_spec_parse (g_strstrip (names[i]), &spec, error);
      if (!ok)
        break;
      spec.resolution = resolution;
      ok = (train = nd_model_build (&spec, error)) != NULL;   /* checks the memory budget */
      if (!ok)
        break;
      nd_model_init_random (train, 1);
      m[i].name = names[i];
      m[i].graph = fused ? nd_fuse_graph (train, error) : nd_graph_ref (train);
      ok = m[i].graph != NULL;
    }
  if (ok)
    second = nd_lab_second_backend (backend, FALSE, &why);
  ok = ok && nd_lab_compare (m, n, backend, second, 2, iters, error);
  for (int i = 0; ok && i < n; i++)
    {
      const NdQuotedTop1 *q = nd_quoted_top1 (m[i].name);
      Row r = {
        .model = g_strdup (m[i].name), .fused = fused, .resolution = resolution,
        .params_m = m[i].params / 1e6, .gmacs = m[i].macs / 1e9, .mac_mb = m[i].bytes / 1e6,
        .depth = m[i].weight_depth, .median_ms = m[i].lat.median, .p25_ms = m[i].lat.p25,
        .p75_ms = m[i].lat.p75, .vulkan_ms = m[i].has_second ? m[i].lat_second.median : NAN,
        .top1 = q ? q->top1 : NAN,
      };

      g_array_append_val (rows, r);
    }
  if (ok && caption)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");

      *caption = g_strdup_printf (_("%s · float32 · %d runs each · %s"), backend->description,
                                  iters, date);
      if (second != NULL)
        {
          char *both = g_strdup_printf (_("%s · Vulkan column: %s"), *caption,
                                        second->description);

          g_free (*caption);
          *caption = both;
        }
    }
  for (int i = 0; i < n; i++)
    g_clear_pointer (&m[i].graph, nd_graph_unref);
  return ok ? g_steal_pointer (&rows) : NULL;
}

static double
row_axis (const Row *r, int axis)
{
  switch (axis)
    {
    case AXIS_LATENCY: return r->median_ms;
    case AXIS_GMACS: return r->gmacs;
    case AXIS_MAC: return r->mac_mb;
    case AXIS_PARAMS: return r->params_m;
    case AXIS_DEPTH: return r->depth;
    default: return r->top1;
    }
}

/* The points that have both coordinates (a model without a quoted top-1 has no y there). */
static int
plot_points (NdCompareWindow *self, NdPlotPoint *pts, NdPlotAxes *axes)
{
  int xa = (int) gtk_drop_down_get_selected (self->x_axis);
  int ya = (int) gtk_drop_down_get_selected (self->y_axis);
  int n = 0;

  for (guint i = 0; self->rows && i < self->rows->len; i++)
    {
      const Row *r = &g_array_index (self->rows, Row, i);
      double x = row_axis (r, xa), y = row_axis (r, ya);

      if (isnan (x) || isnan (y))
        continue;
      pts[n++] = (NdPlotPoint) { .x = x, .y = y, .label = r->model, .fused = r->fused };
    }
  *axes = (NdPlotAxes) { .x_label = _(axis_names[xa]), .y_label = _(axis_names[ya]),
                         .caption = self->caption, .y_higher_better = ya == AXIS_TOP1,
                         .selected = -1 };
  for (int i = 0; i < n; i++)
    if (self->selected >= 0
        && g_str_equal (pts[i].label, g_array_index (self->rows, Row, self->selected).model))
      axes->selected = i;
  return n;
}

static void
draw_plot (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdCompareWindow *self = data;
  g_autofree NdPlotPoint *pts = g_new0 (NdPlotPoint, self->rows ? self->rows->len + 1 : 1);
  NdRenderStyle style;
  NdPlotAxes axes;
  int n = plot_points (self, pts, &axes);

  nd_render_style_init (&style, adw_style_manager_get_dark (adw_style_manager_get_default ()));
  nd_render_scatter (cr, pts, n, &axes, w, h, &style);
}

static void
motion (GtkEventControllerMotion *m, double x, double y, gpointer data)
{
  NdCompareWindow *self = data;
  g_autofree NdPlotPoint *pts = g_new0 (NdPlotPoint, self->rows ? self->rows->len + 1 : 1);
  NdPlotAxes axes;
  int n = plot_points (self, pts, &axes);
  int w = gtk_widget_get_width (GTK_WIDGET (self->plot));
  int h = gtk_widget_get_height (GTK_WIDGET (self->plot));
  int hit = nd_plot_hit (pts, n, &axes, w, h, x, y);
  g_autofree char *text = NULL;

  if (hit >= 0)
    text = g_strdup_printf ("%s: %s %.4g · %s %.4g", pts[hit].label, axes.x_label, pts[hit].x,
                            axes.y_label, pts[hit].y);
  gtk_label_set_text (self->hover, text ? text : "");
}

static char *
table_text (NdCompareWindow *self, gboolean csv)
{
  GString *s = g_string_new (NULL);

  if (csv)
    g_string_append (s, "model,fused,params_m,gmacs,memory_access_mb,depth,median_ms,p25_ms,"
                        "p75_ms,vulkan_median_ms,quoted_top1\n");
  else
    g_string_append_printf (s, "%-20s %9s %7s %9s %6s %10s %17s %10s %s\n", _("model"),
                            _("params M"), "GMACs", _("MAC MB"), _("depth"), _("median ms"),
                            _("IQR ms"), _("Vulkan ms"), _("top-1 (quoted)"));
  for (guint i = 0; self->rows && i < self->rows->len; i++)
    {
      const Row *r = &g_array_index (self->rows, Row, i);
      g_autofree char *top1 = isnan (r->top1) ? g_strdup ("") : g_strdup_printf ("%.2f", r->top1);
      g_autofree char *vk = isnan (r->vulkan_ms) ? g_strdup (csv ? "" : "–")
                                                 : g_strdup_printf ("%.4f", r->vulkan_ms);

      if (csv)
        g_string_append_printf (s, "%s,%s,%.3f,%.4f,%.2f,%d,%.4f,%.4f,%.4f,%s,%s\n", r->model,
                                r->fused ? "true" : "false", r->params_m, r->gmacs, r->mac_mb,
                                r->depth, r->median_ms, r->p25_ms, r->p75_ms, vk, top1);
      else
        {
          g_autofree char *iqr = g_strdup_printf ("%.2f-%.2f", r->p25_ms, r->p75_ms);
          g_autofree char *vk_text = isnan (r->vulkan_ms) ? g_strdup ("–")
                                                          : g_strdup_printf ("%.2f", r->vulkan_ms);

          g_string_append_printf (s, "%-20s %9.2f %7.3f %9.1f %6d %10.2f %17s %10s %s\n",
                                  r->model, r->params_m, r->gmacs, r->mac_mb, r->depth,
                                  r->median_ms, iqr, vk_text, top1);
        }
    }
  return g_string_free (s, FALSE);
}

static void set_roofline (NdCompareWindow *self, Roofline *rl);

static void
set_rows (NdCompareWindow *self, GArray *rows, char *caption)
{
  g_autofree char *table = NULL;

  self->selected = -1;
  set_roofline (self, NULL);
  g_clear_pointer (&self->rows, g_array_unref);
  g_free (self->caption);
  self->rows = rows;
  self->caption = caption;
  table = table_text (self, FALSE);
  gtk_label_set_text (self->table, table);
  gtk_label_set_text (self->status, _("Measured, models alternating. Top-1 is quoted from the "
                                      "papers (ImageNet), not measured here."));
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

static void
draw_roof (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdCompareWindow *self = data;
  NdRenderStyle style;

  nd_render_style_init (&style, adw_style_manager_get_dark (adw_style_manager_get_default ()));
  if (self->roofline == NULL)
    {
      nd_render_fill_bg (cr, &style, w, h);
      nd_render_set_rgba (cr, style.muted);
      cairo_set_font_size (cr, style.font_size);
      nd_render_text (cr, _("Click a model for its roofline"), w / 2.0, h / 2.0, 0.5);
      return;
    }
  nd_render_roofline (cr, self->roofline->roof.peak_gflops, self->roofline->roof.bandwidth_gbs,
                      self->roofline->points, self->roofline->n_points,
                      self->roofline->caption, w, h, &style);
}

static void
set_roofline (NdCompareWindow *self, Roofline *rl)
{
  g_clear_pointer (&self->roofline, _nd_compare_roofline_free);
  self->roofline = rl;
  if (rl != NULL)
    gtk_label_set_text (self->hover, _("Roofline: green convs (rings: Winograd, an effective "
                                       "rate above the direct count), purple element-wise ops, "
                                       "grey pools; ops run inside a conv have no point."));
  gtk_widget_queue_draw (GTK_WIDGET (self->roof_plot));
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

static int
row_index (NdCompareWindow *self, const char *model)
{
  for (guint i = 0; self->rows && i < self->rows->len; i++)
    if (g_str_equal (g_array_index (self->rows, Row, i).model, model))
      return (int) i;
  return -1;
}

static void
roof_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  const Row *r = data;
  GError *error = NULL;
  Roofline *rl = _nd_compare_roofline_new (r->model, r->resolution, r->fused, &error);

  if (rl == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rl, (GDestroyNotify) _nd_compare_roofline_free);
}

static void
roof_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  Roofline *rl = g_task_propagate_pointer (G_TASK (res), &error);
  NdCompareWindow *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = ND_COMPARE_WINDOW (source);
  if (rl == NULL)
    gtk_label_set_text (self->status, error->message);
  else
    {
      gtk_label_set_text (self->status, "");
      set_roofline (self, rl);
    }
}

static void
plot_clicked (GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
  NdCompareWindow *self = data;
  g_autofree NdPlotPoint *pts = g_new0 (NdPlotPoint, self->rows ? self->rows->len + 1 : 1);
  NdPlotAxes axes;
  int n = plot_points (self, pts, &axes);
  int hit = nd_plot_hit (pts, n, &axes, gtk_widget_get_width (GTK_WIDGET (self->plot)),
                         gtk_widget_get_height (GTK_WIDGET (self->plot)), x, y);
  g_autoptr(GTask) task = NULL;
  Row *copy;

  if (hit < 0)
    return;
  self->selected = row_index (self, pts[hit].label);
  copy = g_memdup2 (&g_array_index (self->rows, Row, self->selected), sizeof (Row));
  copy->model = g_strdup (copy->model);
  task = g_task_new (self, self->cancel, roof_done, NULL);
  g_task_set_task_data (task, copy, (GDestroyNotify) row_free);
  gtk_label_set_text (self->status, _("Measuring the roof and the ops…"));
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
  g_task_run_in_thread (task, roof_thread);
}

/* A click on an op's point: it is marked, described, and its block announced
 * ("block-activated", model and block) for a graph that shows the same model. */
static void
roof_clicked (GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
  NdCompareWindow *self = data;
  Roofline *rl = self->roofline;
  int hit;

  if (rl == NULL)
    return;
  hit = nd_roof_hit (rl->roof.peak_gflops, rl->roof.bandwidth_gbs, rl->points, rl->n_points,
                     gtk_widget_get_width (GTK_WIDGET (self->roof_plot)),
                     gtk_widget_get_height (GTK_WIDGET (self->roof_plot)), x, y);
  nd_compare_window_select_op (self, hit);
}

typedef struct
{
  char    *models;
  int      resolution, iters;
  gboolean fused;
  char    *caption;
} Job;

static void
job_free (Job *job)
{
  g_free (job->models);
  g_free (job->caption);
  g_free (job);
}

static void
measure_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Job *job = data;
  GError *error = NULL;
  GArray *rows = measure_rows (job->models, job->resolution, job->fused, job->iters,
                               &job->caption, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_array_unref);
}

static void
measure_done (GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  GArray *rows = g_task_propagate_pointer (G_TASK (res), &error);
  NdCompareWindow *self;
  Job *job;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the window is gone */
  self = ND_COMPARE_WINDOW (source);
  job = g_task_get_task_data (G_TASK (res));
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure), TRUE);
  if (rows == NULL)
    {
      gtk_label_set_text (self->status, error->message);
      return;
    }
  set_rows (self, rows, g_steal_pointer (&job->caption));
}

static void
measure_clicked (GtkButton *button, NdCompareWindow *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancel, measure_done, NULL);
  Job *job = g_new0 (Job, 1);

  job->models = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->models)));
  job->resolution = gtk_spin_button_get_value_as_int (self->resolution);
  job->fused = gtk_check_button_get_active (self->fused);
  job->iters = 7;
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure), FALSE);
  gtk_label_set_text (self->status, _("Measuring, models alternating…"));
  g_task_run_in_thread (task, measure_thread);
}

gboolean
nd_compare_window_export_plot (NdCompareWindow *self, const char *path, GError **error)
{
  const int w = 800, h = 520;
  g_autofree NdPlotPoint *pts = g_new0 (NdPlotPoint, self->rows ? self->rows->len + 1 : 1);
  gboolean svg = g_str_has_suffix (path, ".svg");
  cairo_surface_t *surface = svg ? cairo_svg_surface_create (path, w, h)
                                 : cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (surface);
  cairo_status_t st;
  NdRenderStyle style;
  NdPlotAxes axes;
  int n = plot_points (self, pts, &axes);

  nd_render_style_init (&style, FALSE);
  nd_render_scatter (cr, pts, n, &axes, w, h, &style);
  cairo_destroy (cr);
  if (svg)
    {
      cairo_surface_finish (surface);   /* writes the file */
      st = cairo_surface_status (surface);
    }
  else
    st = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write “%s”: %s"), path,
                   cairo_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}

static void
save_chosen (GtkNativeDialog *dialog, int response, NdCompareWindow *self)
{
  g_autoptr(GFile) file = response == GTK_RESPONSE_ACCEPT
                          ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog)) : NULL;
  g_autofree char *path = file ? g_file_get_path (file) : NULL;
  g_autoptr(GError) error = NULL;

  g_object_unref (dialog);
  if (path == NULL)
    return;
  if (g_str_has_suffix (path, ".csv"))
    {
      g_autofree char *csv = table_text (self, TRUE);

      g_file_set_contents (path, csv, -1, &error);
    }
  else
    nd_compare_window_export_plot (self, path, &error);
  gtk_label_set_text (self->status, error ? error->message : _("Saved."));
}

static void
export_clicked (GtkButton *button, NdCompareWindow *self)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Export (.png or .svg: the plot; .csv: the table)"),
                                 GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE, NULL, NULL);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "compare.png");
  g_signal_connect (dialog, "response", G_CALLBACK (save_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
axis_changed (GObject *obj, GParamSpec *pspec, NdCompareWindow *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->plot));
}

static GtkWidget *
toolbar (NdCompareWindow *self)
{
  GtkWidget *rows = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *export = gtk_button_new_with_mnemonic (_("_Export…"));
  const char *names[N_AXES + 1];

  for (int i = 0; i < N_AXES; i++)
    names[i] = _(axis_names[i]);
  names[N_AXES] = NULL;
  self->models = GTK_ENTRY (gtk_entry_new ());
  gtk_editable_set_text (GTK_EDITABLE (self->models),
                         "parnet-s,resnet-18,resnet-34,resnet-50,repvgg-a0,vanillanet-5");
  gtk_widget_set_hexpand (GTK_WIDGET (self->models), TRUE);
  self->fused = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (_("_Fused")));
  gtk_check_button_set_active (self->fused, TRUE);
  self->resolution = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (32, 1024, 32));
  gtk_spin_button_set_value (self->resolution, 224);
  self->x_axis = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (names));
  self->y_axis = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (names));
  gtk_drop_down_set_selected (self->x_axis, AXIS_LATENCY);
  gtk_drop_down_set_selected (self->y_axis, AXIS_TOP1);
  self->measure = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Measure")));
  gtk_widget_add_css_class (GTK_WIDGET (self->measure), "suggested-action");
  g_signal_connect (self->measure, "clicked", G_CALLBACK (measure_clicked), self);
  g_signal_connect (export, "clicked", G_CALLBACK (export_clicked), self);
  g_signal_connect (self->x_axis, "notify::selected", G_CALLBACK (axis_changed), self);
  g_signal_connect (self->y_axis, "notify::selected", G_CALLBACK (axis_changed), self);
  gtk_box_append (GTK_BOX (rows), GTK_WIDGET (self->models));
  gtk_box_append (GTK_BOX (rows), box);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->resolution));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->fused));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->x_axis));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->y_axis));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->measure));
  gtk_box_append (GTK_BOX (box), export);
  return rows;
}

static void
nd_compare_window_init (NdCompareWindow *self)
{
  GtkWidget *view = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *header = adw_header_bar_new ();
  AdwViewStack *stack = ADW_VIEW_STACK (adw_view_stack_new ());
  GtkWidget *switcher = adw_view_switcher_new ();
  GtkEventController *m = gtk_event_controller_motion_new ();
  GtkWidget *plots = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkGesture *click;

  self->cancel = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Compare Models"));
  gtk_window_set_default_size (GTK_WINDOW (self), 1280, 720);
  adw_view_switcher_set_stack (ADW_VIEW_SWITCHER (switcher), stack);
  adw_view_switcher_set_policy (ADW_VIEW_SWITCHER (switcher), ADW_VIEW_SWITCHER_POLICY_WIDE);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), switcher);
  gtk_box_append (GTK_BOX (view), header);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_box_append (GTK_BOX (box), toolbar (self));
  self->selected = -1;
  self->plot = GTK_DRAWING_AREA (gtk_drawing_area_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->plot), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->plot), TRUE);
  gtk_drawing_area_set_draw_func (self->plot, draw_plot, self, NULL);
  self->roof_plot = GTK_DRAWING_AREA (gtk_drawing_area_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->roof_plot), TRUE);
  gtk_drawing_area_set_draw_func (self->roof_plot, draw_roof, self, NULL);
  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (plot_clicked), self);
  gtk_widget_add_controller (GTK_WIDGET (self->plot), GTK_EVENT_CONTROLLER (click));
  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (roof_clicked), self);
  gtk_widget_add_controller (GTK_WIDGET (self->roof_plot), GTK_EVENT_CONTROLLER (click));
  gtk_box_append (GTK_BOX (plots), GTK_WIDGET (self->plot));
  gtk_box_append (GTK_BOX (plots), GTK_WIDGET (self->roof_plot));
  g_signal_connect (m, "motion", G_CALLBACK (motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self->plot), m);
  self->hover = GTK_LABEL (gtk_label_new (""));
  self->status = GTK_LABEL (gtk_label_new (_("Pick presets and press Measure: they run in turn "
                                             "on the CPU, as nondeep-cli compare does.")));
  self->table = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_selectable (self->table, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->table), "monospace");
  gtk_label_set_xalign (self->table, 0);
  gtk_label_set_xalign (self->status, 0);
  gtk_label_set_xalign (self->hover, 0);
  gtk_box_append (GTK_BOX (box), plots);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->hover));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->table));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status));
  self->guidelines = nd_guideline_page_new ();
  gtk_widget_set_margin_start (self->guidelines, 12);
  gtk_widget_set_margin_end (self->guidelines, 12);
  gtk_widget_set_margin_bottom (self->guidelines, 12);
  adw_view_stack_add_titled_with_icon (stack, box, "models", _("Models"),
                                       "view-grid-symbolic");
  adw_view_stack_add_titled_with_icon (stack, self->guidelines, "guidelines", _("Guidelines"),
                                       "view-list-bullet-symbolic");
  self->sides = nd_compare_sides_new ();
  gtk_widget_set_margin_start (self->sides, 12);
  gtk_widget_set_margin_end (self->sides, 12);
  gtk_widget_set_margin_bottom (self->sides, 12);
  adw_view_stack_add_titled_with_icon (stack, self->sides, "sides", _("Side by side"),
                                       "view-dual-symbolic");
  self->stack = stack;
  gtk_widget_set_vexpand (GTK_WIDGET (stack), TRUE);
  gtk_box_append (GTK_BOX (view), GTK_WIDGET (stack));
  adw_window_set_content (ADW_WINDOW (self), view);
}

static void
nd_compare_window_dispose (GObject *object)
{
  NdCompareWindow *self = ND_COMPARE_WINDOW (object);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  g_clear_object (&self->cancel);
  g_clear_pointer (&self->rows, g_array_unref);
  g_clear_pointer (&self->caption, g_free);
  g_clear_pointer (&self->roofline, _nd_compare_roofline_free);
  G_OBJECT_CLASS (nd_compare_window_parent_class)->dispose (object);
}

static guint block_activated;

static void
nd_compare_window_class_init (NdCompareWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_compare_window_dispose;
  /* (model preset, block path) of the op clicked in the roofline */
  block_activated = g_signal_new ("block-activated", G_TYPE_FROM_CLASS (klass),
                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                  G_TYPE_STRING, G_TYPE_STRING);
}

GtkWidget *
nd_compare_window_new (GtkWindow *parent)
{
  return g_object_new (ND_TYPE_COMPARE_WINDOW, "transient-for", parent, NULL);
}

gboolean
nd_compare_window_measure (NdCompareWindow *self, const char *models, int resolution,
                           gboolean fused, int iters, GError **error)
{
  char *caption = NULL;
  GArray *rows;

  g_return_val_if_fail (ND_IS_COMPARE_WINDOW (self), FALSE);
  rows = measure_rows (models, resolution, fused, MAX (iters, 1), &caption, error);
  if (rows == NULL)
    return FALSE;
  set_rows (self, rows, caption);
  return TRUE;
}

int
nd_compare_window_get_n_rows (NdCompareWindow *self)
{
  return self->rows ? (int) self->rows->len : 0;
}

char *
nd_compare_window_get_csv (NdCompareWindow *self)
{
  return table_text (self, TRUE);
}

gboolean
nd_compare_window_show_roofline (NdCompareWindow *self, const char *model, GError **error)
{
  int i = row_index (self, model);
  const Row *r;
  Roofline *rl;

  g_return_val_if_fail (ND_IS_COMPARE_WINDOW (self), FALSE);
  if (i < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("“%s” is not in the comparison"),
                   model);
      return FALSE;
    }
  r = &g_array_index (self->rows, Row, i);
  rl = _nd_compare_roofline_new (r->model, r->resolution, r->fused, error);
  if (rl == NULL)
    return FALSE;
  self->selected = i;
  set_roofline (self, rl);
  return TRUE;
}

int
nd_compare_window_get_n_roof_points (NdCompareWindow *self)
{
  return self->roofline ? self->roofline->n_points : 0;
}

GtkWidget *
nd_compare_window_show_guidelines (NdCompareWindow *self)
{
  g_return_val_if_fail (ND_IS_COMPARE_WINDOW (self), NULL);
  adw_view_stack_set_visible_child_name (self->stack, "guidelines");
  return self->guidelines;
}

GtkWidget *
nd_compare_window_show_sides (NdCompareWindow *self)
{
  g_return_val_if_fail (ND_IS_COMPARE_WINDOW (self), NULL);
  adw_view_stack_set_visible_child_name (self->stack, "sides");
  return self->sides;
}

const char *
nd_compare_window_select_op (NdCompareWindow *self, int point)
{
  Roofline *rl;

  g_return_val_if_fail (ND_IS_COMPARE_WINDOW (self), NULL);
  rl = self->roofline;
  if (rl == NULL || point >= rl->n_points)
    return NULL;
  for (int i = 0; i < rl->n_points; i++)
    rl->points[i].selected = i == point;
  gtk_widget_queue_draw (GTK_WIDGET (self->roof_plot));
  if (point < 0)
    return NULL;
  gtk_label_set_text (self->hover, rl->what[point]);
  g_signal_emit (self, block_activated, 0, rl->model, rl->blocks[point]);
  return rl->blocks[point];
}
