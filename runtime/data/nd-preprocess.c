/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-dataset.h"
#include "nd-error.h"
#include "nd-preprocess.h"

/* The resampling reproduces Pillow's ImagingResample (libImaging/Resample.c) bit for bit on
 * 8-bit images, because every official checkpoint was evaluated on PIL images:
 *  - per axis, the filter support is scaled by the downscale factor (antialiasing), taps are
 *    normalised to sum 1 and turned into 22-bit fixed point;
 *  - the horizontal pass runs first and is rounded and clipped to uint8, then the vertical;
 *  - an axis whose size does not change is not resampled at all.
 * Only the output window that survives the centre crop is computed: every output pixel
 * depends on its own taps only, so the result equals "resize everything, then crop". */

#define PRECISION_BITS (32 - 8 - 2)

static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

static double
bilinear_filter (double x)
{
  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return 1.0 - x;
  return 0.0;
}

static double
bicubic_filter (double x)
{
  const double a = -0.5;

  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

typedef struct
{
  int  ksize;
  int *bounds;   /* [out_size][2]: first input index, tap count */
  int *kk;       /* [out_size][ksize] fixed-point taps */
} Coeffs;

static void
coeffs_clear (Coeffs *c)
{
  g_clear_pointer (&c->bounds, g_free);
  g_clear_pointer (&c->kk, g_free);
}

static void
coeffs_compute (Coeffs *c, int in_size, int out_size, NdInterpolation interpolation)
{
  double (*filter) (double) = interpolation == ND_INTERPOLATION_BICUBIC
                              ? bicubic_filter : bilinear_filter;
  double filter_support = interpolation == ND_INTERPOLATION_BICUBIC ? 2.0 : 1.0;
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = filter_support * filterscale;
  g_autofree double *pre = NULL;

  c->ksize = (int) ceil (support) * 2 + 1;
  c->bounds = g_new (int, (gsize) out_size * 2);
  c->kk = g_new0 (int, (gsize) out_size * c->ksize);
  pre = g_new0 (double, c->ksize);

  for (int xx = 0; xx < out_size; xx++)
    {
      double center = (xx + 0.5) * scale;
      double ww = 0.0, ss = 1.0 / filterscale;
      int xmin = (int) (center - support + 0.5);
      int xmax = (int) (center + support + 0.5);
      int *k = c->kk + (gsize) xx * c->ksize;

      if (xmin < 0)
        xmin = 0;
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          pre[x] = filter ((x + xmin - center + 0.5) * ss);
          ww += pre[x];
        }
      for (int x = 0; x < xmax; x++)
        {
          double w = ww != 0.0 ? pre[x] / ww : pre[x];

          k[x] = w < 0 ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                       : (int) (0.5 + w * (1 << PRECISION_BITS));
        }
      c->bounds[xx * 2] = xmin;
      c->bounds[xx * 2 + 1] = xmax;
    }
}

static inline guint8
clip8 (int ss)
{
  ss >>= PRECISION_BITS;
  return ss < 0 ? 0 : ss > 255 ? 255 : (guint8) ss;
}

/* The horizontal pass: rows [row0, row1) of @src, columns [wx, wx + ww) of the virtual
 * out_w-wide image, packed with @ch channels into @tmp. */
static void
resample_h (const guint8 *src, gsize src_stride, int bpp, int ch, const Coeffs *ch_,
            int row0, int row1, int wx, int ww, guint8 *tmp)
{
  gsize rows_stride = (gsize) ww * ch;

  for (int y = row0; y < row1; y++)
    {
      const guint8 *in = src + (gsize) y * src_stride;
      guint8 *out = tmp + (gsize) (y - row0) * rows_stride;

      for (int x = wx; x < wx + ww; x++)
        {
          const int *k = ch_->kk + (gsize) x * ch_->ksize;
          int xmin = ch_->bounds[x * 2], xn = ch_->bounds[x * 2 + 1];

          if (ch == 3)
            {
              /* the common case: one walk over the taps for all three channels */
              int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
              const guint8 *p = in + (gsize) xmin * bpp;

              for (int i = 0; i < xn; i++, p += bpp)
                {
                  s0 += p[0] * k[i];
                  s1 += p[1] * k[i];
                  s2 += p[2] * k[i];
                }
              out[0] = clip8 (s0);
              out[1] = clip8 (s1);
              out[2] = clip8 (s2);
              out += 3;
              continue;
            }
          for (int c = 0; c < ch; c++)
            {
              int ss = 1 << (PRECISION_BITS - 1);
              const guint8 *p = in + (gsize) xmin * bpp + c;

              for (int i = 0; i < xn; i++)
                ss += p[(gsize) i * bpp] * k[i];
              *out++ = clip8 (ss);
            }
        }
    }
}

