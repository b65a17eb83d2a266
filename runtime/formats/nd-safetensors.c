/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "nd-checkpoint.h"
#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-json.h"
#include "nd-weights.h"
#include "nd-safetensors.h"

/* The header of a real file is a few hundred KB; 100 MB is what the Rust reference allows. */
#define ST_MAX_HEADER (100u * 1024 * 1024)
/* A legitimate header nests three levels deep; the reader is iterative, this is a sanity cap. */
#define ST_MAX_NESTING 16
/* Members per object or array: a state dict has at most a few thousand tensors (an LLM shard
 * ~1000); 131072 leaves room and keeps a hostile header of empty entries to ~0.1 s. */
#define ST_MAX_ITEMS (1u << 17)

typedef struct
{
  const char *name;    /* in the parse's string chunk */
  NdDtype     dtype;
  int         ndim;
  int64_t     shape[ND_MAX_DIMS];
  guint64     begin, end;
} StEntry;

/* The header as typed records: the tensors in header order and the metadata. */
typedef struct
{
  GStringChunk *names;
  GArray       *entries;   /* StEntry */
  GHashTable   *meta;      /* string → string */
  guint64       hlen;
} StHeader;

static void
st_header_clear (StHeader *h)
{
  g_clear_pointer (&h->names, g_string_chunk_free);
  g_clear_pointer (&h->entries, g_array_unref);
  g_clear_pointer (&h->meta, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StHeader, st_header_clear)

/* every format error names the file and what is wrong (nd_set_bad_file) */
#define bad(error, path, ...) nd_set_bad_file ((error), (path), "safetensors", __VA_ARGS__)

/* A syntax error of the reader, as a BAD_FILE error about the header. */
static gboolean
json_bad (const char *path, const GError *json_error, GError **error)
{
  if (strstr (json_error->message, "levels deep") != NULL)
    return bad (error, path, _("the header nests more than %d levels deep (%s)"), ST_MAX_NESTING,
                json_error->message);
  return bad (error, path, _("the header is not valid JSON (%s)"), json_error->message);
}

static NdJsonEvent
next (NdJsonReader *r, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  NdJsonEvent ev = nd_json_reader_next (r, &local);

  if (ev == ND_JSON_ERROR)
    json_bad (path, local, error);
  return ev;
}

/* The value that @ev begins is not what the schema wants. One pass, failing at the first
 * wrong value: that value is still read to its end (bounded by the caps), so a syntax error
 * inside it (nesting, a comment) is reported as such rather than as the schema's complaint. */
static gboolean
wrong_value (NdJsonReader *r, NdJsonEvent ev, const char *path, GError **error,
             const char *format, ...) G_GNUC_PRINTF (5, 6);

static gboolean
wrong_value (NdJsonReader *r, NdJsonEvent ev, const char *path, GError **error,
             const char *format, ...)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *what = NULL;
  va_list ap;

  if (ev == ND_JSON_ERROR)
    return FALSE;   /* next () has set @error */
  if (!nd_json_reader_skip (r, ev, &local))
    return json_bad (path, local, error);
  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  return bad (error, path, "%s", what);
}

static gboolean
parse_shape (NdJsonReader *r, const char *path, StEntry *e, guint64 *numel, GError **error)
{
  NdJsonEvent ev = next (r, path, error);
  guint rank = 0;

  if (ev != ND_JSON_ARRAY_BEGIN)
    return wrong_value (r, ev, path, error, _("entry “%s”: shape is not an array"), e->name);
  *numel = 1;
  while ((ev = next (r, path, error)) != ND_JSON_ARRAY_END)
    {
      guint64 d;

      if (ev == ND_JSON_ERROR)
        return FALSE;
      if (ev != ND_JSON_NUMBER || !nd_json_reader_uint (r, &d))
        return wrong_value (r, ev, path, error, _("entry “%s”: dimension %u is not a "
                                                  "non-negative integer"), e->name, rank);
      if (rank++ >= ND_MAX_DIMS)
        continue;   /* counted, to say the rank */
      if (d > (guint64) ND_TENSOR_MAX_ELEMENTS)
        return bad (error, path, _("entry “%s”: dimension %u (%" PRIu64 ") is too "
                                   "large"), e->name, rank - 1, d);
      e->shape[rank - 1] = (int64_t) d;
      if (!g_uint64_checked_mul (numel, *numel, d) || *numel > (guint64) ND_TENSOR_MAX_ELEMENTS)
        return bad (error, path, _("entry “%s”: too many elements"), e->name);
    }
  if (rank > ND_MAX_DIMS)
    return bad (error, path, _("entry “%s”: rank %u is more than %d"), e->name, rank,
                ND_MAX_DIMS);
  e->ndim = (int) rank;
  return TRUE;
}

