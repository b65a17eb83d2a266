/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-model.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* Largest image side accepted from a file, a camera or a caller. */
#define ND_PREPROCESS_MAX_SIDE 16384

typedef enum
{
  ND_PIXEL_FORMAT_RGBA8,   /* R, G, B, A bytes; alpha is ignored (loaders do convert('RGB')) */
  ND_PIXEL_FORMAT_RGB8,
  ND_PIXEL_FORMAT_GRAY8,
} NdPixelFormat;

typedef enum
{
  ND_INTERPOLATION_BILINEAR,   /* PIL Image.BILINEAR: triangle, support 1 */
  ND_INTERPOLATION_BICUBIC,    /* PIL Image.BICUBIC: Keys cubic a = −0.5, support 2 */
} NdInterpolation;

/* An evaluation transform as torchvision/timm build it on PIL images:
 *   [convert('L') if channels == 1] → Resize(resize) (short side, PIL antialiased
 *   resampling, uint8 result) → CenterCrop(crop) → ToTensor (/255) → Normalize(mean, std).
 * resize == 0 means "warp": Resize((crop, crop)) without a crop (VanillaNet at ≥ 384). */
typedef struct
{
  int             resize;
  NdInterpolation interpolation;
  int             crop;
  float           mean[3];
  float           std[3];
  int             channels;    /* 3 (RGB) or 1 (gray) */
} NdPreprocess;

/* The official evaluation transform of @family at input side @resolution (networks.md):
 * ParNet bicubic floor(r/0.875) + crop r; RepVGG bilinear Resize(r) + CenterCrop(r);
 * VanillaNet bicubic int(r/0.875) + crop r (warp at r ≥ 384); ResNet/VGG bilinear
 * floor(r/0.875) (256 for 224) + crop r. ImageNet mean/std, 3 channels. */
void          nd_preprocess_for_family (NdFamily      family,
                                        int           resolution,
                                        NdPreprocess *pp);
/* The grayscale path (Fashion-MNIST models): gray, bilinear Resize(r) + CenterCrop(r),
 * normalized with @mean/@std (0.2860 / 0.3530 for Fashion-MNIST unless the weights say). */
void          nd_preprocess_for_gray   (int           resolution,
                                        float         mean,
                                        float         std,
                                        NdPreprocess *pp);
/* Family preset for 3-channel specs, the Fashion-MNIST gray path for 1-channel ones. */
void          nd_preprocess_for_spec   (const NdModelSpec *spec,
                                        NdPreprocess      *pp);
/* Checks the fields (sizes ≤ ND_PREPROCESS_MAX_SIDE, std ≠ 0, channels 1 or 3). */
gboolean      nd_preprocess_validate   (const NdPreprocess *pp,
                                        GError            **error);
/* A short human description, e.g. "bicubic 256, crop 224, ImageNet mean/std". */
char         *nd_preprocess_describe   (const NdPreprocess *pp);

/* Size of the resized image before the crop (torchvision's rule: the long side is
 * int(resize · long / short)). */
void          nd_preprocess_resized_size (const NdPreprocess *pp,
                                          int                 width,
                                          int                 height,
                                          int                *out_width,
                                          int                *out_height);

/* Returns a new [1, channels, crop, crop] tensor. @stride is in bytes (≥ width · bytes per
 * pixel). Sides must be in 1..ND_PREPROCESS_MAX_SIDE. */
NdTensor     *nd_preprocess_image      (const guint8       *pixels,
                                        int                 width,
                                        int                 height,
                                        int                 stride,
                                        NdPixelFormat       format,
                                        const NdPreprocess *pp,
                                        GError            **error);
/* Writes image @index of the batch tensor @out ([N, channels, crop, crop]); no allocation of
 * the result, so a camera loop or a dataset evaluation can reuse one input tensor. */
gboolean      nd_preprocess_image_into (const guint8       *pixels,
                                        int                 width,
                                        int                 height,
                                        int                 stride,
                                        NdPixelFormat       format,
                                        const NdPreprocess *pp,
                                        NdTensor           *out,
                                        int                 index,
                                        GError            **error);

/* The resampling step alone, for tests and the input view: PIL's Image.resize (separable,
 * horizontal pass first, each pass rounded to uint8) of a packed @channels-byte image to
 * @out_width × @out_height. Returns g_malloc'd packed bytes. */
guint8       *nd_preprocess_resample   (const guint8   *pixels,
                                        int             width,
                                        int             height,
                                        int             channels,
                                        int             out_width,
                                        int             out_height,
                                        NdInterpolation interpolation);

G_END_DECLS
