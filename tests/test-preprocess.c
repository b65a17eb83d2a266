/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <sys/wait.h>

#include <glib/gstdio.h>

#include "nd-dataset.h"
#include "nd-error.h"
#include "nd-preprocess.h"
#include "nd-test-utils.h"

/* Must match make_image() in tests/data/make_preprocess_ref.py. */
static guint8 *
make_image (int width, int height, int seed)
{
  guint8 *img = g_malloc ((gsize) width * height * 3);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        {
          guint64 h = ((guint64) x * 73856093u) ^ ((guint64) y * 19349663u)
                      ^ ((guint64) (c + seed) * 83492791u);
          gint64 noise, smooth, disc;

          h = (h * 2654435761u) & 0xFFFFFFFFu;
          noise = (gint64) (h >> 26);
          if (c == 0)
            smooth = (gint64) x * 255 / MAX (width - 1, 1);
          else if (c == 1)
            smooth = (gint64) y * 255 / MAX (height - 1, 1);
          else
            smooth = (gint64) (x + y) * 3 % 256;
          disc = ((x / 16 + y / 16) % 2 == 0) ? 96 : 0;
          img[((gsize) y * width + x) * 3 + c] = (guint8) ((smooth + noise + disc) % 256);
        }
  return img;
}

/* Minimal .npy reader for the little-endian float32 C-order files numpy.save writes. */
static NdTensor *
load_npy (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len;
  guint16 hlen;
  const char *header, *shape;
  int64_t dims[4] = { 1, 1, 1, 1 };
  int ndim = 0;
  NdTensor *t;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpint (len, >, 10);
  g_assert_cmpint (memcmp (contents, "\x93NUMPY\x01", 7), ==, 0);
  memcpy (&hlen, contents + 8, 2);
  header = contents + 10;
  g_assert_nonnull (g_strstr_len (header, hlen, "'<f4'"));
  g_assert_nonnull (g_strstr_len (header, hlen, "'fortran_order': False"));
  shape = g_strstr_len (header, hlen, "'shape': (");
  g_assert_nonnull (shape);
  shape += strlen ("'shape': (");
  while (*shape != ')' && ndim < 4)
    {
      char *end;

      dims[ndim++] = g_ascii_strtoll (shape, &end, 10);
      shape = end;
      while (*shape == ',' || *shape == ' ')
        shape++;
    }
  t = nd_tensor_new (ndim, dims);
  g_assert_cmpuint (len, ==, 10 + hlen + (gsize) t->numel * 4);
  memcpy (t->data, header + hlen, (gsize) t->numel * 4);
  return t;
}

typedef struct
{
  const char     *name;
  int             w, h, seed;
  int             resize;
  NdInterpolation interpolation;
  int             crop;
  gboolean        gray;
  int             canvas;   /* tensor side when larger than crop (crop becomes pp.inner) */
} RefCase;

/* Mirrors CASES in make_preprocess_ref.py: resampling, crop and normalisation alone. */
static const RefCase ref_cases[] = {
  { "fmnist-32-a", 333, 250, 1, 28, ND_INTERPOLATION_BILINEAR, 28, TRUE, 32 },
  { "gray-28-a", 333, 250, 1, 28, ND_INTERPOLATION_BILINEAR, 28, TRUE },
  { "gray-28-d", 28, 28, 4, 28, ND_INTERPOLATION_BILINEAR, 28, TRUE },
  { "bicubic-up-e", 19, 13, 5, 40, ND_INTERPOLATION_BICUBIC, 37, FALSE },
};

/* Mirrors FAMILY_CASES: the app's transform for a model of that family (nd_preprocess_for_spec,
 * unchanged) against the official code's transform, written out in the script. */
typedef struct
{
  const char *name;
  int         w, h, seed;
  NdFamily    family;
  int         side;
} FamilyCase;

