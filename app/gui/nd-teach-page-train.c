/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-teach-page-private.h"

/* Training runs on a worker thread (GTask): the captured images are copied into one tensor
 * on the main thread, then the worker extracts their features with the page's feature plan
 * (which it alone uses meanwhile: Train turns into Stop, and nothing else runs that plan),
 * trains the head and prepares the plan that classifies with it. The main loop only sees
 * progress (an idle per chunk of images) and the result. */

typedef struct
{
  NdTeachPage *page;            /* strong: the task's source object */
  NdGraph     *backbone;
  NdBackend   *backend;
  NdPlan      *feature_plan;
  int          feature_node;
  char        *backbone_name;
  NdTensor    *images;          /* [N, C, R, R] */
  int         *labels;          /* [N] */
  char       **classes;
  gint64       start;
  /* results */
  NdTeachHead *head;
  NdPlan      *head_plan;
  /* progress, written by the worker, shown by an idle */
  gint         done, total;
  guint        progress_id;
  GMutex       lock;
} TrainJob;

static void
train_job_free (TrainJob *job)
{
  g_clear_handle_id (&job->progress_id, g_source_remove);
  g_clear_pointer (&job->backbone, nd_graph_unref);
  g_clear_pointer (&job->images, nd_tensor_unref);
  g_clear_pointer (&job->head, nd_teach_head_free);
  g_clear_pointer (&job->head_plan, nd_plan_free);
  g_free (job->labels);
  g_strfreev (job->classes);
  g_free (job->backbone_name);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static gboolean
show_progress (gpointer data)
{
  TrainJob *job = data;
  int done, total;
  g_autofree char *text = NULL;

  g_mutex_lock (&job->lock);
  job->progress_id = 0;
  done = job->done;
  total = job->total;
  g_mutex_unlock (&job->lock);
  if (done < total)
    /* translators: progress of the Teach page's training: images whose features are ready */
    text = g_strdup_printf (_("Extracting features: %d of %d images"), done, total);
  else
    text = g_strdup (_("Training the head…"));
  gtk_progress_bar_set_fraction (job->page->train_progress, total > 0 ? 0.9 * done / total : 0);
  gtk_progress_bar_set_text (job->page->train_progress, text);
  return G_SOURCE_REMOVE;
}

/* Worker thread: one call per chunk of images. */
static void
progress_cb (int done, int total, gpointer data)
{
  TrainJob *job = data;

  g_mutex_lock (&job->lock);
  job->done = done;
  job->total = total;
  if (job->progress_id == 0)
    job->progress_id = g_idle_add (show_progress, job);
  g_mutex_unlock (&job->lock);
}

static void
train_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  TrainJob *job = data;
  g_autoptr(NdTensor) feats = NULL;
  g_autoptr(NdGraph) graph = NULL;
  g_autoptr(GError) error = NULL;
  NdPlanOptions popts = { .batch = 1 };
  NdTeachOptions o;

  feats = nd_teach_extract_full (job->feature_plan, job->feature_node, job->images,
                                 progress_cb, job, cancellable, &error);
  if (feats == NULL)
    goto fail;
  nd_teach_options_init (&o);
  o.cancellable = cancellable;
  job->head = nd_teach_train (feats, job->labels, (const char * const *) job->classes, &o,
                              &error);
  if (job->head == NULL)
    goto fail;
  g_free (job->head->backbone);
  job->head->backbone = g_strdup (job->backbone_name);
  g_free (job->head->layer);
  job->head->layer = g_strdup (nd_graph_node (job->backbone, job->backbone->output)->name);
  graph = nd_teach_apply_head (job->backbone, job->head, &error);
  if (graph == NULL
      || (job->head_plan = nd_backend_prepare (job->backend, graph, &popts, &error)) == NULL)
    goto fail;
  g_task_return_boolean (task, TRUE);
  return;
fail:
  g_task_return_error (task, g_steal_pointer (&error));
}

/* The captured images as one tensor, their labels and the class names; FALSE when there is
 * too little to train on. */