static gboolean
parse_offsets (NdJsonReader *r, const char *path, StEntry *e, GError **error)
{
  NdJsonEvent ev = next (r, path, error);
  guint64 v[2];
  guint n = 0;

  if (ev != ND_JSON_ARRAY_BEGIN)
    return wrong_value (r, ev, path, error, _("entry “%s”: data_offsets is not a pair"), e->name);
  while ((ev = next (r, path, error)) != ND_JSON_ARRAY_END)
    {
      if (ev == ND_JSON_ERROR)
        return FALSE;
      if (n >= 2)
        return bad (error, path, _("entry “%s”: data_offsets is not a pair"), e->name);
      if (ev != ND_JSON_NUMBER || !nd_json_reader_uint (r, &v[n]))
        return wrong_value (r, ev, path, error, _("entry “%s”: data_offsets are not "
                                                  "non-negative integers"), e->name);
      n++;
    }
  if (n != 2)
    return bad (error, path, _("entry “%s”: data_offsets is not a pair"), e->name);
  e->begin = v[0];
  e->end = v[1];
  if (e->begin > e->end)
    return bad (error, path, _("entry “%s”: data_offsets begin %" PRIu64 " is after "
                               "end %" PRIu64), e->name, e->begin, e->end);
  return TRUE;
}

/* {"dtype": "F32", "shape": [..], "data_offsets": [b, e]} in any order, nothing else. */
static gboolean
parse_entry (NdJsonReader *r, const char *path, StEntry *e, GError **error)
{
  g_autofree char *dtype_name = NULL;
  gboolean have_shape = FALSE, have_offsets = FALSE;
  guint64 numel = 1, nbytes;
  NdJsonEvent ev = next (r, path, error);

  if (ev != ND_JSON_OBJECT_BEGIN)
    return wrong_value (r, ev, path, error, _("entry “%s” is not an object"), e->name);
  while ((ev = next (r, path, error)) != ND_JSON_OBJECT_END)
    {
      const char *k;

      if (ev == ND_JSON_ERROR)
        return FALSE;
      k = nd_json_reader_string (r);
      if (strcmp (k, "dtype") == 0)
        {
          ev = next (r, path, error);
          if (ev != ND_JSON_STRING)
            return wrong_value (r, ev, path, error, _("entry “%s”: dtype is not a string"),
                                e->name);
          g_free (dtype_name);
          dtype_name = g_strdup (nd_json_reader_string (r));
        }
      else if (strcmp (k, "shape") == 0)
        {
          if (!(have_shape = parse_shape (r, path, e, &numel, error)))
            return FALSE;
        }
      else if (strcmp (k, "data_offsets") == 0)
        {
          if (!(have_offsets = parse_offsets (r, path, e, error)))
            return FALSE;
        }
      else
        return wrong_value (r, next (r, path, error), path, error,
                            _("entry “%s” has unknown fields"), e->name);
    }
  if (dtype_name == NULL || !have_shape || !have_offsets)
    return bad (error, path, _("entry “%s” lacks dtype, shape or data_offsets"), e->name);
  if (!nd_dtype_from_safetensors (dtype_name, &e->dtype))
    return bad (error, path, _("entry “%s”: unsupported dtype “%s” (F32, F16, BF16, F64, I64 "
                               "and I32 are read)"), e->name, dtype_name);
  nbytes = numel * nd_dtype_size (e->dtype);
  if (e->end - e->begin != nbytes)
    return bad (error, path, _("entry “%s”: %" PRIu64 " bytes of data for a %s tensor "
                               "of %" PRIu64 " elements (%" PRIu64 " bytes)"),
                e->name, e->end - e->begin, dtype_name, numel, nbytes);
  return TRUE;
}

static gboolean
parse_metadata (NdJsonReader *r, const char *path, GHashTable *meta, GError **error)
{
  NdJsonEvent ev = next (r, path, error);

  if (ev != ND_JSON_OBJECT_BEGIN)
    return wrong_value (r, ev, path, error, _("__metadata__ is not an object"));
  while ((ev = next (r, path, error)) != ND_JSON_OBJECT_END)
    {
      g_autofree char *k = NULL;

      if (ev == ND_JSON_ERROR)
        return FALSE;
      k = g_strdup (nd_json_reader_string (r));
      ev = next (r, path, error);
      if (ev != ND_JSON_STRING)
        return wrong_value (r, ev, path, error, _("__metadata__ value “%s” is not a string"), k);
      g_hash_table_insert (meta, g_steal_pointer (&k), g_strdup (nd_json_reader_string (r)));
    }
  return TRUE;
}

