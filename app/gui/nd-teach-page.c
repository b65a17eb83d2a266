/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-backend.h"
#if ND_HAVE_CAPTURE
#include "nd-camera-controller.h"
#endif
#include "nd-error.h"
#include "nd-image-load.h"
#include "nd-teach-page-private.h"

G_DEFINE_FINAL_TYPE (NdTeachPage, nd_teach_page, GTK_TYPE_WIDGET)

static void
teach_class_free (TeachClass *c)
{
  g_free (c->name);
  g_ptr_array_unref (c->samples);
  g_free (c);
}

void
_nd_teach_page_set_message (NdTeachPage *self, const char *text)
{
  gtk_label_set_text (self->result_label, text);
}

TeachSource *
_nd_teach_page_source (NdTeachPage *self, GError **error)
{
  if (gtk_drop_down_get_selected (self->backbone_dropdown) == 1)
    return _nd_teach_source_window (self, error);
  return _nd_teach_source_shipped ();
}

/* The backbone of the chosen source, built here (Load; Train builds it on its worker). */
static gboolean
ensure_backbone (NdTeachPage *self, GError **error)
{
  g_autoptr(TeachSource) src = _nd_teach_page_source (self, error);
  TeachBackbone *bb;

  if (src == NULL)
    return FALSE;
  if (_nd_teach_backbone_is (self->backbone, src))
    return TRUE;
  if ((bb = _nd_teach_backbone_build (src, error)) == NULL)
    return FALSE;
  g_clear_pointer (&self->backbone, _nd_teach_backbone_unref);
  self->backbone = bb;
  gtk_label_set_text (self->backbone_label, bb->title);
  return TRUE;
}

static void
backbone_changed_cb (NdTeachPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TeachSource) src = _nd_teach_page_source (self, &error);

  /* what the next Train or Load will use; the head in use keeps its own backbone */
  gtk_label_set_text (self->backbone_label, src != NULL ? src->title : error->message);
}

void
nd_teach_page_set_window_backbone (NdTeachPage *self, gboolean window)
{
  g_return_if_fail (ND_IS_TEACH_PAGE (self));
  gtk_drop_down_set_selected (self->backbone_dropdown, window ? 1 : 0);
}

char *
nd_teach_page_dup_backbone (NdTeachPage *self, GError **error)
{
  g_autoptr(TeachSource) src = _nd_teach_page_source (self, error);

  return src != NULL ? g_strdup (src->identity) : NULL;
}

static void
update_count (TeachClass *c)
{
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u image",
                                                        "%u images", c->samples->len),
                                           c->samples->len);

  gtk_label_set_text (c->count_label, text);
}

static void
hold_pressed_cb (GtkGestureClick *gesture, int n, double x, double y, TeachClass *c)
{
  nd_teach_page_set_capturing (c->page, c->index, TRUE);
}

static void
hold_released_cb (GtkGestureClick *gesture, int n, double x, double y, TeachClass *c)
{
  nd_teach_page_set_capturing (c->page, c->index, FALSE);
}

static void
hold_stopped_cb (GtkGestureClick *gesture, TeachClass *c)
{
  nd_teach_page_set_capturing (c->page, c->index, FALSE);
}

static void
add_folder_clicked_cb (GtkButton *button, TeachClass *c)
{
  _nd_teach_page_choose_folder (c->page, c->index);
}

static gboolean drop_cb (GtkDropTarget *target, const GValue *value, double x, double y,
                         TeachClass *c);

