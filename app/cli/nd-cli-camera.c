/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-capture.h"
#include "nd-cli.h"
#include "nd-dataset.h"
#include "nd-devices.h"
#include "nd-error.h"
#include "nd-preprocess.h"

/* How long to wait for a frame before calling the source dead. */
#define FRAME_TIMEOUT_MS 5000

/* How a frame becomes the model input: the family's evaluation transform for RGB models;
 * for 1-channel (Fashion-MNIST) models, gray + PIL-exact antialiased resize of the short side
 * to 28 + centre crop — a Fashion-MNIST-sized picture — then the model's own 28 → R mapping
 * from its weights metadata (pad or bilinear), exactly as its training did. */
typedef struct
{
  gboolean         gray;
  NdPreprocess     pp;
  NdGrayPreprocess gpp;
} FramePrep;

static gboolean
prepare_frame (NdFrame *frame, const FramePrep *prep, NdTensor *input, GError **error)
{
  if (!prep->gray)
    return nd_frame_preprocess_into (frame, &prep->pp, input, 0, error);
  return nd_preprocess_gray_input (frame->data, frame->width, frame->height, frame->stride,
                                   frame->format, &prep->gpp, input->data, error);
}

/* What one run measured. */
typedef struct
{
  int    done;
  double pre_ms, run_ms;   /* totals over @done frames */
  double elapsed;          /* seconds from the first frame to the last result */
} CameraStats;

static gboolean
frame_prep_init (const NdCliModel *model, FramePrep *prep, char **text, GError **error)
{
  prep->gray = model->graph->in_c == 1;
  if (prep->gray)
    {
      if (!nd_gray_preprocess_parse (model->preprocess, &prep->gpp, error))
        return FALSE;
      if (prep->gpp.size != model->graph->in_h)
        prep->gpp.size = model->graph->in_h;
      *text = g_strdup_printf ("gray, bilinear %d, crop %d, then %s to %d, mean %.4g std %.4g",
                               ND_FASHION_MNIST_SIDE, ND_FASHION_MNIST_SIDE,
                               prep->gpp.bilinear ? "bilinear" : "pad", prep->gpp.size,
                               prep->gpp.mean, prep->gpp.std);
      return TRUE;
    }
  nd_preprocess_for_spec (&model->spec, &prep->pp);
  prep->pp.crop = model->graph->in_h;
  *text = nd_preprocess_describe (&prep->pp);
  return TRUE;
}

/* Pulls, preprocesses and classifies up to @frames frames (fewer when a file ends). */
static gboolean
classify_frames (NdCapture *cap, NdPlan *plan, NdTensor *input, const FramePrep *prep,
                 int frames, CameraStats *st, GError **error)
{
  gint64 t_first = 0;

  while (st->done < frames)
    {
      g_autoptr(NdFrame) frame = NULL;
      gint64 t0, t1, t2;

      if (!nd_capture_pull_frame (cap, FRAME_TIMEOUT_MS, &frame, error))
        return FALSE;
      if (frame == NULL)
        break;   /* end of a file */
      t0 = g_get_monotonic_time ();
      if (st->done == 0)
        t_first = t0;
      if (!prepare_frame (frame, prep, input, error))
        return FALSE;
      t1 = g_get_monotonic_time ();
      if (!nd_plan_run (plan, input, error))
        return FALSE;
      t2 = g_get_monotonic_time ();
      st->pre_ms += (t1 - t0) / 1000.0;
      st->run_ms += (t2 - t1) / 1000.0;
      st->done++;
    }
  st->elapsed = (g_get_monotonic_time () - t_first) / (double) G_USEC_PER_SEC;
  return TRUE;
}

/* The rate and the last frame's top-1, as JSON (model, backend, source, frames, fps, dropped,
 * received, source_fps, preprocess_ms, inference_ms, preprocess, last_top1,
 * last_top1_probability) or text. */