static const FamilyCase family_cases[] = {
  { "parnet-224-a", 333, 250, 1, ND_FAMILY_PARNET, 224 },
  { "parnet-224-c", 1203, 901, 3, ND_FAMILY_PARNET, 224 },
  { "parnet-352-b", 181, 403, 2, ND_FAMILY_PARNET, 352 },
  { "repvgg-224-c", 1203, 901, 3, ND_FAMILY_REPVGG, 224 },
  { "repvgg-96-b", 181, 403, 2, ND_FAMILY_REPVGG, 96 },
  { "vanillanet-224-b", 181, 403, 2, ND_FAMILY_VANILLANET, 224 },
  { "vanillanet-384-a", 333, 250, 1, ND_FAMILY_VANILLANET, 384 },
  { "resnet-224-c", 1203, 901, 3, ND_FAMILY_RESNET, 224 },
  { "vgg-224-a", 333, 250, 1, ND_FAMILY_VGG, 224 },
};

static void
compare_npy (const char *outdir, const char *name, const NdTensor *got)
{
  g_autofree char *file = g_strconcat (name, ".npy", NULL);
  g_autofree char *path = g_build_filename (outdir, file, NULL);
  g_autoptr(NdTensor) ref = load_npy (path);
  double max_abs = 0, max_rel = 0;

  g_assert_true (nd_tensor_compare (got, ref, &max_abs, &max_rel));
  g_test_message ("%s: max abs error %.3g", name, max_abs);
  if (max_abs > 1e-4)
    g_error ("%s: max abs error %g > 1e-4", name, max_abs);
  g_unlink (path);
}

static void
test_against_pytorch (void)
{
  const char *python = "/usr/bin/python3";
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "data",
                                                   "make_preprocess_ref.py", NULL);
  g_autofree char *outdir = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      nd_test_skip_unless_required ("torch", "/usr/bin/python3 is not installed");
      return;
    }
  outdir = g_dir_make_tmp ("nd-preprocess-XXXXXX", &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { python, script, outdir, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &out, &err, &status, &error));
    g_assert_no_error (error);
  }
  if (g_spawn_check_wait_status (status, NULL) == FALSE && WIFEXITED (status)
      && WEXITSTATUS (status) == 77)
    {
      nd_test_skip_unless_required ("torch", g_strchomp (out));
      g_rmdir (outdir);
      return;
    }
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("reference script failed: %s\n%s%s", error->message, out, err);
  g_test_message ("%s", g_strchomp (out));

  for (guint i = 0; i < G_N_ELEMENTS (ref_cases); i++)
    {
      const RefCase *rc = &ref_cases[i];
      g_autofree guint8 *img = make_image (rc->w, rc->h, rc->seed);
      g_autoptr(NdTensor) got = NULL;
      NdPreprocess pp;

      if (rc->gray)
        nd_preprocess_for_gray (rc->crop, 0.2860f, 0.3530f, &pp);
      else
        nd_preprocess_for_family (ND_FAMILY_PARNET, rc->crop, &pp);
      pp.resize = rc->resize;
      pp.interpolation = rc->interpolation;
      if (rc->canvas > rc->crop)
        {
          pp.inner = rc->crop;
          pp.crop = rc->canvas;
        }

      got = nd_preprocess_image (img, rc->w, rc->h, rc->w * 3, ND_PIXEL_FORMAT_RGB8, &pp, &error);
      g_assert_no_error (error);
      compare_npy (outdir, rc->name, got);
    }
  for (guint i = 0; i < G_N_ELEMENTS (family_cases); i++)
    {
      const FamilyCase *fc = &family_cases[i];
      g_autofree guint8 *img = make_image (fc->w, fc->h, fc->seed);
      g_autoptr(NdTensor) got = NULL;
      NdModelSpec spec = { .family = fc->family, .resolution = fc->side, .in_channels = 3 };
      NdPreprocess pp;
      g_autofree char *desc = NULL;

      nd_preprocess_for_spec (&spec, &pp);
      desc = nd_preprocess_describe (&pp);
      g_test_message ("%s: %s", fc->name, desc);
      got = nd_preprocess_image (img, fc->w, fc->h, fc->w * 3, ND_PIXEL_FORMAT_RGB8, &pp, &error);
      g_assert_no_error (error);
      compare_npy (outdir, fc->name, got);
    }
  g_rmdir (outdir);
}

