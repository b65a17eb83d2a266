/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nd-camera-controller.h"
#include "nd-capture.h"
#include "nd-devices.h"
#include "nd-error.h"

/* How long opening a camera may take before it counts as failed (the first frame of a USB
 * camera can take a second or two). */
#define START_TIMEOUT_MS 5000
/* Plenty for a 224 (or 32) input and cheap to decode and resample; what the CLI asks too. */
#define FRAME_WIDTH  640
#define FRAME_HEIGHT 480

/* One start → stop of a camera. GStreamer's threads (frames, bus errors) and the thread that
 * opens the camera only touch it under @lock and hand over through one attached idle source;
 * the main thread detaches it (@owner = NULL) on stop, so a late dispatch does nothing. */
typedef struct
{
  GMutex              lock;
  GMainContext       *context;
  NdCaptureSource     source;
  char               *device;       /* owned strings the source points into */
  char               *pattern;
  GstDevice          *gst_device;
  char               *description;
  NdCapture          *capture;      /* set once the start thread is done */
  NdFrame            *pending;      /* the newest frame not yet dispatched */
  guint64             received;
  gboolean            started;      /* not yet reported */
  char               *failure;      /* not yet reported */
  gboolean            failed;       /* later errors are not news */
  gboolean            posted;       /* a dispatch source is attached */
  gboolean            stopped;
  NdCameraFrameSink   sink;         /* the controller's, copied at start */
  gpointer            sink_data;
  NdCameraController *owner;        /* main thread only */
} Session;

struct _NdCameraController
{
  GObject    parent_instance;
  char      *spec;          /* NULL: ND_CAMERA_SOURCE */
  GPtrArray *cameras;       /* NdCamera: the last list of real cameras */
  Session   *session;
  GThread   *start_thread;
  NdCameraFrameSink sink;
  gpointer   sink_data;
  GDestroyNotify sink_destroy;
};

G_DEFINE_FINAL_TYPE (NdCameraController, nd_camera_controller, G_TYPE_OBJECT)

enum { SIGNAL_STARTED, SIGNAL_FRAME, SIGNAL_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- the source spec ---------------------------------------------------------------------- */

typedef enum { SPEC_AUTO, SPEC_TEST_PATTERN, SPEC_PATH, SPEC_NONE } SpecKind;

typedef struct
{
  SpecKind kind;
  char    *pattern;   /* SPEC_TEST_PATTERN */
  int      frames;    /* SPEC_TEST_PATTERN: 0 = endless */
  char    *path;      /* SPEC_PATH */
} Spec;

static void
spec_clear (Spec *spec)
{
  g_clear_pointer (&spec->pattern, g_free);
  g_clear_pointer (&spec->path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Spec, spec_clear)

static gboolean
parse_spec (const char *text, Spec *spec, GError **error)
{
  memset (spec, 0, sizeof *spec);
  if (text == NULL || *text == '\0' || g_str_equal (text, "auto"))
    return TRUE;
  if (g_str_equal (text, "none"))
    {
      spec->kind = SPEC_NONE;
      return TRUE;
    }
  if (text[0] == '/')
    {
      spec->kind = SPEC_PATH;
      spec->path = g_strdup (text);
      return TRUE;
    }
  if (g_str_equal (text, "test-pattern") || g_str_has_prefix (text, "test-pattern:"))
    {
      g_auto(GStrv) parts = g_strsplit (text, ":", 3);
      guint64 frames = 0;

      spec->kind = SPEC_TEST_PATTERN;
      spec->pattern = g_strdup (parts[1] != NULL && *parts[1] != '\0' ? parts[1] : "ball");
      if (parts[1] != NULL && parts[2] != NULL
          && !g_ascii_string_to_unsigned (parts[2], 10, 1, 10000000, &frames, NULL))
        {
          spec_clear (spec);
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a frame count (camera source “%s”)"), parts[2], text);
          return FALSE;
        }
      spec->frames = (int) frames;
      return TRUE;
    }
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
               _("The camera source “%s” is not understood: use test-pattern[:PATTERN[:FRAMES]], "
                 "a device such as /dev/video0, auto or none"), text);
  return FALSE;
}

static const char *
current_spec (NdCameraController *self)
{
  return self->spec != NULL ? self->spec : g_getenv ("ND_CAMERA_SOURCE");
}

/* ---- sessions ----------------------------------------------------------------------------- */

static void
session_clear (Session *s)
{
  g_mutex_clear (&s->lock);
  g_main_context_unref (s->context);
  g_free (s->device);
  g_free (s->pattern);
  g_clear_object (&s->gst_device);
  g_free (s->description);
  g_clear_pointer (&s->pending, nd_frame_unref);
  g_free (s->failure);
  g_warn_if_fail (s->capture == NULL);
}

static Session *
session_ref (Session *s)
{
  return g_atomic_rc_box_acquire (s);
}

static void
session_unref (gpointer s)
{
  g_atomic_rc_box_release_full (s, (GDestroyNotify) session_clear);
}

static gboolean dispatch_cb (gpointer data);

/* Under the lock: makes sure one dispatch is on its way to the main context. Not
 * g_main_context_invoke (): a GStreamer thread could acquire an idle main context and run the
 * UI code itself. */
static void
post_locked (Session *s)
{
  GSource *source;

  if (s->posted || s->stopped)
    return;
  s->posted = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, dispatch_cb, session_ref (s), session_unref);
  g_source_set_static_name (source, "[nondeep] camera frame");
  g_source_attach (source, s->context);
  g_source_unref (source);
}

