/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-teach-page-private.h"

/* Training runs on a worker thread (GTask): the main thread hands it the samples (their
 * bytes shared, not copied) and the backbone, built or to build from its source; the worker
 * builds it if need be, preprocesses the samples, extracts their features with the
 * backbone's feature plan (which only one training uses at a time: Train turns into Stop),
 * trains the head and prepares the plan that classifies with it. The main loop only sees
 * progress (an idle per chunk of images) and the result. */

typedef struct
{
  NdTeachPage   *page;            /* strong: the task's source object */
  TeachBackbone *backbone;        /* NULL until built from @source */
  TeachSource   *source;
  GPtrArray     *images;          /* TeachImage, sharing the samples' bytes */
  int           *labels;          /* [N] */
  char         **classes;
  gint64         start;
  /* results */
  NdTeachHead   *head;
  NdPlan        *head_plan;
  /* progress, written by the worker, shown by an idle */
  gint           done, total;
  guint          progress_id;
  GMutex         lock;
} TrainJob;

static void
train_job_free (TrainJob *job)
{
  g_clear_handle_id (&job->progress_id, g_source_remove);
  g_clear_pointer (&job->head_plan, nd_plan_free);
  g_clear_pointer (&job->backbone, _nd_teach_backbone_unref);
  g_clear_pointer (&job->source, _nd_teach_source_free);
  g_clear_pointer (&job->images, g_ptr_array_unref);
  g_clear_pointer (&job->head, nd_teach_head_free);
  g_free (job->labels);
  g_strfreev (job->classes);
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

/* The samples preprocessed for @bb, [N, C, R, R]. */
static NdTensor *
job_inputs (TrainJob *job, TeachBackbone *bb, GError **error)
{
  int64_t shape[4] = { job->images->len, bb->channels, bb->side, bb->side };
  g_autoptr(NdTensor) images = nd_tensor_try_new (4, shape, error);

  for (guint i = 0; images != NULL && i < job->images->len; i++)
    {
      TeachImage *img = job->images->pdata[i];

      if (!_nd_teach_backbone_input (bb, g_bytes_get_data (img->bytes, NULL), img->width,
                                     img->height, img->stride, img->format, images, (int) i,
                                     error))
        return NULL;
    }
  return g_steal_pointer (&images);
}

static void
train_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  TrainJob *job = data;
  g_autoptr(NdTensor) images = NULL, feats = NULL;
  g_autoptr(NdGraph) graph = NULL;
  g_autoptr(GError) error = NULL;
  NdPlanOptions popts = { .batch = 1 };
  TeachBackbone *bb;
  NdTeachOptions o;

  if (job->backbone == NULL
      && (job->backbone = _nd_teach_backbone_build (job->source, &error)) == NULL)
    goto fail;
  bb = job->backbone;
  if ((images = job_inputs (job, bb, &error)) == NULL)
    goto fail;
  feats = nd_teach_extract_full (bb->feature_plan, bb->feature_node, images, progress_cb, job,
                                 cancellable, &error);
  if (feats == NULL)
    goto fail;
  nd_teach_options_init (&o);
  o.cancellable = cancellable;
  job->head = nd_teach_train (feats, job->labels, (const char * const *) job->classes, &o,
                              &error);
  if (job->head == NULL)
    goto fail;
  g_free (job->head->backbone);
  job->head->backbone = g_strdup (bb->identity);
  g_free (job->head->layer);
  job->head->layer = g_strdup (nd_graph_node (bb->graph, bb->graph->output)->name);
  graph = nd_teach_apply_head (bb->graph, job->head, &error);
  if (graph == NULL
      || (job->head_plan = nd_backend_prepare (bb->backend, graph, &popts, &error)) == NULL)
    goto fail;
  g_task_return_boolean (task, TRUE);
  return;
fail:
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
image_share_free (TeachImage *img)
{
  g_bytes_unref (img->bytes);
  g_free (img);
}

/* The training thread: its own, not GTask's pool, so that it can run at a lower priority
 * (nice +10, this thread only) for good: on two cores the main loop and the window's inference
 * worker then get the CPU first, and the page stays live while it trains. */
static gpointer
train_thread_main (gpointer data)
{
  g_autoptr(GTask) task = data;

#ifdef __linux__
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), MIN (19, getpriority (PRIO_PROCESS, 0) + 10));
#endif
  train_thread (task, g_task_get_source_object (task), g_task_get_task_data (task),
                g_task_get_cancellable (task));
  return NULL;
}

/* The samples, their labels and class names, and the backbone (or its source); NULL when
 * there is too little to train on. */
static TrainJob *
train_job_new (NdTeachPage *self, GError **error)
{
  g_autoptr(TeachSource) source = _nd_teach_page_source (self, error);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  TrainJob *job;
  int n = 0;

  if (source == NULL)
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
  job->images = g_ptr_array_new_with_free_func ((GDestroyNotify) image_share_free);
  job->labels = g_new (int, n);
  for (guint c = 0; c < self->classes->len; c++)
    {
      TeachClass *tc = self->classes->pdata[c];

      g_strv_builder_add (names, tc->name);
      for (guint i = 0; i < tc->samples->len; i++)
        {
          TeachImage *img = g_memdup2 (tc->samples->pdata[i], sizeof (TeachImage));

          g_bytes_ref (img->bytes);
          job->labels[job->images->len] = (int) c;
          g_ptr_array_add (job->images, img);
        }
    }
  job->classes = g_strv_builder_end (names);
  job->page = self;
  if (_nd_teach_backbone_is (self->backbone, source))
    job->backbone = _nd_teach_backbone_ref (self->backbone);
  else
    job->source = g_steal_pointer (&source);
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
  g_thread_unref (g_thread_new ("nd-teach-train", train_thread_main, g_object_ref (task)));
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
  if (job->backbone != NULL && job->backbone != self->backbone)
    {
      /* built on the worker: the page's from now on */
      g_clear_pointer (&self->backbone, _nd_teach_backbone_unref);
      self->backbone = _nd_teach_backbone_ref (job->backbone);
      gtk_label_set_text (self->backbone_label, self->backbone->title);
    }
  if (!ok)
    return FALSE;
  _nd_teach_page_use_head (self, job->backbone, g_steal_pointer (&job->head),
                           g_steal_pointer (&job->head_plan));
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
