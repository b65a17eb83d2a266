/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "nd-checkpoint-private.h"
#include "nd-checkpoint.h"
#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-pickle.h"
#include "nd-zip.h"
#include "nd-safetensors.h"

/* data.pkl of a state dict is tens of KB; with optimizer state a few MB. */
#define MAX_PICKLE (64u << 20)

struct _NdCheckpoint
{
  char         *name;       /* base name, for messages */
  GBytes       *bytes;
  const guint8 *data;
  gsize         size;
  const char   *format;

  /* pytorch-zip */
  NdZip        *zip;
  char         *prefix;     /* "archive/" */
  NdPickle     *pickle;

  /* safetensors */
  NdWeightSet  *st;
  GHashTable   *st_meta;

  GPtrArray    *sd_names;   /* char*, NULL-terminated */
  GPtrArray    *sd_values;  /* NdPickleValue* (borrowed from pickle), parallel; empty for st */
  char         *default_key;
};

void
nd_checkpoint_free (NdCheckpoint *ckpt)
{
  if (ckpt == NULL)
    return;
  g_clear_pointer (&ckpt->sd_names, g_ptr_array_unref);
  g_clear_pointer (&ckpt->sd_values, g_ptr_array_unref);
  g_clear_pointer (&ckpt->pickle, nd_pickle_free);
  g_clear_pointer (&ckpt->zip, nd_zip_free);
  g_clear_pointer (&ckpt->st, nd_weight_set_free);
  g_clear_pointer (&ckpt->st_meta, g_hash_table_unref);
  g_clear_pointer (&ckpt->bytes, g_bytes_unref);
  g_free (ckpt->prefix);
  g_free (ckpt->default_key);
  g_free (ckpt->name);
  g_free (ckpt);
}

static gpointer
ck_bad (GError **error, NdCheckpoint *ckpt, NdRuntimeError code, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

static gpointer
ck_bad (GError **error, NdCheckpoint *ckpt, NdRuntimeError code, const char *fmt, ...)
{
  g_autofree char *detail = NULL;
  g_autofree char *shown = NULL;
  va_list ap;

  va_start (ap, fmt);
  detail = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  shown = nd_escape_for_terminal (ckpt->name);
  g_set_error (error, ND_RUNTIME_ERROR, code, "%s: %s", shown, detail);
  return NULL;
}

static gboolean
is_tensor_dict (const NdPickleValue *v)
{
  guint n = nd_pickle_dict_size (v);

  if (v->kind != ND_PV_DICT || n == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (nd_pickle_dict_key (v, i)->kind != ND_PV_STR
        || nd_pickle_dict_value (v, i)->kind != ND_PV_TENSOR)
      return FALSE;
  return TRUE;
}

/* The state dict the authors evaluate with: EMA where they keep one (timm's ParNet
 * `state_dict_ema`, VanillaNet's `model_ema`), else the plain one. */
static void
choose_default (NdCheckpoint *ckpt)
{
  static const char *prefs[] = { "", "state_dict_ema", "model_ema", "state_dict", "model" };

  for (guint p = 0; p < G_N_ELEMENTS (prefs); p++)
    for (guint i = 0; i < ckpt->sd_names->len; i++)
      if (strcmp (ckpt->sd_names->pdata[i], prefs[p]) == 0)
        {
          ckpt->default_key = g_strdup (prefs[p]);
          return;
        }
  if (ckpt->sd_names->len > 0)
    ckpt->default_key = g_strdup (ckpt->sd_names->pdata[0]);
}

static gboolean
open_zip (NdCheckpoint *ckpt, GError **error)
{
  const NdZipEntry *pkl = NULL, *order;
  const guint8 *bytes;
  NdPickleValue *root;
  g_autofree char *order_name = NULL;
  g_autoptr(GError) local = NULL;

  ckpt->zip = nd_zip_open (ckpt->data, ckpt->size, ckpt->name, error);
  if (ckpt->zip == NULL)
    return FALSE;
  for (guint i = 0; i < nd_zip_n_entries (ckpt->zip); i++)
    {
      const NdZipEntry *e = nd_zip_entry (ckpt->zip, i);
      const char *slash = strchr (e->name, '/');

      if (slash != NULL && strcmp (slash + 1, "data.pkl") == 0)
        {
          pkl = e;
          ckpt->prefix = g_strndup (e->name, slash + 1 - e->name);
          break;
        }
    }
  if (pkl == NULL)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                   _("a zip archive without <name>/data.pkl is not a torch.save checkpoint"))
           != NULL;

  order_name = g_strconcat (ckpt->prefix, "byteorder", NULL);
  order = nd_zip_find (ckpt->zip, order_name);
  if (order != NULL)
    {
      bytes = nd_zip_entry_data (ckpt->zip, order, error);
      if (bytes == NULL)
        return FALSE;
      if (order->size != 6 || memcmp (bytes, "little", 6) != 0)
        return ck_bad (error, ckpt, ND_RUNTIME_ERROR_UNSUPPORTED,
                       _("big-endian checkpoints are not supported")) != NULL;
    }

  if (pkl->size > MAX_PICKLE)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                   _("data.pkl is %" PRIu64 " bytes, more than the %u byte limit"),
                   pkl->size, MAX_PICKLE) != NULL;
  bytes = nd_zip_entry_data (ckpt->zip, pkl, error);
  if (bytes == NULL)
    return FALSE;
  ckpt->pickle = nd_pickle_load (bytes, pkl->size, &local);
  if (ckpt->pickle == NULL)
    return ck_bad (error, ckpt, local->code, "%s", local->message) != NULL;

  root = nd_pickle_root (ckpt->pickle);
  if (is_tensor_dict (root))
    {
      g_ptr_array_add (ckpt->sd_names, g_strdup (""));
      g_ptr_array_add (ckpt->sd_values, root);
    }
  else if (root->kind == ND_PV_DICT)
    {
      for (guint i = 0; i < nd_pickle_dict_size (root); i++)
        {
          NdPickleValue *k = nd_pickle_dict_key (root, i), *v = nd_pickle_dict_value (root, i);

          if (k->kind == ND_PV_STR && strlen (k->s) == k->len && is_tensor_dict (v))
            {
              g_ptr_array_add (ckpt->sd_names, g_strdup (k->s));
              g_ptr_array_add (ckpt->sd_values, v);
            }
        }
    }
  else
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("the checkpoint holds a %s (%s), not a dict: whole pickled models are not "
                     "read; save model.state_dict() instead"),
                   nd_pickle_kind_name (root), root->s ? root->s : "") != NULL;
  return TRUE;
}

