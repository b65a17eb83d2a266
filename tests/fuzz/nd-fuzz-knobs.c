/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nd-model.h"
#include "nd-weights-file.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The metadata → knobs → graph path: a file (or just its metadata) chooses a model and its
 * knobs; whatever it asks for, building it must never take more than the memory budget, and
 * the budget's count must be what the built graph really holds.
 *
 * Input: a safetensors file (bytes 8 is '{'), or "MODEL\nKNOBS" as the two metadata values. */

#define FUZZ_BUDGET (G_GUINT64_CONSTANT (48) << 20)

static void
add_bytes (const char *key, NdTensor *tensor, gboolean is_param, gpointer user_data)
{
  *(guint64 *) user_data += (guint64) tensor->numel * sizeof (float);
}

static NdWeightsInfo *
info_from_text (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  NdWeightsInfo *info = g_new0 (NdWeightsInfo, 1);
  char *nl = strchr (text, '\n');

  if (nl != NULL)
    {
      *nl = '\0';
      g_hash_table_insert (meta, (gpointer) "nondeep.knobs", nl + 1);
    }
  g_hash_table_insert (meta, (gpointer) "nondeep.model", text);
  if (!nd_metadata_read (meta, "fuzz", info, NULL))
    g_clear_pointer (&info, nd_weights_info_free);
  return info;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(NdWeightsInfo) info = NULL;
  g_autoptr(NdGraph) graph = NULL;
  guint64 weights = 0, activations = 0, held = 0;
  gboolean fits;

  nd_memory_budget_set (FUZZ_BUDGET);
  if (size >= 10 && data[8] == '{')
    info = nd_weights_open_from_data (data, size, "fuzz", NULL, NULL, NULL);
  else
    info = info_from_text (data, size);
  if (info == NULL || !info->has_model)
    return 0;

  fits = nd_model_check_budget (&info->spec, 1, NULL);
  graph = nd_model_build (&info->spec, NULL);
  if (graph == NULL)
    return 0;
  /* built only when the check passed, and then within the budget, as counted and as held */
  if (!fits)
    abort ();
  nd_graph_memory (graph, &weights, &activations);
  nd_graph_foreach_weight (graph, add_bytes, &held);
  if (weights + activations > FUZZ_BUDGET || held != weights)
    abort ();
  return 0;
}