static void
report (gboolean json, const NdCliModel *model, const NdBackend *backend, NdCapture *cap,
        const NdPlan *plan, const CameraStats *st, int source_fps, const char *prep_text)
{
  int classes = (int) plan->output->numel, last_top = -1, done = st->done;
  g_auto(GStrv) labels = nd_cli_labels (classes, NULL);
  double rate = done > 0 && st->elapsed > 0 ? done / st->elapsed : 0, last_prob = 0;
  double pre = done ? st->pre_ms / done : 0, run = done ? st->run_ms / done : 0;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (done > 0)
    {
      const float *logits = plan->output->data;
      double max = -INFINITY, sum = 0;

      for (int c = 0; c < classes; c++)
        if (logits[c] > max)
          {
            max = logits[c];
            last_top = c;
          }
      for (int c = 0; c < classes; c++)
        sum += exp (logits[c] - max);
      last_prob = 1.0 / sum;
    }
  if (!json)
    {
      printf (_("%d frames in %.2f s: %.1f fps (preprocess %.2f ms, inference %.2f ms per "
                "frame; %" PRIu64 " of %" PRIu64 " frames dropped)\n"),
              done, st->elapsed, rate, pre, run, nd_capture_get_dropped (cap),
              nd_capture_get_received (cap));
      if (last_top >= 0)
        printf (_("last frame: %s (%.1f%%)\n"), labels[last_top], 100 * last_prob);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model->spec.name);
  json_builder_set_member_name (b, "backend");
  json_builder_add_string_value (b, backend->name);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, nd_capture_get_description (cap));
  json_builder_set_member_name (b, "frames");
  json_builder_add_int_value (b, done);
  json_builder_set_member_name (b, "fps");
  json_builder_add_double_value (b, rate);
  json_builder_set_member_name (b, "dropped");
  json_builder_add_int_value (b, (gint64) nd_capture_get_dropped (cap));
  json_builder_set_member_name (b, "received");
  json_builder_add_int_value (b, (gint64) nd_capture_get_received (cap));
  json_builder_set_member_name (b, "source_fps");
  json_builder_add_int_value (b, source_fps);
  json_builder_set_member_name (b, "preprocess_ms");
  json_builder_add_double_value (b, pre);
  json_builder_set_member_name (b, "inference_ms");
  json_builder_add_double_value (b, run);
  json_builder_set_member_name (b, "preprocess");
  json_builder_add_string_value (b, prep_text);
  json_builder_set_member_name (b, "last_top1");
  json_builder_add_string_value (b, last_top >= 0 ? labels[last_top] : "");
  json_builder_set_member_name (b, "last_top1_probability");
  json_builder_add_double_value (b, last_prob);
  json_builder_end_object (b);
  {
    g_autoptr(JsonNode) root = json_builder_get_root (b);

    nd_cli_print_json (root);
  }
}

static NdCapture *
open_source (const char *device, gboolean test_pattern, const char *pattern, const char *file,
             int width, int height, int fps, int frames, GError **error)
{
  NdCaptureSource src = { .pipewire_fd = -1 };
  g_autoptr(GPtrArray) cameras = NULL;
  char *end = NULL;
  gint64 index;

  if (test_pattern)
    {
      src.kind = ND_CAPTURE_SOURCE_TEST_PATTERN;
      src.pattern = pattern;
      src.width = width;
      src.height = height;
      src.fps = fps;
      return nd_capture_new (&src, error);
    }
  if (file != NULL)
    {
      src.kind = ND_CAPTURE_SOURCE_FILE;
      src.path = file;
      src.fps = fps;
      src.num_buffers = frames + 1;
      return nd_capture_new (&src, error);
    }

  src.kind = ND_CAPTURE_SOURCE_CAMERA;
  src.width = width;
  src.height = height;
  index = device != NULL ? g_ascii_strtoll (device, &end, 10) : 0;
  if (device != NULL && (end == device || *end != '\0'))
    {
      src.device = device;   /* a path such as /dev/video2 */
      return nd_capture_new (&src, error);
    }

  cameras = nd_devices_list_cameras (error);
  if (cameras == NULL)
    return NULL;
  if (cameras->len == 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                   _("No camera found (try --test-pattern, or --file FILE)"));
      return NULL;
    }
  if (index < 0 || index >= cameras->len)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                   _("There is no camera %" PRId64 "; %u found (0 to %u)"),
                   index, cameras->len, cameras->len - 1);
      return NULL;
    }
  src.gst_device = ((NdCamera *) g_ptr_array_index (cameras, index))->device;
  return nd_capture_new (&src, error);
}

static void
list_cameras (gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cams = nd_devices_list_cameras (&error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (cams == NULL)
    {
      nd_cli_fail (error);
      return;
    }
  json_builder_begin_array (b);
  for (guint i = 0; i < cams->len; i++)
    {
      NdCamera *c = g_ptr_array_index (cams, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, c->index);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, c->name);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, c->path ? c->path : "");
      json_builder_set_member_name (b, "provider");
      json_builder_add_string_value (b, c->provider ? c->provider : "");
      json_builder_end_object (b);
      if (!json)
        printf ("%d  %s  %s  %s\n", c->index, c->name, c->path ? c->path : "-",
                c->provider ? c->provider : "-");
    }
  json_builder_end_array (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      nd_cli_print_json (root);
    }
  else if (cams->len == 0)
    printf (_("No camera found.\n"));
}

