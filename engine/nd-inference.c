/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-knobs.h"
#include "nd-inference-private.h"

/* The worker thread owns the backend, graphs and plans; the main thread only posts requests
 * (newest config, newest image) under the lock and receives immutable results through
 * g_main_context_invoke. A config that fails to build leaves the serving plan in place. */

void
nd_inference_config_copy (NdInferenceConfig *dst, const NdInferenceConfig *src)
{
  char *old = dst->weights_path, *old_pp = dst->preprocess, *old_entry = dst->weights_entry;
  NdWeightSet *old_set = dst->weights;

  *dst = *src;
  dst->weights_path = g_strdup (src->weights_path);
  dst->preprocess = g_strdup (src->preprocess);
  dst->weights_entry = g_strdup (src->weights_entry);
  dst->weights = src->weights ? nd_weight_set_ref (src->weights) : NULL;
  g_free (old);
  g_free (old_entry);
  g_free (old_pp);
  g_clear_pointer (&old_set, nd_weight_set_free);
}

/* The device indexes @config->devices asks for, as @spec can use them: the first
 * MIN (entries, streams) when the backend is Vulkan and the model ParNet with ≥ 2 streams,
 * else none (one device). Returns how many (0 or 2–3); a malformed list is an error. */
int
_nd_inference_config_devices (const NdInferenceConfig *config, const NdModelSpec *spec,
                              int out[ND_INFERENCE_MAX_DEVICES], GError **error)
{
  g_auto(GStrv) parts = NULL;
  int n = 0;

  if (config->devices[0] == '\0')
    return 0;
  parts = g_strsplit (config->devices, ",", -1);
  for (int i = 0; parts[i] != NULL; i++)
    {
      guint64 v;

      if (i >= ND_INFERENCE_MAX_DEVICES
          || !g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, 63, &v, NULL))
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("Devices for the streams: “%s” is not 2 to %d Vulkan device indexes "
                         "separated by commas"), config->devices, ND_INFERENCE_MAX_DEVICES);
          return -1;
        }
      out[n++] = (int) v;
    }
  if (g_strcmp0 (config->backend, "vulkan") != 0 || spec->family != ND_FAMILY_PARNET)
    return 0;
  n = MIN (n, spec->streams);
  return n >= 2 ? n : 0;
}

/* A result's copy of @plan's per-device times (names duplicated). */
void
_nd_inference_result_set_devices (NdInferenceResult *r, const NdPlan *plan)
{
  if (plan->n_devices == 0)
    return;
  r->devices = g_memdup2 (plan->devices, sizeof (NdPlanDevice) * plan->n_devices);
  r->n_devices = plan->n_devices;
  for (int i = 0; i < r->n_devices; i++)
    r->devices[i].name = g_strdup (plan->devices[i].name);
}

void
nd_inference_config_clear (NdInferenceConfig *config)
{
  g_clear_pointer (&config->weights_path, g_free);
  g_clear_pointer (&config->preprocess, g_free);
  g_clear_pointer (&config->weights_entry, g_free);
  g_clear_pointer (&config->weights, nd_weight_set_free);
}

gboolean
nd_inference_config_to_spec (const NdInferenceConfig *config, NdModelSpec *spec,
                             GError **error)
{
  if (!nd_model_spec_parse (config->model, spec, error))
    return FALSE;
  if (config->streams > 0)
    spec->streams = config->streams;
  if (config->width > 0)
    spec->width = config->width;
  if (config->resolution > 0)
    spec->resolution = config->resolution;
  if (config->lambda >= 0)
    spec->lambda = config->lambda;
  if (config->classes > 0)
    spec->classes = config->classes;
  if (config->in_channels > 0)
    spec->in_channels = config->in_channels;
  if (config->blocks[0] != '\0')
    {
      /* the one block-list parser; its message names the knob */
      NdKnobs knobs;

      nd_knobs_init (&knobs);
      if (!nd_knobs_set_from_string (&knobs, "blocks", config->blocks, error))
        return FALSE;
      nd_knobs_apply (&knobs, spec);
    }
  return TRUE;
}

/* ---- results ---------------------------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (NdInferenceResult, nd_inference_result, nd_inference_result_ref,
                     nd_inference_result_unref)

static gint n_alive_results;

void
_nd_inference_result_counted (void)
{
  g_atomic_int_inc (&n_alive_results);
}

int
nd_inference_result_get_n_alive (void)
{
  return g_atomic_int_get (&n_alive_results);
}

/* Freeing more than this gives the pages back to the system (see trim_heap in the worker). */
#define TRIM_BYTES (64 << 20)

