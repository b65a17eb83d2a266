/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "nd-checkpoint.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The whole path a user's file takes: sniff, zip, pickle, state dicts, tensors, detection and
 * the inspect description. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open_from_data (data, size, "fuzz", NULL);
  const char * const *names;
  g_autofree char *json = NULL;

  if (ckpt == NULL)
    return 0;
  json = nd_checkpoint_describe_json (ckpt, NULL);
  names = nd_checkpoint_list_state_dicts (ckpt);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(NdWeightSet) set = nd_checkpoint_get_weights (ckpt, names[i], NULL, NULL);
      NdCheckpointModel m;

      nd_checkpoint_detect_key (ckpt, names[i], &m);
      if (set != NULL)
        nd_checkpoint_detect (set, &m);
    }
  return 0;
}
