/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-capture-private.h"
#include "nd-error.h"

/* Maps a GStreamer error to a message that says what to do, keeping GStreamer's as detail. */
GError *
_nd_capture_translate_error (NdCaptureSourceKind kind, const char *subject, gboolean playing,
                             const GError *gerr)
{
  gboolean is_file = kind == ND_CAPTURE_SOURCE_FILE;
  gboolean is_camera = kind == ND_CAPTURE_SOURCE_CAMERA || kind == ND_CAPTURE_SOURCE_PIPEWIRE;
  const char *what = subject;

  if (gerr->domain == GST_RESOURCE_ERROR)
    {
      switch (gerr->code)
        {
        case GST_RESOURCE_ERROR_NOT_FOUND:
          if (is_file)
            return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                                _("%s does not exist"), what);
          if (is_camera)
            return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                                _("Camera %s was not found (is it plugged in?): %s"),
                                what, gerr->message);
          return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                              _("%s: something it needs was not found: %s"),
                              what, gerr->message);
        case GST_RESOURCE_ERROR_BUSY:
          if (is_camera)
            return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                                _("Camera %s is busy: another application is using it"),
                                what);
          return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                              _("%s is busy: %s"), what, gerr->message);
        case GST_RESOURCE_ERROR_OPEN_READ:
        case GST_RESOURCE_ERROR_OPEN_READ_WRITE:
        case GST_RESOURCE_ERROR_OPEN_WRITE:
        case GST_RESOURCE_ERROR_NOT_AUTHORIZED:
          return g_error_new (ND_RUNTIME_ERROR, is_file ? ND_RUNTIME_ERROR_BAD_FILE
                                                        : ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                              _("%s could not be opened: %s"), what, gerr->message);
        default:
          if (is_camera && playing)
            return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_LOST,
                                _("Camera %s stopped delivering frames (unplugged?): %s"),
                                what, gerr->message);
          return g_error_new (ND_RUNTIME_ERROR, is_file ? ND_RUNTIME_ERROR_BAD_FILE
                                                        : ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                              _("%s could not be read: %s"), what, gerr->message);
        }
    }
  if (gerr->domain == GST_STREAM_ERROR)
    {
      switch (gerr->code)
        {
        case GST_STREAM_ERROR_TYPE_NOT_FOUND:
        case GST_STREAM_ERROR_WRONG_TYPE:
        case GST_STREAM_ERROR_CODEC_NOT_FOUND:
        case GST_STREAM_ERROR_DECODE:
        case GST_STREAM_ERROR_DEMUX:
        case GST_STREAM_ERROR_FORMAT:
          if (is_file)
            return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                                _("%s could not be decoded (not a supported image or video, "
                                  "or truncated): %s"), what, gerr->message);
          return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_LOST,
                              _("The video from %s could not be decoded: %s"),
                              what, gerr->message);
        default:
          break;
        }
    }
  if (gerr->domain == GST_CORE_ERROR && gerr->code == GST_CORE_ERROR_MISSING_PLUGIN)
    return g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                        _("A GStreamer plugin needed for %s is missing: %s"), what,
                        gerr->message);
  return g_error_new (ND_RUNTIME_ERROR, is_file ? ND_RUNTIME_ERROR_BAD_FILE
                                                : ND_RUNTIME_ERROR_DEVICE_LOST,
                      _("%s failed: %s"), what, gerr->message);
}
