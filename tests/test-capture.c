/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "nd-backend.h"
#include "nd-capture.h"
#include "nd-capture-private.h"
#include "nd-devices.h"
#include "nd-error.h"
#include "nd-image-file.h"
#include "nd-model.h"
#include "nd-preprocess.h"

/* Every wait is bounded: a broken pipeline must fail the test, never hang it. */
#define PULL_TIMEOUT_MS 5000

static char *tmpdir;

/* A 97×61 RGB PNG whose pixel (x, y) is (x·2, y·4, 200 − x). */
static char *
write_png (const char *name)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 97, 61);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmpdir, name, NULL);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);

  for (int y = 0; y < 61; y++)
    for (int x = 0; x < 97; x++)
      {
        guint8 *p = px + y * stride + x * 3;

        p[0] = (guint8) (x * 2);
        p[1] = (guint8) (y * 4);
        p[2] = (guint8) (200 - x);
      }
  g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
  g_assert_no_error (error);
  return path;
}

static char *
write_truncated (const char *src, const char *name, double keep)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmpdir, name, NULL);
  gsize len;

  g_assert_true (g_file_get_contents (src, &contents, &len, &error));
  g_assert_true (g_file_set_contents (path, contents, (gssize) (len * keep), &error));
  g_assert_no_error (error);
  return path;
}

/* Pulls until end of stream; checks every frame and returns how many came. */
static int
pull_all (NdCapture *cap, int width, int height, NdFrame **last)
{
  g_autoptr(GError) error = NULL;
  int n = 0;
  guint64 prev_seq = 0;

  for (;;)
    {
      NdFrame *frame = NULL;

      gboolean ok = nd_capture_pull_frame (cap, PULL_TIMEOUT_MS, &frame, &error);

      g_assert_no_error (error);
      g_assert_true (ok);
      if (frame == NULL)
        break;
      g_assert_cmpint (frame->width, ==, width);
      g_assert_cmpint (frame->height, ==, height);
      g_assert_cmpint (frame->format, ==, ND_PIXEL_FORMAT_RGBA8);
      g_assert_cmpint (frame->stride, >=, width * 4);
      g_assert_cmpuint (g_bytes_get_size (nd_frame_get_bytes (frame)), >=,
                        (gsize) (height - 1) * frame->stride + width * 4);
      if (n > 0)
        g_assert_cmpuint (frame->sequence, >, prev_seq);   /* newest wins, never older */
      prev_seq = frame->sequence;
      n++;
      if (last != NULL)
        {
          g_clear_pointer (last, nd_frame_unref);
          *last = nd_frame_ref (frame);
        }
      nd_frame_unref (frame);
    }
  g_assert_true (nd_capture_is_eos (cap));
  return n;
}

static void
test_test_pattern (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_TEST_PATTERN, .pattern = "smpte",
                          .width = 321, .height = 243, .fps = 120, .num_buffers = 12 };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdFrame) last = NULL;
  g_autoptr(NdTensor) t = NULL;
  NdPreprocess pp;
  int n;

  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd_capture_get_description (cap), ==, "test pattern smpte");
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  n = pull_all (cap, 321, 243, &last);
  g_assert_cmpint (n, >=, 1);
  g_assert_cmpuint (nd_capture_get_received (cap), ==, 12);
  g_assert_cmpuint (nd_capture_get_dropped (cap), ==, 12 - n);

  /* SMPTE bars (full-range RGB): the first bar is white, the second yellow (no blue). */
  g_assert_cmpint (last->data[0], >=, 250);
  g_assert_cmpint (last->data[2], >=, 250);
  g_assert_cmpint (last->data[(321 / 7 + 10) * 4 + 2], <=, 2);
  g_assert_cmpint (last->data[(321 / 7 + 10) * 4 + 0], >=, 185);

  nd_preprocess_for_family (ND_FAMILY_PARNET, 64, &pp);
  t = nd_frame_preprocess (last, &pp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->shape[1], ==, 3);
  g_assert_cmpint (t->shape[2], ==, 64);
  for (int i = 0; i < t->numel; i++)
    g_assert_true (isfinite (t->data[i]));
  /* the preprocessed red corner is the white bar, normalised: (1 − 0.485) / 0.229 ≈ 2.25 */
  g_assert_cmpfloat (fabs (t->data[0] - (1.0 - 0.485) / 0.229), <, 0.05);
  nd_capture_stop (cap);
  nd_capture_stop (cap);
}

