/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nd-checkpoint.h"
#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-weights.h"

/* The header of a real file is a few hundred KB; 100 MB is what the Rust reference allows. */
#define ST_MAX_HEADER (100u * 1024 * 1024)
/* json-glib parses recursively; a legitimate header nests three levels deep. */
#define ST_MAX_NESTING 16

typedef struct
{
  const char *name;
  NdDtype     dtype;
  int         ndim;
  int64_t     shape[ND_MAX_DIMS];
  guint64     begin, end;
} StEntry;

/* every format error names the file and what is wrong (nd_set_bad_file) */
#define bad(error, path, ...) nd_set_bad_file ((error), (path), "safetensors", __VA_ARGS__)

/* Bracket depth outside strings, so that json-glib never sees a deeply nested document. */
static gboolean
nesting_ok (const char *s, gsize n)
{
  int depth = 0;
  gboolean in_str = FALSE;

  for (gsize i = 0; i < n; i++)
    {
      char c = s[i];

      if (in_str)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_str = FALSE;
          continue;
        }
      if (c == '"')
        in_str = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > ST_MAX_NESTING)
            return FALSE;
        }
      else if (c == '}' || c == ']')
        depth--;
    }
  return TRUE;
}

static gboolean
node_get_u64 (JsonNode *node, guint64 *out)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

static gboolean
parse_entry (const char *path, const char *name, JsonNode *node, StEntry *e, GError **error)
{
  JsonObject *obj;
  JsonNode *dt, *sh, *off;
  JsonArray *arr;
  guint64 numel = 1, nbytes;
  const char *dtype_name;

  e->name = name;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, path, _("entry “%s” is not an object"), name);
  obj = json_node_get_object (node);
  dt = json_object_get_member (obj, "dtype");
  sh = json_object_get_member (obj, "shape");
  off = json_object_get_member (obj, "data_offsets");
  if (dt == NULL || sh == NULL || off == NULL)
    return bad (error, path, _("entry “%s” lacks dtype, shape or data_offsets"), name);
  if (json_object_get_size (obj) != 3)
    return bad (error, path, _("entry “%s” has unknown fields"), name);
  if (!JSON_NODE_HOLDS_VALUE (dt) || json_node_get_value_type (dt) != G_TYPE_STRING)
    return bad (error, path, _("entry “%s”: dtype is not a string"), name);
  dtype_name = json_node_get_string (dt);
  if (!nd_dtype_from_safetensors (dtype_name, &e->dtype))
    return bad (error, path, _("entry “%s”: unsupported dtype “%s” (F32, F16, BF16, F64, I64 "
                               "and I32 are read)"), name, dtype_name);

  if (!JSON_NODE_HOLDS_ARRAY (sh))
    return bad (error, path, _("entry “%s”: shape is not an array"), name);
  arr = json_node_get_array (sh);
  if (json_array_get_length (arr) > ND_MAX_DIMS)
    return bad (error, path, _("entry “%s”: rank %u is more than %d"), name,
                json_array_get_length (arr), ND_MAX_DIMS);
  e->ndim = json_array_get_length (arr);
  for (int i = 0; i < e->ndim; i++)
    {
      guint64 d;

      if (!node_get_u64 (json_array_get_element (arr, i), &d))
        return bad (error, path, _("entry “%s”: dimension %d is not a non-negative integer"),
                    name, i);
      if (d > (guint64) ND_TENSOR_MAX_ELEMENTS)
        return bad (error, path, _("entry “%s”: dimension %d (%" G_GUINT64_FORMAT ") is too "
                                   "large"), name, i, d);
      e->shape[i] = (int64_t) d;
      if (!g_uint64_checked_mul (&numel, numel, d) || numel > (guint64) ND_TENSOR_MAX_ELEMENTS)
        return bad (error, path, _("entry “%s”: too many elements"), name);
    }

  if (!JSON_NODE_HOLDS_ARRAY (off) || json_array_get_length (json_node_get_array (off)) != 2)
    return bad (error, path, _("entry “%s”: data_offsets is not a pair"), name);
  arr = json_node_get_array (off);
  if (!node_get_u64 (json_array_get_element (arr, 0), &e->begin)
      || !node_get_u64 (json_array_get_element (arr, 1), &e->end))
    return bad (error, path, _("entry “%s”: data_offsets are not non-negative integers"), name);
  if (e->begin > e->end)
    return bad (error, path, _("entry “%s”: data_offsets begin %" G_GUINT64_FORMAT " is after "
                               "end %" G_GUINT64_FORMAT), name, e->begin, e->end);
  nbytes = numel * nd_dtype_size (e->dtype);
  if (e->end - e->begin != nbytes)
    return bad (error, path, _("entry “%s”: %" G_GUINT64_FORMAT " bytes of data for a %s tensor "
                               "of %" G_GUINT64_FORMAT " elements (%" G_GUINT64_FORMAT " bytes)"),
                name, e->end - e->begin, dtype_name, numel, nbytes);
  return TRUE;
}

