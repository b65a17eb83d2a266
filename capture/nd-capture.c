/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "nd-capture.h"
#include "nd-capture-private.h"
#include "nd-error.h"
#include "nd-image-load.h"

struct _NdCapture
{
  NdCaptureSourceKind kind;
  char               *description;
  char               *subject;      /* what error messages name: device path, file path */
  gboolean            still;
  GstElement         *pipeline;
  GstElement         *sink;
  gboolean            playing;

  NdCaptureCallbacks  callbacks;
  gpointer            user_data;
  GDestroyNotify      notify;

  GMutex              lock;
  GCond               cond;
  NdFrame            *latest;       /* newest frame nobody pulled yet */
  guint64             received;
  guint64             dropped;
  gboolean            eos;
  GError             *error;        /* first pipeline error */
  GError             *refused;      /* a still the image loader refuses: start () fails */
};

gboolean
nd_capture_init (GError **error)
{
  static gsize done = 0;
  static GError *init_error = NULL;

  if (g_once_init_enter (&done))
    {
      GError *local = NULL;

      if (!gst_init_check (NULL, NULL, &local))
        {
          init_error = g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                                    _("GStreamer could not be started: %s"), local->message);
          g_error_free (local);
        }
      g_once_init_leave (&done, 1);
    }
  if (init_error != NULL)
    {
      g_propagate_error (error, g_error_copy (init_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
nd_capture_have_element (const char *name)
{
  g_autoptr(GstElementFactory) f = NULL;

  if (!nd_capture_init (NULL))
    return FALSE;
  f = gst_element_factory_find (name);
  return f != NULL;
}

static const char *
package_of (const char *element)
{
  if (g_str_equal (element, "pipewiresrc"))
    return "gstreamer1.0-pipewire";
  if (g_str_equal (element, "v4l2src") || g_str_equal (element, "imagefreeze"))
    return "gstreamer1.0-plugins-good";
  return "gstreamer1.0-plugins-base";
}

static GstElement *
make_element (const char *factory, const char *name, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL)
    g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                 _("The GStreamer element “%s” is not installed (package %s)"),
                 factory, package_of (factory));
  return e;
}

/* Records the first error (or EOS) and wakes pullers; the message is dropped, so nothing
 * piles up on a bus nobody watches. */
static GstBusSyncReply
on_bus_sync (GstBus *bus, GstMessage *msg, gpointer data)
{
  NdCapture *self = data;

  switch (GST_MESSAGE_TYPE (msg))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *debug = NULL;
        GError *err;
        gboolean first;

        gst_message_parse_error (msg, &gerr, &debug);
        g_debug ("%s: %s (%s)", self->description, gerr->message, debug ? debug : "");
        err = _nd_capture_translate_error (self->kind, self->subject, self->playing, gerr);
        g_mutex_lock (&self->lock);
        first = self->error == NULL;
        if (first)
          self->error = err;
        g_cond_broadcast (&self->cond);
        g_mutex_unlock (&self->lock);
        if (first && self->callbacks.error != NULL)
          self->callbacks.error (self, err, self->user_data);
        if (!first)
          g_error_free (err);
        break;
      }
    case GST_MESSAGE_EOS:
      g_mutex_lock (&self->lock);
      self->eos = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      if (self->callbacks.eos != NULL)
        self->callbacks.eos (self, self->user_data);
      break;
    case GST_MESSAGE_WARNING:
      {
        g_autoptr(GError) gerr = NULL;

        gst_message_parse_warning (msg, &gerr, NULL);
        g_debug ("%s: warning: %s", self->description, gerr->message);
        break;
      }
    default:
      break;
    }
  /* GstBusSyncHandler: a handler that drops a message owns (and unrefs) it. */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

