/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-weights-file.h"
#include "nd-safetensors.h"
#include "nd-teach.h"

/* Our safetensors metadata schema (documented in nd-weights-file.h): the only file that
 * spells its keys. */
#define KEY_MODEL          "nondeep.model"
#define KEY_KNOBS          "nondeep.knobs"
#define KEY_FORM           "nondeep.form"
#define KEY_PREPROCESS     "nondeep.preprocess"
#define KEY_LABELS         "nondeep.labels"
#define KEY_DATASET        "nondeep.dataset"
#define KEY_TEST_ACCURACY  "nondeep.test_accuracy"
/* A taught classifier head (nd-teach.h); its classes are KEY_LABELS. */
#define KEY_HEAD_BACKBONE  "nondeep.head.backbone"
#define KEY_HEAD_LAYER     "nondeep.head.layer"
#define KEY_HEAD_TRAIN     "nondeep.head.train_counts"
#define KEY_HEAD_HOLDOUT   "nondeep.head.holdout_counts"
#define KEY_HEAD_ACCURACY  "nondeep.head.holdout_accuracy"
#define KEY_HEAD_CONFUSION "nondeep.head.confusion"   /* K×K held-out counts, row-major */

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

static char *
counts_string (const int *counts, int n)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s%d", i > 0 ? "," : "", counts[i]);
  return g_string_free (s, FALSE);
}

GHashTable *
nd_metadata_new_head (const NdTeachHead *head)
{
  GHashTable *meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_hash_table_insert (meta, g_strdup (KEY_HEAD_BACKBONE), g_strdup (head->backbone));
  g_hash_table_insert (meta, g_strdup (KEY_HEAD_LAYER), g_strdup (head->layer));
  g_hash_table_insert (meta, g_strdup (KEY_LABELS), g_strjoinv (",", head->classes));
  g_hash_table_insert (meta, g_strdup (KEY_HEAD_TRAIN),
                       counts_string (head->train_counts, head->n_classes));
  g_hash_table_insert (meta, g_strdup (KEY_HEAD_HOLDOUT),
                       counts_string (head->holdout_counts, head->n_classes));
  if (head->confusion != NULL)
    g_hash_table_insert (meta, g_strdup (KEY_HEAD_CONFUSION),
                         counts_string (head->confusion, head->n_classes * head->n_classes));
  if (head->holdout_accuracy >= 0)
    g_hash_table_insert (meta, g_strdup (KEY_HEAD_ACCURACY),
                         g_strdup (g_ascii_formatd (buf, sizeof buf, "%.4f",
                                                    head->holdout_accuracy)));
  return meta;
}

/* @n comma-separated counts ≥ 0 into a new array, or NULL. */
static int *
parse_counts (const char *text, int n)
{
  g_auto(GStrv) parts = text != NULL ? g_strsplit (text, ",", -1) : NULL;
  g_autofree int *counts = NULL;

  if (parts == NULL || (int) g_strv_length (parts) != n)
    return NULL;
  counts = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXINT, &v, NULL))
        return NULL;
      counts[i] = (int) v;
    }
  return g_steal_pointer (&counts);
}

gboolean
nd_metadata_read_head (GHashTable *metadata, const char *path, NdTeachHead *head,
                       GError **error)
{
  const char *labels = metadata ? g_hash_table_lookup (metadata, KEY_LABELS) : NULL;
  const char *layer = metadata ? g_hash_table_lookup (metadata, KEY_HEAD_LAYER) : NULL;
  const char *accuracy;
  int k;

  if (metadata == NULL || layer == NULL || *layer == '\0' || labels == NULL)
    return nd_set_bad_file (error, path, _("classifier head"),
                            _("no %s and %s metadata (not made by nondeep-cli teach)"),
                            KEY_HEAD_LAYER, KEY_LABELS);
  g_strfreev (head->classes);
  head->classes = g_strsplit (labels, ",", -1);
  k = head->n_classes = (int) g_strv_length (head->classes);
  if (k < 2 || k > ND_TEACH_MAX_CLASSES)
    return nd_set_bad_file (error, path, _("classifier head"), _("metadata %s: %d classes"),
                            KEY_LABELS, k);
  for (int i = 0; i < k; i++)
    for (int j = 0; j <= i; j++)
      if (*head->classes[i] == '\0' || (j < i && g_str_equal (head->classes[i], head->classes[j])))
        return nd_set_bad_file (error, path, _("classifier head"),
                                _("metadata %s: empty or repeated class names"), KEY_LABELS);
  g_free (head->layer);
  head->layer = g_strdup (layer);
  g_free (head->backbone);
  head->backbone = g_strdup (g_hash_table_lookup (metadata, KEY_HEAD_BACKBONE));
  if (head->backbone == NULL)
    head->backbone = g_strdup ("");
  g_free (head->train_counts);
  g_free (head->holdout_counts);
  head->train_counts = parse_counts (g_hash_table_lookup (metadata, KEY_HEAD_TRAIN), k);
  head->holdout_counts = parse_counts (g_hash_table_lookup (metadata, KEY_HEAD_HOLDOUT), k);
  if (head->train_counts == NULL || head->holdout_counts == NULL)
    return nd_set_bad_file (error, path, _("classifier head"),
                            _("metadata %s and %s must give one count per class"),
                            KEY_HEAD_TRAIN, KEY_HEAD_HOLDOUT);
  /* provenance, optional: all zero when absent */
  g_free (head->confusion);
  head->confusion = parse_counts (g_hash_table_lookup (metadata, KEY_HEAD_CONFUSION), k * k);
  if (head->confusion == NULL)
    head->confusion = g_new0 (int, k * k);
  head->holdout_accuracy = -1;
  accuracy = g_hash_table_lookup (metadata, KEY_HEAD_ACCURACY);
  if (accuracy != NULL)
    {
      char *end = NULL;
      double a = g_ascii_strtod (accuracy, &end);

      if (end == accuracy || *end != '\0' || !(a >= 0 && a <= 1))
        return nd_set_bad_file (error, path, _("classifier head"),
                                _("metadata %s: not a fraction"), KEY_HEAD_ACCURACY);
      head->holdout_accuracy = a;
    }
  return TRUE;
}