/* '{' after the length field. A header of 128 + 256·k bytes starts with 0x80 like a pickle:
 * then the length must fit the file. (Legacy torch files never have '{' at byte 8: it is
 * inside their magic number.) */
gboolean
nd_checkpoint_sniff_safetensors (const guint8 *d, gsize size)
{
  guint64 hlen;

  if (size < 10 || d[8] != '{')
    return FALSE;
  memcpy (&hlen, d, 8);
  return d[0] != 0x80 || GUINT64_FROM_LE (hlen) <= size - 8;
}

static NdCheckpoint *
open_common (NdCheckpoint *ckpt_in, GError **error)
{
  g_autoptr(NdCheckpoint) ckpt = ckpt_in;
  const guint8 *d = ckpt->data;

  ckpt->sd_names = g_ptr_array_new_null_terminated (4, g_free, TRUE);
  ckpt->sd_values = g_ptr_array_new ();

  if (nd_zip_sniff (d, ckpt->size))
    {
      ckpt->format = "pytorch-zip";
      if (!open_zip (ckpt, error))
        return NULL;
    }
  else if (nd_checkpoint_sniff_safetensors (d, ckpt->size))
    {
      ckpt->format = "safetensors";
      ckpt->st = nd_safetensors_load_from_data (d, ckpt->size, ckpt->name, &ckpt->st_meta, error);
      if (ckpt->st == NULL)
        return NULL;
      g_ptr_array_add (ckpt->sd_names, g_strdup (""));
    }
  else if ((ckpt->size >= 2 && d[0] == 0x80 && d[1] <= 5)
           || (ckpt->size >= 262 && memcmp (d + 257, "ustar", 5) == 0))
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("unsupported legacy PyTorch format; re-save with torch.save(..., "
                     "_use_new_zipfile_serialization=True)"));
  else
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                   _("not a PyTorch checkpoint (.pth, .pth.tar) or safetensors file"));
  choose_default (ckpt);
  return g_steal_pointer (&ckpt);
}

