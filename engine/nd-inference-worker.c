/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "nd-backend.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-fusion-check.h"
#include "nd-inference-private.h"
#include "nd-weights-file.h"
#include "nd-weights.h"

#define RANDOM_SEED ND_INFERENCE_RANDOM_SEED
#define DIFF_DELAY_US (400 * G_TIME_SPAN_MILLISECOND)
/* After a rebuild the worker makes at least this many warm runs (of the LATENCY_WINDOW the
 * latency is the median of) even on a still image. */
#define LATENCY_MIN_RUNS 7

/* ---- the worker --------------------------------------------------------------------------- */


static void
serving_clear (Serving *s)
{
  g_clear_pointer (&s->plan, nd_plan_free);
  g_clear_pointer (&s->graph, nd_graph_unref);
  g_clear_pointer (&s->training, nd_graph_unref);
  g_clear_pointer (&s->block_diff, g_hash_table_unref);
  g_clear_pointer (&s->block_rel, g_hash_table_unref);
  g_clear_pointer (&s->diff_error, g_free);
  g_clear_pointer (&s->weights_detail, g_free);
  g_clear_pointer (&s->op_hist, g_free);
  g_clear_pointer (&s->plan_block, g_free);
  g_clear_pointer (&s->alt_block, g_free);
  g_clear_pointer (&s->alt_plan, nd_plan_free);
  g_clear_pointer (&s->alt_graph, nd_graph_unref);
  g_clear_pointer (&s->weights_path, g_free);
  g_clear_pointer (&s->weights_entry, g_free);
  g_clear_pointer (&s->preprocess, g_free);
  g_clear_pointer (&s->input_text, g_free);
  g_clear_pointer (&s->backend, nd_backend_free);
}

static void
serving_free (gpointer s)
{
  serving_clear (s);
  g_free (s);
}

static void
tune_progress (int done, int total, gpointer data)
{
  Shared *sh = data;

  g_atomic_int_set (&sh->tune_total, total);
  g_atomic_int_set (&sh->tune_done, done);
}

/* A plan of @graph on @s's backend, storage precision and devices; @tune (non-NULL) times
 * its kernels first, stopping when cancelled, its progress in @sh. */
static NdPlan *
prepare_tuned (const Serving *s, NdGraph *graph, const char *block, NdExplainMethod explain,
               GCancellable *tune, gboolean retune, Shared *sh, GError **error)
{
  int n = 0;
  g_autofree int *ids = _nd_inference_capture_ids (graph, block, explain, &n);
  /* On a GPU, per-op timestamps fence every dispatch: time one run a second, and show the
   * other runs' own (overlapped) latency. */
  NdPlanOptions opts = { .batch = 1, .capture = ids, .n_capture = n, .timings = TRUE,
                         .timings_refresh_ms = 1000, .fp16 = s->fp16,
                         .devices = s->n_devices > 0 ? s->devices : NULL,
                         .n_devices = s->n_devices, .tune = tune != NULL,
                         .retune = tune != NULL && retune, .cancellable = tune,
                         .progress = sh != NULL ? tune_progress : NULL, .progress_data = sh };

  return nd_backend_prepare (s->backend, graph, &opts, error);
}

static NdPlan *
prepare (const Serving *s, NdGraph *graph, const char *block, NdExplainMethod explain,
         GError **error)
{
  return prepare_tuned (s, graph, block, explain, NULL, FALSE, NULL, error);
}

static gboolean
same_spec_but (const NdModelSpec *a, const NdModelSpec *b, gboolean ignore_resolution)
{
  NdModelSpec x = *a, y = *b;

  if (ignore_resolution)
    x.resolution = y.resolution = 0;
  return memcmp (&x, &y, sizeof x) == 0;
}

/* What a builder may reuse from the serving model: its training graph (shared, read-only:
 * weights never change after init) and how it was made. */
typedef struct
{
  NdGraph     *training;
  NdModelSpec  spec;
  char        *weights_path;
  char        *weights_entry;
  gboolean     fused_only;
} Base;

/* A newer request came while building: the build stops at its next step. */
static gboolean
superseded (Shared *sh, guint64 generation, GError **error)
{
  gboolean newer;

  g_mutex_lock (&sh->lock);
  newer = sh->generation > generation || sh->quit;
  g_mutex_unlock (&sh->lock);
  if (newer)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         _("A newer configuration replaced this one"));
  return newer;
}

