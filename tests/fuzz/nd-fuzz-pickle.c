/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "nd-pickle.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(NdPickle) pk = nd_pickle_load (data, size, NULL);
  NdPickleValue *root;

  if (pk == NULL)
    return 0;
  /* what the checkpoint reader does with a result: walk the top-level dict */
  root = nd_pickle_root (pk);
  for (guint i = 0; i < nd_pickle_dict_size (root); i++)
    {
      NdPickleValue *k = nd_pickle_dict_key (root, i);

      if (k->kind == ND_PV_STR)
        (void) nd_pickle_dict_lookup (root, k->s);
      (void) nd_pickle_kind_name (nd_pickle_dict_value (root, i));
    }
  return 0;
}
