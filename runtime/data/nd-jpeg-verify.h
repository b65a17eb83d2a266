/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decodes the JPEG's scans with libjpeg's warnings (corrupt entropy-coded data) as errors:
 * ND_RUNTIME_ERROR_BAD_FILE naming @name. */
gboolean nd_jpeg_verify (const guint8 *data,
                         gsize         size,
                         const char   *name,
                         GError      **error);

G_END_DECLS