typedef struct
{
  GMutex lock;
  int    frames;
  int    eos;
  int    errors;
} Counts;

static void
count_frame (NdCapture *cap, NdFrame *frame, gpointer data)
{
  Counts *c = data;

  g_mutex_lock (&c->lock);
  c->frames++;
  g_mutex_unlock (&c->lock);
}

static void
count_eos (NdCapture *cap, gpointer data)
{
  Counts *c = data;

  g_mutex_lock (&c->lock);
  c->eos++;
  g_mutex_unlock (&c->lock);
}

static void
count_error (NdCapture *cap, const GError *error, gpointer data)
{
  Counts *c = data;

  g_mutex_lock (&c->lock);
  c->errors++;
  g_mutex_unlock (&c->lock);
}

static void
test_callbacks (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_TEST_PATTERN, .pattern = "ball",
                          .width = 64, .height = 48, .fps = 200, .num_buffers = 10 };
  NdCaptureCallbacks cbs = { count_frame, count_error, count_eos };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;
  Counts counts = { 0 };

  g_mutex_init (&counts.lock);
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  nd_capture_set_callbacks (cap, &cbs, &counts, NULL);
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  pull_all (cap, 64, 48, NULL);
  nd_capture_stop (cap);
  /* Every sample reaches the callback, even those the puller never saw. */
  g_assert_cmpint (counts.frames, ==, 10);
  g_assert_cmpint (counts.eos, ==, 1);
  g_assert_cmpint (counts.errors, ==, 0);

  /* a stopped capture starts again from a clean state and runs to a second end */
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pull_all (cap, 64, 48, NULL), >=, 1);
  nd_capture_stop (cap);
  g_assert_cmpint (counts.frames, ==, 20);
  g_assert_cmpint (counts.eos, ==, 2);
  g_mutex_clear (&counts.lock);
}

static void
test_pull_timeout (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_TEST_PATTERN, .pattern = "snow" };
  g_autoptr(NdCapture) cap = nd_capture_new (&src, NULL);
  g_autoptr(GError) error = NULL;
  NdFrame *frame = NULL;
  gint64 t0 = g_get_monotonic_time ();

  /* not started: nothing can come */
  g_assert_false (nd_capture_pull_frame (cap, 50, &frame, &error));
  g_assert_null (frame);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "50 ms"));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
}

static void
test_still_file (void)
{
  g_autofree char *png = write_png ("still.png");
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_FILE, .path = png, .num_buffers = 3,
                          .fps = 100 };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdFrame) last = NULL, image = NULL;
  g_autoptr(NdTensor) a = NULL, b = NULL;
  NdPreprocess pp;
  double max_abs, max_rel;

  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (nd_capture_get_description (cap), "image "));
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pull_all (cap, 97, 61, &last), >=, 1);
  g_assert_cmpuint (nd_capture_get_received (cap), ==, 3);

  /* the pixels arrive unchanged (PNG is lossless, RGB → RGBA only adds alpha) */
  for (int y = 0; y < 61; y += 7)
    for (int x = 0; x < 97; x += 5)
      {
        const guint8 *p = last->data + y * last->stride + x * 4;

        g_assert_cmpint (p[0], ==, x * 2);
        g_assert_cmpint (p[1], ==, y * 4);
        g_assert_cmpint (p[2], ==, 200 - x);
        g_assert_cmpint (p[3], ==, 255);
      }

  /* capture → preprocess equals gdk-pixbuf load → preprocess */
  image = nd_image_file_load (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 97);
  nd_preprocess_for_family (ND_FAMILY_VANILLANET, 48, &pp);
  a = nd_frame_preprocess (last, &pp, &error);
  g_assert_no_error (error);
  b = nd_frame_preprocess (image, &pp, &error);
  g_assert_no_error (error);
  g_assert_true (nd_tensor_compare (a, b, &max_abs, &max_rel));
  g_assert_cmpfloat (max_abs, ==, 0.0);
}