/* The vertical pass of output row @y (or a copy when the height does not change) from @rows
 * (row0 first, @rows_bpp bytes per pixel) into @out, @ww pixels of @ch channels. */
static void
resample_v (const guint8 *rows, gsize rows_stride, int rows_bpp, int ch, const Coeffs *cv,
            gboolean need_v, int row0, int y, int ww, int *acc, guint8 *out)
{
  const int *k;
  int ymin, yn;

  if (!need_v)
    {
      const guint8 *in = rows + (gsize) (y - row0) * rows_stride;

      for (int x = 0; x < ww; x++)
        for (int c = 0; c < ch; c++)
          *out++ = in[(gsize) x * rows_bpp + c];
      return;
    }
  k = cv->kk + (gsize) y * cv->ksize;
  ymin = cv->bounds[y * 2] - row0;
  yn = cv->bounds[y * 2 + 1];
  if (rows_bpp == ch)
    {
      /* packed rows: accumulate whole rows, contiguous and vectorisable */
      int n = ww * ch;

      for (int j = 0; j < n; j++)
        acc[j] = 1 << (PRECISION_BITS - 1);
      for (int i = 0; i < yn; i++)
        {
          const guint8 *r = rows + (gsize) (ymin + i) * rows_stride;
          int kv = k[i];

          for (int j = 0; j < n; j++)
            acc[j] += r[j] * kv;
        }
      for (int j = 0; j < n; j++)
        out[j] = clip8 (acc[j]);
      return;
    }
  for (int x = 0; x < ww; x++)
    for (int c = 0; c < ch; c++)
      {
        int ss = 1 << (PRECISION_BITS - 1);
        const guint8 *p = rows + (gsize) ymin * rows_stride + (gsize) x * rows_bpp + c;

        for (int i = 0; i < yn; i++)
          ss += p[(gsize) i * rows_stride] * k[i];
        *out++ = clip8 (ss);
      }
}

/* Resamples @src (@bpp bytes per pixel, the first @ch of them used) of in_w × in_h to a virtual
 * out_w × out_h image and writes its window [wx, wx + ww) × [wy, wy + wh) packed into @dst. */
static void
resample_window (const guint8 *src, gsize src_stride, int bpp, int ch, int in_w, int in_h,
                 int out_w, int out_h, NdInterpolation interpolation,
                 int wx, int wy, int ww, int wh, guint8 *dst)
{
  gboolean need_h = out_w != in_w, need_v = out_h != in_h;
  Coeffs ch_ = { 0 }, cv = { 0 };
  g_autofree guint8 *tmp = NULL;
  g_autofree int *acc = NULL;
  const guint8 *rows;      /* rows feeding the vertical pass, packed with @ch channels */
  gsize rows_stride;
  int row0, row1, rows_bpp;

  if (need_h)
    coeffs_compute (&ch_, in_w, out_w, interpolation);
  if (need_v)
    {
      coeffs_compute (&cv, in_h, out_h, interpolation);
      row0 = cv.bounds[wy * 2];
      row1 = 0;
      for (int y = wy; y < wy + wh; y++)
        {
          row0 = MIN (row0, cv.bounds[y * 2]);
          row1 = MAX (row1, cv.bounds[y * 2] + cv.bounds[y * 2 + 1]);
        }
      acc = g_new (int, (gsize) ww * ch);
    }
  else
    {
      row0 = wy;
      row1 = wy + wh;
    }
  if (need_h)
    {
      rows_stride = (gsize) ww * ch;
      rows_bpp = ch;
      tmp = g_malloc ((gsize) (row1 - row0) * rows_stride);
      resample_h (src, src_stride, bpp, ch, &ch_, row0, row1, wx, ww, tmp);
      rows = tmp;
    }
  else
    {
      /* Columns pass through; point at the window's first column. */
      rows = src + (gsize) row0 * src_stride + (gsize) wx * bpp;
      rows_stride = src_stride;
      rows_bpp = bpp;
    }
  for (int y = wy; y < wy + wh; y++)
    resample_v (rows, rows_stride, rows_bpp, ch, &cv, need_v, row0, y, ww, acc,
                dst + (gsize) (y - wy) * ww * ch);
  coeffs_clear (&ch_);
  coeffs_clear (&cv);
}

