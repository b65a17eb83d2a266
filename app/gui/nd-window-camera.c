/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-window-private.h"
#if ND_HAVE_CAPTURE
#include "nd-camera-controller.h"
#endif

/* Live camera classification in the window: win.camera (on/off) and win.camera-device (which
 * one), the controller's frames shown in the input preview and handed to the inference worker
 * (which keeps only the newest), the frame rates under the preview, and failures in the
 * banner with the still image back in place. Without a camera, ND_CAMERA_SOURCE (or
 * `nondeep --camera`) points it at a test pattern or a device path: see
 * nd-camera-controller.h. */

/* The rates are measured over windows of at least this long. */
#define RATE_WINDOW_US G_USEC_PER_SEC
/* The preview changes with the model's results (the picture the top-5 belong to), and at
 * least this often while the model is slower or building, so it never freezes. Painting
 * every 30 fps camera frame took ~1/3 of the main thread's time (texture upload and scaling
 * in pixman), time the model then lacked on a 2-core machine. */
#define PREVIEW_MAX_WAIT_US (250 * G_TIME_SPAN_MILLISECOND)

struct _NdWindowCamera
{
#if ND_HAVE_CAPTURE
  NdCameraController *controller;
#endif
  char               *spec_source;    /* where a non-default spec came from, for the chooser */
  guint64             first_serial;   /* image serials from here on are camera frames */
  guint64             images_base;    /* images_run before the first camera frame ran */
  guint64             n_classified;
  gint64              rate_time;
  guint64             rate_received, rate_classified;
  gboolean            have_rates;
  char               *error_shown;    /* the camera message in the banner, if it is there */
#if ND_HAVE_CAPTURE
  NdFrame            *pending;        /* the newest frame not shown yet */
  char               *pending_desc;
#endif
  gint64              preview_time;   /* when the preview last changed */
};

/* Stops the camera without touching the input: whoever calls sets the next one. */
void
_nd_window_camera_stop (NdWindow *self)
{
  NdWindowCamera *cam = self->camera;
  GVariant *state;

  if (cam == NULL)
    return;
#if ND_HAVE_CAPTURE
  nd_camera_controller_stop (cam->controller);
  g_clear_pointer (&cam->pending, nd_frame_unref);
#endif
  state = g_action_group_get_action_state (G_ACTION_GROUP (self), "camera");
  if (state != NULL && g_variant_get_boolean (state))
    _nd_window_set_state (self, "camera", g_variant_new_boolean (FALSE));
  g_clear_pointer (&state, g_variant_unref);
  nd_input_panel_set_camera_status (self->input_panel, NULL);
}

static void
camera_failed (NdWindow *self, const char *message)
{
  NdWindowCamera *cam = self->camera;

  _nd_window_camera_stop (self);
  /* Back to the picture the camera replaced. */
  _nd_window_set_image (self, self->image_description);
  _nd_window_show_banner (self, message);
  g_free (cam->error_shown);
  cam->error_shown = g_strdup (message);
  if (self->screenshot != NULL)
    _nd_window_screenshot_failed (self, message);
}

#if ND_HAVE_CAPTURE

static void
reset_counts (NdWindowCamera *cam)
{
  cam->first_serial = 0;
  cam->images_base = 0;
  cam->n_classified = 0;
  cam->rate_time = 0;
  cam->have_rates = FALSE;
}

static void
update_status (NdWindow *self)
{
  NdWindowCamera *cam = self->camera;
  gint64 now = g_get_monotonic_time ();
  guint64 received = nd_camera_controller_get_n_received (cam->controller);
  g_autofree char *text = NULL;
  double dt;

  if (cam->rate_time == 0)
    {
      cam->rate_time = now;
      cam->rate_received = received;
      cam->rate_classified = cam->n_classified;
      return;
    }
  if (now - cam->rate_time < RATE_WINDOW_US)
    return;
  dt = (now - cam->rate_time) / (double) G_USEC_PER_SEC;
  /* translators: the camera's frame rate, then how many of its frames the model classified
   * per second (the others were skipped because a newer one came) */
  text = g_strdup_printf (_("Camera %.0f fps · model %.0f fps"),
                          (received - cam->rate_received) / dt,
                          (cam->n_classified - cam->rate_classified) / dt);
  nd_input_panel_set_camera_status (self->input_panel, text);
  cam->have_rates = TRUE;
  cam->rate_time = now;
  cam->rate_received = received;
  cam->rate_classified = cam->n_classified;
}