static int
cmp_begin (gconstpointer a, gconstpointer b)
{
  const StEntry *x = *(const StEntry **) a, *y = *(const StEntry **) b;

  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

static gboolean
parse_metadata (const char *path, JsonNode *node, GHashTable **metadata, GError **error)
{
  g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonObjectIter iter;
  const char *k;
  JsonNode *v;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, path, _("__metadata__ is not an object"));
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &k, &v))
    {
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        return bad (error, path, _("__metadata__ value “%s” is not a string"), k);
      g_hash_table_insert (meta, g_strdup (k), g_strdup (json_node_get_string (v)));
    }
  if (metadata != NULL)
    *metadata = g_steal_pointer (&meta);
  return TRUE;
}

/* Checks the header's length, nesting and encoding and parses it: the root object, or NULL.
 * @hlen_out: the header's length. */
static JsonNode *
parse_header (const guint8 *data, gsize size, const char *path, JsonParser *parser,
              guint64 *hlen_out, GError **error)
{
  g_autoptr(GError) json_error = NULL;
  JsonNode *root;
  guint64 hlen;

  if (size < 8)
    {
      bad (error, path, _("%" G_GSIZE_FORMAT " bytes is too short for the header length"), size);
      return NULL;
    }
  memcpy (&hlen, data, 8);
  hlen = GUINT64_FROM_LE (hlen);
  if (hlen > ST_MAX_HEADER)
    {
      bad (error, path, _("header length %" G_GUINT64_FORMAT " is more than the %u byte limit"),
           hlen, ST_MAX_HEADER);
      return NULL;
    }
  if (hlen > size - 8)
    {
      bad (error, path, _("header length %" G_GUINT64_FORMAT " runs past the end of the file "
                          "(%" G_GSIZE_FORMAT " bytes)"), hlen, size);
      return NULL;
    }
  if (hlen < 2 || data[8] != '{')
    {
      bad (error, path, _("the header is not a JSON object"));
      return NULL;
    }
  if (!nesting_ok ((const char *) data + 8, hlen))
    {
      bad (error, path, _("the header nests more than %d levels deep"), ST_MAX_NESTING);
      return NULL;
    }
  if (!g_utf8_validate ((const char *) data + 8, hlen, NULL))
    {
      bad (error, path, _("the header is not valid UTF-8"));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, (const char *) data + 8, hlen, &json_error))
    {
      bad (error, path, _("the header is not valid JSON (%s)"), json_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      bad (error, path, _("the header is not a JSON object"));
      return NULL;
    }

  *hlen_out = hlen;
  return root;
}

NdWeightSet *
nd_safetensors_load_from_data (const guint8 *data,
                               gsize         size,
                               const char   *path,
                               GHashTable  **metadata,
                               GError      **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GArray) entries = g_array_new (FALSE, TRUE, sizeof (StEntry));
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) members = NULL;
  JsonNode *root;
  guint64 hlen, data_size;
  const guint8 *base;

  parser = json_parser_new_immutable ();
  root = parse_header (data, size, path, parser, &hlen, error);
  if (root == NULL)
    return NULL;

  /* json_object_get_members() keeps the order of the header; the iterator does not. */
  members = json_object_get_members (json_node_get_object (root));
  for (GList *l = members; l != NULL; l = l->next)
    {
      StEntry e = { 0 };
      const char *k = l->data;
      JsonNode *v = json_object_get_member (json_node_get_object (root), k);

      if (!g_hash_table_add (seen, (gpointer) k))
        {
          bad (error, path, _("entry “%s” appears twice"), k);
          return NULL;
        }
      if (strcmp (k, "__metadata__") == 0)
        {
          if (!parse_metadata (path, v, &meta, error))
            return NULL;
          continue;
        }
      if (!parse_entry (path, k, v, &e, error))
        return NULL;
      g_array_append_val (entries, e);
    }

  data_size = size - 8 - hlen;
  base = data + 8 + hlen;
  for (guint i = 0; i < entries->len; i++)
    {
      StEntry *e = &g_array_index (entries, StEntry, i);

      if (e->end > data_size)
        {
          bad (error, path, _("entry “%s”: data_offsets end %" G_GUINT64_FORMAT " is past the "
                              "data area (%" G_GUINT64_FORMAT " bytes)"),
               e->name, e->end, data_size);
          return NULL;
        }
      g_ptr_array_add (sorted, e);
    }
  g_ptr_array_sort (sorted, cmp_begin);
  for (guint i = 1; i < sorted->len; i++)
    {
      const StEntry *a = sorted->pdata[i - 1], *b = sorted->pdata[i];

      if (b->begin < a->end)
        {
          bad (error, path, _("the data of “%s” and “%s” overlap"), a->name, b->name);
          return NULL;
        }
    }

  set = nd_weight_set_new ();
  for (guint i = 0; i < entries->len; i++)
    {
      StEntry *e = &g_array_index (entries, StEntry, i);
      g_autoptr(NdTensor) t = nd_tensor_try_new (e->ndim, e->shape, error);

      if (t == NULL)
        return NULL;
      nd_dtype_to_f32 (e->dtype, base + e->begin, t->numel, t->data);
      nd_weight_set_insert (set, e->name, t);
    }
  if (metadata != NULL)
    *metadata = meta ? g_steal_pointer (&meta)
                     : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return g_steal_pointer (&set);
}