static void
test_video_file (void)
{
  g_autofree char *avi = g_build_filename (tmpdir, "clip.avi", NULL);
  g_autofree char *desc = NULL;
  g_autoptr(GstElement) enc = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_FILE };
  g_autoptr(NdCapture) cap = NULL;
  int n;

  /* Make an 8-frame MJPEG AVI (jpegenc and avimux are in plugins-good). */
  g_assert_true (nd_capture_init (&error));
  if (!nd_capture_have_element ("jpegenc") || !nd_capture_have_element ("avimux"))
    {
      g_test_skip ("jpegenc/avimux not installed");
      return;
    }
  desc = g_strdup_printf ("videotestsrc num-buffers=8 pattern=ball ! video/x-raw,width=80,"
                          "height=60,framerate=50/1 ! jpegenc ! avimux ! filesink name=out");
  enc = gst_parse_launch (desc, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GstElement) out = gst_bin_get_by_name (GST_BIN (enc), "out");

    g_object_set (out, "location", avi, NULL);
  }
  gst_element_set_state (enc, GST_STATE_PLAYING);
  bus = gst_element_get_bus (enc);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_element_set_state (enc, GST_STATE_NULL);

  src.path = avi;
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (nd_capture_get_description (cap), "video "));
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  n = pull_all (cap, 80, 60, NULL);
  g_assert_cmpint (n, >=, 1);
  g_assert_cmpuint (nd_capture_get_received (cap), ==, 8);
}

static void
test_missing_camera (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_CAMERA, .device = "/dev/video99" };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  NdFrame *frame = NULL;
  gboolean ok;

  if (!nd_capture_have_element ("v4l2src"))
    {
      g_test_skip ("v4l2src (gstreamer1.0-plugins-good) not installed");
      return;
    }
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  ok = nd_capture_start (cap, PULL_TIMEOUT_MS, &error);
  if (ok)   /* a provider that opens lazily reports on the first pull instead */
    ok = nd_capture_pull_frame (cap, PULL_TIMEOUT_MS, &frame, &error) && frame != NULL;
  g_assert_false (ok);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "/dev/video99"));
  g_assert_nonnull (strstr (error->message, "not found"));
  g_test_message ("missing camera: %s", error->message);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 8 * G_USEC_PER_SEC);
}

/* The messages for failures no CI machine can produce (busy, unplugged camera). */
static void
test_error_messages (void)
{
  struct
  {
    NdCaptureSourceKind kind;
    gboolean            playing;
    GQuark              domain;
    int                 code;
    int                 expect_code;
    const char         *expect_text;
  } cases[] = {
    { ND_CAPTURE_SOURCE_CAMERA, FALSE, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY,
      ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE, "is busy: another application is using it" },
    { ND_CAPTURE_SOURCE_CAMERA, TRUE, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      ND_RUNTIME_ERROR_DEVICE_LOST, "stopped delivering frames (unplugged?)" },
    { ND_CAPTURE_SOURCE_CAMERA, FALSE, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE, "was not found (is it plugged in?)" },
    { ND_CAPTURE_SOURCE_PIPEWIRE, FALSE, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
      ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE, "could not be opened" },
    { ND_CAPTURE_SOURCE_FILE, TRUE, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE,
      ND_RUNTIME_ERROR_BAD_FILE, "could not be decoded" },
    { ND_CAPTURE_SOURCE_FILE, FALSE, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      ND_RUNTIME_ERROR_BAD_FILE, "does not exist" },
    { ND_CAPTURE_SOURCE_CAMERA, TRUE, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
      ND_RUNTIME_ERROR_UNSUPPORTED, "plugin" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) gerr = g_error_new_literal (cases[i].domain, cases[i].code, "detail");
      g_autoptr(GError) err = _nd_capture_translate_error (cases[i].kind, "/dev/video7",
                                                           cases[i].playing, gerr);

      g_assert_error (err, ND_RUNTIME_ERROR, cases[i].expect_code);
      g_assert_nonnull (strstr (err->message, cases[i].expect_text));
      g_assert_nonnull (strstr (err->message, "/dev/video7"));
    }
}