static void
started_cb (NdCameraController *controller, NdWindow *self)
{
  NdWindowCamera *cam = self->camera;

  /* An earlier camera error is stale now. */
  if (cam->error_shown != NULL && g_strcmp0 (_nd_window_get_banner_text (self),
                                             cam->error_shown) == 0)
    _nd_window_show_banner (self, NULL);
  g_clear_pointer (&cam->error_shown, g_free);
}

static void
show_pending (NdWindow *self)
{
  NdWindowCamera *cam = self->camera;
  g_autoptr(NdFrame) frame = g_steal_pointer (&cam->pending);
  NdImage view;

  if (frame == NULL)
    return;
  view = (NdImage) { nd_frame_get_bytes (frame), frame->width, frame->height, frame->stride };
  nd_input_panel_show_image (self->input_panel, &view, cam->pending_desc);
  cam->preview_time = g_get_monotonic_time ();
}

static void
frame_cb (NdCameraController *controller, NdFrame *frame, NdWindow *self)
{
  NdWindowCamera *cam = self->camera;

  g_return_if_fail (frame->format == ND_PIXEL_FORMAT_RGBA8);
  /* The model has it already (frame_sink); this is the preview, at the model's pace. */
  g_clear_pointer (&cam->pending, nd_frame_unref);
  cam->pending = nd_frame_ref (frame);
  g_free (cam->pending_desc);
  cam->pending_desc = g_strdup_printf ("%s · %d×%d",
                                       nd_camera_controller_get_description (controller),
                                       frame->width, frame->height);
  if (g_get_monotonic_time () - cam->preview_time >= PREVIEW_MAX_WAIT_US)
    show_pending (self);
  self->input_serial = nd_inference_get_image_serial (self->inference);
  update_status (self);
}

/* On GStreamer's thread: every frame goes to the worker as it arrives, so a main loop busy
 * drawing never holds the model back. The worker keeps only the newest image. */
static void
frame_sink (NdFrame *frame, gpointer data)
{
  if (frame->format == ND_PIXEL_FORMAT_RGBA8)
    nd_inference_set_image (data, nd_frame_get_bytes (frame), frame->width, frame->height,
                            frame->stride);
}

static void
failed_cb (NdCameraController *controller, const char *message, NdWindow *self)
{
  camera_failed (self, message);
}

static void
cameras_requested_cb (NdInputPanel *panel, NdWindow *self)
{
  NdWindowCamera *cam = self->camera;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree char *note = NULL;

  if (cam == NULL)
    return;   /* the window is going */
  names = nd_camera_controller_list (cam->controller, &error);
  if (names == NULL)
    note = g_strdup (error->message);
  else if (names[0] == NULL)
    note = g_strdup (_("No camera found"));
  else if (cam->spec_source != NULL)
    note = g_strdup_printf (_("Chosen by %s"), cam->spec_source);
  nd_input_panel_set_cameras (self->input_panel, (const char * const *) names, note);
}

static guint
device_index (NdWindow *self)
{
  g_autoptr(GVariant) v = g_action_group_get_action_state (G_ACTION_GROUP (self),
                                                           "camera-device");

  return (guint) MAX (g_variant_get_int32 (v), 0);
}

static void
start (NdWindow *self)
{
  reset_counts (self->camera);
  /* Image serials from here on are camera frames (a still image stops the camera first). */
  self->camera->first_serial = nd_inference_get_image_serial (self->inference) + 1;
  nd_input_panel_set_camera_status (self->input_panel, _("Starting the camera…"));
  nd_camera_controller_start (self->camera->controller, device_index (self));
}

#endif /* ND_HAVE_CAPTURE */

static void
change_camera (GSimpleAction *action, GVariant *value, gpointer data)
{
  NdWindow *self = data;
  gboolean on = g_variant_get_boolean (value);
  g_autoptr(GVariant) state = g_action_get_state (G_ACTION (action));

  if (on == g_variant_get_boolean (state))
    return;
  if (!on)
    {
      _nd_window_camera_stop (self);
      _nd_window_set_image (self, self->image_description);
      return;
    }
#if ND_HAVE_CAPTURE
  /* On at once, so the toggle shows it is starting; a failure turns it off again. */
  g_simple_action_set_state (action, value);
  start (self);
#else
  camera_failed (self, _("This build has no camera support (GStreamer was missing)"));
#endif
}

static void
change_camera_device (GSimpleAction *action, GVariant *value, gpointer data)
{
  g_simple_action_set_state (action, value);
#if ND_HAVE_CAPTURE
  {
    NdWindow *self = data;

    if (nd_camera_controller_is_active (self->camera->controller))
      start (self);
  }
#endif
}

static const GActionEntry camera_actions[] = {
  { "camera", NULL, NULL, "false", change_camera },
  { "camera-device", NULL, "i", "0", change_camera_device },
};

