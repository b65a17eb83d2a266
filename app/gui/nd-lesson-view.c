/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "nd-lesson-view.h"
#include "nd-lesson.h"
#include "nd-render-lesson.h"

struct _NdLessonView
{
  GtkWidget     parent_instance;
  GtkWidget    *box;
  GtkWidget    *step_label;
  GtkWidget    *out_spin, *in_spin;
  GtkWidget    *pitfall_dropdown;
  GtkWidget    *lambda_box, *lambda_scale;
  GtkWidget    *paper_link;
  GtkWidget    *area;
  GtkWidget    *status_label;

  NdGraph      *train;             /* the source, as given */
  NdTensor     *input;
  char         *block;
  double        lambda;            /* VanillaNet: λ for the lesson, or −1 as trained */
  guint         lambda_timeout;
  NdLesson     *lesson;
  guint         step;
  guint         previous_step;     /* drawn fading out while @fade runs */
  AdwAnimation *fade;
  AdwAnimation *merge_anim;        /* the fused step: the addends slide into the sum */
  double        merge;             /* its value; 1 at rest */
  int           out_c, in_c;
  gboolean      syncing;           /* setting the spin buttons from code */
  int           pitfall;           /* -1 or NdLessonPitfall */
  NdLessonPitfallResult pitfall_result;
  gboolean      have_pitfall;
  guint         busy;              /* jobs in flight */
  guint         serial[2];         /* the newest lesson and pitfall jobs; older results are
                                  * dropped */
  GCancellable *cancellable;
  NdRenderStyle style;
};

G_DEFINE_FINAL_TYPE (NdLessonView, nd_lesson_view, GTK_TYPE_WIDGET)

/* A lesson (and optionally a pitfall) computed on a worker thread from its own refs. */
typedef struct
{
  NdGraph  *train;
  NdTensor *input;
  char     *block;
  int       pitfall;
  double    lambda;
  guint     serial;
  NdLessonPitfallResult result;
} Job;

static void
job_free (Job *job)
{
  nd_graph_unref (job->train);
  nd_tensor_unref (job->input);
  g_free (job->block);
  g_free (job);
}

static void
job_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdLesson) lesson = NULL;
  g_autoptr(NdGraph) graph = NULL;

  /* another λ: a copy of the graph whose leaky ReLUs take it, the weights shared */
  if (job->lambda >= 0)
    {
      graph = nd_graph_copy (job->train);
      for (int i = 0; i < nd_graph_n_nodes (graph); i++)
        if (nd_graph_node (graph, i)->op == ND_OP_LEAKY_RELU)
          nd_graph_node (graph, i)->p.alpha = (float) job->lambda;
    }
  else
    graph = nd_graph_ref (job->train);
  lesson = nd_lesson_new (graph, job->block, job->input, &error);

  if (lesson == NULL
      || (job->pitfall >= 0 && !nd_lesson_pitfall (lesson, job->pitfall, &job->result, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&lesson), (GDestroyNotify) nd_lesson_free);
}

static void
update_controls (NdLessonView *self)
{
  guint n = self->lesson ? self->lesson->steps->len : 0;
  const NdLessonStep *step = n ? g_ptr_array_index (self->lesson->steps, self->step) : NULL;
  g_autofree char *text = NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "lesson.back", n > 0 && self->step > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "lesson.next", self->step + 1 < n);
  text = n ? g_strdup_printf (_("Step %u / %u"), self->step, n - 1) : g_strdup ("–");
  gtk_label_set_text (GTK_LABEL (self->step_label), text);
  if (step != NULL)
    {
      gtk_link_button_set_uri (GTK_LINK_BUTTON (self->paper_link), step->url);
      gtk_button_set_label (GTK_BUTTON (self->paper_link), _(step->reference));
    }
  gtk_widget_set_visible (self->paper_link, step != NULL);
  gtk_widget_queue_draw (self->area);
}

static void
set_status (NdLessonView *self, const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->status_label), text ? text : "");
}

/* The channel ranges of the block: its output channels, and the widest kernel input. */
static void
update_channel_ranges (NdLessonView *self)
{
  int out = 1, in = 1;

  for (int id = self->lesson->first; id <= self->lesson->last; id++)
    {
      const NdNode *node = nd_graph_node (self->lesson->train, id);

      out = MAX (out, node->out_c);
      if (node->op == ND_OP_CONV2D && node->n_inputs > 0)
        in = MAX (in, nd_graph_node (self->lesson->train, node->inputs[0])->out_c);
    }
  self->syncing = TRUE;
  gtk_spin_button_set_range (GTK_SPIN_BUTTON (self->out_spin), 0, out - 1);
  gtk_spin_button_set_range (GTK_SPIN_BUTTON (self->in_spin), 0, in - 1);
  self->syncing = FALSE;
  /* channels chosen before the lesson was ready, now within its ranges */
  nd_lesson_view_set_channels (self, MIN (self->out_c, out - 1), MIN (self->in_c, in - 1));
}