static void
result_clear (NdInferenceResult *r)
{
  gint64 bytes = 0;

  g_atomic_int_add (&n_alive_results, -1);
  if (r->captured != NULL)
    for (int i = 0; i < r->n_nodes; i++)
      {
        if (r->captured[i] != NULL)
          bytes += r->captured[i]->numel * (gint64) sizeof (float);
        g_clear_pointer (&r->captured[i], nd_tensor_unref);
      }
  g_free (r->captured);
  g_free (r->op_ms);
  g_free (r->backend);
  for (int i = 0; i < r->n_devices; i++)
    g_free (r->devices[i].name);
  g_free (r->devices);
  g_free (r->input_text);
  g_clear_pointer (&r->block_diff, g_hash_table_unref);
  g_clear_pointer (&r->block_rel, g_hash_table_unref);
  g_free (r->diff_error);
  g_free (r->weights_detail);
  g_free (r->op_median_ms);
  g_strfreev (r->op_algo);
  g_strfreev (r->op_variant);
  g_clear_pointer (&r->logits, nd_tensor_unref);
  g_clear_pointer (&r->input, nd_tensor_unref);
  g_clear_pointer (&r->image, g_bytes_unref);
  g_clear_pointer (&r->explain_map, nd_tensor_unref);
  g_free (r->explain_error);
  g_clear_pointer (&r->graph, nd_graph_unref);
  g_clear_pointer (&r->training, nd_graph_unref);
#ifdef __GLIBC__
  if (bytes > TRIM_BYTES)
    malloc_trim (0);
#endif
}

NdInferenceResult *
nd_inference_result_ref (NdInferenceResult *result)
{
  return g_atomic_rc_box_acquire (result);
}

void
nd_inference_result_unref (NdInferenceResult *result)
{
  g_atomic_rc_box_release_full (result, (GDestroyNotify) result_clear);
}

int
_nd_inference_block_last_node (const NdGraph *graph, const char *block)
{
  for (int i = nd_graph_n_nodes (graph) - 1; i > 0; i--)
    {
      const NdNode *n = nd_graph_node (graph, i);

      if (g_strcmp0 (n->block ? n->block : n->name, block) == 0)
        return i;
    }
  return -1;
}

NdTensor *
nd_inference_result_block_output (const NdInferenceResult *result, const char *block,
                                  int *node)
{
  int id;

  g_return_val_if_fail (result != NULL, NULL);
  if (block == NULL)
    return NULL;
  id = _nd_inference_block_last_node (result->graph, block);
  if (node != NULL)
    *node = id;
  return id > 0 ? result->captured[id] : NULL;
}

float *
nd_inference_result_gates (const NdInferenceResult *result, const char *block, int *n,
                           double *max_value)
{
  g_return_val_if_fail (result != NULL && n != NULL && max_value != NULL, NULL);
  for (int i = 1; block != NULL && i < result->n_nodes; i++)
    {
      const NdNode *node = nd_graph_node (result->graph, i);
      const NdTensor *z;
      float *out;

      if (node->op != ND_OP_GATE || g_strcmp0 (node->block, block) != 0)
        continue;
      z = result->captured[node->inputs[1]];
      if (z == NULL)
        return NULL;
      out = g_new (float, z->numel);
      for (gint64 c = 0; c < z->numel; c++)
        out[c] = nd_op_gate_value (&node->p, z->data[c]);
      *n = (int) z->numel;
      *max_value = node->p.alpha;
      return out;
    }
  return NULL;
}

/* ---- the object and its shared state ------------------------------------------------------ */


struct _NdInference
{
  GObject  parent_instance;
  Shared  *shared;
  GThread *thread;
  double   knob_ms;          /* of the newest rebuilt result delivered … */
  guint64  knob_generation;  /* … and its generation */
};

G_DEFINE_FINAL_TYPE (NdInference, nd_inference, G_TYPE_OBJECT)