static GtkWidget *
class_row (TeachClass *c)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name = gtk_label_new (c->name), *count = gtk_label_new (NULL);
  GtkWidget *hold = gtk_button_new_with_label (_("Hold to Capture"));
  GtkWidget *folder = gtk_button_new_from_icon_name ("folder-open-symbolic");
  GtkGesture *press = gtk_gesture_click_new ();

  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (count, "dim-label");
  gtk_widget_set_tooltip_text (hold, _("Hold to add camera frames to this class"));
  gtk_widget_set_tooltip_text (folder, _("Add a folder of images to this class (or drop "
                                         "images or folders on its row)"));
  /* the capture phase: the button itself would take the press for its click */
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
  g_signal_connect (press, "pressed", G_CALLBACK (hold_pressed_cb), c);
  g_signal_connect (press, "released", G_CALLBACK (hold_released_cb), c);
  g_signal_connect (press, "stopped", G_CALLBACK (hold_stopped_cb), c);
  gtk_widget_add_controller (hold, GTK_EVENT_CONTROLLER (press));
  g_signal_connect (folder, "clicked", G_CALLBACK (add_folder_clicked_cb), c);
  {
    GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

    g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), c);
    gtk_widget_add_controller (box, GTK_EVENT_CONTROLLER (drop));
  }
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), count);
  gtk_box_append (GTK_BOX (box), hold);
  gtk_box_append (GTK_BOX (box), folder);
  c->count_label = GTK_LABEL (count);
  update_count (c);
  return box;
}

int
nd_teach_page_add_class (NdTeachPage *self, const char *name)
{
  TeachClass *c;
  g_autofree char *clean = NULL;

  g_return_val_if_fail (ND_IS_TEACH_PAGE (self), -1);
  clean = g_strstrip (g_strdup (name != NULL ? name : ""));
  if (*clean == '\0' || strchr (clean, ',') != NULL
      || self->classes->len >= ND_TEACH_MAX_CLASSES)
    return -1;
  for (guint i = 0; i < self->classes->len; i++)
    if (g_str_equal (((TeachClass *) self->classes->pdata[i])->name, clean))
      return -1;
  c = g_new0 (TeachClass, 1);
  c->name = g_steal_pointer (&clean);
  c->samples = g_ptr_array_new_with_free_func ((GDestroyNotify) _nd_teach_image_free);
  c->page = self;
  c->index = (int) self->classes->len;
  g_ptr_array_add (self->classes, c);
  c->row = class_row (c);
  gtk_list_box_append (self->class_list, c->row);
  return c->index;
}

static void
add_class_cb (NdTeachPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->class_entry));

  if (nd_teach_page_add_class (self, text) >= 0)
    gtk_editable_set_text (GTK_EDITABLE (self->class_entry), "");
  else
    _nd_teach_page_set_message (self, _("A class needs a new name without commas"));
}

int
nd_teach_page_get_n_classes (NdTeachPage *self)
{
  return (int) self->classes->len;
}

void
nd_teach_page_set_capturing (NdTeachPage *self, int index, gboolean capturing)
{
  g_return_if_fail (ND_IS_TEACH_PAGE (self));
  g_return_if_fail (index >= 0 && index < (int) self->classes->len);
  if (capturing)
    self->capturing = index;
  else if (self->capturing == index)
    self->capturing = -1;
  if (capturing && !gtk_toggle_button_get_active (self->camera_button))
    gtk_toggle_button_set_active (self->camera_button, TRUE);
}

guint
nd_teach_page_get_n_samples (NdTeachPage *self, int index)
{
  g_return_val_if_fail (index >= 0 && index < (int) self->classes->len, 0);
  return ((TeachClass *) self->classes->pdata[index])->samples->len;
}

/* Decodes @path and adds it to @c. */
static gboolean
add_file (NdTeachPage *self, TeachClass *c, const char *path, GError **error)
{
  int w, h;
  g_autoptr(GBytes) rgba = nd_image_load_rgba (path, &w, &h, error);

  if (rgba == NULL)
    return FALSE;
  g_ptr_array_add (c->samples, _nd_teach_image_new (g_bytes_get_data (rgba, NULL), w, h, w * 4,
                                                    ND_PIXEL_FORMAT_RGBA8));
  return TRUE;
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg")
         || g_str_has_suffix (lower, ".jpeg") || g_str_has_suffix (lower, ".webp");
}