guint8 *
nd_preprocess_resample (const guint8 *pixels, int width, int height, int channels,
                        int out_width, int out_height, NdInterpolation interpolation)
{
  guint8 *dst;

  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0 && out_width > 0 && out_height > 0, NULL);
  g_return_val_if_fail (width <= ND_PREPROCESS_MAX_SIDE && height <= ND_PREPROCESS_MAX_SIDE,
                        NULL);
  g_return_val_if_fail (out_width <= ND_PREPROCESS_MAX_SIDE
                        && out_height <= ND_PREPROCESS_MAX_SIDE, NULL);
  g_return_val_if_fail (channels >= 1 && channels <= 4, NULL);

  dst = g_malloc ((gsize) out_width * out_height * channels);
  resample_window (pixels, (gsize) width * channels, channels, channels, width, height,
                   out_width, out_height, interpolation, 0, 0, out_width, out_height, dst);
  return dst;
}

void
nd_preprocess_for_family (NdFamily family, int resolution, NdPreprocess *pp)
{
  g_return_if_fail (pp != NULL);

  memset (pp, 0, sizeof *pp);
  pp->crop = resolution;
  pp->channels = 3;
  memcpy (pp->mean, imagenet_mean, sizeof pp->mean);
  memcpy (pp->std, imagenet_std, sizeof pp->std);

  switch (family)
    {
    case ND_FAMILY_PARNET:
      /* timm defaults (SimpNet has no default_cfg): crop_pct 0.875, bicubic. */
      pp->interpolation = ND_INTERPOLATION_BICUBIC;
      pp->resize = (int) floor (resolution / 0.875);
      break;
    case ND_FAMILY_REPVGG:
      /* data/build.py without TEST.CROP: Resize(size) then CenterCrop(size). */
      pp->interpolation = ND_INTERPOLATION_BILINEAR;
      pp->resize = resolution;
      break;
    case ND_FAMILY_VANILLANET:
      /* datasets.py: int(size / crop_pct); sizes ≥ 384 are warped without a crop. */
      pp->interpolation = ND_INTERPOLATION_BICUBIC;
      pp->resize = resolution >= 384 ? 0 : (int) (resolution / 0.875);
      break;
    case ND_FAMILY_RESNET:
    case ND_FAMILY_VGG:
    default:
      /* torchvision ImageNet preset: Resize(256) bilinear + CenterCrop(224). */
      pp->interpolation = ND_INTERPOLATION_BILINEAR;
      pp->resize = (int) floor (resolution / 0.875);
      break;
    }
}

void
nd_preprocess_for_gray (int resolution, float mean, float std, NdPreprocess *pp)
{
  g_return_if_fail (pp != NULL);

  memset (pp, 0, sizeof *pp);
  pp->resize = resolution;
  pp->crop = resolution;
  pp->interpolation = ND_INTERPOLATION_BILINEAR;
  pp->channels = 1;
  for (int c = 0; c < 3; c++)
    {
      pp->mean[c] = mean;
      pp->std[c] = std;
    }
}

#define FASHION_MNIST_SIDE 28

void
nd_preprocess_for_fashion_mnist (int resolution, float mean, float std, NdPreprocess *pp)
{
  nd_preprocess_for_gray (resolution, mean, std, pp);
  if (resolution > FASHION_MNIST_SIDE)
    {
      pp->resize = FASHION_MNIST_SIDE;
      pp->inner = FASHION_MNIST_SIDE;
    }
}

