/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-checkpoint-private.h"
#include "nd-checkpoint.h"
#include "nd-error.h"
#include "nd-weights-file.h"
#include "nd-safetensors.h"

/* nd_weights_open(): one entry point for every weights file. The format comes from the
 * content (nd-checkpoint.c sniffs it); our metadata wins over detection from key shapes, and
 * the state dict read is recorded with the others the file holds. */

static NdWeightsInfo *
info_new (void)
{
  NdWeightsInfo *info = g_new0 (NdWeightsInfo, 1);

  info->test_accuracy = -1;
  return info;
}

/* The detected preset and knobs, when our metadata named no model. */
static void
use_detection (NdWeightsInfo *info, const NdCheckpointModel *m, gboolean detected)
{
  g_autoptr(GError) local = NULL;
  NdKnobs k;

  info->timm_keys = m->timm_keys;
  if (info->form == ND_WEIGHTS_FORM_UNKNOWN && detected)
    info->form = m->deploy ? ND_WEIGHTS_FORM_DEPLOY : ND_WEIGHTS_FORM_TRAINING;
  if (info->has_model)
    return;
  nd_knobs_init (&k);
  if (!detected)
    info->reason = g_strdup (m->reason[0] ? m->reason : _("no model named in the file"));
  else if (!nd_model_spec_parse (m->preset, &info->spec, &local)
           || !nd_knobs_parse (m->knobs, &k, &local))
    info->reason = g_strdup (local->message);
  else
    {
      info->knobs = k;
      nd_knobs_apply (&k, &info->spec);
      info->has_model = TRUE;
    }
}

static char *
make_note (NdWeightsInfo *info, const NdCheckpointModel *m, gboolean detected, gboolean chosen)
{
  GString *msg = g_string_new (NULL);

  g_string_append_printf (msg, _("weights: %s"),
                          info->entry[0] ? info->entry : _("top-level state dict"));
  if (g_strv_length (info->entries) > 1)
    {
      g_autofree char *all = g_strjoinv (", ", info->entries);

      g_string_append_printf (msg, _(" (%s; the file has %s)"),
                              chosen ? _("chosen") : _("default"), all);
    }
  if (m->timm_keys)
    g_string_append (msg, _("; timm's RepVGG key names mapped to the official ones"));
  if (detected)
    g_string_append_printf (msg, _("; detected %s, %s form%s%s"), m->preset,
                            m->deploy ? _("deploy") : _("training"), m->knobs[0] ? ", " : "",
                            m->knobs);
  else if (m->family[0])
    g_string_append_printf (msg, _("; %s weights, variant not recognised: %s"), m->family,
                            m->reason);
  return g_string_free (msg, FALSE);
}

static NdWeightsInfo *
open_checkpoint (NdCheckpoint *ckpt, const char *name, const char *entry, NdWeightSet **tensors,
                 GError **error)
{
  g_autoptr(NdWeightsInfo) info = info_new ();
  const char *chosen = NULL;
  NdCheckpointModel m;
  gboolean detected;

  info->format = g_strdup (nd_checkpoint_get_format (ckpt));
  if (nd_checkpoint_get_metadata (ckpt) != NULL)
    info->metadata = g_hash_table_ref (nd_checkpoint_get_metadata (ckpt));
  if (!nd_metadata_read (info->metadata, name, info, error))
    return NULL;
  info->entries = g_strdupv ((char **) nd_checkpoint_list_state_dicts (ckpt));

  if (tensors != NULL)
    {
      *tensors = nd_checkpoint_get_weights (ckpt, entry, &chosen, error);
      if (*tensors == NULL)
        return NULL;
    }
  else
    {
      chosen = entry ? entry : nd_checkpoint_default_key (ckpt);
      if (chosen == NULL)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_MISSING_WEIGHTS,
                       _("%s: no state dict (a dict of tensors) found in the file"), name);
          return NULL;
        }
      if (!g_strv_contains ((const char * const *) info->entries, chosen))
        {
          g_autofree char *list = g_strjoinv (", ", info->entries);

          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("%s: no state dict “%s” in the file (it has: %s)"), name, chosen,
                       list);
          return NULL;
        }
    }
  info->entry = g_strdup (chosen);
  detected = nd_checkpoint_detect_key (ckpt, chosen, &m);
  use_detection (info, &m, detected);
  /* our own files say what they are; the note is for files from elsewhere */
  if (!info->from_metadata)
    info->note = make_note (info, &m, detected, entry != NULL);
  return g_steal_pointer (&info);
}

/* Our safetensors name their model in the header: then nothing else needs reading. */
static NdWeightsInfo *
open_header_only (const char *path, gboolean *done, GError **error)
{
  g_autoptr(GMappedFile) map = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(NdWeightsInfo) info = NULL;
  g_autofree char *name = g_path_get_basename (path);

  *done = FALSE;
  map = nd_map_file (path, error);
  if (map == NULL)
    {
      *done = TRUE;
      return NULL;
    }
  if (!nd_checkpoint_sniff_safetensors ((const guint8 *) g_mapped_file_get_contents (map),
                                        g_mapped_file_get_length (map)))
    return NULL;
  meta = nd_safetensors_read_metadata (path, error);
  if (meta == NULL)
    {
      *done = TRUE;
      return NULL;
    }
  info = info_new ();
  if (!nd_metadata_read (meta, name, info, error))
    {
      *done = TRUE;
      return NULL;
    }
  if (!info->has_model)
    return NULL;
  *done = TRUE;
  info->format = g_strdup ("safetensors");
  info->metadata = g_steal_pointer (&meta);
  info->entry = g_strdup ("");
  info->entries = g_new0 (char *, 2);
  info->entries[0] = g_strdup ("");
  return g_steal_pointer (&info);
}

NdWeightsInfo *
nd_weights_open (const char *path, const char *entry, NdWeightSet **tensors, GError **error)
{
  g_autoptr(NdCheckpoint) ckpt = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (tensors != NULL)
    *tensors = NULL;
  if (tensors == NULL && (entry == NULL || *entry == '\0'))
    {
      gboolean done;
      NdWeightsInfo *info = open_header_only (path, &done, error);

      if (done)
        return info;
    }
  ckpt = nd_checkpoint_open (path, error);
  if (ckpt == NULL)
    return NULL;
  name = g_path_get_basename (path);
  return open_checkpoint (ckpt, name, entry, tensors, error);
}

NdWeightsInfo *
nd_weights_open_from_data (const guint8 *data, gsize size, const char *name, const char *entry,
                           NdWeightSet **tensors, GError **error)
{
  g_autoptr(NdCheckpoint) ckpt = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (tensors != NULL)
    *tensors = NULL;
  if (name == NULL)
    name = "weights";
  ckpt = nd_checkpoint_open_from_data (data, size, name, error);
  if (ckpt == NULL)
    return NULL;
  return open_checkpoint (ckpt, name, entry, tensors, error);
}
