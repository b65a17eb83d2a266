/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-weights.h"

/* Ordered key → tensor map: the keys array keeps insertion order (NULL-terminated so it can
 * be handed out as a strv), the hash table finds the index. */
struct _NdWeightSet
{
  GPtrArray  *keys;     /* char*, owned, NULL-terminated */
  GPtrArray  *tensors;  /* NdTensor*, owned refs, parallel to keys */
  GHashTable *index;    /* key (borrowed from keys) → index + 1 */
};

NdWeightSet *
nd_weight_set_new (void)
{
  NdWeightSet *set = g_atomic_rc_box_new0 (NdWeightSet);

  set->keys = g_ptr_array_new_null_terminated (16, g_free, TRUE);
  set->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_tensor_unref);
  set->index = g_hash_table_new (g_str_hash, g_str_equal);
  return set;
}

static void
weight_set_clear (NdWeightSet *set)
{
  g_hash_table_unref (set->index);
  g_ptr_array_unref (set->tensors);
  g_ptr_array_unref (set->keys);
}

NdWeightSet *
nd_weight_set_ref (NdWeightSet *set)
{
  g_return_val_if_fail (set != NULL, NULL);
  return g_atomic_rc_box_acquire (set);
}

void
nd_weight_set_free (NdWeightSet *set)
{
  if (set == NULL)
    return;
  g_atomic_rc_box_release_full (set, (GDestroyNotify) weight_set_clear);
}

void
nd_weight_set_insert (NdWeightSet *set, const char *key, NdTensor *tensor)
{
  gpointer idx;

  g_return_if_fail (set != NULL && key != NULL && tensor != NULL);

  if (g_hash_table_lookup_extended (set->index, key, NULL, &idx))
    {
      guint i = GPOINTER_TO_UINT (idx) - 1;
      NdTensor *old = g_ptr_array_index (set->tensors, i);

      set->tensors->pdata[i] = nd_tensor_ref (tensor);
      nd_tensor_unref (old);
      return;
    }
  g_ptr_array_add (set->keys, g_strdup (key));
  g_ptr_array_add (set->tensors, nd_tensor_ref (tensor));
  g_hash_table_insert (set->index, g_ptr_array_index (set->keys, set->keys->len - 1),
                       GUINT_TO_POINTER (set->keys->len));
}

NdTensor *
nd_weight_set_lookup (NdWeightSet *set, const char *key)
{
  gpointer idx;

  g_return_val_if_fail (set != NULL && key != NULL, NULL);
  if (!g_hash_table_lookup_extended (set->index, key, NULL, &idx))
    return NULL;
  return g_ptr_array_index (set->tensors, GPOINTER_TO_UINT (idx) - 1);
}

guint
nd_weight_set_size (NdWeightSet *set)
{
  g_return_val_if_fail (set != NULL, 0);
  return set->keys->len;
}

const char * const *
nd_weight_set_keys (NdWeightSet *set)
{
  g_return_val_if_fail (set != NULL, NULL);
  return (const char * const *) set->keys->pdata;
}

/* ---- loading into a graph ---- */

typedef struct
{
  NdNode *node;
  int     slot;
  char   *key;
} Expected;

static void
expected_clear (gpointer p)
{
  g_free (((Expected *) p)->key);
}

static void
append_list (GString *msg, const char *label, GPtrArray *names, guint limit)
{
  g_string_append_printf (msg, "%s (%u): ", label, names->len);
  for (guint i = 0; i < names->len && i < limit; i++)
    g_string_append_printf (msg, "%s%s", i ? ", " : "", (const char *) names->pdata[i]);
  if (names->len > limit)
    g_string_append_printf (msg, _(", … and %u more"), names->len - limit);
}

/* Inception-v3's auxiliary classifier (AuxLogits.*) feeds the training loss only; torchvision
 * publishes it in the checkpoint, the inference graph has no use for it. */
static gboolean
is_training_head (const NdGraph *graph, const char *key)
{
  return g_strcmp0 (graph->family, "inception") == 0 && g_str_has_prefix (key, "AuxLogits.");
}

static gboolean
is_bn_counter (const char *key)
{
  return g_str_has_suffix (key, ".num_batches_tracked") || strcmp (key, "num_batches_tracked") == 0;
}