static void
test_pipewire_absent (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_PIPEWIRE, .pipewire_fd = -1 };
  g_autoptr(GError) error = NULL;
  NdCapture *cap;

  if (nd_capture_have_element ("pipewiresrc"))
    {
      g_test_skip ("pipewiresrc is installed; nothing to check here");
      return;
    }
  cap = nd_capture_new (&src, &error);
  g_assert_null (cap);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "gstreamer1.0-pipewire"));
}

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "does-not-exist.png", NULL);
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_FILE, .path = path };
  g_autoptr(GError) error = NULL;
  NdCapture *cap;
  NdFrame *frame;

  cap = nd_capture_new (&src, &error);
  g_assert_null (cap);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "does-not-exist.png"));
  g_clear_error (&error);

  frame = nd_image_file_load (path, &error);
  g_assert_null (frame);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "does-not-exist.png"));
  g_clear_error (&error);

  frame = nd_image_file_load (tmpdir, &error);   /* a directory */
  g_assert_null (frame);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
}

static void
check_broken_capture (const char *path)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_FILE, .path = path, .still = TRUE,
                          .num_buffers = 2 };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok;
  int frames = 0;

  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  ok = nd_capture_start (cap, PULL_TIMEOUT_MS, &error);
  /* a corrupt file may still yield a picture before the decoder notices; drain to the end */
  while (ok)
    {
      NdFrame *frame = NULL;

      ok = nd_capture_pull_frame (cap, PULL_TIMEOUT_MS, &frame, &error);
      if (!ok || frame == NULL)
        break;
      frames++;
      nd_frame_unref (frame);
    }
  g_test_message ("%s: %d frames, %s", path, frames, error ? error->message : "no error");
  g_assert_false (ok);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 12 * G_USEC_PER_SEC);
}

static void
test_truncated_file (void)
{
  g_autofree char *png = write_png ("whole.png");
  g_autofree char *half = write_truncated (png, "half.png", 0.5);
  g_autofree char *junk = g_build_filename (tmpdir, "junk.png", NULL);
  g_autoptr(GError) error = NULL;
  NdFrame *frame;
  guint8 noise[2000];

  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = (guint8) (i * 131 + (i >> 3));
  g_assert_true (g_file_set_contents (junk, (char *) noise, sizeof noise, NULL));

  frame = nd_image_file_load (half, &error);
  g_assert_null (frame);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "half.png"));
  g_test_message ("truncated: %s", error->message);
  g_clear_error (&error);

  frame = nd_image_file_load (junk, &error);
  g_assert_null (frame);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_clear_error (&error);

  check_broken_capture (half);
  check_broken_capture (junk);
}