enum { SIGNAL_RESULT, SIGNAL_CONFIG_ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
shared_clear (Shared *sh)
{
  g_mutex_clear (&sh->lock);
  g_cond_clear (&sh->cond);
  nd_inference_config_clear (&sh->config);
  g_clear_pointer (&sh->image, g_bytes_unref);
  g_free (sh->capture_block);
  g_clear_object (&sh->build_cancel);
  g_main_context_unref (sh->context);
}

void
_nd_inference_shared_unref (Shared *sh)
{
  g_atomic_rc_box_release_full (sh, (GDestroyNotify) shared_clear);
}

typedef struct
{
  Shared            *shared;
  NdInferenceResult *result;
  gint64             request_time;
  guint64            generation;
  char              *message;
} Delivery;

static void
delivery_free (Delivery *d)
{
  g_mutex_lock (&d->shared->lock);
  if (d->shared->queued == d)
    d->shared->queued = NULL;
  g_mutex_unlock (&d->shared->lock);
  _nd_inference_shared_unref (d->shared);
  g_clear_pointer (&d->result, nd_inference_result_unref);
  g_free (d->message);
  g_free (d);
}

static gboolean
deliver_cb (gpointer data)
{
  Delivery *d = data;
  NdInference *self = d->shared->owner;
  g_autoptr(NdInferenceResult) result = NULL;

  /* The worker may still swap in a newer result until this delivery leaves the queue. */
  g_mutex_lock (&d->shared->lock);
  if (d->shared->queued == d)
    d->shared->queued = NULL;
  result = g_steal_pointer (&d->result);
  g_mutex_unlock (&d->shared->lock);
  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (result != NULL)
    {
      if (result->rebuilt && d->request_time > 0)
        {
          result->knob_to_result_ms = (g_get_monotonic_time () - d->request_time) / 1000.0;
          self->knob_ms = result->knob_to_result_ms;
          self->knob_generation = result->generation;
        }
      /* later results of the same plan carry the time its first one took */
      else if (result->generation == self->knob_generation)
        result->knob_to_result_ms = self->knob_ms;
      g_signal_emit (self, signals[SIGNAL_RESULT], 0, result);
    }
  else
    g_signal_emit (self, signals[SIGNAL_CONFIG_ERROR], 0, d->generation, d->message);
  return G_SOURCE_REMOVE;
}

void
_nd_inference_post (Shared *sh, NdInferenceResult *result, gint64 request_time, guint64 generation,
      const char *message)
{
  Delivery *d;

  /* Plain results of one plan coalesce: when the main loop has not yet taken the previous
   * one, the newer result replaces it, so a fast model cannot flood the main loop. */
  if (result != NULL && !result->rebuilt)
    {
      Delivery *q;

      g_mutex_lock (&sh->lock);
      q = sh->queued;
      if (q != NULL && q->result != NULL && q->result->generation == result->generation)
        {
          nd_inference_result_unref (q->result);
          q->result = result;
          g_mutex_unlock (&sh->lock);
          return;
        }
      g_mutex_unlock (&sh->lock);
    }
  d = g_new0 (Delivery, 1);
  d->shared = g_atomic_rc_box_acquire (sh);
  d->result = result;
  d->request_time = request_time;
  d->generation = generation;
  d->message = g_strdup (message);
  /* Not g_main_context_invoke(): when the main thread is between iterations, a worker whose
   * thread-default context is the same global context would acquire it and run the callback
   * itself. An attached source always runs on the thread that iterates the context. */
  {
    GSource *source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_callback (source, deliver_cb, d, (GDestroyNotify) delivery_free);
    g_source_set_static_name (source, "[nondeep] inference result");
    if (result != NULL && !result->rebuilt)
      {
        g_mutex_lock (&sh->lock);
        sh->queued = d;
        g_mutex_unlock (&sh->lock);
      }
    g_source_attach (source, sh->context);
    g_source_unref (source);
  }
}

void
nd_inference_shutdown (NdInference *self)
{
  g_return_if_fail (ND_IS_INFERENCE (self));

  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->shared->lock);
  self->shared->quit = TRUE;
  if (self->shared->build_cancel != NULL)
    g_cancellable_cancel (self->shared->build_cancel);
  g_cond_signal (&self->shared->cond);
  g_mutex_unlock (&self->shared->lock);
  g_thread_join (g_steal_pointer (&self->thread));
  self->shared->owner = NULL;
}

static void
nd_inference_dispose (GObject *object)
{
  NdInference *self = ND_INFERENCE (object);

  nd_inference_shutdown (self);
  G_OBJECT_CLASS (nd_inference_parent_class)->dispose (object);
}

static void
nd_inference_finalize (GObject *object)
{
  NdInference *self = ND_INFERENCE (object);

  g_clear_pointer (&self->shared, _nd_inference_shared_unref);
  G_OBJECT_CLASS (nd_inference_parent_class)->finalize (object);
}

