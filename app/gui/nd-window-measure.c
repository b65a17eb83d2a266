/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "nd-window-private.h"

/* `nondeep --measure SECONDS --json`: runs the real window for that long and prints one JSON
 * object, so the tests and tools/bench_window.py check what a user sees. The keys are a
 * stable interface:
 *   camera_fps          camera frames received per second (absent without the camera)
 *   model_fps           camera frames classified per second; without the camera, runs per
 *                       second (live inference is switched on for that)
 *   latency_ms          median warm latency of the runs delivered in the window
 *   latency_spread_ms   their interquartile range (p75 − p25)
 *   draw_ms             median main-thread time per painted frame (frame clock before-paint
 *                       → after-paint: tick callbacks, layout, snapshot and GSK render)
 *   update_ms           median main-thread time handling one result (labels, view updates)
 *   rss_mb              resident set size at the end
 *   kernels             a Vulkan plan's choice of convolution kernels, as `bench` reports
 *                       it ("rules", "tuned earlier", …; absent for the CPU), and
 *   tuned_ops           how many of them run a tuned variant (absent for the CPU)
 *   fused_unfused_max_rel  the largest relative block-output difference the window shows
 *                       (absent while not measured); fused_unfused_logits_rel the same for
 *                       the logits (what `nondeep-cli verify` reports)
 *   top5, logits        the last result's classes [[index, probability, label], …] and raw
 *                       logits, for parity with `nondeep-cli run --dump-logits`
 *   explain, explain_fps, explain_ms   with --explain gradcam|grad only: the method, maps
 *                       made per second (camera frames with the camera, else runs) and the
 *                       median time of one (backward pass + map, after the forward)
 * The window starts measuring once the serving model's difference measurement is in (or
 * after 5 s), so the build and the cold run are not in the figures. */

#define WARMUP_LIMIT_US (5 * G_USEC_PER_SEC)

struct _NdWindowMeasure
{
  double   seconds;
  gint64   created, started;
  guint64  runs0, received0, classified0;
  GArray  *latency, *draw, *update, *explain;
  guint64  runs_explained0, images_explained0;
  gboolean have_explained0;
  gint64   paint_start;
  guint    n_frames;
  gulong   before_id, after_id;
  guint    timeout_id;
  gboolean done;
};

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The @q quantile (0.5: the median), linearly interpolated; sorts @a. */
static double
quantile (GArray *a, double q)
{
  double *v = (double *) (void *) a->data;
  double pos, frac;
  int lo;

  if (a->len == 0)
    return NAN;
  qsort (v, a->len, sizeof (double), cmp_double);
  pos = q * (a->len - 1);
  lo = (int) floor (pos);
  frac = pos - lo;
  return lo + 1 < (int) a->len ? v[lo] * (1 - frac) + v[lo + 1] * frac : v[lo];
}

double
_nd_window_rss_mb (void)
{
  g_autofree char *statm = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL)
      || sscanf (statm, "%lu %lu", &size, &resident) != 2)
    return NAN;
  return resident * (double) sysconf (_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static void
before_paint_cb (GdkFrameClock *clock, NdWindowMeasure *m)
{
  m->paint_start = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock, NdWindowMeasure *m)
{
  double ms;

  if (m->paint_start == 0 || m->started == 0)
    return;
  ms = (g_get_monotonic_time () - m->paint_start) / 1000.0;
  g_array_append_val (m->draw, ms);
  m->n_frames++;
  m->paint_start = 0;
}

/* JSON numbers in the C locale, whatever LC_NUMERIC says. */
static void
add_number (GString *out, const char *key, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    g_string_append_printf (out, ", \"%s\": null", key);
  else
    g_string_append_printf (out, ", \"%s\": %s", key,
                            g_ascii_formatd (buf, sizeof buf, "%.4g", value));
}

static double
max_rel (const NdInferenceResult *r, gboolean *have)
{
  GHashTableIter it;
  gpointer value;
  double best = 0;

  *have = r != NULL && r->block_rel != NULL && g_hash_table_size (r->block_rel) > 0;
  if (!*have)
    return NAN;
  g_hash_table_iter_init (&it, r->block_rel);
  while (g_hash_table_iter_next (&it, NULL, &value))
    best = MAX (best, *(double *) value);
  return best;
}

static void
add_outputs (NdWindow *self, GString *out, const NdInferenceResult *r)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, ", \"top5\": [");
  for (int k = 0; k < r->n_top; k++)
    {
      const char *label = nd_window_get_label (self, r->top_class[k]);
      g_autofree char *esc = g_strescape (label ? label : "", NULL);

      g_string_append_printf (out, "%s[%d, %s, \"%s\"]", k ? ", " : "", r->top_class[k],
                              g_ascii_formatd (buf, sizeof buf, "%.7g", r->top_prob[k]), esc);
    }
  g_string_append (out, "], \"logits\": [");
  for (gint64 c = 0; c < r->logits->numel; c++)
    g_string_append_printf (out, "%s%s", c ? ", " : "",
                            g_ascii_formatd (buf, sizeof buf, "%.9g", r->logits->data[c]));
  g_string_append (out, "]");
}

