/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-preview.h"
#include "ui-fixture.h"

/* What the preview paintable hands the renderer when shown at @w × @h: one texture node. */
static GdkTexture *
preview_texture (GdkPaintable *p, double w, double h)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;

  gdk_paintable_snapshot (p, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  g_assert_cmpint (gsk_render_node_get_node_type (node), ==, GSK_TEXTURE_NODE);
  return g_object_ref (gsk_texture_node_get_texture (node));
}

/* The preview draws at the size it is shown (issue 12: a software renderer converting and
 * scaling every full camera frame on the main thread): a 6×4 image in a 3×2 box is a 3×2
 * texture whose pixels are the means of the 2×2 blocks, premultiplied; at or above its size
 * it is the image itself. A new frame of the same size keeps the intrinsic size. */
static void
test_preview_size (void)
{
  g_autoptr(NdPreview) p = nd_preview_new ();
  guint8 rgba[4 * 6 * 4];
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) small = NULL, full = NULL;
  guint32 px[6];

  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 6; x++)
      {
        guint8 *q = rgba + 4 * (y * 6 + x);

        q[0] = (guint8) (40 * x + 10 * y);   /* red: a ramp */
        q[1] = (guint8) (x % 2 ? 200 : 100); /* green: stripes */
        q[2] = 7;
        q[3] = x < 2 ? 255 : 128;            /* half-transparent right part */
      }
  bytes = g_bytes_new (rgba, sizeof rgba);
  nd_preview_set_image (p, bytes, 6, 4, 24);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (GDK_PAINTABLE (p)), ==, 6);
  small = preview_texture (GDK_PAINTABLE (p), 3, 2);
  g_assert_cmpint (gdk_texture_get_width (small), ==, 3);
  g_assert_cmpint (gdk_texture_get_height (small), ==, 2);
  gdk_texture_download (small, (guchar *) px, 3 * 4);
  for (int by = 0; by < 2; by++)
    for (int bx = 0; bx < 3; bx++)
      {
        guint32 v = px[by * 3 + bx];
        int r = 0, g = 0, a = 0;

        for (int y = 2 * by; y < 2 * by + 2; y++)
          for (int x = 2 * bx; x < 2 * bx + 2; x++)
            {
              r += rgba[4 * (y * 6 + x)];
              g += rgba[4 * (y * 6 + x) + 1];
              a += rgba[4 * (y * 6 + x) + 3];
            }
        r = (r + 2) / 4, g = (g + 2) / 4, a = (a + 2) / 4;
        g_assert_cmpint ((int) (v >> 24), ==, a);
        g_assert_cmpint (abs ((int) ((v >> 16) & 255) - (r * a + 127) / 255), <=, 1);
        g_assert_cmpint (abs ((int) ((v >> 8) & 255) - (g * a + 127) / 255), <=, 1);
      }
  full = preview_texture (GDK_PAINTABLE (p), 12, 8);
  g_assert_cmpint (gdk_texture_get_width (full), ==, 6);
  nd_preview_set_image (p, bytes, 6, 4, 24);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (GDK_PAINTABLE (p)), ==, 4);
}

#if ND_HAVE_CAPTURE
/* ---- the camera, without one -----------------------------------------------------------
 * main() sets ND_CAMERA_SOURCE=test-pattern:ball before any thread starts (setenv is not
 * thread-safe); the other sources go through nd_window_set_camera_source (), what
 * `nondeep --camera` uses. */

static void
camera_setup (Fixture *f, gconstpointer data)
{
  fixture_setup (f, data);
  if (data != NULL)
    nd_window_set_camera_source (f->window, data);
}

static gboolean
camera_on (Fixture *f)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (f->window),
                                                               "camera");

  return g_variant_get_boolean (state);
}

static void
set_camera (Fixture *f, gboolean on)
{
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "camera",
                                      g_variant_new_boolean (on));
}

static int
preview_width (Fixture *f)
{
  return gdk_paintable_get_intrinsic_width (nd_window_get_preview (f->window));
}

/* Both rates in "Camera 30 fps · model 24 fps" are numbers. */
static gboolean
status_has_rates (Fixture *f, double *camera_fps, double *model_fps)
{
  const char *text = nd_window_get_camera_status (f->window);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) re = g_regex_new ("^Camera ([0-9]+) fps · model ([0-9]+) fps$", 0, 0,
                                      NULL);
  g_autofree char *a = NULL, *b = NULL;

  if (text == NULL || !g_regex_match (re, text, 0, &match))
    return FALSE;
  a = g_match_info_fetch (match, 1);
  b = g_match_info_fetch (match, 2);
  *camera_fps = g_ascii_strtod (a, NULL);
  *model_fps = g_ascii_strtod (b, NULL);
  return TRUE;
}

