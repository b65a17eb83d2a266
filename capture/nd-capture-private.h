/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-capture.h"

G_BEGIN_DECLS

/* A GStreamer bus error as an ND_RUNTIME_ERROR that names @subject (device path, file) and
 * says what to do; GStreamer's own message is kept as detail. @playing: the source had been
 * started (a read error then means the camera went away). */
GError *_nd_capture_translate_error (NdCaptureSourceKind kind,
                                     const char         *subject,
                                     gboolean            playing,
                                     const GError       *gerr);

G_END_DECLS