static void
video_frame_free (gpointer data)
{
  GstVideoFrame *vf = data;

  gst_video_frame_unmap (vf);
  g_free (vf);
}

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  NdCapture *self = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  g_autoptr(GBytes) bytes = NULL;
  GstVideoInfo info;
  GstVideoFrame *vf;
  GstBuffer *buf;
  NdFrame *frame, *old;
  gsize avail;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  if (buf == NULL || !gst_video_info_from_caps (&info, gst_sample_get_caps (sample))
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_RGBA)
    return GST_FLOW_OK;   /* a sample without usable caps: skip it, not fatal */

  /* Zero copy: the frame's GBytes keeps the buffer mapped (GTK's gtkgstsink pattern). */
  vf = g_new0 (GstVideoFrame, 1);
  if (!gst_video_frame_map (vf, &info, buf, GST_MAP_READ))
    {
      g_free (vf);
      return GST_FLOW_OK;
    }
  avail = vf->map[0].size - ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (vf, 0)
                             - (guint8 *) vf->map[0].data);
  bytes = g_bytes_new_with_free_func (GST_VIDEO_FRAME_PLANE_DATA (vf, 0), avail,
                                      video_frame_free, vf);
  frame = nd_frame_new (bytes, GST_VIDEO_FRAME_WIDTH (vf), GST_VIDEO_FRAME_HEIGHT (vf),
                        GST_VIDEO_FRAME_PLANE_STRIDE (vf, 0), ND_PIXEL_FORMAT_RGBA8);
  if (frame == NULL)
    {
      /* only a size out of bounds gets here: stop rather than starve the puller */
      GError *err = g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                                 _("%s delivers %d×%d frames; at most %d per side is "
                                   "supported"), self->subject, GST_VIDEO_INFO_WIDTH (&info),
                                 GST_VIDEO_INFO_HEIGHT (&info), ND_PREPROCESS_MAX_SIDE);

      g_mutex_lock (&self->lock);
      if (self->error == NULL)
        self->error = g_error_copy (err);
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      if (self->callbacks.error != NULL)
        self->callbacks.error (self, err, self->user_data);
      g_error_free (err);
      return GST_FLOW_ERROR;
    }
  frame->pts_ns = GST_BUFFER_PTS_IS_VALID (buf) ? (gint64) GST_BUFFER_PTS (buf) : -1;

  g_mutex_lock (&self->lock);
  frame->sequence = self->received++;
  old = self->latest;
  if (old != NULL)
    self->dropped++;
  self->latest = nd_frame_ref (frame);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  if (old != NULL)
    nd_frame_unref (old);
  if (self->callbacks.frame != NULL)
    self->callbacks.frame (self, frame, self->user_data);
  nd_frame_unref (frame);
  return GST_FLOW_OK;
}

/* Creates @factory inside @bin (which owns it); NULL with an install hint if missing. */
static GstElement *
add_element (GstElement *bin, const char *factory, GError **error)
{
  GstElement *e = make_element (factory, NULL, error);

  if (e != NULL)
    gst_bin_add (GST_BIN (bin), e);
  return e;
}

/* decodebin exposes its decoded pads late: link the first video one. */
static void
on_pad_added (GstElement *decode, GstPad *pad, gpointer data)
{
  GstElement *convert = data;
  g_autoptr(GstPad) sinkpad = gst_element_get_static_pad (convert, "sink");
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *st;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  st = caps != NULL && !gst_caps_is_empty (caps) ? gst_caps_get_structure (caps, 0) : NULL;
  if (st == NULL || !g_str_has_prefix (gst_structure_get_name (st), "video/"))
    return;
  if (!gst_pad_is_linked (sinkpad))
    gst_pad_link (pad, sinkpad);
}

static gboolean
guess_still (const char *path)
{
  g_autofree char *type = NULL;
  guchar head[4096];
  gsize n = 0;
  FILE *f = fopen (path, "rb");

  if (f != NULL)
    {
      n = fread (head, 1, sizeof head, f);
      fclose (f);
    }
  type = g_content_type_guess (path, n > 0 ? head : NULL, n, NULL);
  return type != NULL && g_str_has_prefix (type, "image/");
}

static GstElement *
make_test_pattern (NdCapture *self, const NdCaptureSource *source, GError **error)
{
  const char *pattern = source->pattern != NULL ? source->pattern : "smpte";
  GstElement *src;
  GParamSpec *ps;
  GEnumValue *v = NULL;

  self->subject = g_strdup_printf (_("test pattern %s"), pattern);
  src = make_element ("videotestsrc", "src", error);
  if (src == NULL)
    return NULL;
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "pattern");
  if (ps != NULL && G_IS_PARAM_SPEC_ENUM (ps))
    v = g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM (ps)->enum_class, pattern);
  if (v == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Unknown test pattern “%s” (try smpte, ball, snow, gradient)"),
                   pattern);
      gst_object_unref (gst_object_ref_sink (src));
      return NULL;
    }
  g_object_set (src, "pattern", v->value, "is-live", TRUE, NULL);
  if (source->num_buffers > 0)
    g_object_set (src, "num-buffers", source->num_buffers, NULL);
  return src;
}