static gboolean
build_new (const NdInferenceConfig *cfg, const Base *base, const char *block,
           NdExplainMethod explain, GCancellable *cancel, Serving *next, Shared *sh,
           GError **error)
{
  g_autoptr(NdGraph) training = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean same_weights, tune;

  if (!nd_inference_config_to_spec (cfg, &next->spec, error))
    return FALSE;
  same_weights = base->training != NULL
                 && g_strcmp0 (base->weights_path, cfg->weights_path) == 0
                 && g_strcmp0 (base->weights_entry, cfg->weights_entry) == 0;
  next->weights_path = g_strdup (cfg->weights_path);
  next->weights_entry = g_strdup (cfg->weights_entry);
  next->preprocess = g_strdup (cfg->preprocess);
  next->random_weights = cfg->weights_path == NULL;

  if (same_weights && same_spec_but (&base->spec, &next->spec, FALSE))
    {
      /* Only the form, the backend or the storage changed: the weights stay. */
      training = nd_graph_ref (base->training);
      next->fused_only = base->fused_only;
    }
  else
    {
      training = nd_model_build (&next->spec, error);
      if (training == NULL || superseded (sh, next->generation, error))
        return FALSE;
      g_debug ("build: graph %.1f ms", (g_get_monotonic_time () - t0) / 1000.0);
      if (same_weights && same_spec_but (&base->spec, &next->spec, TRUE))
        {
          /* A new resolution changes shapes, not weights: copy them over. */
          g_autoptr(NdWeightSet) set = nd_graph_dup_weights (base->training);

          if (!_nd_inference_load_set (&training, set, &next->fused_only, error))
            return FALSE;
        }
      else if (cfg->weights_path != NULL)
        {
          if (superseded (sh, next->generation, error)
              || !_nd_inference_load_file (cfg, &training, &next->fused_only,
                                           &next->weights_status, &next->weights_detail,
                                           error))
            return FALSE;
          next->random_weights = next->weights_status == ND_WEIGHTS_RANDOM;
        }
      else
        nd_model_init_random (training, RANDOM_SEED);
      g_debug ("build: weights %.1f ms", (g_get_monotonic_time () - t0) / 1000.0);
    }

  if (next->fused_only && !cfg->fused)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("These weights are the fused (deploy) form only: the unfused training "
                     "form is not available for them"));
      return FALSE;
    }
  if (superseded (sh, next->generation, error))
    return FALSE;
  if (next->fused_only)
    next->graph = nd_graph_ref (training);
  else if (cfg->fused)
    {
      next->graph = nd_fuse_graph (training, error);
      if (next->graph == NULL)
        return FALSE;
    }
  else
    next->graph = nd_graph_ref (training);
  next->training = g_steal_pointer (&training);

  /* Each plan gets its own backend, so building never touches the one serving; a plan split
   * over devices has its first one as the backend's. */
  next->n_devices = _nd_inference_config_devices (cfg, &next->spec, next->devices, error);
  if (next->n_devices < 0)
    return FALSE;
  g_strlcpy (next->devices_cfg, cfg->devices, sizeof next->devices_cfg);
  next->backend = nd_backend_new (cfg->backend, next->n_devices > 0 ? next->devices[0] : -1,
                                  error);
  if (next->backend == NULL)
    return FALSE;
  g_strlcpy (next->backend_name, cfg->backend, sizeof next->backend_name);
  /* The CPU backend refuses fp16, so the switch's state, kept while it is there, is not
   * sent; nor to a device without 16-bit storage (the window greys the switch out). */
  next->fp16 = cfg->fp16 && next->backend->fp16_storage;
  if (superseded (sh, next->generation, error))
    return FALSE;
  /* Kernel timing wants the device to itself: the runner pauses the live runs meanwhile. */
  tune = cfg->tune && next->backend->kind == ND_DEVICE_KIND_VULKAN;
  if (tune)
    {
      g_mutex_lock (&sh->lock);
      sh->tuning = TRUE;
      g_atomic_int_set (&sh->tune_done, 0);
      g_atomic_int_set (&sh->tune_total, 0);
      g_mutex_unlock (&sh->lock);
    }
  next->plan = prepare_tuned (next, next->graph, block, explain, tune ? cancel : NULL,
                              cfg->retune, tune ? sh : NULL, error);
  next->plan_block = g_strdup (block);
  next->plan_explain = explain;
  if (next->plan == NULL)
    return FALSE;
  next->prepare_ms = (g_get_monotonic_time () - t0) / 1000.0;
  next->diff_pending = TRUE;
  return TRUE;
}