void
_nd_window_camera_init (NdWindow *self)
{
  NdWindowCamera *cam = g_new0 (NdWindowCamera, 1);

  self->camera = cam;
  g_action_map_add_action_entries (G_ACTION_MAP (self), camera_actions,
                                   G_N_ELEMENTS (camera_actions), self);
#if ND_HAVE_CAPTURE
  cam->controller = nd_camera_controller_new (NULL);
  if (g_getenv ("ND_CAMERA_SOURCE") != NULL)
    cam->spec_source = g_strdup_printf ("ND_CAMERA_SOURCE=%s", g_getenv ("ND_CAMERA_SOURCE"));
  g_signal_connect (cam->controller, "started", G_CALLBACK (started_cb), self);
  g_signal_connect (cam->controller, "frame", G_CALLBACK (frame_cb), self);
  nd_camera_controller_set_frame_sink (cam->controller, frame_sink,
                                       g_object_ref (self->inference), g_object_unref);
  g_signal_connect (cam->controller, "failed", G_CALLBACK (failed_cb), self);
  g_signal_connect (self->input_panel, "cameras-requested", G_CALLBACK (cameras_requested_cb),
                    self);
#endif
}

/* `nondeep --camera SPEC`: that source instead of ND_CAMERA_SOURCE. */
void
_nd_window_camera_set_spec (NdWindow *self, const char *spec)
{
  NdWindowCamera *cam = self->camera;

  g_free (cam->spec_source);
  cam->spec_source = g_strdup_printf ("--camera %s", spec);
#if ND_HAVE_CAPTURE
  nd_camera_controller_set_spec (cam->controller, spec);
#endif
}

/* Counts the camera frames the model has classified (each once, however many results it
 * took: a knob change reruns the same frame). */
void
_nd_window_camera_result (NdWindow *self, NdInferenceResult *r)
{
#if ND_HAVE_CAPTURE
  NdWindowCamera *cam = self->camera;

  if (!nd_camera_controller_is_active (cam->controller) || cam->first_serial == 0
      || r->image_serial < cam->first_serial)
    return;
  if (cam->images_base == 0)
    cam->images_base = r->images_run - 1;
  cam->n_classified = r->images_run - cam->images_base;
  show_pending (self);
  update_status (self);
#endif
}

gboolean
_nd_window_camera_counts (NdWindow *self, guint64 *received, guint64 *classified)
{
#if ND_HAVE_CAPTURE
  NdWindowCamera *cam = self->camera;

  if (cam == NULL || !nd_camera_controller_is_active (cam->controller))
    return FALSE;
  *received = nd_camera_controller_get_n_received (cam->controller);
  *classified = cam->n_classified;
  return TRUE;
#else
  return FALSE;
#endif
}

/* The screenshot waits for the camera to run when it was asked to start with it. */
gboolean
_nd_window_camera_ready (NdWindow *self)
{
  NdWindowCamera *cam = self->camera;
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (self), "camera");

  if (!g_variant_get_boolean (state))
    return TRUE;
  return cam->n_classified >= 15 && cam->have_rates;
}

void
_nd_window_camera_free (NdWindow *self)
{
  NdWindowCamera *cam = g_steal_pointer (&self->camera);

  if (cam == NULL)
    return;
#if ND_HAVE_CAPTURE
  /* Stops GStreamer's threads before the window they report to goes. */
  g_signal_handlers_disconnect_by_data (cam->controller, self);
  g_clear_object (&cam->controller);
  g_clear_pointer (&cam->pending, nd_frame_unref);
  g_free (cam->pending_desc);
#endif
  g_free (cam->spec_source);
  g_free (cam->error_shown);
  g_free (cam);
}

gboolean
nd_window_get_camera_running (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), FALSE);
#if ND_HAVE_CAPTURE
  return self->camera != NULL && nd_camera_controller_is_active (self->camera->controller);
#else
  return FALSE;
#endif
}

guint64
nd_window_get_camera_frames (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), 0);
  return self->camera != NULL ? self->camera->n_classified : 0;
}

const char *
nd_window_get_camera_status (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NULL);
  return nd_input_panel_get_camera_status (self->input_panel);
}

void
nd_window_set_camera_source (NdWindow *self, const char *source)
{
  g_return_if_fail (ND_IS_WINDOW (self));
  _nd_window_camera_set_spec (self, source);
}

guint
nd_window_list_cameras (NdWindow *self)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), 0);
  g_signal_emit_by_name (self->input_panel, "cameras-requested");
  return nd_input_panel_get_n_cameras (self->input_panel);
}
