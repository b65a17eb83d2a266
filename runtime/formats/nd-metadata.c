/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-weights-file.h"
#include "nd-safetensors.h"

/* Our safetensors metadata schema (documented in nd-weights-file.h): the only file that
 * spells its keys. */
#define KEY_MODEL          "nondeep.model"
#define KEY_KNOBS          "nondeep.knobs"
#define KEY_FORM           "nondeep.form"
#define KEY_PREPROCESS     "nondeep.preprocess"
#define KEY_LABELS         "nondeep.labels"
#define KEY_DATASET        "nondeep.dataset"
#define KEY_TEST_ACCURACY  "nondeep.test_accuracy"

/* The form as written: "fused" is what fuse has always written for the deploy form. */
const char *
nd_weights_form_name (NdWeightsForm form)
{
  switch (form)
    {
    case ND_WEIGHTS_FORM_TRAINING:
      return "training";
    case ND_WEIGHTS_FORM_DEPLOY:
      return "fused";
    case ND_WEIGHTS_FORM_UNKNOWN:
    default:
      return "unknown";
    }
}

void
nd_weights_info_free (NdWeightsInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->format);
  g_strfreev (info->labels);
  g_free (info->preprocess);
  g_free (info->dataset);
  g_free (info->entry);
  g_strfreev (info->entries);
  g_free (info->note);
  g_free (info->reason);
  g_clear_pointer (&info->metadata, g_hash_table_unref);
  g_free (info);
}

static gboolean
bad_metadata (GError **error, const char *name, const char *key, const char *detail)
{
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
               _("%s: metadata %s: %s"), name, key, detail);
  return FALSE;
}

gboolean
nd_metadata_read (GHashTable *metadata, const char *name, NdWeightsInfo *info, GError **error)
{
  const char *model, *knobs, *form, *labels, *accuracy;
  g_autoptr(GError) local = NULL;
  NdKnobs k;

  if (metadata == NULL)
    return TRUE;
  model = g_hash_table_lookup (metadata, KEY_MODEL);
  if (model == NULL)
    return TRUE;
  if (!nd_model_spec_parse (model, &info->spec, &local))
    return bad_metadata (error, name, KEY_MODEL, local->message);
  knobs = g_hash_table_lookup (metadata, KEY_KNOBS);
  nd_knobs_init (&k);
  if (!nd_knobs_parse (knobs, &k, &local))
    return bad_metadata (error, name, KEY_KNOBS, local->message);

  form = g_hash_table_lookup (metadata, KEY_FORM);
  if (form == NULL)
    info->form = ND_WEIGHTS_FORM_UNKNOWN;
  else if (g_str_equal (form, "fused") || g_str_equal (form, "deploy"))
    info->form = ND_WEIGHTS_FORM_DEPLOY;
  else if (g_str_equal (form, "training"))
    info->form = ND_WEIGHTS_FORM_TRAINING;
  else
    return bad_metadata (error, name, KEY_FORM, _("not “training” or “fused”"));

  accuracy = g_hash_table_lookup (metadata, KEY_TEST_ACCURACY);
  info->test_accuracy = -1;
  if (accuracy != NULL)
    {
      char *end = NULL;
      double a = g_ascii_strtod (accuracy, &end);

      /* provenance only: a value we cannot read is not shown, and nothing depends on it */
      if (end != accuracy && *end == '\0' && a >= 0 && a <= 1)
        info->test_accuracy = a;
    }

  info->knobs = k;
  nd_knobs_apply (&k, &info->spec);
  info->has_model = TRUE;
  info->from_metadata = TRUE;
  labels = g_hash_table_lookup (metadata, KEY_LABELS);
  g_clear_pointer (&info->labels, g_strfreev);
  if (labels != NULL && *labels != '\0')
    info->labels = g_strsplit (labels, ",", -1);
  g_free (info->preprocess);
  info->preprocess = g_strdup (g_hash_table_lookup (metadata, KEY_PREPROCESS));
  g_free (info->dataset);
  info->dataset = g_strdup (g_hash_table_lookup (metadata, KEY_DATASET));
  return TRUE;
}

GHashTable *
nd_metadata_new (const NdModelSpec *spec, NdWeightsForm form, const char *preprocess)
{
  GHashTable *meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  NdKnobs k;

  nd_knobs_from_spec (&k, spec);
  g_hash_table_insert (meta, g_strdup (KEY_MODEL), g_strdup (spec->name));
  g_hash_table_insert (meta, g_strdup (KEY_KNOBS), nd_knobs_to_string (&k));
  if (form != ND_WEIGHTS_FORM_UNKNOWN)
    g_hash_table_insert (meta, g_strdup (KEY_FORM), g_strdup (nd_weights_form_name (form)));
  if (preprocess != NULL)
    g_hash_table_insert (meta, g_strdup (KEY_PREPROCESS), g_strdup (preprocess));
  return meta;
}

gboolean
nd_weights_save (const char *path, NdWeightSet *set, const NdModelSpec *spec,
                 NdWeightsForm form, const char *preprocess, GError **error)
{
  g_autoptr(GHashTable) meta = nd_metadata_new (spec, form, preprocess);

  return nd_safetensors_save (path, set, meta, error);
}