/* Flipping the fused switch back to the form already measured against: swap in its plan. */
static gboolean
try_swap (const NdInferenceConfig *cfg, Serving *cur)
{
  NdModelSpec spec;
  NdGraph *graph;
  NdPlan *plan;

  if (cfg->tune || cur->alt_plan == NULL || cur->alt_graph->fused != cfg->fused
      || g_strcmp0 (cur->backend_name, cfg->backend) != 0
      || cur->fp16 != (cfg->fp16 && cur->backend->fp16_storage)
      || g_strcmp0 (cur->devices_cfg, cfg->devices) != 0
      || g_strcmp0 (cur->weights_path, cfg->weights_path) != 0
      || g_strcmp0 (cur->weights_entry, cfg->weights_entry) != 0
      || !nd_inference_config_to_spec (cfg, &spec, NULL)
      || !same_spec_but (&cur->spec, &spec, FALSE))
    return FALSE;
  graph = cur->graph;
  plan = cur->plan;
  cur->graph = cur->alt_graph;
  cur->plan = cur->alt_plan;
  cur->alt_graph = graph;
  cur->alt_plan = plan;
  {
    char *block = cur->plan_block;
    NdExplainMethod explain = cur->plan_explain;

    cur->plan_block = cur->alt_block;
    cur->alt_block = block;
    cur->plan_explain = cur->alt_explain;
    cur->alt_explain = explain;
  }
  cur->prepare_ms = 0;
  return TRUE;
}

/* A rebuild frees large buffers (plans, weights, captures) that glibc's allocator would keep
 * mapped: give them back, so RSS follows the model in use. */
