/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "nd-guideline-page.h"
#include "nd-render-plot.h"

/* `nondeep-cli guideline`'s defaults, so the page and the command show the same thing */
#define BASE_CHANNELS 128
#define MAP_SIZE      28
#define ITERS         10
#define WARMUP        2
#define RESOLUTION    224   /* parnet-table: the presets at their ImageNet size */

struct _NdGuidelinePage
{
  GtkBox           parent_instance;
  GtkDropDown     *which;
  GtkButton       *run;
  GtkSpinner      *spinner;
  GtkLabel        *claim, *finding, *status;
  GtkDrawingArea  *bars;
  GtkGrid         *table;     /* parnet-table: one row per preset */
  NdLabExperiment *result;
  char            *caption;   /* backend, precision, runs, date */
  GCancellable    *cancel;
};

G_DEFINE_FINAL_TYPE (NdGuidelinePage, nd_guideline_page, GTK_TYPE_BOX)

/* in the order of nd_lab_guideline_names () */
static const char *titles[] = {
  N_("1×1 width ratio (G1)"), N_("Groups (G2)"), N_("Fragments: branches (G3)"),
  N_("Element-wise ops (G4)"), N_("Depth vs width (non-deep)"),
  N_("ParNet's table: ParNet-S/M vs ResNet-34/50"),
};

typedef struct
{
  char *name;
  int   base, size, iters;
} Job;

static void
job_free (Job *job)
{
  g_free (job->name);
  g_free (job);
}

static NdLabExperiment *
run_job (const Job *job, char **caption, GError **error)
{
  g_autoptr(NdBackend) backend = nd_backend_new ("cpu", -1, error);
  NdLabExperiment *e;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *date = NULL;

  if (backend == NULL)
    return NULL;
  e = nd_lab_guideline_run (job->name, backend, job->base, job->size, WARMUP, job->iters,
                            error);
  now = g_date_time_new_now_utc ();
  date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  if (nd_lab_guideline_uses_models (job->name))
    *caption = g_strdup_printf (_("%s · float32 · %d×%d · %d runs each · %s"),
                                backend->description, job->size, job->size, job->iters, date);
  else
    *caption = g_strdup_printf (_("%s · float32 · %d runs each · %s"), backend->description,
                                job->iters, date);
  return e;
}

static char *
cell_ms (const NdLabVariant *v)
{
  return v == NULL ? g_strdup ("–")
                   : g_strdup_printf ("%.1f (%.1f–%.1f)", v->lat.median, v->lat.p25, v->lat.p75);
}

static void
table_cell (GtkGrid *grid, int col, int row, const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), col == 0 ? 0 : 1);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (row == 0)
    gtk_widget_add_css_class (label, "heading");
  else if (col > 0)
    gtk_widget_add_css_class (label, "numeric");
  gtk_grid_attach (grid, label, col, row, 1, 1);
}

/* ParNet's table as `nondeep-cli guideline parnet-table` prints it: a row per preset. */
static void
fill_table (NdGuidelinePage *self, const NdLabExperiment *e)
{
  static const char *heads[] = {
    N_("model"), N_("params M"), N_("GMACs"), N_("depth"), N_("unfused ms"), N_("fused ms"),
    N_("concurrent ms"), N_("sequential ms"), N_("top-1 (quoted)"),
  };
  GtkWidget *child;
  int row = 1;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))) != NULL)
    gtk_grid_remove (self->table, child);
  gtk_widget_set_visible (GTK_WIDGET (self->table), nd_lab_guideline_uses_models (e->name));
  if (!nd_lab_guideline_uses_models (e->name))
    return;
  for (guint c = 0; c < G_N_ELEMENTS (heads); c++)
    table_cell (self->table, c, 0, _(heads[c]));
  for (guint i = 0; i < e->variants->len; i++)
    {
      const NdLabVariant *v = g_ptr_array_index (e->variants, i);
      const NdLabVariant *u = nd_lab_experiment_find (e, v->model, FALSE, ND_STREAMS_AUTO);
      const NdLabVariant *f = nd_lab_experiment_find (e, v->model, TRUE, ND_STREAMS_AUTO);
      g_autofree char *params = NULL, *macs = NULL, *depth = NULL, *top1 = NULL;
      g_autofree char *cu = NULL, *cf = NULL, *cc = NULL, *cs = NULL;

      if (v != u || f == NULL)   /* one row per preset, at its unfused variant */
        continue;
      params = g_strdup_printf ("%.2f → %.2f", u->params / 1e6, f->params / 1e6);
      macs = g_strdup_printf ("%.3f → %.3f", u->macs / 1e9, f->macs / 1e9);
      depth = g_strdup_printf ("%d", f->weight_depth);
      top1 = f->quoted == NULL ? g_strdup ("–")
             : g_strdup_printf ("%.2f%s", f->quoted->top1, f->quoted->verified ? "" : "?");
      cu = cell_ms (u);
      cf = cell_ms (f);
      cc = cell_ms (nd_lab_experiment_find (e, v->model, TRUE, ND_STREAMS_CONCURRENT));
      cs = cell_ms (nd_lab_experiment_find (e, v->model, TRUE, ND_STREAMS_SEQUENTIAL));
      table_cell (self->table, 0, row, v->model);
      table_cell (self->table, 1, row, params);
      table_cell (self->table, 2, row, macs);
      table_cell (self->table, 3, row, depth);
      table_cell (self->table, 4, row, cu);
      table_cell (self->table, 5, row, cf);
      table_cell (self->table, 6, row, cc);
      table_cell (self->table, 7, row, cs);
      table_cell (self->table, 8, row, top1);
      row++;
    }
}