static void
fail_locked (Session *s, const char *message)
{
  if (s->failed)
    return;
  s->failed = TRUE;
  s->failure = g_strdup (message);
  post_locked (s);
}

static void
on_frame (NdCapture *capture, NdFrame *frame, gpointer data)
{
  Session *s = data;
  NdFrame *old;

  g_mutex_lock (&s->lock);
  if (s->stopped)
    {
      g_mutex_unlock (&s->lock);
      return;
    }
  s->received++;
  /* Under the lock, so that stop () returning means no sink call is running. */
  if (s->sink != NULL)
    s->sink (frame, s->sink_data);
  old = s->pending;
  s->pending = nd_frame_ref (frame);
  post_locked (s);
  g_mutex_unlock (&s->lock);
  if (old != NULL)
    nd_frame_unref (old);
}

static void
on_error (NdCapture *capture, const GError *error, gpointer data)
{
  Session *s = data;

  g_mutex_lock (&s->lock);
  fail_locked (s, error->message);
  g_mutex_unlock (&s->lock);
}

static void
on_eos (NdCapture *capture, gpointer data)
{
  Session *s = data;
  g_autofree char *message = g_strdup_printf (_("%s stopped sending frames (was it unplugged?)"),
                                              s->description);

  g_mutex_lock (&s->lock);
  fail_locked (s, message);
  g_mutex_unlock (&s->lock);
}

/* Opening a camera waits for its first frame: off the main thread. */
static gpointer
start_thread (gpointer data)
{
  static const NdCaptureCallbacks callbacks = { on_frame, on_error, on_eos };
  Session *s = data;
  g_autoptr(GError) error = NULL;
  NdCapture *capture = nd_capture_new (&s->source, &error);

  if (capture != NULL)
    {
      nd_capture_set_callbacks (capture, &callbacks, session_ref (s), session_unref);
      if (!nd_capture_start (capture, START_TIMEOUT_MS, &error))
        g_debug ("camera: %s", error->message);
    }
  g_mutex_lock (&s->lock);
  s->capture = capture;
  if (error != NULL)
    fail_locked (s, error->message);
  else
    {
      s->started = TRUE;
      post_locked (s);
    }
  g_mutex_unlock (&s->lock);
  session_unref (s);
  return NULL;
}