/* A PNG header claiming 20000 × 20000 pixels: refused by size, never allocated. */
static const guint8 huge_png[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
  0x52, 0x00, 0x00, 0x4e, 0x20, 0x00, 0x00, 0x4e, 0x20, 0x08, 0x02, 0x00, 0x00, 0x00, 0x6c,
  0x12, 0xd1, 0x6e, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
  0xa0, 0x0c, 0x00, 0x00, 0x00, 0x40, 0x00, 0x01, 0xb7, 0x34, 0x7c, 0xef, 0x00, 0x00, 0x00,
  0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static void
test_image_bounds (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "huge.png", NULL);
  g_autofree char *png = write_png ("ok.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(NdFrame) ok = NULL;
  guint8 px[16] = { 0 };
  g_autoptr(GBytes) small = g_bytes_new (px, sizeof px);
  NdFrame *frame;

  g_assert_true (g_file_set_contents (path, (const char *) huge_png, sizeof huge_png, NULL));
  frame = nd_image_file_load (path, &error);
  g_assert_null (frame);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "20000"));
  g_test_message ("huge: %s", error->message);
  g_clear_error (&error);
  {
    /* and the 1.2 GB it claims were never allocated */
    struct rusage ru;

    g_assert_cmpint (getrusage (RUSAGE_SELF, &ru), ==, 0);
    g_assert_cmpint (ru.ru_maxrss, <, 400 * 1024);
  }

  {
    NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_FILE, .path = path };
    NdCapture *cap = nd_capture_new (&src, &error);

    g_assert_null (cap);
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
    g_assert_nonnull (strstr (error->message, "20000"));
    g_clear_error (&error);
  }

  ok = nd_image_file_load (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ok->width, ==, 97);
  g_assert_cmpint (ok->height, ==, 61);
  g_assert_cmpint (ok->stride, ==, 97 * 4);
  g_assert_cmpint (ok->data[(10 * 97 + 20) * 4 + 0], ==, 40);
  g_assert_cmpint (ok->data[(10 * 97 + 20) * 4 + 1], ==, 40);
  g_assert_cmpint (ok->data[(10 * 97 + 20) * 4 + 2], ==, 180);

  /* frames refuse bytes that cannot hold their rows */
  frame = nd_frame_new (small, 2, 2, 8, ND_PIXEL_FORMAT_RGBA8);   /* needs 16: fits */
  g_assert_nonnull (frame);
  g_assert_true (nd_frame_get_bytes (frame) == small);
  nd_frame_unref (frame);
  g_assert_null (nd_frame_new (small, 3, 2, 12, ND_PIXEL_FORMAT_RGBA8));
  g_assert_null (nd_frame_new (small, 2, 2, 4, ND_PIXEL_FORMAT_RGBA8));   /* stride < row */
  g_assert_null (nd_frame_new (small, 0, 2, 8, ND_PIXEL_FORMAT_RGBA8));
}

static void
test_bad_pattern (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_TEST_PATTERN, .pattern = "no-such" };
  g_autoptr(GError) error = NULL;
  NdCapture *cap = nd_capture_new (&src, &error);

  g_assert_null (cap);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no-such"));
  g_clear_error (&error);

  src.pattern = "smpte";
  src.width = 20000;
  cap = nd_capture_new (&src, &error);
  g_assert_null (cap);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
}

static void
test_custom_pipeline (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_PIPELINE,
                          .pipeline = "videotestsrc num-buffers=4 ! capsfilter "
                                      "caps=\"video/x-raw,format=I420,width=34,height=26\"" };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;

  /* converted to RGBA whatever the source gives */
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pull_all (cap, 34, 26, NULL), >=, 1);
  g_clear_pointer (&cap, nd_capture_free);

  src.pipeline = "no-such-element";
  cap = nd_capture_new (&src, &error);
  g_assert_null (cap);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* frames wider than 16384: an error, not a silent stall */
  g_clear_pointer (&cap, nd_capture_free);
  src.pipeline = "videotestsrc num-buffers=2 ! "
                 "capsfilter caps=\"video/x-raw,width=16400,height=2\"";
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  if (nd_capture_start (cap, PULL_TIMEOUT_MS, &error))
    {
      NdFrame *frame = NULL;

      g_assert_false (nd_capture_pull_frame (cap, PULL_TIMEOUT_MS, &frame, &error));
      g_assert_null (frame);
    }
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "16400"));
  g_clear_error (&error);
  g_clear_pointer (&cap, nd_capture_free);

  /* a resource error from inside: reported, not a hang */
  src.pipeline = "filesrc location=/nonexistent/nd-capture ! jpegdec";
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  g_assert_false (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "not found"));
}

