/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-knobs.h"
#include "nd-model.h"
#include "nd-weights.h"

G_BEGIN_DECLS

/* What a weights file says, whatever its format: the one place that reads (and writes) our
 * `nondeep.*` safetensors metadata and that turns an official checkpoint's keys and shapes
 * into a model. Front ends ask nd_weights_open() and never name a metadata key.
 *
 * Our metadata schema (safetensors __metadata__, every value a string):
 *   nondeep.model          preset name, e.g. "parnet-s"
 *   nondeep.knobs          knob flags that rebuild the model from the preset, as parsed by
 *                          nd_knobs_parse(), e.g. "--resolution 32 --classes 10 --in-channels 1"
 *   nondeep.form           "training" or "fused" (deploy form)
 *   nondeep.preprocess     the input transform of gray models (nd_gray_preprocess_parse())
 *   nondeep.labels         class names, comma-separated
 *   nondeep.dataset        e.g. "fashion-mnist"
 *   nondeep.test_accuracy  a fraction in [0, 1], as measured by the training script
 * Other nondeep.* keys (seed, epochs, …) are provenance: kept in @metadata, not interpreted. */

typedef enum
{
  ND_WEIGHTS_FORM_UNKNOWN,
  ND_WEIGHTS_FORM_TRAINING,
  ND_WEIGHTS_FORM_DEPLOY,     /* fused: RepVGG rbr_reparam, VanillaNet switch_to_deploy, ours */
} NdWeightsForm;

typedef struct
{
  char          *format;          /* "safetensors" or "pytorch-zip" */
  gboolean       has_model;       /* @spec is known (from our metadata or from detection) */
  gboolean       from_metadata;   /* the model was named by our metadata, not detected */
  NdModelSpec    spec;            /* the preset with @knobs applied (checked when built) */
  NdKnobs        knobs;           /* the file's knobs over the preset, typed */
  char         **labels;          /* class names, NULL-terminated, or NULL */
  char          *preprocess;      /* NULL: the family's own transform */
  char          *dataset;         /* NULL when not said */
  double         test_accuracy;   /* [0, 1], or -1 when not said */
  NdWeightsForm  form;
  gboolean       timm_keys;       /* RepVGG in timm's key names, mapped to the official ones */
  char          *entry;           /* the state dict read: "" for a top-level dict of tensors */
  char         **entries;         /* every state dict in the file, in file order */
  char          *note;            /* provenance in a line: which entry among which, and what
                                   * was detected, e.g. "weights: state_dict_ema (default; the
                                   * file has state_dict, state_dict_ema); detected repvgg-a0,
                                   * training form" */
  char          *reason;          /* when !has_model: why the model is not known */
  GHashTable    *metadata;        /* the raw __metadata__ (string → string), or NULL */
} NdWeightsInfo;

void           nd_weights_info_free  (NdWeightsInfo *info);

/* Opens @path, whose format is told from its content (the name is only used in messages):
 * safetensors or a PyTorch checkpoint (.pth / .pth.tar zip). @entry chooses a state dict
 * ("state_dict", "state_dict_ema", "model", "model_ema", "" for a top-level dict; NULL: the
 * one the authors evaluate with). With @tensors NULL only what describes the file is read
 * (our safetensors: the header alone); otherwise *@tensors receives the float32 tensors under
 * their official names. Bad metadata (a knob out of range, an unknown preset) is an error. */
NdWeightsInfo *nd_weights_open           (const char    *path,
                                          const char    *entry,
                                          NdWeightSet  **tensors,
                                          GError       **error);
/* The same on bytes in memory (copied); @name is used in messages. */
NdWeightsInfo *nd_weights_open_from_data (const guint8  *data,
                                          gsize          size,
                                          const char    *name,
                                          const char    *entry,
                                          NdWeightSet  **tensors,
                                          GError       **error);

/* Reads our schema from @metadata into @info (model, knobs, form, labels, …). Returns FALSE
 * with a BAD_FILE error naming the key for a value out of range; TRUE and leaves @info's
 * model unset when @metadata names no model. */
gboolean       nd_metadata_read          (GHashTable    *metadata,
                                          const char    *name,
                                          NdWeightsInfo *info,
                                          GError       **error);
/* The metadata that describes @spec in @form (and @preprocess, may be NULL): what nondeep-cli
 * fuse writes. String → string, owned. */
GHashTable    *nd_metadata_new           (const NdModelSpec *spec,
                                          NdWeightsForm      form,
                                          const char        *preprocess);
/* Writes @set as safetensors at @path with nd_metadata_new()'s metadata. */
gboolean       nd_weights_save           (const char        *path,
                                          NdWeightSet       *set,
                                          const NdModelSpec *spec,
                                          NdWeightsForm      form,
                                          const char        *preprocess,
                                          GError           **error);

const char    *nd_weights_form_name      (NdWeightsForm form);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdWeightsInfo, nd_weights_info_free)

G_END_DECLS
