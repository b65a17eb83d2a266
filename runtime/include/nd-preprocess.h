/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-dataset.h"
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
  /* 0, or a side < crop: the picture is resized and cropped to inner × inner and then centred
   * ((crop − inner) / 2 from the top left) on a crop × crop canvas of zero pixels, the way
   * the project's Fashion-MNIST models were trained (28 × 28 padded to 32). The tensor side
   * is always crop. */
  int             inner;
} NdPreprocess;

/* The official evaluation transform of @family at input side @resolution (docs/reference/networks.md):
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
/* The project's Fashion-MNIST models (tools/train_fashion_mnist.py, "gray resize=pad"):
 * gray, bilinear short side 28, crop 28, centred on a @resolution canvas when it is larger
 * (inner 28), else resized straight to @resolution; normalized with @mean/@std. */
void          nd_preprocess_for_fashion_mnist (int           resolution,
                                               float         mean,
                                               float         std,
                                               NdPreprocess *pp);
/* Family preset for 3-channel specs, nd_preprocess_for_fashion_mnist (0.2860, 0.3530) for
 * 1-channel ones. */
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

/* The uint8 gray picture a 1-channel model's transform starts from: convert('L'), @side on
 * the short side, centre crop @side × @side. Returns g_malloc'd side² bytes. For the
 * project's Fashion-MNIST models take @side 28 and BILINEAR — a Fashion-MNIST-sized picture
 * — then apply the weights' own 28 → R mapping (nd_gray_preprocess_pixels in nd-dataset.h,
 * pad or bilinear, as the training did). */
guint8       *nd_preprocess_gray_image (const guint8       *pixels,
                                        int                 width,
                                        int                 height,
                                        int                 stride,
                                        NdPixelFormat       format,
                                        int                 side,
                                        NdInterpolation     interpolation,
                                        GError            **error);

/* Any picture into a Fashion-MNIST model's input (@dst: gp->size² floats), the one path the
 * GUI, `run --image` and `camera` share: gray and a 28×28 Fashion-MNIST-sized picture as
 * nd_preprocess_gray_image (side 28, bilinear) makes it — a 28×28 picture is unchanged —
 * then the weights' own 28 → size mapping (pad or bilinear) and mean/std. */
#define ND_FASHION_MNIST_SIDE 28
gboolean      nd_preprocess_gray_input (const guint8             *pixels,
                                        int                       width,
                                        int                       height,
                                        int                       stride,
                                        NdPixelFormat             format,
                                        const NdGrayPreprocess   *gp,
                                        float                    *dst,
                                        GError                  **error);

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
