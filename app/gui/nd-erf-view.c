/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "nd-backend-cpu.h"
#include "nd-colormap.h"
#include "nd-dataset.h"
#include "nd-erf-compare.h"
#include "nd-erf-view.h"
#include "nd-error.h"
#include "nd-render-style.h"
#include "nd-theme.h"

/* Random inputs the field is averaged over: enough for a smooth map of the default model in
 * about a second on two cores. */
#define ERF_SAMPLES 8

typedef struct
{
  NdGraph  *graph;
  NdTensor *input;
  char     *block;
  gboolean  dataset;    /* Fashion-MNIST test images instead of random inputs */
} Job;

typedef struct
{
  NdErf     erf;
  NdTensor *cam;        /* [1, 1, H, W] */
  int       klass;
  char     *cam_block;
  gboolean  dataset;
} Result;

struct _NdErfView
{
  GtkWidget      parent_instance;
  GtkWidget     *box;
  GtkWidget     *erf_area, *cam_area;
  GtkWidget     *erf_label, *cam_label, *status;
  GtkWidget     *spinner;
  GtkWidget     *inputs_box;     /* random inputs / dataset images, for gray models */
  GtkWidget     *random_button, *dataset_button;
  NdGraph       *graph;
  char          *block;
  NdTensor      *input;
  char         **labels;
  Result        *result;
  guint          serial;
  gboolean       busy;
  NdRenderStyle  style;
};

G_DEFINE_FINAL_TYPE (NdErfView, nd_erf_view, GTK_TYPE_WIDGET)

static void
job_free (Job *job)
{
  g_clear_pointer (&job->graph, nd_graph_unref);
  g_clear_pointer (&job->input, nd_tensor_unref);
  g_free (job->block);
  g_free (job);
}

static void
result_free (Result *r)
{
  nd_erf_clear (&r->erf);
  g_clear_pointer (&r->cam, nd_tensor_unref);
  g_free (r->cam_block);
  g_free (r);
}

/* ERF_SAMPLES Fashion-MNIST test images (chosen by seed 1) through the gray transform every
 * shipped gray model was trained with (pad or resize to the input side, Fashion-MNIST's
 * mean and std), as [N, 1, R, R]. */
static NdTensor *
dataset_inputs (const NdGraph *graph, GError **error)
{
  g_autoptr(NdDataset) set = nd_dataset_load_fashion_mnist (NULL, TRUE, error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  NdTensor *out;
  NdGrayPreprocess pp;

  if (set == NULL || !nd_gray_preprocess_parse (NULL, &pp, error))
    return NULL;
  pp.size = graph->in_h;
  out = nd_tensor_new_4d (ERF_SAMPLES, 1, pp.size, pp.size);
  for (int i = 0; i < ERF_SAMPLES; i++)
    nd_dataset_fill_input (set, g_rand_int_range (rand, 0, set->n), &pp, out, i);
  return out;
}

/* Worker thread: the field over random inputs or dataset images, then Grad-CAM of the
 * input's top class. */
static void
start_compute (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdPlan) plan = NULL;
  g_autofree int *capture = NULL;
  NdPlanOptions opts = { .batch = 1 };
  NdGradUnit unit = { nd_grad_find_block (job->graph, job->block), -1, -1, -1 };
  NdSaliency sal = { 0 };
  GError *error = NULL;
  Result *r = g_new0 (Result, 1);
  const NdTensor *logits;

  if (unit.node < 0)
    error = g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                         _("No block %s in this model"), job->block);
  if (error == NULL && job->dataset)
    {
      g_autoptr(NdTensor) inputs = dataset_inputs (job->graph, &error);

      if (inputs != NULL)
        nd_grad_erf_inputs (job->graph, cpu, &unit, inputs, &r->erf, &error);
    }
  else if (error == NULL)
    nd_grad_erf (job->graph, cpu, &unit, ERF_SAMPLES, 1, &r->erf, &error);
  if (error == NULL)
    {
      capture = nd_grad_capture_all (job->graph, &opts.n_capture);
      opts.capture = capture;
      plan = nd_backend_prepare (cpu, job->graph, &opts, &error);
    }
  if (error == NULL && nd_plan_run (plan, job->input, &error))
    {
      logits = plan->output;
      r->klass = 0;
      for (int k = 1; k < logits->numel; k++)
        if (logits->data[k] > logits->data[r->klass])
          r->klass = k;
      if (nd_grad_saliency (job->graph, plan->captured, &r->klass, ND_SALIENCY_GRADCAM, &sal,
                            &error))
        {
          const NdNode *node = nd_graph_node (job->graph, sal.cam_node);

          r->cam = g_steal_pointer (&sal.map);
          r->cam_block = g_strdup (node->block ? node->block : node->name);
          nd_saliency_clear (&sal);
        }
    }
  if (error != NULL)
    {
      result_free (r);
      g_task_return_error (task, error);
      return;
    }
  r->dataset = job->dataset;
  g_task_return_pointer (task, r, (GDestroyNotify) result_free);
}

