/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-checkpoint.h"
#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-weights.h"
#include "nd-npy.h"

/* NumPy's own reader refuses headers above 10000 bytes unless told otherwise; 1 MB is ample. */
#define NPY_MAX_HEADER (1u << 20)

/* every format error names the file and what is wrong (nd_set_bad_file) */
#define npy_bad(error, path, ...) nd_set_bad_file ((error), (path), "float32 .npy", __VA_ARGS__)

/* A strict parser for the header dict NumPy writes:
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   */
typedef struct
{
  const char *p, *end;
} Cursor;

static void
skip_ws (Cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static gboolean
eat (Cursor *c, char ch)
{
  skip_ws (c);
  if (c->p < c->end && *c->p == ch)
    {
      c->p++;
      return TRUE;
    }
  return FALSE;
}

/* A quoted Python string without escapes (none of the valid keys or values has any). */
static char *
parse_str (Cursor *c)
{
  char q;
  const char *start;

  skip_ws (c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return NULL;
  q = *c->p++;
  start = c->p;
  while (c->p < c->end && *c->p != q)
    {
      if (*c->p == '\\' || (guchar) *c->p < 0x20 || c->p - start > 64)
        return NULL;
      c->p++;
    }
  if (c->p >= c->end)
    return NULL;
  c->p++;
  return g_strndup (start, c->p - 1 - start);
}

static gboolean
parse_uint (Cursor *c, int64_t *out)
{
  int64_t v = 0;
  int n = 0;

  skip_ws (c);
  while (c->p < c->end && g_ascii_isdigit (*c->p))
    {
      if (++n > 12)   /* > 10^12 is beyond any tensor we accept */
        return FALSE;
      v = v * 10 + (*c->p - '0');
      c->p++;
    }
  if (n == 0)
    return FALSE;
  if (c->p < c->end && *c->p == 'L')   /* Python 2 writers */
    c->p++;
  *out = v;
  return TRUE;
}

static gboolean
parse_header (const char *hdr, gsize len, int *ndim, int64_t *shape, GError **error,
              const char *path)
{
  Cursor c = { hdr, hdr + len };
  gboolean have_descr = FALSE, have_order = FALSE, have_shape = FALSE;

  if (!eat (&c, '{'))
    {
      npy_bad (error, path, _("the header is not a dict"));
      return FALSE;
    }
  while (!eat (&c, '}'))
    {
      g_autofree char *key = parse_str (&c);

      if (key == NULL || !eat (&c, ':'))
        {
          npy_bad (error, path, _("the header dict is malformed"));
          return FALSE;
        }
      if (strcmp (key, "descr") == 0 && !have_descr)
        {
          g_autofree char *descr = parse_str (&c);

          if (descr == NULL || strcmp (descr, "<f4") != 0)
            {
              npy_bad (error, path, _("dtype “%s” is not little-endian float32 ('<f4')"),
                       descr ? descr : "?");
              return FALSE;
            }
          have_descr = TRUE;
        }
      else if (strcmp (key, "fortran_order") == 0 && !have_order)
        {
          skip_ws (&c);
          if (c.end - c.p >= 5 && memcmp (c.p, "False", 5) == 0)
            c.p += 5;
          else
            {
              npy_bad (error, path, _("only C-order arrays are read (fortran_order must be "
                                      "False)"));
              return FALSE;
            }
          have_order = TRUE;
        }
      else if (strcmp (key, "shape") == 0 && !have_shape)
        {
          int n = 0;
          gboolean comma = TRUE;

          if (!eat (&c, '('))
            {
              npy_bad (error, path, _("shape is not a tuple"));
              return FALSE;
            }
          while (!eat (&c, ')'))
            {
              if (!comma || n >= ND_MAX_DIMS || !parse_uint (&c, &shape[n]))
                {
                  npy_bad (error, path, _("shape is not a tuple of at most %d non-negative "
                                          "integers"), ND_MAX_DIMS);
                  return FALSE;
                }
              n++;
              comma = eat (&c, ',');
            }
          /* Python writes a 1-tuple as "(n,)"; "(n)" is an int, not a tuple. */
          if (n == 1 && !comma)
            {
              npy_bad (error, path, _("shape is not a tuple"));
              return FALSE;
            }
          *ndim = n;
          have_shape = TRUE;
        }
      else
        {
          npy_bad (error, path, _("unexpected or repeated header key “%s”"), key);
          return FALSE;
        }
      if (!eat (&c, ','))
        {
          if (!eat (&c, '}'))
            {
              npy_bad (error, path, _("the header dict is malformed"));
              return FALSE;
            }
          break;
        }
    }
  skip_ws (&c);
  if (c.p != c.end)
    {
      npy_bad (error, path, _("trailing bytes after the header dict"));
      return FALSE;
    }
  if (!have_descr || !have_order || !have_shape)
    {
      npy_bad (error, path, _("the header lacks descr, fortran_order or shape"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_ascii (const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (p[i] >= 0x80)
      return FALSE;
  return TRUE;
}

NdTensor *
nd_npy_load_from_data (const guint8 *data, gsize size, const char *path, GError **error)
{
  int64_t shape[ND_MAX_DIMS] = { 0 };
  guint64 hlen, hstart, numel = 1;
  int ndim = 0;
  NdTensor *t;

  if (size < 10 || memcmp (data, "\x93NUMPY", 6) != 0)
    {
      npy_bad (error, path, _("no NumPy magic"));
      return NULL;
    }
  if (data[6] == 1)
    {
      hlen = data[8] | (data[9] << 8);
      hstart = 10;
    }
  else if (data[6] == 2 || data[6] == 3)
    {
      if (size < 12)
        {
          npy_bad (error, path, _("truncated header length"));
          return NULL;
        }
      hlen = (guint32) data[8] | ((guint32) data[9] << 8) | ((guint32) data[10] << 16)
             | ((guint32) data[11] << 24);
      hstart = 12;
    }
  else
    {
      npy_bad (error, path, _("unknown format version %u.%u"), data[6], data[7]);
      return NULL;
    }
  if (hlen > NPY_MAX_HEADER || hlen > size - hstart)
    {
      npy_bad (error, path, _("header length %" PRIu64 " runs past the end of the "
                              "file or over %u bytes"), hlen, NPY_MAX_HEADER);
      return NULL;
    }
  if (data[6] < 3 && !is_ascii (data + hstart, hlen))
    {
      npy_bad (error, path, _("the header is not ASCII"));
      return NULL;
    }
  if (!parse_header ((const char *) data + hstart, hlen, &ndim, shape, error, path))
    return NULL;
  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] > ND_TENSOR_MAX_ELEMENTS)
        {
          npy_bad (error, path, _("dimension %d is too large"), i);
          return NULL;
        }
      if (!g_uint64_checked_mul (&numel, numel, (guint64) shape[i])
          || numel > (guint64) ND_TENSOR_MAX_ELEMENTS)
        {
          npy_bad (error, path, _("too many elements"));
          return NULL;
        }
    }
  if (size - hstart - hlen != numel * 4)
    {
      npy_bad (error, path, _("%" PRIu64 " bytes of data for %" PRIu64
                              " float32 elements (%" PRIu64 " bytes)"),
               (guint64) (size - hstart - hlen), numel, numel * 4);
      return NULL;
    }
  t = nd_tensor_try_new (ndim, shape, error);
  if (t == NULL)
    {
      g_autofree char *shown = nd_escape_for_terminal (path);

      g_prefix_error (error, "%s: ", shown);
      return NULL;
    }
  nd_dtype_to_f32 (ND_DTYPE_F32, data + hstart + hlen, t->numel, t->data);
  return t;
}

NdTensor *
nd_npy_load (const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);
  /* Read, not mapped: a file truncated under us must be an error, not SIGBUS. */
  bytes = nd_file_read (path, G_MAXSIZE, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  return nd_npy_load_from_data (data, size, path, error);
}

gboolean
nd_npy_save (const char *path, const NdTensor *tensor, GError **error)
{
  g_autoptr(GString) dict = g_string_new ("{'descr': '<f4', 'fortran_order': False, 'shape': (");
  g_autoptr(GByteArray) out = NULL;
  gsize total, hlen;
  gboolean v2;

  g_return_val_if_fail (path != NULL && tensor != NULL, FALSE);

  for (int i = 0; i < tensor->ndim; i++)
    g_string_append_printf (dict, "%s%" PRId64, i ? ", " : "", (gint64) tensor->shape[i]);
  g_string_append (dict, tensor->ndim == 1 ? ",), }" : "), }");
  /* Pad with spaces and a final newline so that the data starts 64-byte aligned, as NumPy does. */
  v2 = dict->len + 1 + 10 > 65535;
  total = (v2 ? 12 : 10) + dict->len + 1;
  while (total % 64 != 0)
    {
      g_string_append_c (dict, ' ');
      total++;
    }
  g_string_append_c (dict, '\n');
  hlen = dict->len;

  out = g_byte_array_sized_new (total + tensor->numel * 4);
  g_byte_array_append (out, (const guint8 *) "\x93NUMPY", 6);
  {
    guint8 ver[2] = { v2 ? 2 : 1, 0 };
    guint8 len[4] = { hlen & 0xff, (hlen >> 8) & 0xff, (hlen >> 16) & 0xff, (hlen >> 24) & 0xff };

    g_byte_array_append (out, ver, 2);
    g_byte_array_append (out, len, v2 ? 4 : 2);
  }
  g_byte_array_append (out, (const guint8 *) dict->str, dict->len);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  g_byte_array_append (out, (const guint8 *) tensor->data, tensor->numel * 4);
#else
  for (int64_t i = 0; i < tensor->numel; i++)
    {
      guint32 u;

      memcpy (&u, &tensor->data[i], 4);
      u = GUINT32_TO_LE (u);
      g_byte_array_append (out, (const guint8 *) &u, 4);
    }
#endif
  return nd_file_replace (path, out->data, out->len, error);
}