static void
test_presets (void)
{
  NdPreprocess pp;
  NdModelSpec spec = { 0 };
  g_autofree char *desc = NULL;

  nd_preprocess_for_family (ND_FAMILY_PARNET, 224, &pp);
  g_assert_cmpint (pp.resize, ==, 256);
  g_assert_cmpint (pp.crop, ==, 224);
  g_assert_cmpint (pp.interpolation, ==, ND_INTERPOLATION_BICUBIC);
  g_assert_cmpfloat (pp.mean[0], ==, 0.485f);
  g_assert_cmpfloat (pp.std[2], ==, 0.225f);
  desc = nd_preprocess_describe (&pp);
  g_assert_cmpstr (desc, ==, "bicubic 256, crop 224, ImageNet mean/std");

  nd_preprocess_for_family (ND_FAMILY_PARNET, 352, &pp);   /* XL fine-tune eval size */
  g_assert_cmpint (pp.resize, ==, 402);

  nd_preprocess_for_family (ND_FAMILY_REPVGG, 224, &pp);
  g_assert_cmpint (pp.resize, ==, 224);
  g_assert_cmpint (pp.interpolation, ==, ND_INTERPOLATION_BILINEAR);

  nd_preprocess_for_family (ND_FAMILY_VANILLANET, 224, &pp);
  g_assert_cmpint (pp.resize, ==, 256);
  g_assert_cmpint (pp.interpolation, ==, ND_INTERPOLATION_BICUBIC);
  nd_preprocess_for_family (ND_FAMILY_VANILLANET, 384, &pp);
  g_assert_cmpint (pp.resize, ==, 0);
  g_assert_cmpint (pp.crop, ==, 384);

  nd_preprocess_for_family (ND_FAMILY_RESNET, 224, &pp);
  g_assert_cmpint (pp.resize, ==, 256);
  g_assert_cmpint (pp.interpolation, ==, ND_INTERPOLATION_BILINEAR);
  nd_preprocess_for_family (ND_FAMILY_VGG, 224, &pp);
  g_assert_cmpint (pp.resize, ==, 256);

  /* What the app shows for each family's model at its preset size (docs/reference/networks.md). */
  {
    static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
    static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };
    static const struct
    {
      NdFamily    family;
      int         side;
      const char *desc;
    } shown[] = {
      { ND_FAMILY_PARNET, 224, "bicubic 256, crop 224, ImageNet mean/std" },
      { ND_FAMILY_REPVGG, 224, "bilinear 224, crop 224, ImageNet mean/std" },
      { ND_FAMILY_VANILLANET, 224, "bicubic 256, crop 224, ImageNet mean/std" },
      { ND_FAMILY_VANILLANET, 384, "bicubic 384×384 (warp), ImageNet mean/std" },
      { ND_FAMILY_RESNET, 224, "bilinear 256, crop 224, ImageNet mean/std" },
      { ND_FAMILY_VGG, 224, "bilinear 256, crop 224, ImageNet mean/std" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
      {
        NdModelSpec s3 = { .family = shown[i].family, .resolution = shown[i].side,
                           .in_channels = 3 };

        nd_preprocess_for_spec (&s3, &pp);
        g_clear_pointer (&desc, g_free);
        desc = nd_preprocess_describe (&pp);
        g_assert_cmpstr (desc, ==, shown[i].desc);
        g_assert_cmpint (pp.channels, ==, 3);
        for (int c = 0; c < 3; c++)
          {
            g_assert_cmpfloat (pp.mean[c], ==, imagenet_mean[c]);
            g_assert_cmpfloat (pp.std[c], ==, imagenet_std[c]);
          }
      }
  }

  spec.family = ND_FAMILY_PARNET;
  spec.resolution = 28;
  spec.in_channels = 1;
  nd_preprocess_for_spec (&spec, &pp);
  g_assert_cmpint (pp.channels, ==, 1);
  g_assert_cmpint (pp.crop, ==, 28);
  g_assert_cmpint (pp.inner, ==, 0);
  g_assert_cmpfloat (pp.mean[0], ==, 0.2860f);
  g_assert_cmpfloat (pp.std[0], ==, 0.3530f);

  /* the project's default: 28 × 28 Fashion-MNIST padded to 32 */
  spec.resolution = 32;
  nd_preprocess_for_spec (&spec, &pp);
  g_assert_cmpint (pp.crop, ==, 32);
  g_assert_cmpint (pp.resize, ==, 28);
  g_assert_cmpint (pp.inner, ==, 28);
  g_clear_pointer (&desc, g_free);
  desc = nd_preprocess_describe (&pp);
  g_assert_cmpstr (desc, ==, "bilinear 28, crop 28 on a 32 canvas, gray, mean 0.286 std 0.353");
}

/* The canvas path equals the training's own pad (nd_gray_preprocess_pixels, resize=pad) on a
 * 28 × 28 picture, and centres odd margins the same way. */
static void
test_fashion_canvas (void)
{
  guint8 img[28 * 28];
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 28 * 28; i++)
    img[i] = (guint8) (i * 13 + (i >> 5));
  for (int side = 31; side <= 36; side++)
    {
      g_autoptr(NdTensor) ours = NULL;
      g_autofree float *ref = g_new (float, side * side);
      NdGrayPreprocess gpp = { .bilinear = FALSE, .size = side, .mean = 0.2860, .std = 0.3530 };
      NdPreprocess pp;

      nd_preprocess_for_fashion_mnist (side, 0.2860f, 0.3530f, &pp);
      ours = nd_preprocess_image (img, 28, 28, 28, ND_PIXEL_FORMAT_GRAY8, &pp, &error);
      g_assert_no_error (error);
      g_assert_cmpint (ours->shape[2], ==, side);
      nd_gray_preprocess_pixels (img, 28, 28, &gpp, ref);
      for (int i = 0; i < side * side; i++)
        g_assert_cmpfloat_with_epsilon (ours->data[i], ref[i], 1e-5);
    }
}