/* A file: an image, shown as a still, or a video. */
static GstElement *
make_file_source (NdCapture *self, const NdCaptureSource *source, GError **error)
{
  GstElement *src;

  if (source->path == NULL || !g_file_test (source->path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s does not exist or is not a regular file"),
                   source->path != NULL ? source->path : "(null)");
      return NULL;
    }
  self->subject = g_strdup (source->path);
  self->still = source->still || guess_still (source->path);
  {
    g_autoptr(GError) probe = NULL;
    int w = 0, h = 0;

    /* decodebin would take an SVG or TIFF too (gdkpixbufdec), jpegdec pads a truncated
     * file with grey, and pngdec/jpegdec allocate whatever the header claims: the image
     * loader's allow-list and structure checks (refused when started, as a pipeline error
     * would be) and its size budget (refused now) */
    if (self->still && !nd_image_probe_file (source->path, TRUE, &w, &h, &probe))
      g_set_error (&self->refused, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Image %s cannot be read: %s"), source->path, probe->message);
    if (self->still && nd_image_probe_file (source->path, FALSE, &w, &h, NULL)
        && ((guint64) w > ND_IMAGE_MAX_SIDE || (guint64) h > ND_IMAGE_MAX_SIDE
            || (guint64) w * h > ND_IMAGE_MAX_PIXELS))
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                     _("Image %s is %d×%d pixels; at most %d per side and %u megapixels "
                       "are supported"), source->path, w, h, ND_IMAGE_MAX_SIDE,
                     ND_IMAGE_MAX_PIXELS / 1000000);
        return NULL;
      }
  }
  src = make_element ("filesrc", "src", error);
  if (src != NULL)
    g_object_set (src, "location", source->path, NULL);
  return src;
}

static GstElement *
make_source (NdCapture *self, const NdCaptureSource *source, GError **error)
{
  GstElement *src = NULL;

  switch (source->kind)
    {
    case ND_CAPTURE_SOURCE_CAMERA:
      if (source->gst_device != NULL)
        {
          g_autofree char *name = gst_device_get_display_name (source->gst_device);

          src = gst_device_create_element (source->gst_device, "src");
          self->subject = g_strdup (name);
          if (src == NULL)
            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                         _("Camera %s cannot be opened by GStreamer"), name);
          break;
        }
      self->subject = g_strdup (source->device != NULL ? source->device : "/dev/video0");
      src = make_element ("v4l2src", "src", error);
      if (src != NULL)
        g_object_set (src, "device", self->subject, NULL);
      break;

    case ND_CAPTURE_SOURCE_PIPEWIRE:
      self->subject = g_strdup (source->device != NULL ? source->device : _("PipeWire camera"));
      src = make_element ("pipewiresrc", "src", error);
      if (src == NULL)
        break;
      if (source->pipewire_fd >= 0)
        g_object_set (src, "fd", source->pipewire_fd, NULL);
      if (source->device != NULL)
        {
          /* "target-object" since PipeWire 0.3.64; "path" before. */
          const char *prop = g_object_class_find_property (G_OBJECT_GET_CLASS (src),
                                                           "target-object")
                             ? "target-object" : "path";
          g_object_set (src, prop, source->device, NULL);
        }
      break;

    case ND_CAPTURE_SOURCE_TEST_PATTERN:
      return make_test_pattern (self, source, error);

    case ND_CAPTURE_SOURCE_FILE:
      return make_file_source (self, source, error);

    case ND_CAPTURE_SOURCE_PIPELINE:
      {
        GError *local = NULL;

        self->subject = g_strdup (_("custom pipeline"));
        src = gst_parse_bin_from_description_full (source->pipeline != NULL
                                                   ? source->pipeline : "",
                                                   TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                                   &local);
        if (src == NULL || local != NULL)
          {
            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                         _("The capture pipeline is not valid: %s"),
                         local != NULL ? local->message : "?");
            g_clear_error (&local);
            if (src != NULL)
              gst_object_unref (gst_object_ref_sink (src));
            src = NULL;
          }
        break;
      }

    default:
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Unknown capture source %d"), (int) source->kind);
      break;
    }
  return src;
}