/* With --explain: the method, maps made per second (camera frames explained with the camera,
 * else runs), the median time of one (backward + map), and why the last run made none. */
static void
add_explain (NdWindow *self, GString *out, const NdInferenceResult *r, double dt,
             gboolean camera)
{
  NdWindowMeasure *m = self->measure;
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (self),
                                                               "explain");
  const char *method = g_variant_get_string (state, NULL);
  double fps = 0;

  if (g_str_equal (method, "off"))
    return;
  g_string_append_printf (out, ", \"explain\": \"%s\"", method);
  if (m->have_explained0 && r != NULL)
    fps = (camera ? r->images_explained - m->images_explained0
                  : r->runs_explained - m->runs_explained0) / dt;
  add_number (out, "explain_fps", fps);
  add_number (out, "explain_ms", quantile (m->explain, 0.5));
  if (r != NULL && r->explain_error != NULL)
    {
      g_autofree char *esc = g_strescape (r->explain_error, NULL);

      g_string_append_printf (out, ", \"explain_error\": \"%s\"", esc);
    }
}

static gboolean
finish_cb (gpointer data)
{
  NdWindow *self = data;
  NdWindowMeasure *m = self->measure;
  double dt = (g_get_monotonic_time () - m->started) / (double) G_USEC_PER_SEC;
  guint64 received = 0, classified = 0;
  gboolean camera = _nd_window_camera_counts (self, &received, &classified);
  g_autoptr(GString) out = g_string_new ("{");
  NdInferenceResult *r = self->result;
  gboolean have_rel;
  double rel = max_rel (r, &have_rel);

  m->timeout_id = 0;
  m->done = TRUE;
  g_string_append_printf (out, "\"model\": \"%s\", \"fused\": %s, \"backend\": \"%s\"",
                          r ? r->spec.name : self->config.model,
                          self->config.fused ? "true" : "false", self->config.backend);
  add_number (out, "seconds", dt);
  if (camera)
    {
      add_number (out, "camera_fps", (received - m->received0) / dt);
      add_number (out, "model_fps", (classified - m->classified0) / dt);
    }
  else
    add_number (out, "model_fps",
                (nd_inference_get_n_runs (self->inference) - m->runs0) / dt);
  add_number (out, "latency_ms", quantile (m->latency, 0.5));
  add_number (out, "latency_spread_ms",
              quantile (m->latency, 0.75) - quantile (m->latency, 0.25));
  add_number (out, "cold_ms", r ? r->cold_ms : NAN);
  add_number (out, "draw_ms", quantile (m->draw, 0.5));
  add_number (out, "draw_fps", m->n_frames / dt);
  add_number (out, "update_ms", quantile (m->update, 0.5));
  add_number (out, "rss_mb", _nd_window_rss_mb ());
  if (r != NULL && r->kernels != NULL)
    g_string_append_printf (out, ", \"kernels\": \"%s\", \"tuned_ops\": %d", r->kernels,
                            r->tuned_ops);
  add_explain (self, out, r, dt, camera);
  if (have_rel)
    add_number (out, "fused_unfused_max_rel", rel);
  if (have_rel)
    add_number (out, "fused_unfused_logits_rel", r->logits_rel);
  if (r != NULL)
    add_outputs (self, out, r);
  g_string_append (out, ", \"ops\": ");
  nd_op_table_to_json (nd_latency_panel_get_op_table (self->latency_panel), out);
  if (r != NULL && r->diff_error != NULL)
    {
      g_autofree char *esc = g_strescape (r->diff_error, NULL);

      g_string_append_printf (out, ", \"fused_unfused_error\": \"%s\"", esc);
    }
  g_string_append (out, "}\n");
  g_print ("%s", out->str);
  gtk_window_destroy (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

static void
begin (NdWindow *self)
{
  NdWindowMeasure *m = self->measure;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  guint64 received = 0, classified = 0;

  m->started = g_get_monotonic_time ();
  m->runs0 = nd_inference_get_n_runs (self->inference);
  _nd_window_camera_counts (self, &received, &classified);
  m->received0 = received;
  m->classified0 = classified;
  if (clock != NULL)
    {
      m->before_id = g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), m);
      m->after_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), m);
    }
  m->timeout_id = g_timeout_add ((guint) (m->seconds * 1000), finish_cb, self);
}

