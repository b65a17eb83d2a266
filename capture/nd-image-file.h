/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-frame.h"

G_BEGIN_DECLS

/* Loads an image file as an RGBA NdFrame through the one image loader (nd-image-load.h: PNG,
 * JPEG, WebP; EXIF orientation; size budget; truncation is an error). */
NdFrame *nd_image_file_load (const char  *path,
                             GError     **error);

G_END_DECLS