static TrainJob *
train_job_new (NdTeachPage *self, GError **error)
{
  TrainJob *job;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  int n = 0, r = 0, side;

  if (!_nd_teach_page_ensure_backbone (self, error))
    return NULL;
  for (guint c = 0; c < self->classes->len; c++)
    n += ((TeachClass *) self->classes->pdata[c])->samples->len;
  if (self->classes->len < 2 || n == 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Add two classes or more and capture images for each"));
      return NULL;
    }
  job = g_new0 (TrainJob, 1);
  g_mutex_init (&job->lock);
  side = self->pp.size;
  job->images = nd_tensor_new_4d (n, 1, side, side);
  job->labels = g_new (int, n);
  for (guint c = 0; c < self->classes->len; c++)
    {
      TeachClass *tc = self->classes->pdata[c];

      g_strv_builder_add (names, tc->name);
      for (guint i = 0; i < tc->samples->len; i++, r++)
        {
          memcpy (job->images->data + (gsize) r * side * side,
                  ((NdTensor *) tc->samples->pdata[i])->data, sizeof (float) * side * side);
          job->labels[r] = (int) c;
        }
    }
  job->classes = g_strv_builder_end (names);
  job->page = self;
  job->backbone = nd_graph_ref (self->backbone);
  job->backend = self->backend;
  job->feature_plan = self->feature_plan;
  job->feature_node = self->feature_node;
  job->backbone_name = g_strdup (self->backbone_name);
  job->total = n;
  job->start = g_get_monotonic_time ();
  return job;
}

static void
set_training (NdTeachPage *self, GCancellable *cancellable)
{
  g_set_object (&self->training, cancellable);
  gtk_button_set_label (self->train_button,
                        cancellable != NULL ? _("_Stop Training") : _("_Train"));
  gtk_widget_set_visible (GTK_WIDGET (self->train_progress), cancellable != NULL);
  gtk_progress_bar_set_fraction (self->train_progress, 0);
  gtk_progress_bar_set_text (self->train_progress, NULL);
}

void
nd_teach_page_train_async (NdTeachPage         *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GCancellable) own = cancellable != NULL ? g_object_ref (cancellable)
                                                    : g_cancellable_new ();
  GError *error = NULL;
  TrainJob *job;

  g_return_if_fail (ND_IS_TEACH_PAGE (self));
  task = g_task_new (self, own, callback, user_data);
  g_task_set_source_tag (task, nd_teach_page_train_async);
  if (self->training != NULL)
    {
      g_task_return_new_error (task, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                               _("The page is training already"));
      return;
    }
  job = train_job_new (self, &error);
  if (job == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, job, (GDestroyNotify) train_job_free);
  set_training (self, own);
  g_task_run_in_thread (task, train_thread);
}

gboolean
nd_teach_page_train_finish (NdTeachPage *self, GAsyncResult *result, GError **error)
{
  GTask *task = G_TASK (result);
  TrainJob *job = g_task_get_task_data (task);
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  ok = g_task_propagate_boolean (task, error);
  if (job == NULL)
    return FALSE;   /* refused before it started */
  set_training (self, NULL);
  if (!ok)
    return FALSE;
  _nd_teach_page_use_head (self, g_steal_pointer (&job->head), g_steal_pointer (&job->head_plan));
  _nd_teach_page_show_result (self, (g_get_monotonic_time () - job->start) / 1e6);
  return TRUE;
}

static void
train_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  NdTeachPage *self = ND_TEACH_PAGE (source);
  g_autoptr(GError) error = NULL;

  if (!nd_teach_page_train_finish (self, result, &error))
    _nd_teach_page_set_message (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                      ? _("Training stopped") : error->message);
}

void
_nd_teach_page_train_clicked (NdTeachPage *self)
{
  if (self->training != NULL)
    g_cancellable_cancel (self->training);
  else
    nd_teach_page_train_async (self, NULL, train_done_cb, NULL);
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

gboolean
nd_teach_page_train (NdTeachPage *self, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  nd_teach_page_train_async (self, NULL, sync_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return nd_teach_page_train_finish (self, result, error);
}

gboolean
nd_teach_page_get_training (NdTeachPage *self)
{
  return self->training != NULL;
}