static void
update_labels (NdErfView *self)
{
  const Result *r = self->result;
  g_autofree char *erf = NULL, *cam = NULL;

  gtk_widget_set_visible (self->spinner, self->busy);
  if (r == NULL)
    return;
  if (r->dataset)
    erf = g_strdup_printf (_("50 %% of the gradient mass within %.1f px, 95 %% within %.1f px · "
                             "theoretical field %d×%d px%s · %d Fashion-MNIST test images"),
                           r->erf.radius_50, r->erf.radius_95, r->erf.rf_width,
                           r->erf.rf_height, r->erf.rf_global ? _(" plus global paths") : "",
                           r->erf.samples);
  else
    erf = g_strdup_printf (_("50 %% of the gradient mass within %.1f px, 95 %% within %.1f px · "
                             "theoretical field %d×%d px%s · %d random inputs"),
                           r->erf.radius_50, r->erf.radius_95, r->erf.rf_width,
                           r->erf.rf_height, r->erf.rf_global ? _(" plus global paths") : "",
                           r->erf.samples);
  gtk_label_set_text (GTK_LABEL (self->erf_label), erf);
  if (self->labels && r->klass < (int) g_strv_length (self->labels))
    cam = g_strdup_printf (_("Grad-CAM of the top class, “%s”, on %s"), self->labels[r->klass],
                           r->cam_block);
  else
    cam = g_strdup_printf (_("Grad-CAM of the top class, %d, on %s"), r->klass, r->cam_block);
  gtk_label_set_text (GTK_LABEL (self->cam_label), cam);
}

static void
computed_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  NdErfView *self = ND_ERF_VIEW (source);
  g_autoptr(GError) error = NULL;
  Result *r = g_task_propagate_pointer (G_TASK (res), &error);

  if (GPOINTER_TO_UINT (data) != self->serial)
    {
      g_clear_pointer (&r, result_free);
      return;
    }
  self->busy = FALSE;
  g_clear_pointer (&self->result, result_free);
  self->result = r;
  gtk_label_set_text (GTK_LABEL (self->status), error ? error->message : "");
  update_labels (self);
  gtk_widget_queue_draw (self->erf_area);
  gtk_widget_queue_draw (self->cam_area);
}

/* @map [h × w] scaled to its maximum, through the feature-map colormap, as a surface; with
 * @under, the input in grey shows through (45 %). */
static cairo_surface_t *
heat_surface (const float *map, int h, int w, const NdTensor *under)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  guint8 *px = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  double max = 0, lo = INFINITY, hi = -INFINITY;
  int C = under ? (int) under->shape[1] : 0;

  for (int i = 0; i < h * w; i++)
    max = MAX (max, map[i]);
  for (int i = 0; under && i < C * h * w; i++)
    {
      lo = MIN (lo, under->data[i]);
      hi = MAX (hi, under->data[i]);
    }
  cairo_surface_flush (s);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double r, g, b, grey = 0;

        nd_colormap_rgb (ND_COLORMAP_VIRIDIS, max > 0 ? map[y * w + x] / max : 0, &r, &g, &b);
        if (under != NULL && hi > lo)
          {
            for (int c = 0; c < C; c++)
              grey += (under->data[(c * h + y) * w + x] - lo) / (hi - lo) / C;
            r = 0.45 * grey + 0.55 * r;
            g = 0.45 * grey + 0.55 * g;
            b = 0.45 * grey + 0.55 * b;
          }
        *(guint32 *) (px + y * stride + x * 4) = (guint32) lround (r * 255) << 16
                                                 | (guint32) lround (g * 255) << 8
                                                 | (guint32) lround (b * 255);
      }
  cairo_surface_mark_dirty (s);
  return s;
}

/* Fits an @iw × @ih image into @w × @h (centred, square pixels); returns the scale. */
static double
fit (cairo_t *cr, int w, int h, int iw, int ih)
{
  double scale = MIN ((double) w / iw, (double) h / ih);

  cairo_translate (cr, (w - iw * scale) / 2, (h - ih * scale) / 2);
  cairo_scale (cr, scale, scale);
  return scale;
}