NdCapture *
nd_capture_new (const NdCaptureSource *source, GError **error)
{
  g_autoptr(NdCapture) self = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstCaps) caps = NULL;
  GstElement *src, *decode = NULL, *convert, *scale, *freeze = NULL, *filter;
  gboolean linked;
  int fps;

  g_return_val_if_fail (source != NULL, NULL);

  if (!nd_capture_init (error))
    return NULL;
  if (source->width < 0 || source->height < 0 || source->width > ND_PREPROCESS_MAX_SIDE
      || source->height > ND_PREPROCESS_MAX_SIDE || source->fps < 0 || source->fps > 1000)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Capture size %d×%d at %d fps is out of range"),
                   source->width, source->height, source->fps);
      return NULL;
    }

  self = g_new0 (NdCapture, 1);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->kind = source->kind;

  src = make_source (self, source, error);
  if (src == NULL)
    return NULL;

  /* The elements after the source are made one by one: a parsed "decodebin ! …" bin would
   * ghost videoconvert's sink (unlinked until decodebin adds its pad) and link the source
   * straight to it. Decoding is needed for cameras (MJPEG) and files, not a test pattern. */
  fps = source->fps > 0 ? source->fps : 30;
  self->pipeline = gst_pipeline_new ("nd-capture");
  gst_bin_add (GST_BIN (self->pipeline), src);
  if (source->kind == ND_CAPTURE_SOURCE_CAMERA || source->kind == ND_CAPTURE_SOURCE_PIPEWIRE
      || source->kind == ND_CAPTURE_SOURCE_FILE)
    if ((decode = add_element (self->pipeline, "decodebin", error)) == NULL)
      return NULL;
  if ((convert = add_element (self->pipeline, "videoconvert", error)) == NULL
      || (scale = add_element (self->pipeline, "videoscale", error)) == NULL)
    return NULL;
  if (self->still)
    {
      if ((freeze = add_element (self->pipeline, "imagefreeze", error)) == NULL)
        return NULL;
      g_object_set (freeze, "is-live", TRUE, NULL);
      if (source->num_buffers > 0)
        g_object_set (freeze, "num-buffers", source->num_buffers, NULL);
    }
  if ((filter = add_element (self->pipeline, "capsfilter", error)) == NULL
      || (self->sink = add_element (self->pipeline, "appsink", error)) == NULL)
    return NULL;
  gst_object_ref (self->sink);

  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGBA", NULL);
  if (source->width > 0 && source->height > 0)
    gst_caps_set_simple (caps, "width", G_TYPE_INT, source->width,
                         "height", G_TYPE_INT, source->height, NULL);
  if (self->still || source->kind == ND_CAPTURE_SOURCE_TEST_PATTERN)
    gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, fps, 1, NULL);
  g_object_set (filter, "caps", caps, NULL);
  /* Newest frame wins. Video files play at their own pace; live sources and stills are
   * paced by their own clock. */
  g_object_set (self->sink, "max-buffers", 1, "drop", TRUE,
                "sync", source->kind == ND_CAPTURE_SOURCE_FILE && !self->still, NULL);

  if (decode != NULL)
    {
      g_signal_connect_object (decode, "pad-added", G_CALLBACK (on_pad_added), convert, 0);
      linked = gst_element_link (src, decode);
    }
  else
    {
      linked = gst_element_link (src, convert);
    }
  linked = linked && gst_element_link (convert, scale);
  if (freeze != NULL)
    linked = linked && gst_element_link_many (scale, freeze, filter, NULL);
  else
    linked = linked && gst_element_link (scale, filter);
  linked = linked && gst_element_link (filter, self->sink);
  if (!linked)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                   _("%s cannot feed the capture pipeline (it has no video output)"),
                   self->subject);
      return NULL;
    }
  {
    GstAppSinkCallbacks cbs = { 0 };

    cbs.new_sample = on_new_sample;
    gst_app_sink_set_callbacks (GST_APP_SINK (self->sink), &cbs, self, NULL);
  }
  bus = gst_element_get_bus (self->pipeline);
  gst_bus_set_sync_handler (bus, on_bus_sync, self, NULL);

  switch (source->kind)
    {
    case ND_CAPTURE_SOURCE_CAMERA:
    case ND_CAPTURE_SOURCE_PIPEWIRE:
      self->description = g_strdup_printf (_("camera %s"), self->subject);
      break;
    case ND_CAPTURE_SOURCE_FILE:
      self->description = g_strdup_printf (self->still ? _("image %s") : _("video %s"),
                                           self->subject);
      break;
    default:
      self->description = g_strdup (self->subject);
      break;
    }
  return g_steal_pointer (&self);
}

const char *
nd_capture_get_description (NdCapture *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->description;
}

void
nd_capture_set_callbacks (NdCapture *self, const NdCaptureCallbacks *callbacks,
                          gpointer user_data, GDestroyNotify notify)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->playing);

  if (self->notify != NULL)
    self->notify (self->user_data);
  if (callbacks != NULL)
    self->callbacks = *callbacks;
  else
    memset (&self->callbacks, 0, sizeof self->callbacks);
  self->user_data = user_data;
  self->notify = notify;
}