void
nd_preprocess_for_spec (const NdModelSpec *spec, NdPreprocess *pp)
{
  g_return_if_fail (spec != NULL && pp != NULL);

  if (spec->in_channels == 1)
    nd_preprocess_for_fashion_mnist (spec->resolution, 0.2860f, 0.3530f, pp);
  else
    nd_preprocess_for_family (spec->family, spec->resolution, pp);
}

gboolean
nd_preprocess_validate (const NdPreprocess *pp, GError **error)
{
  g_return_val_if_fail (pp != NULL, FALSE);

  if (pp->channels != 1 && pp->channels != 3)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Preprocessing must produce 1 or 3 channels, not %d"), pp->channels);
      return FALSE;
    }
  if (pp->crop < 1 || pp->crop > ND_PREPROCESS_MAX_SIDE
      || pp->resize < 0 || pp->resize > ND_PREPROCESS_MAX_SIDE)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Preprocessing sizes are out of range (resize %d, crop %d; at most %d)"),
                   pp->resize, pp->crop, ND_PREPROCESS_MAX_SIDE);
      return FALSE;
    }
  if (pp->inner < 0 || pp->inner > pp->crop)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Preprocessing inner size %d does not fit the crop %d"),
                   pp->inner, pp->crop);
      return FALSE;
    }
  if (pp->interpolation != ND_INTERPOLATION_BILINEAR
      && pp->interpolation != ND_INTERPOLATION_BICUBIC)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Unknown interpolation %d"), (int) pp->interpolation);
      return FALSE;
    }
  for (int c = 0; c < pp->channels; c++)
    if (!isfinite (pp->mean[c]) || !isfinite (pp->std[c]) || pp->std[c] == 0.0f)
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("Normalisation mean/std of channel %d is not usable (%g, %g)"),
                     c, pp->mean[c], pp->std[c]);
        return FALSE;
      }
  return TRUE;
}

char *
nd_preprocess_describe (const NdPreprocess *pp)
{
  const char *interp = pp->interpolation == ND_INTERPOLATION_BICUBIC ? "bicubic" : "bilinear";
  gboolean imagenet = pp->channels == 3
                      && memcmp (pp->mean, imagenet_mean, sizeof imagenet_mean) == 0
                      && memcmp (pp->std, imagenet_std, sizeof imagenet_std) == 0;
  g_autofree char *norm = NULL;

  if (imagenet)
    norm = g_strdup ("ImageNet mean/std");
  else if (pp->channels == 1)
    norm = g_strdup_printf ("gray, mean %.4g std %.4g", pp->mean[0], pp->std[0]);
  else
    norm = g_strdup_printf ("mean (%.4g, %.4g, %.4g) std (%.4g, %.4g, %.4g)",
                            pp->mean[0], pp->mean[1], pp->mean[2],
                            pp->std[0], pp->std[1], pp->std[2]);
  if (pp->inner > 0 && pp->inner < pp->crop)
    {
      if (pp->resize == 0)
        return g_strdup_printf ("%s %d×%d (warp) on a %d canvas, %s", interp, pp->inner,
                                pp->inner, pp->crop, norm);
      return g_strdup_printf ("%s %d, crop %d on a %d canvas, %s", interp, pp->resize,
                              pp->inner, pp->crop, norm);
    }
  if (pp->resize == 0)
    return g_strdup_printf ("%s %d×%d (warp), %s", interp, pp->crop, pp->crop, norm);
  return g_strdup_printf ("%s %d, crop %d, %s", interp, pp->resize, pp->crop, norm);
}

void
nd_preprocess_resized_size (const NdPreprocess *pp, int width, int height,
                            int *out_width, int *out_height)
{
  int w = width, h = height;

  if (pp->resize == 0)
    {
      w = h = pp->inner > 0 ? pp->inner : pp->crop;
    }
  else if (width <= height)
    {
      /* torchvision: new_long = int(size * long / short), a true division then truncation. */
      w = pp->resize;
      h = (int) ((double) pp->resize * height / width);
    }
  else
    {
      h = pp->resize;
      w = (int) ((double) pp->resize * width / height);
    }
  *out_width = MAX (w, 1);
  *out_height = MAX (h, 1);
}