NdCheckpoint *
nd_checkpoint_open (const char *path, GError **error)
{
  NdCheckpoint *ckpt;
  GBytes *bytes;

  g_return_val_if_fail (path != NULL, NULL);
  /* Read into owned memory, not mapped: a file truncated under us is an error, not SIGBUS. */
  bytes = nd_file_read (path, G_MAXSIZE, error);
  if (bytes == NULL)
    return NULL;
  ckpt = g_new0 (NdCheckpoint, 1);
  ckpt->name = g_path_get_basename (path);
  ckpt->bytes = bytes;
  ckpt->data = g_bytes_get_data (bytes, &ckpt->size);
  if (ckpt->data == NULL)
    ckpt->data = (const guint8 *) "";
  return open_common (ckpt, error);
}

NdCheckpoint *
nd_checkpoint_open_from_data (const guint8 *data, gsize size, const char *name, GError **error)
{
  NdCheckpoint *ckpt = g_new0 (NdCheckpoint, 1);

  ckpt->name = g_strdup (name ? name : "checkpoint");
  ckpt->bytes = g_bytes_new (data, size);
  ckpt->data = g_bytes_get_data (ckpt->bytes, &ckpt->size);
  if (ckpt->data == NULL)
    ckpt->data = (const guint8 *) "";
  return open_common (ckpt, error);
}

GHashTable *
nd_checkpoint_get_metadata (NdCheckpoint *ckpt)
{
  return ckpt->st_meta;
}

const char *
nd_checkpoint_get_format (NdCheckpoint *ckpt)
{
  return ckpt->format;
}

const char * const *
nd_checkpoint_list_state_dicts (NdCheckpoint *ckpt)
{
  return (const char * const *) ckpt->sd_names->pdata;
}

const char *
nd_checkpoint_default_key (NdCheckpoint *ckpt)
{
  return ckpt->default_key;
}

static int
find_sd (NdCheckpoint *ckpt, const char *key)
{
  for (guint i = 0; i < ckpt->sd_names->len; i++)
    if (strcmp (ckpt->sd_names->pdata[i], key) == 0)
      return i;
  return -1;
}

static const char *
strip_module (const char *k)
{
  return g_str_has_prefix (k, "module.") ? k + 7 : k;
}

/* timm re-publishes RepVGG in its byobnet scheme (docs/reference/networks.md §2.4): stem = stage0,
 * stages.K.I = stage{K+1}.I, conv_kxk/conv_1x1/identity = rbr_dense/rbr_1x1/rbr_identity,
 * reparam_conv = rbr_reparam, head.fc = linear (the inverse of tools/write_checkpoints.py's
 * timm_repvgg_key). */
static gboolean
is_timm_repvgg_key (const char *k)
{
  k = strip_module (k);
  return strcmp (k, "stem.conv_kxk.conv.weight") == 0 || strcmp (k, "stem.reparam_conv.weight") == 0;
}

/* torchvision's DenseNet checkpoints from before 0.3 name a dense layer's modules norm.1,
 * conv.2, …; torchvision's _load_state_dict renames them norm1, conv2: so do we. */
static char *
densenet_legacy_key (const char *k)
{
  const char *p = strstr (k, ".denselayer");
  const char *q;

  if (p == NULL)
    return NULL;
  q = p + strlen (".denselayer");
  if (!g_ascii_isdigit (*q))
    return NULL;
  while (g_ascii_isdigit (*q))
    q++;
  if ((g_str_has_prefix (q, ".norm.") || g_str_has_prefix (q, ".conv.")
       || g_str_has_prefix (q, ".relu."))
      && (q[6] == '1' || q[6] == '2') && q[7] == '.')
    return g_strdup_printf ("%.*s%c%s", (int) (q + 5 - k), k, q[6], q + 7);
  return NULL;
}