gboolean
nd_capture_start (NdCapture *self, int timeout_ms, GError **error)
{
  GstStateChangeReturn ret;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->playing)
    return TRUE;
  if (self->refused != NULL)
    {
      g_propagate_error (error, g_error_copy (self->refused));
      return FALSE;
    }
  /* A restart after stop () begins clean: no stale end of stream, error or frame. */
  g_mutex_lock (&self->lock);
  g_clear_error (&self->error);
  g_clear_pointer (&self->latest, nd_frame_unref);
  self->eos = FALSE;
  g_mutex_unlock (&self->lock);
  self->playing = TRUE;
  ret = gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
  if (ret == GST_STATE_CHANGE_ASYNC)
    {
      /* In short slices: an error in a streaming thread does not always end the pending
       * state change, and then only the recorded error tells. */
      gint64 end = g_get_monotonic_time () + (gint64) MAX (timeout_ms, 0) * 1000;
      GError *recorded = NULL;

      do
        ret = gst_element_get_state (self->pipeline, NULL, NULL, 20 * GST_MSECOND);
      while (ret == GST_STATE_CHANGE_ASYNC && g_get_monotonic_time () < end
             && (recorded = nd_capture_dup_error (self)) == NULL);
      if (recorded != NULL)
        {
          g_error_free (recorded);
          ret = GST_STATE_CHANGE_FAILURE;
        }
    }
  if (ret == GST_STATE_CHANGE_FAILURE)
    {
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
      GError *recorded;

      /* A bin marks the state change failed before it forwards the child's error to the
       * bus: give the message a moment to arrive so the caller gets the real reason. */
      g_mutex_lock (&self->lock);
      while (self->error == NULL)
        if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
          break;
      g_mutex_unlock (&self->lock);
      recorded = nd_capture_dup_error (self);

      nd_capture_stop (self);
      if (recorded != NULL)
        g_propagate_error (error, recorded);
      else
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                     _("%s could not be started"), self->description);
      return FALSE;
    }
  /* ASYNC after the timeout: a slow preroll, not a failure; pull_frame has its own timeout. */
  return TRUE;
}

void
nd_capture_stop (NdCapture *self)
{
  g_return_if_fail (self != NULL);

  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  self->playing = FALSE;
}

gboolean
nd_capture_pull_frame (NdCapture *self, int timeout_ms, NdFrame **frame, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) MAX (timeout_ms, 0) * 1000;

  g_return_val_if_fail (self != NULL && frame != NULL, FALSE);

  *frame = NULL;
  g_mutex_lock (&self->lock);
  while (self->latest == NULL && self->error == NULL && !self->eos)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;

  if (self->latest != NULL)
    {
      *frame = g_steal_pointer (&self->latest);
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (self->eos)
    {
      gboolean empty = self->received == 0;

      g_mutex_unlock (&self->lock);
      if (empty && self->kind == ND_CAPTURE_SOURCE_FILE)
        {
          /* A file that ends before its first picture is broken, not merely finished. */
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                       _("%s contains no picture (truncated or corrupt?)"), self->subject);
          return FALSE;
        }
      return TRUE;
    }
  g_mutex_unlock (&self->lock);
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
               _("No frame from %s within %d ms"), self->description, timeout_ms);
  return FALSE;
}

guint64
nd_capture_get_received (NdCapture *self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->received;
  g_mutex_unlock (&self->lock);
  return n;
}

guint64
nd_capture_get_dropped (NdCapture *self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->dropped;
  g_mutex_unlock (&self->lock);
  return n;
}

gboolean
nd_capture_is_eos (NdCapture *self)
{
  gboolean eos;

  g_mutex_lock (&self->lock);
  eos = self->eos;
  g_mutex_unlock (&self->lock);
  return eos;
}

GError *
nd_capture_dup_error (NdCapture *self)
{
  GError *e;

  g_mutex_lock (&self->lock);
  e = self->error != NULL ? g_error_copy (self->error) : NULL;
  g_mutex_unlock (&self->lock);
  return e;
}

void
nd_capture_free (NdCapture *self)
{
  if (self == NULL)
    return;
  if (self->pipeline != NULL)
    {
      g_autoptr(GstBus) bus = gst_element_get_bus (self->pipeline);

      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
      gst_object_unref (self->pipeline);
    }
  g_clear_object (&self->sink);
  if (self->notify != NULL)
    self->notify (self->user_data);
  g_clear_pointer (&self->latest, nd_frame_unref);
  g_clear_error (&self->refused);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->description);
  g_free (self->subject);
  g_free (self);
}