static void
trim_heap (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

typedef struct
{
  Shared            *shared;
  NdInferenceConfig  config;
  guint64            generation;
  gint64             request_time;
  Base               base;
  char              *capture_block;   /* what the views show: the new plan captures it */
  NdExplainMethod    explain;         /* … and what the explanation reads */
  GCancellable      *cancel;          /* sh->build_cancel while this job runs */
} BuildJob;

static gpointer
builder (gpointer data)
{
  BuildJob *job = data;
  Shared *sh = job->shared;
  Serving *next = g_new0 (Serving, 1);
  g_autoptr(GError) error = NULL;

  next->generation = job->generation;
  next->request_time = job->request_time;
  if (!build_new (&job->config, &job->base, job->capture_block, job->explain, job->cancel,
                  next, sh, &error))
    {
      /* A build stopped for a newer request is not an error anyone needs to see. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _nd_inference_post (sh, NULL, 0, job->generation, error->message);
      else
        g_atomic_int_inc (&sh->n_cancelled);
      g_clear_pointer (&next, serving_free);
      trim_heap ();
    }
  g_mutex_lock (&sh->lock);
  if (next != NULL)
    {
      g_clear_pointer (&sh->ready, serving_free);
      sh->ready = next;
    }
  sh->building = FALSE;
  sh->tuning = FALSE;
  if (sh->build_cancel == job->cancel)
    g_clear_object (&sh->build_cancel);
  g_cond_signal (&sh->cond);
  g_mutex_unlock (&sh->lock);

  nd_inference_config_clear (&job->config);
  g_clear_pointer (&job->base.training, nd_graph_unref);
  g_free (job->base.weights_path);
  g_free (job->base.weights_entry);
  g_free (job->capture_block);
  g_clear_object (&job->cancel);
  g_free (job);
  _nd_inference_shared_unref (sh);
  return NULL;
}

/* The difference of each block's output between the fused and the training form, both run
 * here on the reference input, as `nondeep-cli verify` does (nd-fusion-check.h): a camera
 * frame would make a number the CLI cannot reproduce, and the serving plan's captures from an
 * earlier frame would compare two different pictures. The other form's plan is kept for a
 * quick switch back. FALSE with @error when either form cannot run: the window says so
 * instead of an empty table. */
static gboolean
measure_block_diff (Serving *s, GError **error)
{
  g_autoptr(NdGraph) other_graph = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) full = NULL;   /* the serving form, every block captured */
  g_autoptr(NdTensor) input = NULL;
  NdFusionCheck check;

  /* Deploy-form weights have no training form to compare with: an empty table says so. */
  if (s->fused_only)
    {
      s->block_diff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      return TRUE;
    }
  other_graph = s->graph->fused ? nd_graph_ref (s->training)
                                 : nd_fuse_graph (s->training, error);
  plan = other_graph ? prepare (s, other_graph, NULL, ND_EXPLAIN_OFF, error) : NULL;
  full = plan ? prepare (s, s->graph, NULL, ND_EXPLAIN_OFF, error) : NULL;
  input = full ? nd_reference_input_new (1, s->graph->in_c, s->graph->in_h, s->graph->in_w,
                                         error) : NULL;
  if (input == NULL
      || !nd_fusion_check_run (s->graph->fused ? full : plan, s->graph->fused ? plan : full,
                               input, &check, error))
    return FALSE;
  s->block_diff = g_steal_pointer (&check.block_abs);
  s->block_rel = g_steal_pointer (&check.block_rel);
  s->logits_rel = check.logits_rel;
  nd_fusion_check_clear (&check);
  g_clear_pointer (&s->alt_plan, nd_plan_free);
  g_clear_pointer (&s->alt_graph, nd_graph_unref);
  s->alt_graph = g_steal_pointer (&other_graph);
  s->alt_plan = g_steal_pointer (&plan);
  g_clear_pointer (&s->alt_block, g_free);   /* NULL: it captures every block */
  s->alt_explain = ND_EXPLAIN_OFF;
  return TRUE;
}

/* The views show another block than the serving plan captures: the same graph prepared again
 * with that block's captures (a click's cost, not every frame's). FALSE: no plan left. */
static gboolean
capture_follows (Shared *sh, Serving *cur)
{
  g_autofree char *want = NULL;
  g_autoptr(GError) error = NULL;
  NdExplainMethod explain;
  NdPlan *plan;

  g_mutex_lock (&sh->lock);
  want = g_strdup (sh->capture_block);
  explain = sh->explain;
  g_mutex_unlock (&sh->lock);
  if (g_strcmp0 (want, cur->plan_block) == 0 && explain == cur->plan_explain)
    return TRUE;
  plan = prepare (cur, cur->graph, want, explain, &error);
  if (plan == NULL)
    {
      _nd_inference_post (sh, NULL, 0, cur->generation, error->message);
      g_clear_pointer (&cur->plan, nd_plan_free);
      return FALSE;
    }
  nd_plan_free (cur->plan);
  cur->plan = plan;
  g_free (cur->plan_block);
  cur->plan_block = g_steal_pointer (&want);
  cur->plan_explain = explain;
  return TRUE;
}

/* Hands @cfg to a builder thread (after the previous one has finished: it stops early when
 * superseded); returns the new thread. */
static GThread *
start_build (Shared *sh, const NdInferenceConfig *cfg, guint64 gen, gint64 req,
             const Serving *cur, GThread *previous)
{
  BuildJob *job = g_new0 (BuildJob, 1);

  job->shared = g_atomic_rc_box_acquire (sh);
  nd_inference_config_copy (&job->config, cfg);
  job->generation = gen;
  job->request_time = req;
  job->base.training = cur->training ? nd_graph_ref (cur->training) : NULL;
  job->base.spec = cur->spec;
  job->base.weights_path = g_strdup (cur->weights_path);
  job->base.weights_entry = g_strdup (cur->weights_entry);
  job->base.fused_only = cur->fused_only;
  g_mutex_lock (&sh->lock);
  job->capture_block = g_strdup (sh->capture_block);
  job->explain = sh->explain;
  g_mutex_unlock (&sh->lock);
  if (previous != NULL)
    g_thread_join (previous);
  job->cancel = g_cancellable_new ();
  g_mutex_lock (&sh->lock);
  sh->building = TRUE;
  g_set_object (&sh->build_cancel, job->cancel);
  /* a config that came after this one's copy was taken cancels it already */
  if (sh->generation > gen || sh->quit)
    g_cancellable_cancel (job->cancel);
  g_mutex_unlock (&sh->lock);
  return g_thread_new ("nd-build", builder, job);
}

/* The fused-vs-unfused difference, once per plan, a short while after it started serving and
 * not while a newer one is coming (it runs a second plan). */
static void
maybe_measure_diff (Shared *sh, Serving *cur)
{
  g_autoptr(GError) error = NULL;
  gboolean defer;

  g_mutex_lock (&sh->lock);
  defer = sh->building || sh->config_pending;
  g_mutex_unlock (&sh->lock);
  if (!cur->diff_pending || defer || g_get_monotonic_time () < cur->diff_after)
    return;
  if (!measure_block_diff (cur, &error))
    {
      g_free (cur->diff_error);
      cur->diff_error = g_strdup_printf (_("The fused-vs-unfused difference could not be "
                                           "measured: %s"), error->message);
    }
  cur->diff_pending = FALSE;
}

/* The cold run of a plan apart; warm runs into the latency window with their per-op times. */
static void
record_run (Serving *cur, gboolean rebuilt)
{
  int slot;

  if (rebuilt)
    {
      cur->cold_ms = cur->plan->total_ms;
      cur->diff_after = g_get_monotonic_time () + DIFF_DELAY_US;
      cur->n_latency = 0;
      g_clear_pointer (&cur->op_hist, g_free);   /* a swap changes the ops */
      return;
    }
  slot = cur->n_latency++ % LATENCY_WINDOW;
  cur->latency[slot] = cur->plan->total_ms;
  if (cur->op_hist == NULL)
    cur->op_hist = g_new0 (double, (gsize) LATENCY_WINDOW * cur->plan->n_nodes);
  memcpy (cur->op_hist + (gsize) slot * cur->plan->n_nodes, cur->plan->op_ms,
          sizeof (double) * cur->plan->n_nodes);
}

/* The runner: runs the serving plan on the newest input, installs what the builder made, and
 * hands every config that is not a plain fused/unfused swap to a builder thread, so the old
 * plan keeps serving while the new one is built. */
gpointer
_nd_inference_worker (gpointer data)
{
  Shared *sh = data;
  Serving cur = { 0 };
  GBytes *image = NULL;
  int iw = 0, ih = 0, istride = 0;
  guint64 iserial = 0;
  NdTensor *input = NULL;
  gboolean input_dirty = TRUE;
  guint64 serial = 0, images_run = 0, last_run_serial = 0;
  guint64 runs_explained = 0, images_explained = 0, last_explained_serial = 0;
  GThread *build_thread = NULL;

  for (;;)
    {
      NdInferenceConfig cfg = { 0 };
      gboolean have_cfg = FALSE, rebuilt = FALSE, paused;
      Serving *ready = NULL;
      guint64 gen = 0;
      gint64 req = 0;
      g_autoptr(GError) error = NULL;

      g_mutex_lock (&sh->lock);
      for (;;)
        {
          gboolean diff_waits = cur.plan != NULL && cur.diff_pending && !sh->building
                                && !sh->config_pending;

          if (sh->quit || (sh->config_pending && !sh->building) || sh->image_pending
              || sh->ready != NULL || (cur.plan != NULL && sh->live && !sh->tuning)
              || (cur.plan != NULL && image != NULL && !sh->tuning
                  && (cur.n_latency < LATENCY_MIN_RUNS || sh->rerun))
              || (diff_waits && g_get_monotonic_time () >= cur.diff_after))
            break;
          /* The difference measurement (a second plan, seconds on a big model) starts after
           * a short pause, so a knob turned again right away does not wait behind it. */
          if (diff_waits)
            g_cond_wait_until (&sh->cond, &sh->lock, cur.diff_after);
          else
            g_cond_wait (&sh->cond, &sh->lock);
        }
      if (sh->quit)
        {
          g_mutex_unlock (&sh->lock);
          break;
        }
      sh->rerun = FALSE;
      if (sh->ready != NULL)
        {
          ready = g_steal_pointer (&sh->ready);
          /* The newest request wins: a plan for an older one is dropped if a newer one is
           * waiting, unless nothing serves yet. */
          if (sh->config_pending && cur.plan != NULL)
            g_clear_pointer (&ready, serving_free);
        }
      if (sh->config_pending && !sh->building)
        {
          nd_inference_config_copy (&cfg, &sh->config);
          gen = sh->generation;
          req = sh->config_time;
          sh->config_pending = FALSE;
          have_cfg = TRUE;
        }
      if (sh->image_pending)
        {
          g_clear_pointer (&image, g_bytes_unref);
          image = g_bytes_ref (sh->image);
          iw = sh->width;
          ih = sh->height;
          istride = sh->stride;
          iserial = sh->image_serial;
          sh->image_pending = FALSE;
          input_dirty = TRUE;
        }
      paused = sh->tuning;
      g_mutex_unlock (&sh->lock);

      if (ready != NULL)
        {
          serving_clear (&cur);
          cur = *ready;
          g_free (ready);
          rebuilt = TRUE;
          input_dirty = TRUE;
          trim_heap ();
        }
      if (have_cfg)
        {
          if (try_swap (&cfg, &cur))
            {
              cur.generation = gen;
              cur.request_time = req;
              rebuilt = TRUE;
            }
          else
            build_thread = start_build (sh, &cfg, gen, req, &cur, build_thread);
          nd_inference_config_clear (&cfg);
        }
      if (cur.plan == NULL || image == NULL || paused)
        continue;
      if (!capture_follows (sh, &cur))
        continue;

      if (input_dirty)
        {
          g_clear_pointer (&input, nd_tensor_unref);
          input = _nd_inference_make_input (cur.graph, cur.spec.family, cur.preprocess, image,
                                            iw, ih, istride, &cur.input_text, &error);
          if (input == NULL)
            {
              _nd_inference_post (sh, NULL, 0, cur.generation, error->message);
              g_clear_error (&error);
              continue;
            }
          input_dirty = FALSE;
        }

      if (!rebuilt)
        maybe_measure_diff (sh, &cur);
      if (!nd_plan_run (cur.plan, input, &error))
        {
          _nd_inference_post (sh, NULL, 0, cur.generation, error->message);
          g_clear_error (&error);
          /* A plan that cannot run is not kept running in a loop. */
          g_clear_pointer (&cur.plan, nd_plan_free);
          continue;
        }
      record_run (&cur, rebuilt);
      serial++;
      if (iserial != last_run_serial)
        images_run++, last_run_serial = iserial;
      g_atomic_int_inc (&sh->n_runs);
      {
        g_autofree char *want = NULL;
        NdExplainMethod explain;
        int klass;
        NdInferenceResult *r;

        g_mutex_lock (&sh->lock);
        want = g_strdup (sh->capture_block);
        explain = sh->explain;
        klass = sh->explain_class;
        g_mutex_unlock (&sh->lock);
        r = _nd_inference_collect (&cur, serial, rebuilt, input, iserial, want);
        _nd_inference_attach_image (r, cur.graph, cur.spec.family, cur.preprocess, image, iw,
                                    ih, istride);
        /* The same frame's map, from this forward pass's activations: the overlay never pairs
         * one picture with another's explanation. */
        if (explain != ND_EXPLAIN_OFF && explain == cur.plan_explain)
          _nd_inference_explain (cur.graph, cur.plan, explain, klass, r);
        if (r->explain_map != NULL)
          {
            runs_explained++;
            if (iserial != last_explained_serial)
              images_explained++, last_explained_serial = iserial;
          }
        r->runs_explained = runs_explained;
        r->images_explained = images_explained;

        r->images_run = images_run;
        _nd_inference_post (sh, r, rebuilt ? cur.request_time : 0, cur.generation, NULL);
      }
    }

  if (build_thread != NULL)
    g_thread_join (build_thread);
  g_clear_pointer (&sh->ready, serving_free);
  serving_clear (&cur);
  g_clear_pointer (&image, g_bytes_unref);
  g_clear_pointer (&input, nd_tensor_unref);
  _nd_inference_shared_unref (sh);
  return NULL;
}