/* The header in one pass of the strict reader, straight into typed records. */
static gboolean
parse_records (const char *text, gsize n, const char *path, StHeader *h, GError **error)
{
  NdJsonReader r;
  NdJsonEvent ev;
  gboolean ok = TRUE;

  nd_json_reader_init (&r, text, n, ST_MAX_NESTING, ST_MAX_ITEMS);
  ev = next (&r, path, error);
  if (ev != ND_JSON_OBJECT_BEGIN)
    ok = wrong_value (&r, ev, path, error, _("the header is not a JSON object"));
  while (ok && (ev = next (&r, path, error)) != ND_JSON_OBJECT_END)
    {
      const char *k = nd_json_reader_string (&r);

      if (ev == ND_JSON_ERROR)
        ok = FALSE;
      else if (strcmp (k, "__metadata__") == 0)
        ok = parse_metadata (&r, path, h->meta, error);
      else
        {
          StEntry e = { 0 };

          e.name = g_string_chunk_insert (h->names, k);
          ok = parse_entry (&r, path, &e, error);
          if (ok)
            g_array_append_val (h->entries, e);
        }
    }
  /* only whitespace after the root object */
  if (ok && next (&r, path, error) != ND_JSON_END)
    ok = FALSE;
  nd_json_reader_clear (&r);
  return ok;
}

/* Checks the header's length and encoding and parses it into @h. */
static gboolean
parse_header (const guint8 *data, gsize size, const char *path, StHeader *h, GError **error)
{
  g_autoptr(GError) local = NULL;
  guint64 hlen;

  h->names = g_string_chunk_new (4096);
  h->entries = g_array_new (FALSE, TRUE, sizeof (StEntry));
  h->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (size < 8)
    return bad (error, path, _("%zu bytes is too short for the header length"),
                size);
  memcpy (&hlen, data, 8);
  hlen = GUINT64_FROM_LE (hlen);
  if (hlen > ST_MAX_HEADER)
    return bad (error, path, _("header length %" PRIu64 " is more than the %u byte "
                               "limit"), hlen, ST_MAX_HEADER);
  if (hlen > size - 8)
    return bad (error, path, _("header length %" PRIu64 " runs past the end of the "
                               "file (%zu bytes)"), hlen, size);
  if (hlen < 2 || data[8] != '{')
    return bad (error, path, _("the header is not a JSON object"));
  if (!g_utf8_validate_len ((const char *) data + 8, hlen, NULL))
    return bad (error, path, _("the header is not valid UTF-8"));
  /* a local error: the fuzz target and callers may pass NULL */
  if (!parse_records ((const char *) data + 8, hlen, path, h, &local))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  h->hlen = hlen;
  return TRUE;
}

static int
cmp_span (gconstpointer a, gconstpointer b)
{
  const StEntry *x = *(const StEntry **) a, *y = *(const StEntry **) b;

  if (x->begin != y->begin)
    return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end ? 1 : 0;
}

/* The safetensors rule: the tensors' byte ranges tile the data area from 0 to its end, with
 * no gap, no overlap and nothing after the last one. */
static gboolean
check_layout (const StHeader *h, guint64 data_size, const char *path, GError **error)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  guint64 at = 0;

  for (guint i = 0; i < h->entries->len; i++)
    {
      StEntry *e = &g_array_index (h->entries, StEntry, i);

      if (e->end > data_size)
        return bad (error, path, _("entry “%s”: data_offsets end %" PRIu64 " is past "
                                   "the data area (%" PRIu64 " bytes)"),
                    e->name, e->end, data_size);
      g_ptr_array_add (sorted, e);
    }
  g_ptr_array_sort (sorted, cmp_span);
  for (guint i = 0; i < sorted->len; i++)
    {
      const StEntry *e = sorted->pdata[i];

      if (i > 0 && e->begin < at)
        return bad (error, path, _("the data of “%s” and “%s” overlap"),
                    ((const StEntry *) sorted->pdata[i - 1])->name, e->name);
      if (e->begin > at)
        return bad (error, path, _("%" PRIu64 " bytes before the data of “%s” belong "
                                   "to no tensor (a gap)"), e->begin - at, e->name);
      at = e->end;
    }
  if (at != data_size)
    return bad (error, path, _("%" PRIu64 " bytes after the last tensor's data belong "
                               "to no tensor (trailing bytes)"), data_size - at);
  return TRUE;
}

