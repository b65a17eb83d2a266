/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-weights.h"

G_BEGIN_DECLS

/* Weight files as published by the model authors: PyTorch checkpoints (the torch.save zip
 * container, .pth / .pth.tar) read through a restricted pickle reader that never imports or
 * calls anything, and safetensors. */

typedef struct _NdCheckpoint NdCheckpoint;

/* Opens @path (sniffed by content, not by name). Legacy pre-zip torch files are refused with
 * a "re-save" hint. */
NdCheckpoint *nd_checkpoint_open            (const char    *path,
                                             GError       **error);
/* Same on bytes in memory (copied; the fuzz targets use it). @name is used in messages. */
NdCheckpoint *nd_checkpoint_open_from_data  (const guint8  *data,
                                             gsize          size,
                                             const char    *name,
                                             GError       **error);
void          nd_checkpoint_free            (NdCheckpoint  *ckpt);

/* "pytorch-zip" or "safetensors". */
const char   *nd_checkpoint_get_format      (NdCheckpoint  *ckpt);
/* Names of the state dicts found, in file order: "" for a top-level dict of tensors,
 * otherwise the top-level key ("state_dict", "state_dict_ema", "model", "model_ema", …).
 * NULL-terminated, transfer none. */
const char * const *nd_checkpoint_list_state_dicts (NdCheckpoint *ckpt);
/* The state dict the authors evaluate with (EMA where they do); NULL if there is none. */
const char   *nd_checkpoint_default_key     (NdCheckpoint  *ckpt);

/* Reads the tensors of state dict @key (NULL: the default) as float32, with a leading
 * `module.` stripped and timm's RepVGG key names mapped to the official ones. @chosen_key (optional, transfer none) says which one was read. */
NdWeightSet  *nd_checkpoint_get_weights     (NdCheckpoint  *ckpt,
                                             const char    *key,
                                             const char   **chosen_key,
                                             GError       **error);

/* What a state dict looks like. */
typedef struct
{
  char     family[16];       /* nd_family_name ()'s: "parnet", … "inception"; "" unknown */
  char     preset[48];       /* e.g. "parnet-s"; "" when the variant is not recognised */
  char     knobs[128];       /* knob overrides for the preset as nondeep-cli options, e.g.
                              * "--classes 10 --in-channels 1" */
  gboolean deploy;           /* fused / deploy form (rbr_reparam, VanillaNet stem.0, …) */
  gboolean timm_keys;        /* RepVGG in timm's byobnet key scheme: nd_checkpoint_get_weights
                              * maps it to the official names; a bare set is not mapped */
  int      classes;
  int      in_channels;
  char     reason[256];      /* why detection failed or what is unusual */
} NdCheckpointModel;

/* Detects family, variant, form, classes and input channels from key names and shapes. Returns
 * FALSE (with @out->reason filled) when the keys match no known model. */
gboolean      nd_checkpoint_detect          (NdWeightSet        *set,
                                             NdCheckpointModel  *out);

/* The same from the shapes in the file (no tensor data is read); @key NULL: the default. */
gboolean      nd_checkpoint_detect_key      (NdCheckpoint       *ckpt,
                                             const char         *key,
                                             NdCheckpointModel  *out);

/* A JSON description for `nondeep-cli inspect --json`: format, state dicts with every
 * tensor's name, dtype and shape, the default key and the detected model. */
char         *nd_checkpoint_describe_json   (NdCheckpoint  *ckpt,
                                             GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdCheckpoint, nd_checkpoint_free)

G_END_DECLS