/* torchvision CenterCrop: offset round((size − crop) / 2) with Python's half-to-even round;
 * a crop larger than the image pads (crop − size) // 2 zeros on the leading side. */
static int
crop_offset (int size, int crop)
{
  if (size >= crop)
    return (int) nearbyint ((size - crop) / 2.0);
  return -((crop - size) / 2);
}

static gboolean
check_image (const guint8 *pixels, int width, int height, int stride, NdPixelFormat format,
             int *bpp, GError **error)
{
  switch (format)
    {
    case ND_PIXEL_FORMAT_RGBA8: *bpp = 4; break;
    case ND_PIXEL_FORMAT_RGB8: *bpp = 3; break;
    case ND_PIXEL_FORMAT_GRAY8: *bpp = 1; break;
    default:
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Unknown pixel format %d"), (int) format);
      return FALSE;
    }
  if (pixels == NULL || width < 1 || height < 1
      || width > ND_PREPROCESS_MAX_SIDE || height > ND_PREPROCESS_MAX_SIDE)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Image size %d×%d is out of range (1 to %d pixels per side)"),
                   width, height, ND_PREPROCESS_MAX_SIDE);
      return FALSE;
    }
  if (stride < width * *bpp)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Image row stride %d is smaller than %d pixels of %d bytes"),
                   stride, width, *bpp);
      return FALSE;
    }
  return TRUE;
}

/* Resize + centre crop, the uint8 part of the transform: returns crop × crop pixels of
 * *@out_ch channels (1 when the image or the model is gray), zero where the crop pads. */
static guint8 *
resize_crop_u8 (const guint8 *pixels, int width, int height, int stride, int bpp,
                const NdPreprocess *pp, int *out_ch)
{
  int rw, rh, ix, iy, ox, oy, wx0, wy0, wx1, wy1, crop = pp->crop, inner = crop, ww, pad = 0;
  g_autofree guint8 *gray = NULL;
  g_autofree guint8 *win = NULL;
  const guint8 *src = pixels;
  gsize src_stride = stride;
  int src_bpp = bpp, src_ch;
  guint8 *out;

  /* Gray models see PIL's convert('L') (ITU-R 601-2 luma in 16-bit fixed point). */
  if (pp->channels == 1 && bpp >= 3)
    {
      gray = g_malloc ((gsize) width * height);
      for (int y = 0; y < height; y++)
        {
          const guint8 *in = pixels + (gsize) y * stride;
          guint8 *o = gray + (gsize) y * width;

          for (int x = 0; x < width; x++, in += bpp)
            o[x] = (guint8) ((in[0] * 19595 + in[1] * 38470 + in[2] * 7471 + 0x8000) >> 16);
        }
      src = gray;
      src_stride = width;
      src_bpp = 1;
    }
  /* A gray image for an RGB model: resample once, the caller replicates (convert('RGB')
   * copies L). */
  src_ch = MIN (pp->channels, src_bpp);

  /* An inner picture on a larger canvas is a crop at a negative offset: the same zero
   * padding CenterCrop does, shifted by the canvas border. */
  if (pp->inner > 0 && pp->inner < crop)
    {
      inner = pp->inner;
      pad = (crop - inner) / 2;
    }
  nd_preprocess_resized_size (pp, width, height, &rw, &rh);
  ix = crop_offset (rw, inner);
  iy = crop_offset (rh, inner);
  wx0 = MAX (ix, 0);
  wy0 = MAX (iy, 0);
  wx1 = MIN (ix + inner, rw);
  wy1 = MIN (iy + inner, rh);
  /* canvas position = resized position − (ox, oy) */
  ox = ix - pad;
  oy = iy - pad;
  ww = wx1 - wx0;

  win = g_malloc ((gsize) ww * (wy1 - wy0) * src_ch);
  resample_window (src, src_stride, src_bpp, src_ch, width, height, rw, rh, pp->interpolation,
                   wx0, wy0, ww, wy1 - wy0, win);

  out = g_malloc0 ((gsize) crop * crop * src_ch);   /* CenterCrop pads with 0 */
  for (int y = wy0; y < wy1; y++)
    memcpy (out + ((gsize) (y - oy) * crop + (wx0 - ox)) * src_ch,
            win + (gsize) (y - wy0) * ww * src_ch, (gsize) ww * src_ch);
  *out_ch = src_ch;
  return out;
}