/* The λ slider: VanillaNet only, at the lesson's λ. */
static void
update_lambda (NdLessonView *self)
{
  gboolean vn = g_strcmp0 (self->lesson->family, "vanillanet") == 0;

  gtk_widget_set_visible (self->lambda_box, vn);
  for (guint i = 0; vn && i < self->lesson->steps->len; i++)
    {
      const NdLessonStep *step = g_ptr_array_index (self->lesson->steps, i);

      for (guint k = 0; k < step->tensors->len; k++)
        {
          const NdLessonTensor *t = g_ptr_array_index (step->tensors, k);

          if (g_str_equal (t->name, "lambda"))
            {
              self->syncing = TRUE;
              gtk_range_set_value (GTK_RANGE (self->lambda_scale), t->tensor->data[0]);
              self->syncing = FALSE;
            }
        }
    }
}

static void start_job (NdLessonView *self, int pitfall);

static gboolean
lambda_timeout_cb (gpointer data)
{
  NdLessonView *self = data;

  self->lambda_timeout = 0;
  self->have_pitfall = FALSE;
  start_job (self, -1);
  if (self->pitfall >= 0)
    start_job (self, self->pitfall);
  return G_SOURCE_REMOVE;
}

/* Recomputed once the slider rests, not for every value it passes. */
static void
lambda_cb (GtkRange *range, NdLessonView *self)
{
  if (self->syncing)
    return;
  self->lambda = gtk_range_get_value (range);
  g_clear_handle_id (&self->lambda_timeout, g_source_remove);
  self->lambda_timeout = g_timeout_add (200, lambda_timeout_cb, self);
}

static void
job_done (GObject *source, GAsyncResult *res, gpointer data)
{
  NdLessonView *self = ND_LESSON_VIEW (source);
  Job *job = g_task_get_task_data (G_TASK (res));
  g_autoptr(GError) error = NULL;
  NdLesson *lesson = g_task_propagate_pointer (G_TASK (res), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy--;
  if (job->serial != self->serial[job->pitfall >= 0])
    {
      g_clear_pointer (&lesson, nd_lesson_free);
      return;
    }
  if (lesson == NULL)
    {
      set_status (self, error->message);
      if (job->pitfall < 0)
        g_clear_pointer (&self->lesson, nd_lesson_free);
      self->have_pitfall = FALSE;
      update_controls (self);
      return;
    }
  set_status (self, _("Each step's block output is computed from that step's weights (float32, "
                      "naive reference ops) and compared with the training form."));
  if (job->pitfall >= 0)
    {
      self->pitfall_result = job->result;
      self->have_pitfall = TRUE;
      nd_lesson_free (lesson);
    }
  else
    {
      g_clear_pointer (&self->lesson, nd_lesson_free);
      self->lesson = lesson;
      self->step = MIN (self->step, lesson->steps->len - 1);
      update_channel_ranges (self);
      update_lambda (self);
    }
  update_controls (self);
}

static void
start_job (NdLessonView *self, int pitfall)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, job_done, NULL);
  Job *job = g_new0 (Job, 1);

  job->train = nd_graph_ref (self->train);
  job->input = nd_tensor_ref (self->input);
  job->block = g_strdup (self->block);
  job->pitfall = pitfall;
  job->lambda = self->lambda;
  job->serial = ++self->serial[pitfall >= 0];
  self->busy++;
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, job_thread);
  set_status (self, pitfall >= 0 ? _("Measuring the pitfall…") : _("Computing the lesson…"));
}

static void
draw_cb (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdLessonView *self = data;
  double t = self->fade ? adw_animation_get_value (self->fade) : 1.0;

  nd_render_fill_bg (cr, &self->style, w, h);
  if (self->lesson == NULL)
    return;
  if (self->pitfall >= 0)
    {
      if (self->have_pitfall)
        nd_render_lesson_pitfall (cr, &self->pitfall_result, w, h, &self->style);
      return;
    }
  /* a cross-fade from the previous step (instant when animations are off) */
  if (t < 1.0 && self->previous_step < self->lesson->steps->len)
    {
      cairo_push_group (cr);
      nd_render_lesson_step (cr, self->lesson, self->previous_step, self->out_c, self->in_c, w,
                             h, &self->style);
      cairo_pop_group_to_source (cr);
      cairo_paint_with_alpha (cr, 1.0 - t);
    }
  cairo_push_group (cr);
  nd_render_lesson_step_merge (cr, self->lesson, self->step, self->out_c, self->in_c,
                               self->merge, w, h, &self->style);
  cairo_pop_group_to_source (cr);
  cairo_paint_with_alpha (cr, t);
}