gboolean
nd_weight_set_fits_graph (NdWeightSet *set, const NdGraph *graph)
{
  const char * const *keys;

  g_return_val_if_fail (set != NULL && graph != NULL, FALSE);
  keys = nd_weight_set_keys (set);
  for (guint i = 0; keys[i] != NULL; i++)
    if (!is_bn_counter (keys[i]) && nd_graph_lookup_weight (graph, keys[i]) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
nd_graph_load_weights (NdGraph *graph, NdWeightSet *set, GError **error)
{
  g_autoptr(GArray) expected = g_array_new (FALSE, TRUE, sizeof (Expected));
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) missing = g_ptr_array_new ();
  g_autoptr(GPtrArray) unexpected = g_ptr_array_new ();
  g_autoptr(GString) shape_errors = g_string_new (NULL);
  const char * const *keys;
  guint n_shape_errors = 0;

  g_return_val_if_fail (graph != NULL && set != NULL, FALSE);
  g_array_set_clear_func (expected, expected_clear);

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      NdNode *node = g_ptr_array_index (graph->nodes, i);

      for (int s = 0; s < ND_W_COUNT; s++)
        {
          Expected e;

          if (node->w[s] == NULL)
            continue;
          e.node = node;
          e.slot = s;
          e.key = g_strdup_printf ("%s.%s", node->name, nd_weight_slot_name (s));
          g_array_append_val (expected, e);
        }
    }

  /* Validate everything before touching the graph. */
  for (guint i = 0; i < expected->len; i++)
    {
      Expected *e = &g_array_index (expected, Expected, i);
      NdTensor *t = nd_weight_set_lookup (set, e->key);
      const NdTensor *want = e->node->w[e->slot];

      g_hash_table_add (wanted, e->key);
      if (t == NULL)
        {
          g_ptr_array_add (missing, e->key);
          continue;
        }
      if (!nd_tensor_same_shape (t, want))
        {
          g_autofree char *have_s = nd_tensor_shape_string (t);
          g_autofree char *want_s = nd_tensor_shape_string (want);

          if (n_shape_errors++ < 8)
            g_string_append_printf (shape_errors, _("%s%s has shape %s, the model expects %s"),
                                    shape_errors->len ? "; " : "", e->key, have_s, want_s);
          continue;
        }
      for (int64_t j = 0; j < t->numel; j++)
        if (!isfinite (t->data[j]))
          {
            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                         _("Weight %s has a non-finite value (%g) at element %" PRId64),
                         e->key, (double) t->data[j], (gint64) j);
            return FALSE;
          }
    }

  keys = nd_weight_set_keys (set);
  for (guint i = 0; keys[i] != NULL; i++)
    if (!g_hash_table_contains (wanted, keys[i]) && !is_bn_counter (keys[i])
        && !is_training_head (graph, keys[i]))
      g_ptr_array_add (unexpected, (gpointer) keys[i]);

  if (missing->len > 0 || unexpected->len > 0)
    {
      g_autoptr(GString) msg = g_string_new (NULL);

      g_string_append_printf (msg, _("The weights do not match the model %s: "),
                              graph->model_name ? graph->model_name : "");
      if (missing->len > 0)
        append_list (msg, _("missing keys"), missing, 64);
      if (missing->len > 0 && unexpected->len > 0)
        g_string_append (msg, "; ");
      if (unexpected->len > 0)
        append_list (msg, _("unexpected keys"), unexpected, 64);
      if (n_shape_errors > 0)
        g_string_append_printf (msg, "; %s", shape_errors->str);
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_MISSING_WEIGHTS, msg->str);
      return FALSE;
    }
  if (n_shape_errors > 0)
    {
      if (n_shape_errors > 8)
        g_string_append_printf (shape_errors, _("; and %u more"), n_shape_errors - 8);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("Weight shapes do not match the model: %s"), shape_errors->str);
      return FALSE;
    }

  /* The graph shares the set's tensors: no copy, and the set's tensors are never mutated. */
  for (guint i = 0; i < expected->len; i++)
    {
      Expected *e = &g_array_index (expected, Expected, i);
      NdTensor *old = e->node->w[e->slot];

      e->node->w[e->slot] = nd_tensor_ref (nd_weight_set_lookup (set, e->key));
      nd_tensor_unref (old);
    }
  return TRUE;
}

static void
dup_one (const char *key, NdTensor *tensor, gboolean is_param, gpointer user_data)
{
  nd_weight_set_insert (user_data, key, tensor);
}

NdWeightSet *
nd_graph_dup_weights (const NdGraph *graph)
{
  NdWeightSet *set = nd_weight_set_new ();

  nd_graph_foreach_weight (graph, dup_one, set);
  return set;
}