gboolean
nd_preprocess_image_into (const guint8 *pixels, int width, int height, int stride,
                          NdPixelFormat format, const NdPreprocess *pp, NdTensor *out,
                          int index, GError **error)
{
  g_autofree guint8 *img = NULL;
  int bpp, crop, ch, img_ch;
  float lut[3][256];
  gsize plane;

  g_return_val_if_fail (pp != NULL && out != NULL, FALSE);

  if (!nd_preprocess_validate (pp, error)
      || !check_image (pixels, width, height, stride, format, &bpp, error))
    return FALSE;
  crop = pp->crop;
  ch = pp->channels;
  if (out->ndim != 4 || out->shape[1] != ch || out->shape[2] != crop || out->shape[3] != crop
      || index < 0 || index >= out->shape[0])
    {
      g_autofree char *shape = nd_tensor_shape_string (out);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("Input tensor %s cannot take image %d of %d×%d×%d"),
                   shape, index, ch, crop, crop);
      return FALSE;
    }

  img = resize_crop_u8 (pixels, width, height, stride, bpp, pp, &img_ch);

  /* ToTensor then Normalize, in float32 as torch does: (b / 255 − mean) / std. */
  for (int c = 0; c < ch; c++)
    for (int b = 0; b < 256; b++)
      lut[c][b] = ((float) b / 255.0f - pp->mean[c]) / pp->std[c];

  plane = (gsize) crop * crop;
  for (int c = 0; c < ch; c++)
    {
      float *o = out->data + ((gsize) index * ch + c) * plane;
      const guint8 *in = img + MIN (c, img_ch - 1);

      for (gsize i = 0; i < plane; i++)
        o[i] = lut[c][in[i * img_ch]];
    }
  return TRUE;
}

guint8 *
nd_preprocess_gray_image (const guint8 *pixels, int width, int height, int stride,
                          NdPixelFormat format, int side, NdInterpolation interpolation,
                          GError **error)
{
  NdPreprocess pp;
  int bpp, ch;

  nd_preprocess_for_gray (side, 0.0f, 1.0f, &pp);
  pp.interpolation = interpolation;
  if (!nd_preprocess_validate (&pp, error)
      || !check_image (pixels, width, height, stride, format, &bpp, error))
    return NULL;
  return resize_crop_u8 (pixels, width, height, stride, bpp, &pp, &ch);
}

gboolean
nd_preprocess_gray_input (const guint8 *pixels, int width, int height, int stride,
                          NdPixelFormat format, const NdGrayPreprocess *gp, float *dst,
                          GError **error)
{
  g_autofree guint8 *gray = nd_preprocess_gray_image (pixels, width, height, stride, format,
                                                      ND_FASHION_MNIST_SIDE,
                                                      ND_INTERPOLATION_BILINEAR, error);

  if (gray == NULL)
    return FALSE;
  nd_gray_preprocess_pixels (gray, ND_FASHION_MNIST_SIDE, ND_FASHION_MNIST_SIDE, gp, dst);
  return TRUE;
}

NdTensor *
nd_preprocess_image (const guint8 *pixels, int width, int height, int stride,
                     NdPixelFormat format, const NdPreprocess *pp, GError **error)
{
  g_autoptr(NdTensor) t = NULL;
  int64_t shape[4];

  g_return_val_if_fail (pp != NULL, NULL);

  if (!nd_preprocess_validate (pp, error))
    return NULL;
  shape[0] = 1;
  shape[1] = pp->channels;
  shape[2] = pp->crop;
  shape[3] = pp->crop;
  t = nd_tensor_try_new (4, shape, error);
  if (t == NULL)
    return NULL;
  if (!nd_preprocess_image_into (pixels, width, height, stride, format, pp, t, 0, error))
    return NULL;
  return g_steal_pointer (&t);
}