static void
test_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cams = nd_devices_list_cameras (&error);

  g_assert_no_error (error);
  g_assert_nonnull (cams);
  g_test_message ("%u cameras", cams->len);
  for (guint i = 0; i < cams->len; i++)
    {
      NdCamera *c = g_ptr_array_index (cams, i);

      g_assert_cmpint (c->index, ==, (int) i);
      g_assert_nonnull (c->name);
      g_assert_nonnull (c->device);
      g_test_message ("%d: %s (%s, %s)", c->index, c->name, c->path ? c->path : "-",
                      c->provider ? c->provider : "-");
    }
}

/* The whole path: test pattern → preprocess → a small ParNet on the CPU backend. */
static void
test_inference (void)
{
  NdCaptureSource src = { .kind = ND_CAPTURE_SOURCE_TEST_PATTERN, .pattern = "ball",
                          .width = 160, .height = 120, .fps = 60, .num_buffers = 6 };
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) graph = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  NdPlanOptions popts = { .batch = 1 };
  NdModelSpec spec;
  NdPreprocess pp;
  int runs = 0;

  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, &error));
  g_assert_no_error (error);
  spec.width = 0.125;
  spec.resolution = 64;
  spec.classes = 10;
  graph = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (graph, 7);
  backend = nd_backend_new ("cpu", -1, &error);
  g_assert_no_error (error);
  plan = nd_backend_prepare (backend, graph, &popts, &error);
  g_assert_no_error (error);

  nd_preprocess_for_spec (&spec, &pp);
  input = nd_tensor_new_4d (1, 3, pp.crop, pp.crop);
  cap = nd_capture_new (&src, &error);
  g_assert_no_error (error);
  g_assert_true (nd_capture_start (cap, PULL_TIMEOUT_MS, &error));
  g_assert_no_error (error);
  for (;;)
    {
      g_autoptr(NdFrame) frame = NULL;

      g_assert_true (nd_capture_pull_frame (cap, PULL_TIMEOUT_MS, &frame, &error));
      g_assert_no_error (error);
      if (frame == NULL)
        break;
      g_assert_true (nd_frame_preprocess_into (frame, &pp, input, 0, &error));
      g_assert_no_error (error);
      g_assert_true (nd_plan_run (plan, input, &error));
      g_assert_no_error (error);
      g_assert_cmpint (plan->output->numel, ==, 10);
      for (int i = 0; i < 10; i++)
        g_assert_true (isfinite (plan->output->data[i]));
      runs++;
    }
  g_assert_cmpint (runs, >=, 1);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (!nd_capture_init (&error))
    {
      /* TAP for "nothing to run here" */
      g_print ("1..0 # SKIP GStreamer unavailable: %s\n", error->message);
      return 0;
    }
  tmpdir = g_dir_make_tmp ("nd-capture-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/capture/test-pattern", test_test_pattern);
  g_test_add_func ("/capture/callbacks", test_callbacks);
  g_test_add_func ("/capture/pull-timeout", test_pull_timeout);
  g_test_add_func ("/capture/still-file", test_still_file);
  g_test_add_func ("/capture/video-file", test_video_file);
  g_test_add_func ("/capture/missing-camera", test_missing_camera);
  g_test_add_func ("/capture/error-messages", test_error_messages);
  g_test_add_func ("/capture/pipewire-absent", test_pipewire_absent);
  g_test_add_func ("/capture/missing-file", test_missing_file);
  g_test_add_func ("/capture/truncated-file", test_truncated_file);
  g_test_add_func ("/capture/image-bounds", test_image_bounds);
  g_test_add_func ("/capture/bad-pattern", test_bad_pattern);
  g_test_add_func ("/capture/custom-pipeline", test_custom_pipeline);
  g_test_add_func ("/capture/devices", test_devices);
  g_test_add_func ("/capture/inference", test_inference);

  ret = g_test_run ();
  {
    g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);

        g_unlink (p);
      }
    g_rmdir (tmpdir);
    g_free (tmpdir);
  }
  return ret;
}