void
nd_erf_draw (cairo_t *cr, int w, int h, const NdErf *erf, const NdRenderStyle *style)
{
  cairo_surface_t *s;
  double scale;
  int ih, iw;

  if (erf == NULL || erf->map == NULL)
    return;
  ih = (int) erf->map->shape[2];
  iw = (int) erf->map->shape[3];
  s = heat_surface (erf->map->data, ih, iw, NULL);
  cairo_save (cr);
  scale = fit (cr, w, h, iw, ih);
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_surface_destroy (s);
  cairo_rectangle (cr, 0, 0, iw, ih);
  cairo_clip (cr);
  cairo_set_line_width (cr, 2 / scale);
  /* the theoretical field (clipped to the image) */
  nd_render_set_rgba (cr, style->accent);
  cairo_rectangle (cr, erf->rf_x0, erf->rf_y0, erf->rf_x1 - erf->rf_x0 + 1,
                   erf->rf_y1 - erf->rf_y0 + 1);
  cairo_stroke (cr);
  /* the mass radii around its centre: 50 % solid, 95 % dashed (pixel centres at +0.5) */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_arc (cr, erf->centre_x + 0.5, erf->centre_y + 0.5, erf->radius_50, 0, 2 * G_PI);
  cairo_stroke (cr);
  cairo_set_dash (cr, (double[]) { 6 / scale, 4 / scale }, 2, 0);
  cairo_arc (cr, erf->centre_x + 0.5, erf->centre_y + 0.5, erf->radius_95, 0, 2 * G_PI);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_erf (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdErfView *self = data;

  nd_erf_draw (cr, w, h, self->result ? &self->result->erf : NULL, &self->style);
}

static void
draw_cam (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdErfView *self = data;
  const Result *r = self->result;
  cairo_surface_t *s;
  int ih, iw;

  if (r == NULL || r->cam == NULL || self->input == NULL)
    return;
  ih = (int) r->cam->shape[2];
  iw = (int) r->cam->shape[3];
  s = heat_surface (r->cam->data, ih, iw, self->input);
  fit (cr, w, h, iw, ih);
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_paint (cr);
  cairo_surface_destroy (s);
}

static GtkWidget *
pane (NdErfView *self, const char *title, GtkWidget **area, GtkWidget **label,
      GtkDrawingAreaDrawFunc draw)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (title);

  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  *area = gtk_drawing_area_new ();
  gtk_widget_set_hexpand (*area, TRUE);
  gtk_widget_set_vexpand (*area, TRUE);
  gtk_widget_set_size_request (*area, 280, 280);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (*area), draw, self, NULL);
  *label = gtk_label_new ("");
  gtk_label_set_wrap (GTK_LABEL (*label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (*label), 0);
  gtk_widget_add_css_class (*label, "dim-label");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), *area);
  gtk_box_append (GTK_BOX (box), *label);
  gtk_widget_set_hexpand (box, TRUE);
  return box;
}

static void start (NdErfView *self);

static void
inputs_toggled_cb (NdErfView *self)
{
  if (self->graph != NULL)
    start (self);
}

/* ParNet-S's streams next to a ResNet block of the same depth, at this model's resolution. */
static void
compare_clicked_cb (NdErfView *self)
{
  nd_erf_compare_present (GTK_WIDGET (self), self->graph ? self->graph->in_h : 224,
                          ERF_SAMPLES);
}

static void
nd_erf_view_init (NdErfView *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *compare = gtk_button_new_with_label (_("Compare ParNet Streams with ResNet…"));

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_start (self->box, 18);
  gtk_widget_set_margin_end (self->box, 18);
  gtk_widget_set_margin_top (self->box, 12);
  gtk_widget_set_margin_bottom (self->box, 18);
  gtk_box_append (GTK_BOX (row), pane (self, _("Effective receptive field"), &self->erf_area,
                                       &self->erf_label, draw_erf));
  gtk_box_append (GTK_BOX (row), pane (self, _("Grad-CAM on the current input"),
                                       &self->cam_area, &self->cam_label, draw_cam));
  self->inputs_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (self->inputs_box, "linked");
  gtk_widget_set_halign (self->inputs_box, GTK_ALIGN_START);
  self->random_button = gtk_toggle_button_new_with_label (_("Random Inputs"));
  self->dataset_button = gtk_toggle_button_new_with_label (_("Dataset Images"));
  gtk_widget_set_tooltip_text (self->random_button,
                               _("Average the gradient over inputs of N(0, 1) noise"));
  gtk_widget_set_tooltip_text (self->dataset_button,
                               _("Average the gradient over Fashion-MNIST test images"));
  gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (self->dataset_button),
                               GTK_TOGGLE_BUTTON (self->random_button));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->random_button), TRUE);
  g_signal_connect_swapped (self->dataset_button, "toggled", G_CALLBACK (inputs_toggled_cb),
                            self);
  gtk_box_append (GTK_BOX (self->inputs_box), self->random_button);
  gtk_box_append (GTK_BOX (self->inputs_box), self->dataset_button);
  gtk_widget_set_visible (self->inputs_box, FALSE);
  gtk_widget_set_tooltip_text (compare, _("Effective receptive fields of ParNet-S's three "
                                          "streams and a ResNet block of the same depth"));
  g_signal_connect_swapped (compare, "clicked", G_CALLBACK (compare_clicked_cb), self);
  gtk_widget_set_hexpand (self->inputs_box, TRUE);
  gtk_box_append (GTK_BOX (top), self->inputs_box);
  gtk_widget_set_halign (compare, GTK_ALIGN_END);
  gtk_widget_set_hexpand (compare, TRUE);
  gtk_box_append (GTK_BOX (top), compare);
  gtk_box_append (GTK_BOX (self->box), top);
  self->spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), TRUE);
  self->status = gtk_label_new ("");
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_box_append (GTK_BOX (self->box), row);
  gtk_box_append (GTK_BOX (self->box), self->spinner);
  gtk_box_append (GTK_BOX (self->box), self->status);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  nd_render_style_init (&self->style, FALSE);
  nd_theme_follow (GTK_WIDGET (self), &self->style);
}