static void
show (NdGuidelinePage *self, NdLabExperiment *e, char *caption)
{
  g_autofree char *source = NULL, *cmd = NULL;

  g_clear_pointer (&self->result, nd_lab_experiment_free);
  g_free (self->caption);
  self->result = e;
  self->caption = caption;
  source = g_markup_printf_escaped ("%s\n<small>%s</small>", e->claim, e->source);
  gtk_label_set_markup (self->claim, source);
  gtk_label_set_text (self->finding, e->finding);
  fill_table (self, e);
  if (nd_lab_guideline_uses_models (e->name))
    cmd = g_strdup_printf (_("The same as: nondeep-cli guideline %s --resolution %d (median of "
                             "repeated runs, variants alternating; whiskers and brackets: "
                             "25–75 %%; params and GMACs unfused → fused; top-1 quoted from the "
                             "papers, not measured, ? unverified)"), e->name,
                           e->variants->len > 0 ? ((const NdLabVariant *)
                                                   g_ptr_array_index (e->variants, 0))->graph->in_h
                                                : 0);
  else
    cmd = g_strdup_printf (_("The same as: nondeep-cli guideline %s (median of repeated runs, "
                             "variants alternating; whiskers: 25–75 %%)"), e->name);
  gtk_label_set_text (self->status, cmd);
  gtk_widget_queue_draw (GTK_WIDGET (self->bars));
}

static void
draw_bars (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdGuidelinePage *self = data;
  guint n = self->result ? self->result->variants->len : 0;
  g_autofree NdPlotBar *bars = g_new0 (NdPlotBar, MAX (n, 1));
  g_auto(GStrv) notes = g_new0 (char *, n + 1);
  NdRenderStyle style;

  for (guint i = 0; i < n; i++)
    {
      const NdLabVariant *v = g_ptr_array_index (self->result->variants, i);

      notes[i] = g_strdup_printf (_("%.1f MFLOPs · %.2f MB"), v->flops / 1e6, v->bytes / 1e6);
      bars[i] = (NdPlotBar) { .label = v->label, .value = v->lat.median, .lo = v->lat.p25,
                              .hi = v->lat.p75, .note = notes[i] };
    }
  nd_render_style_init (&style, adw_style_manager_get_dark (adw_style_manager_get_default ()));
  nd_render_bars (cr, bars, (int) n, _("latency (ms, median)"), self->caption, w, h, &style);
}

static void
run_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  char *caption = NULL;
  GError *error = NULL;
  NdLabExperiment *e = run_job (data, &caption, &error);

  if (e == NULL)
    {
      g_free (caption);
      g_task_return_error (task, error);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "caption", caption, g_free);
  g_task_return_pointer (task, e, (GDestroyNotify) nd_lab_experiment_free);
}

static void
run_done (GObject *source, GAsyncResult *res, gpointer data)
{
  NdGuidelinePage *self = ND_GUIDELINE_PAGE (source);
  g_autoptr(GError) error = NULL;
  NdLabExperiment *e = g_task_propagate_pointer (G_TASK (res), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run), TRUE);
  if (e == NULL)
    {
      gtk_label_set_text (self->status, error->message);
      return;
    }
  show (self, e, g_strdup (g_object_get_data (G_OBJECT (res), "caption")));
}

