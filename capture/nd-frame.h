/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-preprocess.h"

G_BEGIN_DECLS

/* One video frame or still image, 8 bits per channel (RGBA from capture and nd-image), shared
 * between the capture thread, the inference worker and the GUI without copies. The pixels
 * live in @bytes: a GBytes over a mapped GStreamer buffer (unmapped when the last ref goes)
 * or over plain memory; hand it to gdk_memory_texture_new() as is. Immutable after creation;
 * atomically refcounted. */
typedef struct
{
  int            width;
  int            height;
  int            stride;        /* bytes per row */
  NdPixelFormat  format;
  const guint8  *data;          /* first pixel, inside @bytes */
  gint64         pts_ns;        /* stream position, or -1 */
  gint64         arrival_us;    /* g_get_monotonic_time () when the frame was received */
  guint64        sequence;      /* 0, 1, 2, … per capture */
  /*< private >*/
  GBytes        *bytes;
} NdFrame;

/* Takes a ref on @bytes, which must hold height rows of @stride bytes (the last row may be
 * just width · bpp bytes). Returns NULL if the sizes do not fit. */
NdFrame      *nd_frame_new          (GBytes        *bytes,
                                     int            width,
                                     int            height,
                                     int            stride,
                                     NdPixelFormat  format);
/* Copies @pixels into a new tightly packed frame. */
NdFrame      *nd_frame_new_copy     (const guint8  *pixels,
                                     int            width,
                                     int            height,
                                     int            stride,
                                     NdPixelFormat  format);
NdFrame      *nd_frame_ref          (NdFrame       *frame);
void          nd_frame_unref        (NdFrame       *frame);
/* The pixel memory (transfer none), starting at the first pixel. */
GBytes       *nd_frame_get_bytes    (NdFrame       *frame);
int           nd_frame_bytes_per_pixel (NdPixelFormat format);

/* nd_preprocess_image() on the frame's pixels. */
NdTensor     *nd_frame_preprocess   (NdFrame            *frame,
                                     const NdPreprocess *pp,
                                     GError            **error);
gboolean      nd_frame_preprocess_into (NdFrame            *frame,
                                        const NdPreprocess *pp,
                                        NdTensor           *out,
                                        int                 index,
                                        GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdFrame, nd_frame_unref)

G_END_DECLS
