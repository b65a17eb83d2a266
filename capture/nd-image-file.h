/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-frame.h"

G_BEGIN_DECLS

/* Loads an image file (PNG, JPEG, … whatever gdk-pixbuf reads) as an RGBA NdFrame, turned
 * upright by its EXIF orientation. Missing, unreadable, corrupt or truncated files and images
 * over ND_PREPROCESS_MAX_SIDE per side give ND_RUNTIME_ERROR_BAD_FILE naming the file. */
NdFrame *nd_image_file_load (const char  *path,
                             GError     **error);

G_END_DECLS