static Job *
job_new (const char *name, int base, int size, int iters)
{
  Job *job = g_new0 (Job, 1);

  *job = (Job) { .name = g_strdup (name), .base = base, .size = size, .iters = iters };
  return job;
}

static void
run_clicked (GtkButton *button, NdGuidelinePage *self)
{
  const char *const *names = nd_lab_guideline_names ();
  g_autoptr(GTask) task = g_task_new (self, self->cancel, run_done, NULL);
  guint i = gtk_drop_down_get_selected (self->which);

  g_task_set_task_data (task, job_new (names[i], BASE_CHANNELS,
                                       nd_lab_guideline_uses_models (names[i]) ? RESOLUTION
                                                                               : MAP_SIZE,
                                       ITERS),
                        (GDestroyNotify) job_free);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run), FALSE);
  gtk_spinner_start (self->spinner);
  gtk_label_set_text (self->status, _("Running…"));
  g_task_run_in_thread (task, run_thread);
}

static GtkLabel *
wrapped_label (void)
{
  GtkLabel *label = GTK_LABEL (gtk_label_new (""));

  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_xalign (label, 0);
  gtk_label_set_selectable (label, TRUE);
  return label;
}

static void
nd_guideline_page_init (NdGuidelinePage *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  const char *names[G_N_ELEMENTS (titles) + 1] = { NULL };

  g_assert (g_strv_length ((char **) nd_lab_guideline_names ()) == G_N_ELEMENTS (titles));
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    names[i] = _(titles[i]);
  self->cancel = g_cancellable_new ();
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  self->which = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (names));
  self->run = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Run")));
  gtk_widget_add_css_class (GTK_WIDGET (self->run), "suggested-action");
  g_signal_connect (self->run, "clicked", G_CALLBACK (run_clicked), self);
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->which));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->run));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->spinner));
  self->claim = wrapped_label ();
  self->finding = wrapped_label ();
  self->status = wrapped_label ();
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_label_set_text (self->claim, _("Each experiment builds small networks of equal FLOPs that "
                                     "differ in one design choice, runs them in turn on the "
                                     "CPU, and sets what the paper claims beside what this "
                                     "machine shows. ParNet's table runs four whole models at "
                                     "224 px instead, which takes longer (about a minute on two "
                                     "busy cores) and 4–5 GB of memory."));
  self->bars = GTK_DRAWING_AREA (gtk_drawing_area_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->bars), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->bars), -1, 240);
  gtk_drawing_area_set_draw_func (self->bars, draw_bars, self, NULL);
  self->table = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_column_spacing (self->table, 12);
  gtk_grid_set_row_spacing (self->table, 2);
  gtk_widget_set_visible (GTK_WIDGET (self->table), FALSE);
  gtk_box_append (GTK_BOX (self), row);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->claim));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->bars));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->table));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->finding));
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->status));
}

static void
nd_guideline_page_dispose (GObject *object)
{
  NdGuidelinePage *self = ND_GUIDELINE_PAGE (object);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  g_clear_object (&self->cancel);
  g_clear_pointer (&self->result, nd_lab_experiment_free);
  g_clear_pointer (&self->caption, g_free);
  G_OBJECT_CLASS (nd_guideline_page_parent_class)->dispose (object);
}

static void
nd_guideline_page_class_init (NdGuidelinePageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_guideline_page_dispose;
}

GtkWidget *
nd_guideline_page_new (void)
{
  return g_object_new (ND_TYPE_GUIDELINE_PAGE, NULL);
}

gboolean
nd_guideline_page_run (NdGuidelinePage *self, const char *name, int base_channels, int size,
                       int iters, GError **error)
{
  Job *job = job_new (name, base_channels, size, MAX (iters, 1));
  char *caption = NULL;
  NdLabExperiment *e = run_job (job, &caption, error);
  const char *const *names = nd_lab_guideline_names ();

  job_free (job);
  if (e == NULL)
    {
      g_free (caption);
      return FALSE;
    }
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      gtk_drop_down_set_selected (self->which, i);
  show (self, e, caption);
  return TRUE;
}

const NdLabExperiment *
nd_guideline_page_get_result (NdGuidelinePage *self)
{
  g_return_val_if_fail (ND_IS_GUIDELINE_PAGE (self), NULL);
  return self->result;
}

GtkWidget *
nd_guideline_page_get_table (NdGuidelinePage *self)
{
  g_return_val_if_fail (ND_IS_GUIDELINE_PAGE (self), NULL);
  return GTK_WIDGET (self->table);
}