NdWeightSet *
nd_safetensors_load (const char *path, GHashTable **metadata, GError **error)
{
  g_autoptr(GMappedFile) map = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  map = nd_map_file (path, error);
  if (map == NULL)
    return NULL;
  return nd_safetensors_load_from_data ((const guint8 *) g_mapped_file_get_contents (map),
                                        g_mapped_file_get_length (map), path, metadata, error);
}

GHashTable *
nd_safetensors_read_metadata (const char *path, GError **error)
{
  g_autoptr(GMappedFile) map = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GHashTable) meta = NULL;
  JsonNode *root, *node;
  guint64 hlen;

  g_return_val_if_fail (path != NULL, NULL);
  /* Mapped, so only the header's pages are read. */
  map = nd_map_file (path, error);
  if (map == NULL)
    return NULL;
  root = parse_header ((const guint8 *) g_mapped_file_get_contents (map),
                       g_mapped_file_get_length (map), path, parser, &hlen, error);
  if (root == NULL)
    return NULL;
  node = json_object_get_member (json_node_get_object (root), "__metadata__");
  if (node == NULL)
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!parse_metadata (path, node, &meta, error))
    return NULL;
  return g_steal_pointer (&meta);
}

/* ---- writing ---- */

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static char *
build_header (NdWeightSet *set, GHashTable *metadata, guint64 *data_size)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  const char * const *keys = nd_weight_set_keys (set);
  guint64 off = 0;

  json_builder_begin_object (b);
  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      g_autofree gpointer *mkeys = NULL;
      guint n;

      /* Sorted, so that the same set and metadata always give the same bytes. */
      mkeys = g_hash_table_get_keys_as_array (metadata, &n);
      qsort (mkeys, n, sizeof (gpointer), cmp_strp);
      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      for (guint i = 0; i < n; i++)
        {
          json_builder_set_member_name (b, mkeys[i]);
          json_builder_add_string_value (b, g_hash_table_lookup (metadata, mkeys[i]));
        }
      json_builder_end_object (b);
    }
  for (guint i = 0; keys[i] != NULL; i++)
    {
      NdTensor *t = nd_weight_set_lookup (set, keys[i]);

      json_builder_set_member_name (b, keys[i]);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < t->ndim; d++)
        json_builder_add_int_value (b, t->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) off);
      off += (guint64) t->numel * 4;
      json_builder_add_int_value (b, (gint64) off);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  *data_size = off;
  return json_generator_to_data (gen, NULL);
}

static gboolean
write_all (FILE *f, const void *p, gsize n)
{
  return n == 0 || fwrite (p, 1, n, f) == n;
}

gboolean
nd_safetensors_save (const char *path, NdWeightSet *set, GHashTable *metadata, GError **error)
{
  g_autofree char *header = NULL;
  g_autofree char *tmp = NULL;
  const char * const *keys;
  guint64 data_size, hlen, hlen_le;
  gsize json_len, pad;
  gboolean ok = TRUE;
  FILE *f;

  g_return_val_if_fail (path != NULL && set != NULL, FALSE);

  header = build_header (set, metadata, &data_size);
  json_len = strlen (header);
  /* The data area starts 8-byte aligned; the spec allows trailing spaces in the header. */
  pad = (8 - json_len % 8) % 8;
  hlen = json_len + pad;
  hlen_le = GUINT64_TO_LE (hlen);

  /* g_mkstemp() would create the file 0600; a weights file is ordinary data (umask applies) */
  tmp = g_strdup_printf ("%s.tmp-%08x%08x", path, g_random_int (), g_random_int ());
  {
    int fd = g_open (tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);

    if (fd < 0 || (f = fdopen (fd, "wb")) == NULL)
      {
        int saved = errno;

        if (fd >= 0)
          close (fd);
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED,
                     _("Cannot write %s: %s"), path, g_strerror (saved));
        return FALSE;
      }
  }
  ok = write_all (f, &hlen_le, 8) && write_all (f, header, json_len)
       && write_all (f, "        ", pad);
  keys = nd_weight_set_keys (set);
  for (guint i = 0; ok && keys[i] != NULL; i++)
    {
      NdTensor *t = nd_weight_set_lookup (set, keys[i]);

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      ok = write_all (f, t->data, (gsize) t->numel * 4);
#else
      for (int64_t j = 0; ok && j < t->numel; j++)
        {
          guint32 u;

          memcpy (&u, &t->data[j], 4);
          u = GUINT32_TO_LE (u);
          ok = write_all (f, &u, 4);
        }
#endif
    }
  if (fclose (f) != 0)
    ok = FALSE;
  if (ok && g_rename (tmp, path) != 0)
    ok = FALSE;
  if (!ok)
    {
      int saved = errno;

      g_unlink (tmp);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED,
                   _("Cannot write %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  (void) data_size;
  return TRUE;
}