static gboolean
dispatch_cb (gpointer data)
{
  Session *s = data;
  NdCameraController *self = s->owner;
  g_autoptr(NdFrame) frame = NULL;
  g_autofree char *failure = NULL;
  gboolean started;

  g_mutex_lock (&s->lock);
  s->posted = FALSE;
  frame = g_steal_pointer (&s->pending);
  failure = g_steal_pointer (&s->failure);
  started = s->started;
  s->started = FALSE;
  g_mutex_unlock (&s->lock);
  if (self == NULL)
    return G_SOURCE_REMOVE;

  /* A handler may stop the camera: check the session is still this one before each step. */
  g_object_ref (self);
  if (started)
    g_signal_emit (self, signals[SIGNAL_STARTED], 0);
  if (frame != NULL && self->session == s)
    g_signal_emit (self, signals[SIGNAL_FRAME], 0, frame);
  if (failure != NULL && self->session == s)
    {
      nd_camera_controller_stop (self);
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, failure);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* ---- the object --------------------------------------------------------------------------- */

static void
nd_camera_controller_dispose (GObject *object)
{
  NdCameraController *self = ND_CAMERA_CONTROLLER (object);

  nd_camera_controller_stop (self);
  if (self->sink_destroy != NULL)
    g_clear_pointer (&self->sink_data, self->sink_destroy);
  self->sink = NULL;
  g_clear_pointer (&self->cameras, g_ptr_array_unref);
  G_OBJECT_CLASS (nd_camera_controller_parent_class)->dispose (object);
}

static void
nd_camera_controller_finalize (GObject *object)
{
  g_free (ND_CAMERA_CONTROLLER (object)->spec);
  G_OBJECT_CLASS (nd_camera_controller_parent_class)->finalize (object);
}

static void
nd_camera_controller_class_init (NdCameraControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nd_camera_controller_dispose;
  object_class->finalize = nd_camera_controller_finalize;
  signals[SIGNAL_STARTED] =
    g_signal_new ("started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_FRAME] =
    g_signal_new ("frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
nd_camera_controller_init (NdCameraController *self)
{
}

NdCameraController *
nd_camera_controller_new (const char *spec)
{
  NdCameraController *self = g_object_new (ND_TYPE_CAMERA_CONTROLLER, NULL);

  self->spec = g_strdup (spec);
  return self;
}

void
nd_camera_controller_set_spec (NdCameraController *self, const char *spec)
{
  g_return_if_fail (ND_IS_CAMERA_CONTROLLER (self));
  g_free (self->spec);
  self->spec = g_strdup (spec);
  g_clear_pointer (&self->cameras, g_ptr_array_unref);
}

static char *
test_pattern_name (const Spec *spec)
{
  return g_strdup_printf (_("Test pattern (%s)"), spec->pattern);
}

GStrv
nd_camera_controller_list (NdCameraController *self, GError **error)
{
  g_auto(Spec) spec = { 0 };
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  g_return_val_if_fail (ND_IS_CAMERA_CONTROLLER (self), NULL);
  if (!parse_spec (current_spec (self), &spec, error))
    return NULL;
  g_clear_pointer (&self->cameras, g_ptr_array_unref);
  switch (spec.kind)
    {
    case SPEC_AUTO:
      self->cameras = nd_devices_list_cameras (error);
      if (self->cameras == NULL)
        return NULL;
      for (guint i = 0; i < self->cameras->len; i++)
        g_strv_builder_add (names, ((NdCamera *) g_ptr_array_index (self->cameras, i))->name);
      break;
    case SPEC_TEST_PATTERN:
      {
        g_autofree char *name = test_pattern_name (&spec);

        g_strv_builder_add (names, name);
        break;
      }
    case SPEC_PATH:
      g_strv_builder_add (names, spec.path);
      break;
    case SPEC_NONE:
    default:
      break;
    }
  return g_strv_builder_end (names);
}

/* Fills @s->source from the spec and camera @index; FALSE with a message to report. */
static gboolean
resolve_source (NdCameraController *self, Session *s, guint index, char **message)
{
  g_auto(Spec) spec = { 0 };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  NdCaptureSource *src = &s->source;

  src->pipewire_fd = -1;
  src->width = FRAME_WIDTH;
  src->height = FRAME_HEIGHT;
  if (!parse_spec (current_spec (self), &spec, &error))
    {
      *message = g_strdup (error->message);
      return FALSE;
    }
  switch (spec.kind)
    {
    case SPEC_TEST_PATTERN:
      src->kind = ND_CAPTURE_SOURCE_TEST_PATTERN;
      src->pattern = s->pattern = g_strdup (spec.pattern);
      src->num_buffers = spec.frames;
      src->fps = 30;
      s->description = test_pattern_name (&spec);
      return TRUE;
    case SPEC_PATH:
      src->kind = ND_CAPTURE_SOURCE_CAMERA;
      src->device = s->device = g_strdup (spec.path);
      s->description = g_strdup (spec.path);
      return TRUE;
    case SPEC_NONE:
      *message = g_strdup (_("No camera found: plug one in and try again"));
      return FALSE;
    case SPEC_AUTO:
    default:
      break;
    }
  if (self->cameras == NULL && (names = nd_camera_controller_list (self, &error)) == NULL)
    {
      *message = g_strdup (error->message);
      return FALSE;
    }
  if (self->cameras == NULL || self->cameras->len == 0)
    {
      *message = g_strdup (_("No camera found: plug one in and try again"));
      return FALSE;
    }
  if (index >= self->cameras->len)
    {
      *message = g_strdup_printf (_("Camera %u is gone; %u found"), index + 1,
                                  self->cameras->len);
      return FALSE;
    }
  {
    NdCamera *cam = g_ptr_array_index (self->cameras, index);

    src->kind = ND_CAPTURE_SOURCE_CAMERA;
    src->gst_device = s->gst_device = g_object_ref (cam->device);
    s->description = g_strdup (cam->name);
  }
  return TRUE;
}

void
nd_camera_controller_start (NdCameraController *self, guint index)
{
  Session *s;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (ND_IS_CAMERA_CONTROLLER (self));

  nd_camera_controller_stop (self);
  s = g_atomic_rc_box_new0 (Session);
  g_mutex_init (&s->lock);
  s->context = g_main_context_ref_thread_default ();
  s->owner = self;
  s->sink = self->sink;
  s->sink_data = self->sink_data;
  self->session = s;
  /* Every outcome, even one known now, comes later as a signal, as a real camera's would. */
  if (!nd_capture_init (&error))
    message = g_strdup (error->message);
  if (message != NULL || !resolve_source (self, s, index, &message))
    {
      g_mutex_lock (&s->lock);
      fail_locked (s, message);
      g_mutex_unlock (&s->lock);
      return;
    }
  self->start_thread = g_thread_new ("nd-camera-start", start_thread, session_ref (s));
}

void
nd_camera_controller_stop (NdCameraController *self)
{
  Session *s;
  NdCapture *capture;

  g_return_if_fail (ND_IS_CAMERA_CONTROLLER (self));

  s = g_steal_pointer (&self->session);
  if (s == NULL)
    return;
  s->owner = NULL;
  g_mutex_lock (&s->lock);
  s->stopped = TRUE;
  g_mutex_unlock (&s->lock);
  /* Opening ends within START_TIMEOUT_MS; GStreamer's threads never wait on this one. */
  if (self->start_thread != NULL)
    g_thread_join (g_steal_pointer (&self->start_thread));
  g_mutex_lock (&s->lock);
  capture = g_steal_pointer (&s->capture);
  g_mutex_unlock (&s->lock);
  /* Not under the lock: stopping joins the streaming threads, which take it. */
  g_clear_pointer (&capture, nd_capture_free);
  session_unref (s);
}

void
nd_camera_controller_set_frame_sink (NdCameraController *self, NdCameraFrameSink sink,
                                     gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail (ND_IS_CAMERA_CONTROLLER (self));

  /* A running session uses the old sink: stop it before its data goes. */
  if (self->sink_destroy != NULL)
    {
      nd_camera_controller_stop (self);
      self->sink_destroy (self->sink_data);
    }
  self->sink = sink;
  self->sink_data = data;
  self->sink_destroy = destroy;
}

gboolean
nd_camera_controller_is_active (NdCameraController *self)
{
  g_return_val_if_fail (ND_IS_CAMERA_CONTROLLER (self), FALSE);
  return self->session != NULL;
}

const char *
nd_camera_controller_get_description (NdCameraController *self)
{
  g_return_val_if_fail (ND_IS_CAMERA_CONTROLLER (self), NULL);
  return self->session != NULL ? self->session->description : NULL;
}

guint64
nd_camera_controller_get_n_received (NdCameraController *self)
{
  guint64 n;

  g_return_val_if_fail (ND_IS_CAMERA_CONTROLLER (self), 0);
  if (self->session == NULL)
    return 0;
  g_mutex_lock (&self->session->lock);
  n = self->session->received;
  g_mutex_unlock (&self->session->lock);
  return n;
}