static void
fade_cb (double value, gpointer data)
{
  gtk_widget_queue_draw (ND_LESSON_VIEW (data)->area);
}

static void
merge_cb (double value, gpointer data)
{
  NdLessonView *self = data;

  self->merge = value;
  gtk_widget_queue_draw (self->area);
}

void
nd_lesson_view_set_step (NdLessonView *self, guint step)
{
  g_return_if_fail (ND_IS_LESSON_VIEW (self));
  if (self->lesson == NULL || step >= self->lesson->steps->len || step == self->step)
    return;
  self->previous_step = self->step;
  self->step = step;
  /* AdwAnimation skips to the end by itself when the desktop asks for reduced motion. The
   * fused step plays the merge instead of the cross-fade. */
  adw_animation_skip (self->merge_anim);
  adw_animation_reset (self->fade);
  if (g_strcmp0 (nd_lesson_view_get_step_id (self), "fused") == 0)
    {
      adw_animation_skip (self->fade);
      adw_animation_reset (self->merge_anim);
      adw_animation_play (self->merge_anim);
    }
  else
    adw_animation_play (self->fade);
  update_controls (self);
}

static void
step_action (GtkWidget *widget, const char *name, GVariant *param)
{
  NdLessonView *self = ND_LESSON_VIEW (widget);

  if (g_str_equal (name, "lesson.next"))
    nd_lesson_view_set_step (self, self->step + 1);
  else if (self->step > 0)
    nd_lesson_view_set_step (self, self->step - 1);
}

static void
spin_cb (GtkSpinButton *spin, NdLessonView *self)
{
  if (self->syncing)
    return;
  nd_lesson_view_set_channels (self,
                               gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->out_spin)),
                               gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->in_spin)));
}

static void
pitfall_cb (GObject *dropdown, GParamSpec *pspec, NdLessonView *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (dropdown));

  nd_lesson_view_set_pitfall (self, i == 0 || i == GTK_INVALID_LIST_POSITION ? -1 : (int) i - 1);
}

static void
nd_lesson_view_dispose (GObject *object)
{
  NdLessonView *self = ND_LESSON_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->fade);
  g_clear_object (&self->merge_anim);
  g_clear_pointer (&self->lesson, nd_lesson_free);
  g_clear_pointer (&self->train, nd_graph_unref);
  g_clear_pointer (&self->input, nd_tensor_unref);
  g_clear_pointer (&self->block, g_free);
  g_clear_handle_id (&self->lambda_timeout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), ND_TYPE_LESSON_VIEW);
  G_OBJECT_CLASS (nd_lesson_view_parent_class)->dispose (object);
}

static void
nd_lesson_view_class_init (NdLessonViewClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = nd_lesson_view_dispose;
  gtk_widget_class_set_layout_manager_type (wc, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (wc, "/org/nondeep/Explorer/nd-lesson-view.ui");
  gtk_widget_class_bind_template_child (wc, NdLessonView, box);
  gtk_widget_class_bind_template_child (wc, NdLessonView, step_label);
  gtk_widget_class_bind_template_child (wc, NdLessonView, out_spin);
  gtk_widget_class_bind_template_child (wc, NdLessonView, in_spin);
  gtk_widget_class_bind_template_child (wc, NdLessonView, pitfall_dropdown);
  gtk_widget_class_bind_template_child (wc, NdLessonView, lambda_box);
  gtk_widget_class_bind_template_child (wc, NdLessonView, lambda_scale);
  gtk_widget_class_bind_template_child (wc, NdLessonView, paper_link);
  gtk_widget_class_bind_template_child (wc, NdLessonView, area);
  gtk_widget_class_bind_template_child (wc, NdLessonView, status_label);
  gtk_widget_class_install_action (wc, "lesson.next", NULL, step_action);
  gtk_widget_class_install_action (wc, "lesson.back", NULL, step_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Right, 0, "lesson.next", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Left, 0, "lesson.back", NULL);
}

static void
nd_lesson_view_init (NdLessonView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  nd_render_style_init (&self->style, FALSE);
  self->pitfall = -1;
  self->lambda = -1;
  self->cancellable = g_cancellable_new ();
  self->fade = adw_timed_animation_new (GTK_WIDGET (self), 0, 1, 250,
                                        adw_callback_animation_target_new (fade_cb, self, NULL));
  self->merge = 1.0;
  self->merge_anim = adw_timed_animation_new (GTK_WIDGET (self), 0, 1, 1400,
                                              adw_callback_animation_target_new (merge_cb, self,
                                                                                 NULL));
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw_cb, self, NULL);
  g_signal_connect (self->out_spin, "value-changed", G_CALLBACK (spin_cb), self);
  g_signal_connect (self->in_spin, "value-changed", G_CALLBACK (spin_cb), self);
  g_signal_connect (self->pitfall_dropdown, "notify::selected", G_CALLBACK (pitfall_cb), self);
  g_signal_connect (self->lambda_scale, "value-changed", G_CALLBACK (lambda_cb), self);
  update_controls (self);
}