static char *
official_key (const char *k, gboolean timm)
{
  char *legacy;

  static const char *parts[][2] = {
    { "conv_kxk.", "rbr_dense." }, { "conv_1x1.", "rbr_1x1." }, { "identity.", "rbr_identity." },
    { "reparam_conv.", "rbr_reparam." },
  };
  g_autofree char *prefix = NULL;
  const char *rest;

  k = strip_module (k);
  if (!timm)
    return (legacy = densenet_legacy_key (k)) != NULL ? legacy : g_strdup (k);
  if (g_str_has_prefix (k, "head.fc."))
    return g_strconcat ("linear.", k + 8, NULL);
  if (g_str_has_prefix (k, "stem."))
    {
      prefix = g_strdup ("stage0.");
      rest = k + 5;
    }
  else if (g_str_has_prefix (k, "stages."))
    {
      char *end, *end2;
      guint64 stage = g_ascii_strtoull (k + 7, &end, 10);
      guint64 block;

      if (end == k + 7 || *end != '.' || stage > 64)
        return g_strdup (k);
      block = g_ascii_strtoull (end + 1, &end2, 10);
      if (end2 == end + 1 || *end2 != '.' || block > 1000)
        return g_strdup (k);
      prefix = g_strdup_printf ("stage%u.%u.", (guint) stage + 1, (guint) block);
      rest = end2 + 1;
    }
  else
    return g_strdup (k);
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (g_str_has_prefix (rest, parts[i][0]))
      return g_strconcat (prefix, parts[i][1], rest + strlen (parts[i][0]), NULL);
  return g_strconcat (prefix, rest, NULL);
}

/* Whether state dict @idx uses timm's RepVGG keys. */
static gboolean
sd_is_timm (NdCheckpoint *ckpt, int idx)
{
  if (ckpt->st != NULL)
    {
      const char * const *keys = nd_weight_set_keys (ckpt->st);

      for (guint i = 0; keys[i] != NULL; i++)
        if (is_timm_repvgg_key (keys[i]))
          return TRUE;
      return FALSE;
    }
  {
    const NdPickleValue *sd = ckpt->sd_values->pdata[idx];

    for (guint i = 0; i < nd_pickle_dict_size (sd); i++)
      if (is_timm_repvgg_key (nd_pickle_dict_key (sd, i)->s))
        return TRUE;
  }
  return FALSE;
}

/* The float32 bytes one file may decode to, all tensors together. Views of one storage are
 * each decoded (tied weights), and one-byte dtypes grow 4× as float32: 8× the file and 64 MiB
 * of slack cover real files, while a few hundred bytes can no longer ask for gigabytes. */
#define BUDGET_RATIO 8

static guint64
ck_budget (NdCheckpoint *ckpt)
{
  return (guint64) ckpt->size * BUDGET_RATIO + (64u << 20);
}

/* Reads one tensor: dtype → float32, any non-negative strides, the storage offset; the zip
 * entry must hold the whole storage the pickle declared. */
static NdTensor *
read_tensor (NdCheckpoint *ckpt, const char *key, const NdPickleValue *t, guint64 *budget,
             GError **error)
{
  const NdPickleValue *st = t->storage;
  g_autofree char *entry_name = NULL;
  const NdZipEntry *entry;
  const guint8 *base;
  guint64 need;
  gsize es;
  NdTensor *out;
  int64_t shape[ND_MAX_DIMS];
  gboolean contiguous = TRUE;
  gint64 expect = 1;

  if (!st->dtype_known)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("tensor %s has an unsupported storage type %s"), key, st->storage_type);
  es = nd_dtype_size (st->dtype);
  entry_name = g_strconcat (ckpt->prefix, "data/", st->key, NULL);
  entry = nd_zip_find (ckpt->zip, entry_name);
  if (entry == NULL)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                   _("storage %s of tensor %s is missing from the archive"), st->key, key);
  if (!g_uint64_checked_mul (&need, (guint64) st->numel, es) || entry->size < need)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                   _("storage %s of tensor %s has %" PRIu64 " bytes, shorter than the "
                     "%" PRId64 " %s elements it declares"),
                   st->key, key, entry->size, st->numel, nd_dtype_name (st->dtype));
  base = nd_zip_entry_data (ckpt->zip, entry, error);
  if (base == NULL)
    return NULL;

  for (int i = 0; i < t->ndim; i++)
    shape[i] = t->size[i];
  if ((guint64) t->numel * sizeof (float) > *budget)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                   _("tensor %s would take the decoded size past %" PRIu64 " MiB, "
                     "%d times the file's size: refused"), key,
                   ck_budget (ckpt) >> 20, BUDGET_RATIO);
  *budget -= (guint64) t->numel * sizeof (float);
  out = nd_tensor_try_new (t->ndim, shape, error);
  if (out == NULL)
    {
      g_autofree char *shown = nd_escape_for_terminal (ckpt->name);

      g_prefix_error (error, "%s, tensor %s: ", shown, key);
      return NULL;
    }
  for (int i = t->ndim - 1; i >= 0; i--)
    {
      if (t->size[i] != 1 && t->stride[i] != expect)
        contiguous = FALSE;
      expect *= t->size[i];
    }
  /* The pickle reader checked offset + Σ(size−1)·stride < storage numel; the entry holds the
   * storage: every read below is in bounds. */
  if (contiguous)
    nd_dtype_to_f32 (st->dtype, base + (gsize) t->offset * es, out->numel, out->data);
  else
    {
      gint64 idx[ND_MAX_DIMS] = { 0 };

      for (int64_t n = 0; n < out->numel; n++)
        {
          gint64 src = t->offset;

          for (int d = 0; d < t->ndim; d++)
            src += idx[d] * t->stride[d];
          nd_dtype_to_f32 (st->dtype, base + (gsize) src * es, 1, out->data + n);
          for (int d = t->ndim - 1; d >= 0; d--)
            {
              if (++idx[d] < t->size[d])
                break;
              idx[d] = 0;
            }
        }
    }
  return out;
}

