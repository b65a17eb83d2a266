/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "nd-checkpoint.h"
#include "nd-safetensors.h"
#include "nd-npy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* safetensors, and .npy for inputs that start with its magic */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size >= 6 && memcmp (data, "\x93NUMPY", 6) == 0)
    {
      NdTensor *t = nd_npy_load_from_data (data, size, "fuzz", NULL);

      if (t != NULL)
        nd_tensor_unref (t);
      return 0;
    }
  {
    GHashTable *meta = NULL;
    NdWeightSet *set = nd_safetensors_load_from_data (data, size, "fuzz", &meta, NULL);

    if (set != NULL)
      {
        nd_weight_set_free (set);
        g_hash_table_unref (meta);
      }
  }
  return 0;
}