GtkWidget *
nd_lesson_view_new (void)
{
  return g_object_new (ND_TYPE_LESSON_VIEW, NULL);
}

void
nd_lesson_view_set_source (NdLessonView *self, NdGraph *train, NdTensor *input,
                           const char *block)
{
  g_return_if_fail (ND_IS_LESSON_VIEW (self));
  g_return_if_fail (train != NULL && input != NULL && block != NULL);
  g_clear_pointer (&self->train, nd_graph_unref);
  g_clear_pointer (&self->input, nd_tensor_unref);
  g_free (self->block);
  self->train = nd_graph_ref (train);
  self->input = nd_tensor_ref (input);
  self->block = g_strdup (block);
  self->lambda = -1;
  self->have_pitfall = FALSE;
  start_job (self, -1);
  if (self->pitfall >= 0)
    start_job (self, self->pitfall);
}

gboolean
nd_lesson_view_is_busy (NdLessonView *self)
{
  g_return_val_if_fail (ND_IS_LESSON_VIEW (self), FALSE);
  return self->busy > 0;
}

guint
nd_lesson_view_get_n_steps (NdLessonView *self)
{
  g_return_val_if_fail (ND_IS_LESSON_VIEW (self), 0);
  return self->lesson ? self->lesson->steps->len : 0;
}

guint
nd_lesson_view_get_step (NdLessonView *self)
{
  g_return_val_if_fail (ND_IS_LESSON_VIEW (self), 0);
  return self->step;
}

const char *
nd_lesson_view_get_step_id (NdLessonView *self)
{
  g_return_val_if_fail (ND_IS_LESSON_VIEW (self), NULL);
  if (self->lesson == NULL)
    return NULL;
  return ((NdLessonStep *) g_ptr_array_index (self->lesson->steps, self->step))->id;
}

void
nd_lesson_view_set_channels (NdLessonView *self, int out_c, int in_c)
{
  g_return_if_fail (ND_IS_LESSON_VIEW (self));
  self->out_c = MAX (out_c, 0);
  self->in_c = MAX (in_c, 0);
  self->syncing = TRUE;
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->out_spin), self->out_c);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->in_spin), self->in_c);
  self->syncing = FALSE;
  gtk_widget_queue_draw (self->area);
}

void
nd_lesson_view_set_pitfall (NdLessonView *self, int pitfall)
{
  g_return_if_fail (ND_IS_LESSON_VIEW (self));
  g_return_if_fail (pitfall >= -1 && pitfall <= ND_LESSON_PITFALL_FP16);
  if (pitfall == self->pitfall)
    return;
  self->pitfall = pitfall;
  self->have_pitfall = FALSE;
  if (gtk_drop_down_get_selected (GTK_DROP_DOWN (self->pitfall_dropdown)) != (guint) (pitfall + 1))
    gtk_drop_down_set_selected (GTK_DROP_DOWN (self->pitfall_dropdown), pitfall + 1);
  if (pitfall >= 0 && self->train != NULL)
    start_job (self, pitfall);
  gtk_widget_queue_draw (self->area);
}

void
nd_lesson_view_set_lambda (NdLessonView *self, double lambda)
{
  g_return_if_fail (ND_IS_LESSON_VIEW (self));
  g_return_if_fail (lambda == -1 || (lambda >= 0 && lambda <= 1));
  g_return_if_fail (self->train != NULL);
  self->lambda = lambda;
  g_clear_handle_id (&self->lambda_timeout, g_source_remove);
  lambda_timeout_cb (self);
}

const NdLesson *
nd_lesson_view_get_lesson (NdLessonView *self)
{
  g_return_val_if_fail (ND_IS_LESSON_VIEW (self), NULL);
  return self->lesson;
}

const NdLessonPitfallResult *
nd_lesson_view_get_pitfall_result (NdLessonView *self)
{
  g_return_val_if_fail (ND_IS_LESSON_VIEW (self), NULL);
  return self->pitfall >= 0 && self->have_pitfall ? &self->pitfall_result : NULL;
}

NdLessonView *
nd_lesson_view_present (GtkWidget *parent, NdGraph *train, NdTensor *input, const char *block)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *view = nd_lesson_view_new ();
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  g_autofree char *title = g_strdup_printf (_("Re-parameterization lesson · block %s"), block);

  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_default_size (GTK_WINDOW (window), 980, 760);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), view);
  adw_window_set_content (ADW_WINDOW (window), box);
  nd_lesson_view_set_source (ND_LESSON_VIEW (view), train, input, block);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_grab_focus (ND_LESSON_VIEW (view)->area);
  return ND_LESSON_VIEW (view);
}