/* `camera`: capture → preprocess → inference, headless; reports frames and fps. */
int
nd_cli_camera (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *all_entries = nd_cli_model_entries (&o);
  g_autofree GOptionEntry *model_entries = NULL;
  g_autofree char *device = NULL, *pattern = NULL, *file = NULL, *size = NULL;
  gboolean test_pattern = FALSE, list = FALSE;
  g_autofree char *vulkan_device = NULL;
  int frames = 100, fps = -1, width = 0, height = 0, status = 0;
  GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      N_("Camera: index from --list (default 0) or a path such as /dev/video2"), N_("N|PATH") },
    { "test-pattern", 't', 0, G_OPTION_ARG_NONE, &test_pattern,
      N_("Use a generated test pattern instead of a camera"), NULL },
    { "pattern", 0, 0, G_OPTION_ARG_STRING, &pattern,
      N_("Test pattern: smpte, ball, snow, … (default ball)"), N_("NAME") },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file,
      N_("Use a video or image file as the source"), N_("FILE") },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size,
      N_("Frame size asked of the camera or test pattern (default 640x480)"), "WxH" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps,
      N_("Test pattern / still frame rate (default 120, so the model is the limit)"), "N" },
    { "frames", 'n', 0, G_OPTION_ARG_INT, &frames, N_("Frames to classify (default 100)"), "N" },
    { "vulkan-device", 0, 0, G_OPTION_ARG_STRING, &vulkan_device,
      N_("Vulkan device: index or part of its name"), N_("N|NAME") },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, N_("List the cameras and exit"), NULL },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdCapture) cap = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  NdPlanOptions popts = { .batch = 1 };
  FramePrep prep = { 0 };
  g_autofree char *prep_text = NULL;
  CameraStats stats = { 0 };
  int n_model = 0;

  /* The shared knobs, less their --device (the Vulkan index): here --device is the camera,
   * as the command line has it, and the Vulkan index is --vulkan-device. */
  model_entries = g_new0 (GOptionEntry, 32);
  for (int i = 0; all_entries[i].long_name != NULL; i++)
    if (!g_str_equal (all_entries[i].long_name, "device"))
      model_entries[n_model++] = all_entries[i];

  if (!nd_cli_parse ("camera", NULL,
                     _("Classify camera (or test-pattern, or file) frames and report the frame "
                       "rate of capture → preprocess → inference."),
                     model_entries, entries, &argc, &argv))
    return 2;
  o.device = g_steal_pointer (&vulkan_device);
  if (list)
    {
      list_cameras (o.json);
      goto out;
    }
  if ((test_pattern ? 1 : 0) + (file != NULL ? 1 : 0) + (device != NULL ? 1 : 0) > 1)
    {
      status = nd_cli_failf (_("give at most one of --device, --test-pattern, --file"));
      goto out;
    }
  if (frames < 1 || frames > 10000000)
    {
      status = nd_cli_failf (_("--frames must be between 1 and 10000000"));
      goto out;
    }
  if (fps != -1 && (fps < 1 || fps > 1000))
    {
      status = nd_cli_failf (_("--fps must be between 1 and 1000"));
      goto out;
    }
  if (size != NULL && (sscanf (size, "%dx%d", &width, &height) != 2 || width < 1 || height < 1
                       || width > ND_PREPROCESS_MAX_SIDE || height > ND_PREPROCESS_MAX_SIDE))
    {
      status = nd_cli_failf (_("--size must look like 640x480 (at most %d per side)"),
                             ND_PREPROCESS_MAX_SIDE);
      goto out;
    }
  if (file == NULL && size == NULL)
    {
      /* Plenty for a 224 (or 32) input, and cheap to decode and resample; a camera that
       * cannot give it natively is scaled by videoscale. */
      width = 640;
      height = 480;
    }
  if (fps == -1)
    fps = 120;

  if (!nd_cli_use_trained_weights (&o, &error))
    goto fail;
  model = nd_cli_model_load (&o, 0, &error);
  if (model == NULL)
    goto fail;

  if (!frame_prep_init (model, &prep, &prep_text, &error))
    goto fail;
  {
    int64_t shape[4] = { 1, model->graph->in_c, model->graph->in_h, model->graph->in_w };

    input = nd_tensor_try_new (4, shape, &error);
    if (input == NULL)
      goto fail;
  }

  plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error);
  if (plan == NULL)
    goto fail;

  cap = open_source (device, test_pattern, pattern != NULL ? pattern : "ball", file, width,
                     height, fps, frames, &error);
  if (cap == NULL)
    goto fail;
  if (!nd_capture_start (cap, FRAME_TIMEOUT_MS, &error))
    goto fail;
  if (!o.json)
    g_printerr (_("%s on %s (%s), input %s\n"), model->spec.name, backend->description,
                nd_capture_get_description (cap), prep_text);

  if (!classify_frames (cap, plan, input, &prep, frames, &stats, &error))
    goto fail;
  nd_capture_stop (cap);

  report (o.json, model, backend, cap, plan, &stats, test_pattern || file != NULL ? fps : 0,
          prep_text);
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