int
nd_teach_page_add_folder (NdTeachPage *self, int index, const char *dir, GError **error)
{
  g_autoptr(GDir) d = NULL;
  TeachClass *c;
  const char *name;
  int n = 0;

  g_return_val_if_fail (index >= 0 && index < (int) self->classes->len, -1);
  c = self->classes->pdata[index];
  if ((d = g_dir_open (dir, 0, error)) == NULL)
    return -1;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (!is_image_name (name))
        continue;
      if (!add_file (self, c, path, error))
        {
          update_count (c);
          return -1;
        }
      n++;
    }
  update_count (c);
  return n;
}

/* Files or folders dropped on a class's row join that class. */
static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, TeachClass *c)
{
  NdTeachPage *self = c->page;
  g_autoptr(GError) error = NULL;

  for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);
      gboolean ok;

      if (path == NULL)
        continue;
      ok = g_file_test (path, G_FILE_TEST_IS_DIR)
           ? nd_teach_page_add_folder (self, c->index, path, &error) >= 0
           : add_file (self, c, path, &error);
      if (!ok)
        {
          _nd_teach_page_set_message (self, error->message);
          break;
        }
    }
  update_count (c);
  return error == NULL;
}

static void
show_prediction (NdTeachPage *self, const TeachModel *model, const float *logits)
{
  int k = model->head->n_classes, best = 0;
  double sum = 0;
  g_autofree char *text = NULL;

  for (int i = 1; i < k; i++)
    if (logits[i] > logits[best])
      best = i;
  for (int i = 0; i < k; i++)
    sum += exp ((double) logits[i] - logits[best]);
  g_free (self->prediction);
  self->prediction = g_strdup (model->head->classes[best]);
  self->n_predicted++;
  /* translators: the live prediction of the taught head, e.g. "ball · 97 %" */
  text = g_strdup_printf (_("%s · %.0f %%"), self->prediction, 100.0 / sum);
  gtk_label_set_text (self->prediction_label, text);
}

static TeachModel *
model_ref (TeachModel *model)
{
  return g_atomic_rc_box_acquire (model);
}

static void
model_free (TeachModel *model)
{
  g_clear_pointer (&model->plan, nd_plan_free);
  g_clear_pointer (&model->head, nd_teach_head_free);
  g_clear_pointer (&model->backbone, _nd_teach_backbone_unref);
}

void
_nd_teach_model_unref (TeachModel *model)
{
  g_atomic_rc_box_release_full (model, (GDestroyNotify) model_free);
}

#if ND_HAVE_CAPTURE
/* Live classification runs on a worker, one frame at a time: a frame that comes meanwhile
 * waits in @pending, replaced by newer ones, so a slow backbone never holds the main loop or
 * queues frames. */
typedef struct
{
  TeachModel *model;
  NdFrame    *frame;
  NdTensor   *logits;
} PredictJob;

static void
predict_job_free (PredictJob *job)
{
  _nd_teach_model_unref (job->model);
  nd_frame_unref (job->frame);
  g_clear_pointer (&job->logits, nd_tensor_unref);
  g_free (job);
}

static void
predict_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  PredictJob *job = data;
  TeachBackbone *bb = job->model->backbone;
  g_autoptr(NdTensor) x = nd_tensor_new_4d (1, bb->channels, bb->side, bb->side);
  GError *error = NULL;

  if (!_nd_teach_backbone_input (bb, job->frame->data, job->frame->width, job->frame->height,
                                 job->frame->stride, job->frame->format, x, 0, &error)
      || !nd_plan_run (job->model->plan, x, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  job->logits = nd_tensor_copy (job->model->plan->output);
  g_task_return_boolean (task, TRUE);
}

static void predict (NdTeachPage *self, NdFrame *frame);

static void
predicted_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  NdTeachPage *self = ND_TEACH_PAGE (source);
  PredictJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  NdFrame *next;

  self->predicting = FALSE;
  if (self->disposed)
    return;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    _nd_teach_page_set_message (self, error->message);
  else if (job->model == self->model)
    show_prediction (self, job->model, job->logits->data);
  next = g_steal_pointer (&self->pending);
  if (next != NULL && self->model != NULL && self->capturing < 0)
    predict (self, next);
  g_clear_pointer (&next, nd_frame_unref);
}