/* Called with every result the window shows, and the main-thread time it took. */
void
_nd_window_measure_result (NdWindow *self, NdInferenceResult *r, double update_ms)
{
  NdWindowMeasure *m = self->measure;

  if (m == NULL || m->done)
    return;
  if (m->started == 0)
    {
      gboolean settled = r->generation == self->generation && !r->rebuilt
                         && (r->block_diff != NULL || r->diff_error != NULL || r->fused_only);
      gboolean camera_on = nd_window_get_camera_running (self);

      if ((settled || g_get_monotonic_time () - m->created > WARMUP_LIMIT_US)
          && (!camera_on || nd_window_get_camera_frames (self) > 0))
        begin (self);
      return;
    }
  if (!r->rebuilt)
    g_array_append_val (m->latency, r->total_ms);
  g_array_append_val (m->update, update_ms);
  if (r->explain_map != NULL)
    {
      g_array_append_val (m->explain, r->explain_ms);
      if (!m->have_explained0)
        {
          /* counted from the run before this one */
          m->runs_explained0 = r->runs_explained - 1;
          m->images_explained0 = r->images_explained - 1;
          m->have_explained0 = TRUE;
        }
    }
}

void
_nd_window_measure_init (NdWindow *self, double seconds)
{
  NdWindowMeasure *m = g_new0 (NdWindowMeasure, 1);

  m->seconds = seconds;
  m->created = g_get_monotonic_time ();
  m->latency = g_array_new (FALSE, FALSE, sizeof (double));
  m->draw = g_array_new (FALSE, FALSE, sizeof (double));
  m->update = g_array_new (FALSE, FALSE, sizeof (double));
  m->explain = g_array_new (FALSE, FALSE, sizeof (double));
  self->measure = m;
}

void
_nd_window_measure_free (NdWindow *self)
{
  NdWindowMeasure *m = g_steal_pointer (&self->measure);
  GdkFrameClock *clock;

  if (m == NULL)
    return;
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  if (clock != NULL)
    {
      g_clear_signal_handler (&m->before_id, clock);
      g_clear_signal_handler (&m->after_id, clock);
    }
  g_clear_handle_id (&m->timeout_id, g_source_remove);
  g_array_unref (m->latency);
  g_array_unref (m->draw);
  g_array_unref (m->update);
  g_array_unref (m->explain);
  g_free (m);
}

double
nd_window_get_rss_mb (void)
{
  return _nd_window_rss_mb ();
}

double
nd_window_get_latency_median (NdWindow *self, double *spread)
{
  g_return_val_if_fail (ND_IS_WINDOW (self), NAN);
  if (spread != NULL)
    *spread = self->result ? self->result->latency_spread_ms : NAN;
  return self->result != NULL && self->result->n_latency > 0 ? self->result->latency_ms : NAN;
}

double
nd_window_get_fused_max_rel (NdWindow *self)
{
  gboolean have;
  double rel;

  g_return_val_if_fail (ND_IS_WINDOW (self), NAN);
  rel = max_rel (self->result, &have);
  return have ? rel : NAN;
}