static void
nd_inference_class_init (NdInferenceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nd_inference_dispose;
  object_class->finalize = nd_inference_finalize;

  signals[SIGNAL_RESULT] =
    g_signal_new ("result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, nd_inference_result_get_type () | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CONFIG_ERROR] =
    g_signal_new ("config-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
}

static void
nd_inference_init (NdInference *self)
{
  Shared *sh = g_atomic_rc_box_new0 (Shared);

  g_mutex_init (&sh->lock);
  g_cond_init (&sh->cond);
  sh->context = g_main_context_ref_thread_default ();
  sh->owner = self;
  sh->explain_class = -1;
  self->shared = sh;
  self->thread = g_thread_new ("nd-inference", _nd_inference_worker, g_atomic_rc_box_acquire (sh));
}

NdInference *
nd_inference_new (void)
{
  return g_object_new (ND_TYPE_INFERENCE, NULL);
}

guint64
nd_inference_set_config (NdInference *self, const NdInferenceConfig *config)
{
  guint64 gen;

  g_return_val_if_fail (ND_IS_INFERENCE (self), 0);
  g_mutex_lock (&self->shared->lock);
  nd_inference_config_copy (&self->shared->config, config);
  gen = ++self->shared->generation;
  /* a build for the old config stops at its next step; tuning, mid-way */
  if (self->shared->build_cancel != NULL)
    g_cancellable_cancel (self->shared->build_cancel);
  self->shared->config_time = g_get_monotonic_time ();
  self->shared->config_pending = TRUE;
  g_cond_signal (&self->shared->cond);
  g_mutex_unlock (&self->shared->lock);
  return gen;
}

guint64
nd_inference_set_image (NdInference *self, GBytes *rgba, int width, int height, int stride)
{
  guint64 serial;

  g_return_val_if_fail (ND_IS_INFERENCE (self), 0);
  g_return_val_if_fail (rgba != NULL && width > 0 && height > 0 && stride >= 4 * width, 0);
  g_return_val_if_fail (g_bytes_get_size (rgba) >= (gsize) stride * (height - 1) + 4 * width,
                        0);

  g_mutex_lock (&self->shared->lock);
  serial = ++self->shared->image_serial;
  g_clear_pointer (&self->shared->image, g_bytes_unref);
  self->shared->image = g_bytes_ref (rgba);
  self->shared->width = width;
  self->shared->height = height;
  self->shared->stride = stride;
  self->shared->image_pending = TRUE;
  g_cond_signal (&self->shared->cond);
  g_mutex_unlock (&self->shared->lock);
  return serial;
}

void
nd_inference_set_live (NdInference *self, gboolean live)
{
  g_return_if_fail (ND_IS_INFERENCE (self));
  g_mutex_lock (&self->shared->lock);
  self->shared->live = live;
  g_cond_signal (&self->shared->cond);
  g_mutex_unlock (&self->shared->lock);
}

void
nd_inference_set_capture_block (NdInference *self, const char *block)
{
  g_return_if_fail (ND_IS_INFERENCE (self));
  g_mutex_lock (&self->shared->lock);
  g_free (self->shared->capture_block);
  self->shared->capture_block = g_strdup (block);
  self->shared->rerun = TRUE;
  g_cond_signal (&self->shared->cond);
  g_mutex_unlock (&self->shared->lock);
}

void
nd_inference_set_explain (NdInference *self, NdExplainMethod method, int klass)
{
  g_return_if_fail (ND_IS_INFERENCE (self));
  g_return_if_fail (method >= ND_EXPLAIN_OFF && method <= ND_EXPLAIN_GRAD);
  g_mutex_lock (&self->shared->lock);
  self->shared->explain = method;
  self->shared->explain_class = klass;
  self->shared->rerun = TRUE;
  g_cond_signal (&self->shared->cond);
  g_mutex_unlock (&self->shared->lock);
}

gboolean
nd_inference_get_tune_progress (NdInference *self, int *done, int *total)
{
  gboolean tuning;

  g_return_val_if_fail (ND_IS_INFERENCE (self), FALSE);
  g_mutex_lock (&self->shared->lock);
  tuning = self->shared->tuning;
  g_mutex_unlock (&self->shared->lock);
  *done = g_atomic_int_get (&self->shared->tune_done);
  *total = g_atomic_int_get (&self->shared->tune_total);
  return tuning;
}

guint
nd_inference_get_n_cancelled (NdInference *self)
{
  g_return_val_if_fail (ND_IS_INFERENCE (self), 0);
  return (guint) g_atomic_int_get (&self->shared->n_cancelled);
}

guint64
nd_inference_get_image_serial (NdInference *self)
{
  guint64 serial;

  g_return_val_if_fail (ND_IS_INFERENCE (self), 0);
  g_mutex_lock (&self->shared->lock);
  serial = self->shared->image_serial;
  g_mutex_unlock (&self->shared->lock);
  return serial;
}

guint64
nd_inference_get_n_runs (NdInference *self)
{
  g_return_val_if_fail (ND_IS_INFERENCE (self), 0);
  return (guint64) g_atomic_int_get (&self->shared->n_runs);
}