/* Returns once the main loop has run for @ms. */
static void
run_for (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  gboolean done = FALSE;
  guint id = g_timeout_add (ms, timeout_cb, &done);

  while (!done && g_get_monotonic_time () < end + G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  if (!done)
    g_source_remove (id);
}

static GtkWidget *
find_by_tooltip (GtkWidget *widget, GType type, const char *tooltip)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type)
      && g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_by_tooltip (c, type, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The test pattern as the camera: frames shown and classified continuously, the rates shown;
 * off returns to the still image, and no camera frame arrives after that. */
static void
test_camera (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  int still_width = preview_width (f);
  guint64 still_serial = nd_window_get_input_serial (w), serial, frames, runs0;
  double camera_fps = 0, model_fps = 0;
  gint64 t0;
  g_autoptr(GBytes) shot_still = screenshot (f, "camera-still");
  g_autoptr(GBytes) shot_camera = NULL;
  NdInferenceResult *r;

  g_assert_cmpint (still_width, ==, 256);
  /* The chooser lists the cameras when it opens (empty until then). */
  {
    GtkWidget *menu = find_by_tooltip (GTK_WIDGET (w), GTK_TYPE_MENU_BUTTON,
                                       "Choose the camera");
    GtkPopover *popover;

    g_assert_nonnull (menu);
    popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu));
    g_assert_null (find_by_tooltip (GTK_WIDGET (popover), GTK_TYPE_CHECK_BUTTON, NULL));
    gtk_menu_button_popup (GTK_MENU_BUTTON (menu));
    WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 10);
    g_assert_nonnull (find_by_tooltip (GTK_WIDGET (popover), GTK_TYPE_CHECK_BUTTON, NULL));
    gtk_menu_button_popdown (GTK_MENU_BUTTON (menu));
  }
  g_assert_cmpuint (nd_window_list_cameras (w), ==, 1);
  runs0 = nd_inference_get_n_runs (nd_window_get_inference (w));
  set_camera (f, TRUE);
  g_assert_true (camera_on (f));
  g_assert_true (nd_window_get_camera_running (w));
  WAIT_UNTIL (nd_window_get_camera_frames (w) >= 10
              && status_has_rates (f, &camera_fps, &model_fps) && model_fps > 0, 30);
  g_test_message ("%s; %" G_GUINT64_FORMAT " frames classified in %" G_GUINT64_FORMAT " runs",
                  nd_window_get_camera_status (w), nd_window_get_camera_frames (w),
                  nd_inference_get_n_runs (nd_window_get_inference (w)) - runs0);
  g_assert_cmpfloat (camera_fps, >, 0);
  g_assert_cmpfloat (camera_fps, <=, 45);   /* asked for 30 */
  g_assert_true (camera_on (f));
  /* The preview is the camera's picture and the results are for its frames; the renderer gets
   * it at the size shown, not 640×480. */
  g_assert_cmpint (preview_width (f), ==, 640);
  {
    GdkPaintable *p = nd_window_get_preview (w);
    g_autoptr(GdkTexture) t = preview_texture (p, 213, 160);

    g_assert_cmpint (gdk_texture_get_width (t), ==, 213);
    g_assert_cmpint (gdk_texture_get_height (t), ==, 160);
  }
  r = nd_window_get_result (w);
  g_assert_cmpuint (r->image_serial, >, still_serial);
  g_assert_cmpuint (nd_window_get_input_serial (w), >, still_serial);
  shot_camera = screenshot (f, "camera-running");
  g_assert_false (g_bytes_equal (shot_still, shot_camera));

  /* Off: the still image again, classified at once (nothing queued ahead of it). */
  set_camera (f, FALSE);
  t0 = g_get_monotonic_time ();
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_null (nd_window_get_camera_status (w));
  g_assert_cmpint (preview_width (f), ==, still_width);
  serial = nd_window_get_input_serial (w);
  WAIT_UNTIL (nd_window_get_result (w)->image_serial == serial, 30);
  g_test_message ("still image classified %.0f ms after the camera stopped",
                  (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
  frames = nd_window_get_camera_frames (w);
  run_for (500);
  g_assert_cmpuint (nd_window_get_input_serial (w), ==, serial);
  g_assert_cmpuint (nd_window_get_result (w)->image_serial, ==, serial);
  g_assert_cmpuint (nd_window_get_camera_frames (w), ==, frames);
  g_assert_cmpint (preview_width (f), ==, still_width);

  /* Picking an image while the camera runs stops it too. */
  set_camera (f, TRUE);
  WAIT_UNTIL (preview_width (f) == 640, 30);
  /* Choosing a camera while one runs restarts on it. */
  g_action_group_change_action_state (G_ACTION_GROUP (w), "camera-device",
                                      g_variant_new_int32 (0));
  g_assert_true (nd_window_get_camera_running (w));
  g_assert_cmpuint (nd_window_get_camera_frames (w), ==, 0);
  WAIT_UNTIL (nd_window_get_camera_frames (w) >= 3, 30);
  g_action_group_activate_action (G_ACTION_GROUP (w), "test-pattern", NULL);
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_cmpint (preview_width (f), ==, 256);
}

/* A camera that is not there: the message in the banner, the toggle off, the app working on
 * images as before. */
static void
test_camera_absent (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  guint64 still_serial = nd_window_get_input_serial (w);
  const char *banner;

  set_camera (f, TRUE);
  WAIT_UNTIL ((banner = nd_window_get_banner (w)) != NULL && strstr (banner, "/dev/video99"),
              20);
  g_test_message ("banner: %s", banner);
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_null (nd_window_get_camera_status (w));
  g_assert_cmpint (preview_width (f), ==, 256);
  g_assert_cmpuint (nd_window_get_input_serial (w), >=, still_serial);
  WAIT_UNTIL (nd_window_get_result (w)->image_serial == nd_window_get_input_serial (w), 30);
  /* Still usable: a knob rebuilds the model on the image. */
  drive (f, "resolution", g_variant_new_int32 (96), NULL);
  g_assert_cmpint (nd_window_get_result (w)->graph->in_h, ==, 96);
  g_assert_false (camera_on (f));
}

/* No camera at all, and one that ends mid-stream (unplugged): both explained, both off. */
static void
test_camera_gone (Fixture *f, gconstpointer data)
{
  NdWindow *w = f->window;
  const char *banner;

  g_assert_cmpuint (nd_window_list_cameras (w), ==, 0);
  set_camera (f, TRUE);
  WAIT_UNTIL ((banner = nd_window_get_banner (w)) != NULL && strstr (banner, "No camera"), 20);
  g_assert_false (camera_on (f));

  /* 45 frames at 30 fps, then end of stream, as a camera pulled out. */
  nd_window_set_camera_source (w, "test-pattern:snow:45");
  set_camera (f, TRUE);
  WAIT_UNTIL (nd_window_get_banner (w) == NULL, 20);   /* the old message is stale */
  WAIT_UNTIL ((banner = nd_window_get_banner (w)) != NULL
              && strstr (banner, "stopped sending frames"), 30);
  g_test_message ("banner: %s", banner);
  g_assert_false (camera_on (f));
  g_assert_false (nd_window_get_camera_running (w));
  g_assert_cmpuint (nd_window_get_camera_frames (w), >, 0);
  g_assert_cmpint (preview_width (f), ==, 256);
  WAIT_UNTIL (nd_window_get_result (w)->image_serial == nd_window_get_input_serial (w), 30);
}

#endif /* ND_HAVE_CAPTURE */

int
main (int argc, char **argv)
{
  /* The camera tests run on a test pattern (ND_CAMERA_SOURCE is read when the camera starts);
   * set before GTK starts any thread. */
  g_setenv ("ND_CAMERA_SOURCE", "test-pattern:ball", TRUE);
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/ui/camera/preview-size", test_preview_size);
#if ND_HAVE_CAPTURE
  g_test_add ("/ui/camera/test-pattern", Fixture, NULL, camera_setup, test_camera,
              fixture_teardown);
  g_test_add ("/ui/camera/absent", Fixture, "/dev/video99", camera_setup, test_camera_absent,
              fixture_teardown);
  g_test_add ("/ui/camera/gone", Fixture, "none", camera_setup, test_camera_gone,
              fixture_teardown);
#endif
  return g_test_run ();
}