NdWeightSet *
nd_safetensors_load_from_data (const guint8 *data,
                               gsize         size,
                               const char   *path,
                               GHashTable  **metadata,
                               GError      **error)
{
  g_auto(StHeader) h = { 0 };
  g_autoptr(NdWeightSet) set = NULL;
  g_autofree char *shown = NULL;
  const guint8 *base;

  if (!parse_header (data, size, path, &h, error)
      || !check_layout (&h, size - 8 - h.hlen, path, error))
    return NULL;

  base = data + 8 + h.hlen;
  shown = nd_escape_for_terminal (path);
  set = nd_weight_set_new ();
  for (guint i = 0; i < h.entries->len; i++)
    {
      StEntry *e = &g_array_index (h.entries, StEntry, i);
      g_autoptr(NdTensor) t = nd_tensor_try_new (e->ndim, e->shape, error);

      if (t == NULL)
        {
          g_autofree char *name = nd_escape_for_terminal (e->name);

          g_prefix_error (error, "%s, tensor %s: ", shown, name);
          return NULL;
        }
      nd_dtype_to_f32 (e->dtype, base + e->begin, t->numel, t->data);
      nd_weight_set_insert (set, e->name, t);
    }
  if (metadata != NULL)
    *metadata = g_steal_pointer (&h.meta);
  return g_steal_pointer (&set);
}

NdWeightSet *
nd_safetensors_load (const char *path, GHashTable **metadata, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize size;
  const guint8 *data;

  g_return_val_if_fail (path != NULL, NULL);
  /* Read, not mapped: a file truncated under us must be an error, not SIGBUS. */
  bytes = nd_file_read (path, G_MAXSIZE, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  return nd_safetensors_load_from_data (data, size, path, metadata, error);
}

GHashTable *
nd_safetensors_read_metadata (const char *path, GError **error)
{
  g_auto(StHeader) h = { 0 };
  g_autofree guint8 *head = NULL;
  guint64 size, hlen, claimed;
  guint8 le[8];
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  /* Only the length and the header are read. */
  fd = nd_file_open_regular (path, &size, error);
  if (fd < 0)
    return NULL;
  if (size < 8)
    {
      close (fd);
      bad (error, path, _("%" PRIu64 " bytes is too short for the header length"), size);
      return NULL;
    }
  if (!nd_file_pread (fd, path, le, 8, 0, error))
    {
      close (fd);
      return NULL;
    }
  memcpy (&claimed, le, 8);
  claimed = GUINT64_FROM_LE (claimed);
  /* parse_header() only sees what was read: give it the limits against the true size. */
  if (claimed > ST_MAX_HEADER || claimed > size - 8)
    {
      close (fd);
      if (claimed > ST_MAX_HEADER)
        bad (error, path, _("header length %" PRIu64 " is more than the %u byte "
                            "limit"), claimed, ST_MAX_HEADER);
      else
        bad (error, path, _("header length %" PRIu64 " runs past the end of the "
                            "file (%" PRIu64 " bytes)"), claimed, size);
      return NULL;
    }
  hlen = claimed;
  head = g_malloc (8 + hlen);
  memcpy (head, le, 8);
  if (!nd_file_pread (fd, path, head + 8, hlen, 8, error))
    {
      close (fd);
      return NULL;
    }
  close (fd);
  if (!parse_header (head, 8 + hlen, path, &h, error))
    return NULL;
  return g_steal_pointer (&h.meta);
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

gboolean
nd_safetensors_save (const char *path, NdWeightSet *set, GHashTable *metadata, GError **error)
{
  g_autoptr(NdAtomicFile) f = NULL;
  g_autofree char *header = NULL;
  const char * const *keys;
  guint64 data_size, hlen, hlen_le;
  gsize json_len, pad;

  g_return_val_if_fail (path != NULL && set != NULL, FALSE);

  header = build_header (set, metadata, &data_size);
  json_len = strlen (header);
  /* The data area starts 8-byte aligned; the spec allows trailing spaces in the header. */
  pad = (8 - json_len % 8) % 8;
  hlen = json_len + pad;
  hlen_le = GUINT64_TO_LE (hlen);

  /* Temporary file, fsync, rename, fsync of the directory; a symlink or device at @path is
   * refused (nd-file.h). */
  f = nd_atomic_file_new (path, error);
  if (f == NULL || !nd_atomic_file_write (f, &hlen_le, 8, error)
      || !nd_atomic_file_write (f, header, json_len, error)
      || !nd_atomic_file_write (f, "        ", pad, error))
    return FALSE;
  keys = nd_weight_set_keys (set);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      NdTensor *t = nd_weight_set_lookup (set, keys[i]);

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      if (!nd_atomic_file_write (f, t->data, (gsize) t->numel * 4, error))
        return FALSE;
#else
      for (int64_t j = 0; j < t->numel; j++)
        {
          guint32 u;

          memcpy (&u, &t->data[j], 4);
          u = GUINT32_TO_LE (u);
          if (!nd_atomic_file_write (f, &u, 4, error))
            return FALSE;
        }
#endif
    }
  (void) data_size;
  return nd_atomic_file_commit (f, error);
}