static void
predict (NdTeachPage *self, NdFrame *frame)
{
  g_autoptr(GTask) task = NULL;
  PredictJob *job;

  if (self->predicting)
    {
      g_clear_pointer ((NdFrame **) &self->pending, nd_frame_unref);
      self->pending = nd_frame_ref (frame);
      return;
    }
  job = g_new0 (PredictJob, 1);
  job->model = model_ref (self->model);
  job->frame = nd_frame_ref (frame);
  task = g_task_new (self, NULL, predicted_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) predict_job_free);
  self->predicting = TRUE;
  g_task_run_in_thread (task, predict_thread);
}

static void
frame_cb (NdCameraController *camera, NdFrame *frame, NdTeachPage *self)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *status = NULL;

  self->n_frames++;
  if (frame->format == ND_PIXEL_FORMAT_RGBA8)
    {
      texture = gdk_memory_texture_new (frame->width, frame->height, GDK_MEMORY_R8G8B8A8,
                                        nd_frame_get_bytes (frame), frame->stride);
      gtk_picture_set_paintable (self->preview, GDK_PAINTABLE (texture));
    }
  status = g_strdup_printf ("%s", nd_camera_controller_get_description (camera));
  gtk_label_set_text (self->status_label, status);
  if (self->capturing >= 0)
    {
      TeachClass *c = self->classes->pdata[self->capturing];

      g_ptr_array_add (c->samples, _nd_teach_image_new (frame->data, frame->width,
                                                        frame->height, frame->stride,
                                                        frame->format));
      update_count (c);
    }
  else if (self->model != NULL)
    predict (self, frame);
}

static void
camera_failed_cb (NdCameraController *camera, const char *message, NdTeachPage *self)
{
  gtk_label_set_text (self->status_label, message);
  gtk_toggle_button_set_active (self->camera_button, FALSE);
}

#endif

static void
camera_toggled_cb (NdTeachPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!gtk_toggle_button_get_active (self->camera_button))
    {
#if ND_HAVE_CAPTURE
      nd_camera_controller_stop (ND_CAMERA_CONTROLLER (self->camera));
#endif
      self->capturing = -1;
      return;
    }
#if ND_HAVE_CAPTURE
  {
    /* listed each time, so that a changed ND_CAMERA_SOURCE takes effect */
    g_auto(GStrv) names = nd_camera_controller_list (ND_CAMERA_CONTROLLER (self->camera),
                                                     &error);

    if (names == NULL || names[0] == NULL)
      {
        gtk_label_set_text (self->status_label,
                            error != NULL ? error->message : _("No camera found"));
        gtk_toggle_button_set_active (self->camera_button, FALSE);
        return;
      }
  }
  gtk_label_set_text (self->status_label, _("Starting the camera…"));
  nd_camera_controller_start (ND_CAMERA_CONTROLLER (self->camera), 0);
#else
  gtk_label_set_text (self->status_label, _("This build has no camera support (GStreamer)"));
  gtk_toggle_button_set_active (self->camera_button, FALSE);
#endif
}

void
nd_teach_page_set_camera_source (NdTeachPage *self, const char *spec)
{
#if ND_HAVE_CAPTURE
  nd_camera_controller_set_spec (ND_CAMERA_CONTROLLER (self->camera), spec);
#endif
}

void
nd_teach_page_set_camera (NdTeachPage *self, gboolean on)
{
  gtk_toggle_button_set_active (self->camera_button, on);
}