static void
test_resized_size (void)
{
  NdPreprocess pp;
  int w, h;

  nd_preprocess_for_family (ND_FAMILY_PARNET, 224, &pp);
  nd_preprocess_resized_size (&pp, 640, 480, &w, &h);
  g_assert_cmpint (w, ==, 341);    /* int(256 · 640 / 480) = int(341.33) */
  g_assert_cmpint (h, ==, 256);
  nd_preprocess_resized_size (&pp, 480, 640, &w, &h);
  g_assert_cmpint (w, ==, 256);
  g_assert_cmpint (h, ==, 341);
  nd_preprocess_resized_size (&pp, 100, 100, &w, &h);
  g_assert_cmpint (w, ==, 256);
  g_assert_cmpint (h, ==, 256);
  pp.resize = 0;
  nd_preprocess_resized_size (&pp, 640, 480, &w, &h);
  g_assert_cmpint (w, ==, 224);
  g_assert_cmpint (h, ==, 224);
}

/* Plain pixel values out, so the crop offset and normalisation can be read directly. */
static void
set_unit_norm (NdPreprocess *pp)
{
  for (int c = 0; c < 3; c++)
    {
      pp->mean[c] = 0.0f;
      pp->std[c] = 1.0f / 255.0f;
    }
}

static void
test_crop_offset_half_even (void)
{
  /* 35 × 10 gray ramp, resize 10 keeps the size (no resampling), crop 10: torchvision's
   * left = round(25 / 2) = round(12.5) = 12 (half to even), not 13. Width 37: round(13.5) = 14. */
  for (int w = 35; w <= 37; w += 2)
    {
      g_autofree guint8 *img = g_malloc (w * 10);
      g_autoptr(NdTensor) t = NULL;
      g_autoptr(GError) error = NULL;
      NdPreprocess pp;

      for (int y = 0; y < 10; y++)
        for (int x = 0; x < w; x++)
          img[y * w + x] = (guint8) (x * 5);
      nd_preprocess_for_gray (10, 0.0f, 1.0f, &pp);
      set_unit_norm (&pp);
      t = nd_preprocess_image (img, w, 10, w, ND_PIXEL_FORMAT_GRAY8, &pp, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat_with_epsilon (t->data[0], (w == 35 ? 12 : 14) * 5, 1e-3);
      g_assert_cmpfloat_with_epsilon (t->data[9 * 10 + 9], (w == 35 ? 21 : 23) * 5, 1e-3);
    }
}

static void
test_formats (void)
{
  /* RGBA with random alpha equals RGB; gray into a 3-channel model replicates the plane;
   * RGB into a gray model uses Pillow's L24 luma. Odd sizes and a padded stride. */
  const int w = 23, h = 17, stride = 23 * 4 + 12;
  g_autofree guint8 *rgb = make_image (w, h, 7);
  g_autofree guint8 *rgba = g_malloc0 (stride * h);
  g_autofree guint8 *gray = g_malloc (w * h);
  g_autoptr(NdTensor) a = NULL, b = NULL, g3 = NULL, g1 = NULL, l = NULL;
  g_autoptr(GError) error = NULL;
  NdPreprocess pp, ppg;
  double max_abs, max_rel;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = rgb + (y * w + x) * 3;

        memcpy (rgba + y * stride + x * 4, p, 3);
        rgba[y * stride + x * 4 + 3] = (guint8) (x * 37 + y);
        gray[y * w + x] = (guint8) ((p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
      }

  nd_preprocess_for_family (ND_FAMILY_VANILLANET, 13, &pp);   /* bicubic, odd sizes */
  a = nd_preprocess_image (rgb, w, h, w * 3, ND_PIXEL_FORMAT_RGB8, &pp, &error);
  g_assert_no_error (error);
  b = nd_preprocess_image (rgba, w, h, stride, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_no_error (error);
  g_assert_true (nd_tensor_compare (a, b, &max_abs, &max_rel));
  g_assert_cmpfloat (max_abs, ==, 0.0);
  g_assert_cmpint (a->shape[1], ==, 3);
  g_assert_cmpint (a->shape[2], ==, 13);

  set_unit_norm (&pp);
  g3 = nd_preprocess_image (gray, w, h, w, ND_PIXEL_FORMAT_GRAY8, &pp, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 13 * 13; i++)
    {
      g_assert_cmpfloat (g3->data[i], ==, g3->data[169 + i]);
      g_assert_cmpfloat (g3->data[i], ==, g3->data[338 + i]);
    }

  nd_preprocess_for_gray (13, 0.0f, 1.0f, &ppg);
  set_unit_norm (&ppg);
  ppg.interpolation = ND_INTERPOLATION_BICUBIC;
  ppg.resize = pp.resize;
  g1 = nd_preprocess_image (rgba, w, h, stride, ND_PIXEL_FORMAT_RGBA8, &ppg, &error);
  g_assert_no_error (error);
  l = nd_preprocess_image (gray, w, h, w, ND_PIXEL_FORMAT_GRAY8, &ppg, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g1->shape[1], ==, 1);
  g_assert_true (nd_tensor_compare (g1, l, &max_abs, &max_rel));
  g_assert_cmpfloat (max_abs, ==, 0.0);
  /* and it equals channel 0 of the 3-channel gray result */
  for (int i = 0; i < 13 * 13; i++)
    g_assert_cmpfloat (g1->data[i], ==, g3->data[i]);

  /* the uint8 gray picture is the same transform before ToTensor */
  {
    g_autofree guint8 *u8 = nd_preprocess_gray_image (rgba, w, h, stride, ND_PIXEL_FORMAT_RGBA8,
                                                      13, ND_INTERPOLATION_BILINEAR, &error);
    g_autoptr(NdTensor) ref = NULL;

    g_assert_no_error (error);
    nd_preprocess_for_gray (13, 0.0f, 1.0f, &ppg);
    set_unit_norm (&ppg);
    ref = nd_preprocess_image (rgba, w, h, stride, ND_PIXEL_FORMAT_RGBA8, &ppg, &error);
    g_assert_no_error (error);
    for (int i = 0; i < 13 * 13; i++)
      g_assert_cmpfloat_with_epsilon (u8[i], ref->data[i], 1e-3);
    g_assert_null (nd_preprocess_gray_image (rgba, w, h, 3, ND_PIXEL_FORMAT_RGBA8, 13,
                                             ND_INTERPOLATION_BILINEAR, &error));
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
}

static void
test_identity_and_constant (void)
{
  g_autofree guint8 *img = g_malloc (28 * 28);
  g_autofree guint8 *flat = g_malloc (97 * 61 * 3);
  g_autoptr(NdTensor) t = NULL;
  g_autoptr(GError) error = NULL;
  NdPreprocess pp;

  /* 28×28 into a 28 model: no resampling at all, exact (b/255 − mean)/std. */
  for (int i = 0; i < 28 * 28; i++)
    img[i] = (guint8) (i * 7);
  nd_preprocess_for_gray (28, 0.2860f, 0.3530f, &pp);
  t = nd_preprocess_image (img, 28, 28, 28, ND_PIXEL_FORMAT_GRAY8, &pp, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 28 * 28; i++)
    g_assert_cmpfloat (t->data[i], ==, ((float) img[i] / 255.0f - 0.2860f) / 0.3530f);
  g_clear_pointer (&t, nd_tensor_unref);

  /* A flat image stays flat through a strong bicubic downscale (taps sum to one). */
  memset (flat, 200, 97 * 61 * 3);
  nd_preprocess_for_family (ND_FAMILY_PARNET, 8, &pp);
  set_unit_norm (&pp);
  t = nd_preprocess_image (flat, 97, 61, 97 * 3, ND_PIXEL_FORMAT_RGB8, &pp, &error);
  g_assert_no_error (error);
  for (int i = 0; i < t->numel; i++)
    g_assert_cmpfloat_with_epsilon (t->data[i], 200.0, 1e-3);
}

static void
test_resample_direct (void)
{
  /* 2× bilinear downscale of a 1-D ramp: PIL averages with taps (1, 3, 3, 1) / 8. */
  guint8 row[8] = { 0, 8, 16, 24, 32, 40, 48, 56 };
  g_autofree guint8 *out = nd_preprocess_resample (row, 8, 1, 1, 4, 1, ND_INTERPOLATION_BILINEAR);

  /* x0: taps on 0..2 → (0·3 + 8·3 + 16·1) / 7 = 5.7 → 6 (edge renormalised) */
  g_assert_cmpint (out[0], ==, 6);
  g_assert_cmpint (out[1], ==, 20);   /* (8 + 16·3 + 24·3 + 32) / 8 = 20 */
  g_assert_cmpint (out[2], ==, 36);
  g_assert_cmpint (out[3], ==, 50);   /* (40 + 48·3 + 56·3) / 7 = 50.3 */
}

static void
test_errors (void)
{
  guint8 px[16] = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTensor) wrong = nd_tensor_new_4d (1, 3, 8, 8);
  NdPreprocess pp;
  NdTensor *t;

  nd_preprocess_for_family (ND_FAMILY_REPVGG, 4, &pp);

  t = nd_preprocess_image (px, 16385, 1, 16385 * 4, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_null (t);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  t = nd_preprocess_image (px, 0, 4, 0, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_null (t);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  t = nd_preprocess_image (px, 2, 2, 7, ND_PIXEL_FORMAT_RGBA8, &pp, &error);   /* stride < 8 */
  g_assert_null (t);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  t = nd_preprocess_image (NULL, 2, 2, 8, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_null (t);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  pp.std[1] = 0.0f;
  t = nd_preprocess_image (px, 2, 2, 8, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_null (t);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  nd_preprocess_for_family (ND_FAMILY_REPVGG, 4, &pp);
  pp.crop = 20000;
  t = nd_preprocess_image (px, 2, 2, 8, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_null (t);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  nd_preprocess_for_family (ND_FAMILY_REPVGG, 4, &pp);
  g_assert_false (nd_preprocess_image_into (px, 2, 2, 8, ND_PIXEL_FORMAT_RGBA8, &pp, wrong, 0,
                                            &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_clear_error (&error);

  /* A crop larger than the image pads with zeros, like torchvision (no crash, no read past). */
  set_unit_norm (&pp);
  pp.resize = 2;
  pp.crop = 5;
  memset (px, 100, sizeof px);
  t = nd_preprocess_image (px, 2, 2, 8, ND_PIXEL_FORMAT_RGBA8, &pp, &error);
  g_assert_no_error (error);
  /* pad left/top (5 − 2) // 2 = 1: pixels (1..2, 1..2) are the image */
  g_assert_cmpfloat (t->data[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (t->data[1 * 5 + 1], 100.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (t->data[2 * 5 + 2], 100.0, 1e-3);
  g_assert_cmpfloat (t->data[3 * 5 + 3], ==, 0.0f);
  nd_tensor_unref (t);
}

/* The gray path every front end shares: a 28×28 picture goes through unchanged (as the test
 * set does), a larger one becomes a 28×28 Fashion-MNIST-sized picture first, so the pad
 * mapping still leaves its 2-pixel border of zeros (mean-subtracted). */
static void
test_gray_input (void)
{
  NdGrayPreprocess gp;
  g_autoptr(GError) error = NULL;
  guint8 gray[28 * 28], rgba[28 * 28 * 4];
  g_autofree guint8 *big = g_malloc (64 * 48 * 4);
  float want[32 * 32], got[32 * 32];

  g_assert_true (nd_gray_preprocess_parse ("gray resize=pad size=32 mean=0.2860 std=0.3530",
                                           &gp, &error));
  for (int i = 0; i < 28 * 28; i++)
    {
      gray[i] = (guint8) ((i * 37) % 251);
      memset (rgba + 4 * i, gray[i], 3);
      rgba[4 * i + 3] = 255;
    }
  nd_gray_preprocess_pixels (gray, 28, 28, &gp, want);
  g_assert_true (nd_preprocess_gray_input (rgba, 28, 28, 28 * 4, ND_PIXEL_FORMAT_RGBA8, &gp,
                                           got, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (got, sizeof got, want, sizeof want);

  memset (big, 100, 64 * 48 * 4);
  g_assert_true (nd_preprocess_gray_input (big, 64, 48, 64 * 4, ND_PIXEL_FORMAT_RGBA8, &gp, got,
                                           &error));
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 32; x++)
      {
        gboolean inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        double v = ((inside ? 100 / 255.0 : 0.0) - 0.2860) / 0.3530;

        g_assert_cmpfloat_with_epsilon (got[y * 32 + x], v, 1e-5);
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/preprocess/presets", test_presets);
  g_test_add_func ("/preprocess/resized-size", test_resized_size);
  g_test_add_func ("/preprocess/fashion-canvas", test_fashion_canvas);
  g_test_add_func ("/preprocess/crop-offset-half-even", test_crop_offset_half_even);
  g_test_add_func ("/preprocess/formats", test_formats);
  g_test_add_func ("/preprocess/identity-and-constant", test_identity_and_constant);
  g_test_add_func ("/preprocess/resample-direct", test_resample_direct);
  g_test_add_func ("/preprocess/errors", test_errors);
  g_test_add_func ("/preprocess/gray-input", test_gray_input);
  g_test_add_func ("/preprocess/against-pytorch", test_against_pytorch);

  return g_test_run ();
}