NdWeightSet *
nd_checkpoint_get_weights (NdCheckpoint *ckpt, const char *key, const char **chosen_key,
                           GError **error)
{
  g_autoptr(NdWeightSet) set = NULL;
  const NdPickleValue *sd;
  guint64 budget = ck_budget (ckpt);
  gboolean timm;
  int idx;

  g_return_val_if_fail (ckpt != NULL, NULL);
  if (key == NULL)
    key = ckpt->default_key;
  if (key == NULL)
    return ck_bad (error, ckpt, ND_RUNTIME_ERROR_MISSING_WEIGHTS,
                   _("no state dict (a dict of tensors) found in the file"));
  idx = find_sd (ckpt, key);
  if (idx < 0)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) ckpt->sd_names->pdata);

      return ck_bad (error, ckpt, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("no state dict “%s” in the file (it has: %s)"), key, list);
    }
  if (chosen_key != NULL)
    *chosen_key = ckpt->sd_names->pdata[idx];

  set = nd_weight_set_new ();
  timm = sd_is_timm (ckpt, idx);
  if (ckpt->st != NULL)
    {
      const char * const *keys = nd_weight_set_keys (ckpt->st);

      for (guint i = 0; keys[i] != NULL; i++)
        {
          g_autofree char *name = official_key (keys[i], timm);

          if (nd_weight_set_lookup (set, name) != NULL)
            return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                           _("tensor %s appears twice (with and without “module.”)"), name);
          nd_weight_set_insert (set, name, nd_weight_set_lookup (ckpt->st, keys[i]));
        }
      return g_steal_pointer (&set);
    }

  sd = ckpt->sd_values->pdata[idx];
  for (guint i = 0; i < nd_pickle_dict_size (sd); i++)
    {
      const NdPickleValue *k = nd_pickle_dict_key (sd, i);
      g_autofree char *name = official_key (k->s, timm);
      g_autoptr(NdTensor) t = NULL;

      if (strlen (k->s) != k->len)
        return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                       _("a tensor name contains a NUL byte"));
      if (nd_weight_set_lookup (set, name) != NULL)
        return ck_bad (error, ckpt, ND_RUNTIME_ERROR_BAD_FILE,
                       _("tensor %s appears twice (with and without “module.”)"), name);
      t = read_tensor (ckpt, k->s, nd_pickle_dict_value (sd, i), &budget, error);
      if (t == NULL)
        return NULL;
      nd_weight_set_insert (set, name, t);
    }
  return g_steal_pointer (&set);
}

/* ---- detection and description ---- */

