/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The one image loader of every front end (CLI, window, capture stills).
 *
 * Only PNG, JPEG and (where gdk-pixbuf has its loader) WebP are decoded, chosen from the
 * file's magic bytes and handed to that loader by name: gdk-pixbuf's other loaders (SVG, TIFF,
 * ICO, …) are never reached by content sniffing. The file is read like every input
 * (nd_file_read: regular files only). Its structure is checked before decoding (PNG chunks up
 * to IEND, JPEG segments up to EOI, the WebP RIFF length), so a truncated file is an error; a
 * JPEG's scans are decoded by libjpeg with its warnings as errors (damaged data); and
 * the size its header declares is checked against ND_IMAGE_MAX_SIDE and ND_IMAGE_MAX_PIXELS
 * before the decoder allocates the picture. Errors are ND_RUNTIME_ERROR_BAD_FILE naming the
 * file (OUT_OF_MEMORY when the pixels cannot be allocated). */

#define ND_IMAGE_MAX_SIDE   16384
/* 48 megapixels (8000 × 6000): every camera picture, and at most ~340 MB decoded */
#define ND_IMAGE_MAX_PIXELS (48u * 1000 * 1000)
/* compressed size; a 48 MP PNG of noise is ~150 MB */
#define ND_IMAGE_MAX_FILE   (G_GUINT64_CONSTANT (256) << 20)

/* Packed RGBA8 (stride = 4 × @width), turned upright by the EXIF orientation. */
GBytes *nd_image_load_rgba (const char  *path,
                            int         *width,
                            int         *height,
                            GError     **error);
/* The same from bytes in memory; @name is used in messages. */
GBytes *nd_image_decode_rgba (const guint8 *data,
                              gsize         size,
                              const char   *name,
                              int          *width,
                              int          *height,
                              GError      **error);

/* Only the format (the same allow-list) and the size its header declares, for front ends that
 * decode elsewhere (capture stills go through GStreamer) and check that size against
 * ND_IMAGE_MAX_SIDE and ND_IMAGE_MAX_PIXELS themselves. @whole: the structure is checked to
 * the end as by the loader (truncation, PNG CRCs, damaged JPEG scans); else only up to the
 * size. */
gboolean nd_image_probe_file (const char  *path,
                              gboolean     whole,
                              int         *width,
                              int         *height,
                              GError     **error);

G_END_DECLS