guint64
nd_teach_page_get_n_frames (NdTeachPage *self)
{
  return self->n_frames;
}

void
_nd_teach_page_use_head (NdTeachPage *self, TeachBackbone *backbone, NdTeachHead *head,
                         NdPlan *plan)
{
  TeachModel *model = g_atomic_rc_box_new0 (TeachModel);

  model->backbone = _nd_teach_backbone_ref (backbone);
  model->head = head;
  model->plan = plan;
  g_clear_pointer (&self->model, _nd_teach_model_unref);
  self->model = model;
  gtk_widget_set_sensitive (self->save_button, TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self->confusion));
}

void
_nd_teach_page_show_result (NdTeachPage *self, double seconds)
{
  const NdTeachHead *h = self->model->head;
  int train = 0, held = 0;
  g_autofree char *text = NULL;

  for (int c = 0; c < h->n_classes; c++)
    {
      train += h->train_counts[c];
      held += h->holdout_counts[c];
    }
  if (h->holdout_accuracy >= 0 && seconds >= 0)
    text = g_strdup_printf (_("Held-out accuracy %.1f %% on %d images (trained on %d, %.2f s)"),
                            100 * h->holdout_accuracy, held, train, seconds);
  else if (h->holdout_accuracy >= 0)
    text = g_strdup_printf (_("Loaded: held-out accuracy %.1f %% on %d images when taught"),
                            100 * h->holdout_accuracy, held);
  else
    text = g_strdup_printf (_("Trained on %d images; none held out"), train);
  _nd_teach_page_set_message (self, text);
}

const NdTeachHead *
nd_teach_page_get_head (NdTeachPage *self)
{
  return self->model != NULL ? self->model->head : NULL;
}

const char *
nd_teach_page_get_prediction (NdTeachPage *self)
{
  return self->prediction;
}

guint64
nd_teach_page_get_n_predicted (NdTeachPage *self)
{
  return self->n_predicted;
}

gboolean
nd_teach_page_save (NdTeachPage *self, const char *path, GError **error)
{
  if (self->model == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Train first: there is no head to save"));
      return FALSE;
    }
  return nd_teach_head_save (self->model->head, path, error);
}

/* A loaded head's classes replace the rows (they have no images here: the file holds none). */
gboolean
nd_teach_page_load (NdTeachPage *self, const char *path, GError **error)
{
  g_autoptr(NdTeachHead) head = NULL;
  g_autoptr(NdGraph) graph = NULL;
  NdPlanOptions popts = { .batch = 1 };
  NdPlan *plan;
  GtkWidget *child;

  if (self->training != NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Stop training before loading a head"));
      return FALSE;
    }
  if ((head = nd_teach_head_load (path, error)) == NULL || !ensure_backbone (self, error))
    return FALSE;
  /* a head fits the backbone it was taught on, nothing else: features differ */
  if (*head->backbone != '\0' && !g_str_equal (head->backbone, self->backbone->identity))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("The head was taught on “%s”, not on “%s” (pick its backbone under "
                     "Backbone)"), head->backbone, self->backbone->identity);
      return FALSE;
    }
  self->capturing = -1;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->class_list))) != NULL)
    gtk_list_box_remove (self->class_list, child);
  g_ptr_array_set_size (self->classes, 0);
  for (int c = 0; c < head->n_classes; c++)
    {
      int index = nd_teach_page_add_class (self, head->classes[c]);
      TeachClass *tc;
      g_autofree char *text = g_strdup_printf (_("taught on %d"), head->train_counts[c]
                                                                  + head->holdout_counts[c]);

      if (index != c)
        {
          /* " a" and "a": one name once stripped */
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                       _("%s: the class names are not distinct"), path);
          return FALSE;
        }
      tc = self->classes->pdata[index];
      /* the file holds no images: what the class was taught on until new ones come */
      gtk_label_set_text (tc->count_label, text);
    }
  graph = nd_teach_apply_head (self->backbone->graph, head, error);
  if (graph == NULL
      || (plan = nd_backend_prepare (self->backbone->backend, graph, &popts, error)) == NULL)
    return FALSE;
  _nd_teach_page_use_head (self, self->backbone, g_steal_pointer (&head), plan);
  _nd_teach_page_show_result (self, -1);
  return TRUE;
}