static GArray *
key_shapes (NdCheckpoint *ckpt, int idx, GPtrArray *names)
{
  GArray *ks = g_array_new (FALSE, TRUE, sizeof (NdKeyShape));
  gboolean timm = sd_is_timm (ckpt, idx);

  if (ckpt->st != NULL)
    {
      const char * const *keys = nd_weight_set_keys (ckpt->st);

      for (guint i = 0; keys[i] != NULL; i++)
        {
          NdTensor *t = nd_weight_set_lookup (ckpt->st, keys[i]);
          char *name = official_key (keys[i], timm);
          NdKeyShape s = { name, t->ndim, { 0 } };

          g_ptr_array_add (names, name);

          for (int d = 0; d < t->ndim; d++)
            s.shape[d] = t->shape[d];
          g_array_append_val (ks, s);
        }
    }
  else
    {
      const NdPickleValue *sd = ckpt->sd_values->pdata[idx];

      for (guint i = 0; i < nd_pickle_dict_size (sd); i++)
        {
          const NdPickleValue *t = nd_pickle_dict_value (sd, i);
          char *name = official_key (nd_pickle_dict_key (sd, i)->s, timm);
          NdKeyShape s = { name, t->ndim, { 0 } };

          g_ptr_array_add (names, name);

          for (int d = 0; d < t->ndim; d++)
            s.shape[d] = t->size[d];
          g_array_append_val (ks, s);
        }
    }
  return ks;
}

gboolean
nd_checkpoint_detect_key (NdCheckpoint *ckpt, const char *key, NdCheckpointModel *out)
{
  g_autoptr(GArray) ks = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;
  int idx;

  memset (out, 0, sizeof *out);
  if (key == NULL)
    key = ckpt->default_key;
  idx = key ? find_sd (ckpt, key) : -1;
  if (idx < 0)
    {
      g_strlcpy (out->reason, "no state dict", sizeof out->reason);
      return FALSE;
    }
  ks = key_shapes (ckpt, idx, names);
  ok = nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, out);
  out->timm_keys = out->timm_keys || sd_is_timm (ckpt, idx);
  return ok;
}

gboolean
nd_checkpoint_detect (NdWeightSet *set, NdCheckpointModel *out)
{
  g_autoptr(GArray) ks = g_array_new (FALSE, TRUE, sizeof (NdKeyShape));
  const char * const *keys = nd_weight_set_keys (set);

  for (guint i = 0; keys[i] != NULL; i++)
    {
      NdTensor *t = nd_weight_set_lookup (set, keys[i]);
      NdKeyShape s = { keys[i], t->ndim, { 0 } };

      for (int d = 0; d < t->ndim; d++)
        s.shape[d] = t->shape[d];
      g_array_append_val (ks, s);
    }
  return nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, out);
}

static void
describe_model (JsonBuilder *b, NdCheckpoint *ckpt, const char *key)
{
  NdCheckpointModel m;
  gboolean ok = nd_checkpoint_detect_key (ckpt, key, &m);

  json_builder_set_member_name (b, "model");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "detected");
  json_builder_add_boolean_value (b, ok);
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, m.family);
  json_builder_set_member_name (b, "preset");
  json_builder_add_string_value (b, m.preset);
  json_builder_set_member_name (b, "knobs");
  json_builder_add_string_value (b, m.knobs);
  json_builder_set_member_name (b, "form");
  json_builder_add_string_value (b, m.family[0] == '\0' ? "" : m.deploy ? "deploy" : "training");
  json_builder_set_member_name (b, "classes");
  json_builder_add_int_value (b, m.classes);
  json_builder_set_member_name (b, "in_channels");
  json_builder_add_int_value (b, m.in_channels);
  json_builder_set_member_name (b, "timm_keys");
  json_builder_add_boolean_value (b, m.timm_keys);
  json_builder_set_member_name (b, "note");
  json_builder_add_string_value (b, m.reason);
  json_builder_end_object (b);
}