static void
nd_erf_view_dispose (GObject *object)
{
  NdErfView *self = ND_ERF_VIEW (object);

  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_pointer (&self->result, result_free);
  g_clear_pointer (&self->input, nd_tensor_unref);
  g_clear_pointer (&self->graph, nd_graph_unref);
  g_clear_pointer (&self->block, g_free);
  g_clear_pointer (&self->labels, g_strfreev);
  G_OBJECT_CLASS (nd_erf_view_parent_class)->dispose (object);
}

static void
nd_erf_view_class_init (NdErfViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_erf_view_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

GtkWidget *
nd_erf_view_new (void)
{
  return g_object_new (ND_TYPE_ERF_VIEW, NULL);
}

/* Whether Fashion-MNIST fits @graph's input (one channel, square) and is installed. */
static gboolean
dataset_fits (const NdGraph *graph)
{
  return graph->in_c == 1 && graph->in_h == graph->in_w
         && g_file_test ("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                         G_FILE_TEST_EXISTS);
}

/* Computes the field and Grad-CAM of the source, with the inputs chosen. */
static void
start (NdErfView *self)
{
  g_autoptr(GTask) task = NULL;
  Job *job = g_new0 (Job, 1);

  job->graph = nd_graph_ref (self->graph);
  job->input = nd_tensor_ref (self->input);
  job->block = g_strdup (self->block);
  job->dataset = nd_erf_view_get_dataset (self);
  g_clear_pointer (&self->result, result_free);
  self->busy = TRUE;
  gtk_label_set_text (GTK_LABEL (self->status), _("Computing gradients…"));
  update_labels (self);
  task = g_task_new (self, NULL, computed_cb, GUINT_TO_POINTER (++self->serial));
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, start_compute);
}

void
nd_erf_view_set_source (NdErfView *self, NdGraph *graph, NdTensor *input, const char *block,
                        const char * const *labels)
{
  g_return_if_fail (ND_IS_ERF_VIEW (self));
  g_clear_pointer (&self->graph, nd_graph_unref);
  self->graph = nd_graph_ref (graph);
  g_free (self->block);
  self->block = g_strdup (block);
  g_clear_pointer (&self->input, nd_tensor_unref);
  self->input = nd_tensor_ref (input);
  g_clear_pointer (&self->labels, g_strfreev);
  self->labels = g_strdupv ((char **) labels);
  gtk_widget_set_visible (self->inputs_box, dataset_fits (graph));
  start (self);
}

gboolean
nd_erf_view_get_dataset (NdErfView *self)
{
  return gtk_widget_get_visible (self->inputs_box)
         && gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->dataset_button));
}

gboolean
nd_erf_view_set_dataset (NdErfView *self, gboolean dataset)
{
  g_return_val_if_fail (ND_IS_ERF_VIEW (self), FALSE);
  if (dataset && !gtk_widget_get_visible (self->inputs_box))
    return FALSE;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dataset ? self->dataset_button
                                                           : self->random_button), TRUE);
  return TRUE;
}

gboolean
nd_erf_view_is_busy (NdErfView *self)
{
  return self->busy;
}

const NdErf *
nd_erf_view_get_erf (NdErfView *self)
{
  return self->result ? &self->result->erf : NULL;
}

int
nd_erf_view_get_class (NdErfView *self)
{
  return self->result && self->result->cam ? self->result->klass : -1;
}

NdErfView *
nd_erf_view_present (GtkWidget *parent, NdGraph *graph, NdTensor *input, const char *block,
                     const char * const *labels)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *view = nd_erf_view_new ();
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  g_autofree char *title = g_strdup_printf (_("Gradients · block %s"), block);

  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 560);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), view);
  gtk_widget_set_vexpand (view, TRUE);
  adw_window_set_content (ADW_WINDOW (window), box);
  nd_erf_view_set_source (ND_ERF_VIEW (view), graph, input, block, labels);
  gtk_window_present (GTK_WINDOW (window));
  return ND_ERF_VIEW (view);
}