static void
save_clicked_cb (NdTeachPage *self)
{
  _nd_teach_page_choose_file (self, TRUE);
}

static void
load_clicked_cb (NdTeachPage *self)
{
  _nd_teach_page_choose_file (self, FALSE);
}

static void
draw_confusion (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  NdTeachPage *self = data;

  if (self->model != NULL && self->model->head->holdout_accuracy >= 0)
    _nd_teach_page_draw_confusion (GTK_WIDGET (area), cr, width, height, self->model->head);
}

static void
nd_teach_page_dispose (GObject *object)
{
  NdTeachPage *self = ND_TEACH_PAGE (object);

  self->disposed = TRUE;
  if (self->training != NULL)
    g_cancellable_cancel (self->training);
#if ND_HAVE_CAPTURE
  if (self->camera != NULL)
    {
      nd_camera_controller_stop (ND_CAMERA_CONTROLLER (self->camera));
      g_signal_handlers_disconnect_by_data (self->camera, self);
      g_clear_object (&self->camera);
    }
#endif
  gtk_widget_dispose_template (GTK_WIDGET (self), ND_TYPE_TEACH_PAGE);
  G_OBJECT_CLASS (nd_teach_page_parent_class)->dispose (object);
}

static void
nd_teach_page_finalize (GObject *object)
{
  NdTeachPage *self = ND_TEACH_PAGE (object);

  g_clear_pointer (&self->model, _nd_teach_model_unref);
  g_clear_pointer (&self->backbone, _nd_teach_backbone_unref);
#if ND_HAVE_CAPTURE
  g_clear_pointer ((NdFrame **) &self->pending, nd_frame_unref);
#endif
  g_clear_pointer (&self->classes, g_ptr_array_unref);
  g_free (self->prediction);
  g_clear_object (&self->training);
  G_OBJECT_CLASS (nd_teach_page_parent_class)->finalize (object);
}

static void
nd_teach_page_class_init (NdTeachPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = nd_teach_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = nd_teach_page_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/nondeep/Explorer/nd-teach-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, NdTeachPage, name)
  BIND (scroller);
  BIND (camera_button);
  BIND (preview);
  BIND (status_label);
  BIND (backbone_dropdown);
  BIND (backbone_label);
  BIND (class_entry);
  BIND (class_list);
  BIND (train_button);
  BIND (save_button);
  BIND (train_progress);
  BIND (result_label);
  BIND (prediction_label);
  BIND (confusion);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, camera_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_class_cb);
  gtk_widget_class_bind_template_callback (widget_class, backbone_changed_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "train_clicked_cb",
                                                G_CALLBACK (_nd_teach_page_train_clicked));
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, load_clicked_cb);
}

static void
nd_teach_page_init (NdTeachPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->classes = g_ptr_array_new_with_free_func ((GDestroyNotify) teach_class_free);
  self->capturing = -1;
#if ND_HAVE_CAPTURE
  self->camera = G_OBJECT (nd_camera_controller_new (NULL));
  g_signal_connect (self->camera, "frame", G_CALLBACK (frame_cb), self);
  g_signal_connect (self->camera, "failed", G_CALLBACK (camera_failed_cb), self);
#endif
  gtk_drawing_area_set_draw_func (self->confusion, draw_confusion, self, NULL);
  backbone_changed_cb (self);
  _nd_teach_page_set_message (self, _("Add classes, hold a class's button while the camera shows it, then "
                       "Train"));
}

GtkWidget *
nd_teach_page_new (void)
{
  return g_object_new (ND_TYPE_TEACH_PAGE, NULL);
}