static void
describe_tensor (JsonBuilder *b, const char *name, const char *dtype, int ndim,
                 const gint64 *shape)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "dtype");
  json_builder_add_string_value (b, dtype);
  json_builder_set_member_name (b, "shape");
  json_builder_begin_array (b);
  for (int d = 0; d < ndim; d++)
    json_builder_add_int_value (b, shape[d]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* One line about a top-level value that is not a state dict (epoch, arch, args, optimizer…):
 * the kind, and the value for scalars; never recursive. */
static void
describe_other (JsonBuilder *b, const char *key, const NdPickleValue *v)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "key");
  json_builder_add_string_value (b, key);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, nd_pickle_kind_name (v));
  switch (v->kind)
    {
    case ND_PV_INT:
      json_builder_set_member_name (b, "value");
      json_builder_add_int_value (b, v->i);
      break;
    case ND_PV_BOOL:
      json_builder_set_member_name (b, "value");
      json_builder_add_boolean_value (b, v->i != 0);
      break;
    case ND_PV_FLOAT:
      json_builder_set_member_name (b, "value");
      /* json-glib would write NaN/Inf as "nan.0", which is not JSON (`inspect --json`) */
      if (isfinite (v->f))
        json_builder_add_double_value (b, v->f);
      else
        json_builder_add_null_value (b);
      break;
    case ND_PV_STR:
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, v->s);
      break;
    case ND_PV_GLOBAL:
    case ND_PV_OPAQUE:
      json_builder_set_member_name (b, "class");
      json_builder_add_string_value (b, v->s);
      break;
    case ND_PV_DICT:
    case ND_PV_LIST:
    case ND_PV_TUPLE:
      json_builder_set_member_name (b, "length");
      json_builder_add_int_value (b, v->kind == ND_PV_DICT ? nd_pickle_dict_size (v)
                                                          : v->items->len);
      break;
    default:
      break;
    }
  json_builder_end_object (b);
}

char *
nd_checkpoint_describe_json (NdCheckpoint *ckpt, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  NdPickleValue *proot = ckpt->pickle ? nd_pickle_root (ckpt->pickle) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, ckpt->name);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, ckpt->format);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, ckpt->size);
  json_builder_set_member_name (b, "default_state_dict");
  if (ckpt->default_key != NULL)
    json_builder_add_string_value (b, ckpt->default_key);
  else
    json_builder_add_null_value (b);

  if (ckpt->st_meta != NULL)
    {
      g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (ckpt->st_meta),
                                           (GCompareFunc) strcmp);

      json_builder_set_member_name (b, "metadata");
      json_builder_begin_object (b);
      for (GList *l = keys; l != NULL; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          json_builder_add_string_value (b, g_hash_table_lookup (ckpt->st_meta, l->data));
        }
      json_builder_end_object (b);
    }

  if (proot != NULL && proot->kind == ND_PV_DICT && !is_tensor_dict (proot))
    {
      json_builder_set_member_name (b, "top_level");
      json_builder_begin_array (b);
      for (guint i = 0; i < nd_pickle_dict_size (proot); i++)
        {
          NdPickleValue *k = nd_pickle_dict_key (proot, i);

          describe_other (b, k->kind == ND_PV_STR ? k->s : nd_pickle_kind_name (k),
                          nd_pickle_dict_value (proot, i));
        }
      json_builder_end_array (b);
    }

  json_builder_set_member_name (b, "state_dicts");
  json_builder_begin_array (b);
  for (guint s = 0; s < ckpt->sd_names->len; s++)
    {
      const char *name = ckpt->sd_names->pdata[s];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "tensors");
      json_builder_begin_array (b);
      if (ckpt->st != NULL)
        {
          const char * const *keys = nd_weight_set_keys (ckpt->st);

          for (guint i = 0; keys[i] != NULL; i++)
            {
              NdTensor *t = nd_weight_set_lookup (ckpt->st, keys[i]);
              gint64 shape[ND_MAX_DIMS];

              for (int d = 0; d < t->ndim; d++)
                shape[d] = t->shape[d];
              /* the file's own dtype is converted on load; report what we hold */
              describe_tensor (b, keys[i], "float32", t->ndim, shape);
            }
        }
      else
        {
          const NdPickleValue *sd = ckpt->sd_values->pdata[s];

          for (guint i = 0; i < nd_pickle_dict_size (sd); i++)
            {
              const NdPickleValue *t = nd_pickle_dict_value (sd, i);

              describe_tensor (b, nd_pickle_dict_key (sd, i)->s,
                               t->storage->dtype_known ? nd_dtype_name (t->storage->dtype)
                                                       : t->storage->storage_type,
                               t->ndim, t->size);
            }
        }
      json_builder_end_array (b);
      describe_model (b, ckpt, name);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}
