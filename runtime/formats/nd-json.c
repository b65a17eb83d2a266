/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-json.h"

/* What the grammar expects next (RFC 8259 §2–§7). */
enum
{
  NEED_VALUE,          /* the root, after ':' or after ',' in an array */
  NEED_VALUE_OR_END,   /* just after '[' */
  NEED_KEY,            /* after ',' in an object */
  NEED_KEY_OR_END,     /* just after '{' */
  AFTER_VALUE,         /* ',' or the closing bracket, or the end at depth 0 */
  DONE,
};

void
nd_json_reader_init (NdJsonReader *r, const char *text, gsize len, guint max_depth,
                     guint max_items)
{
  memset (r, 0, sizeof *r);
  r->text = text;
  r->len = len;
  r->max_depth = MIN (max_depth, ND_JSON_MAX_DEPTH);
  r->max_items = max_items;
  r->state = NEED_VALUE;
  r->str = g_string_new (NULL);
}

void
nd_json_reader_clear (NdJsonReader *r)
{
  for (int i = 0; i < ND_JSON_MAX_DEPTH; i++)
    g_clear_pointer (&r->keys[i], g_hash_table_unref);
  if (r->str != NULL)
    g_string_free (r->str, TRUE);
  r->str = NULL;
}

static NdJsonEvent
fail (NdJsonReader *r, GError **error, const char *what)
{
  r->failed = TRUE;
  /* TRANSLATORS: "byte 12: a comment or other character that JSON does not allow" */
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
               _("byte %zu: %s"), r->pos, what);
  return ND_JSON_ERROR;
}

static void
skip_ws (NdJsonReader *r)
{
  while (r->pos < r->len)
    {
      char c = r->text[r->pos];

      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      r->pos++;
    }
}

static int
hex4 (const char *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int c = p[i], d;

      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* \uXXXX at r->pos (after the backslash and 'u'); a surrogate pair must be complete. */
static gboolean
lex_unicode (NdJsonReader *r, gunichar *out, const char **why)
{
  int hi, lo;

  if (r->len - r->pos < 4 || (hi = hex4 (r->text + r->pos)) < 0)
    return (*why = _("a \\u escape needs four hex digits")), FALSE;
  r->pos += 4;
  if (hi >= 0xdc00 && hi <= 0xdfff)
    return (*why = _("a lone low surrogate in a \\u escape")), FALSE;
  if (hi < 0xd800 || hi > 0xdbff)
    return (*out = hi), TRUE;
  if (r->len - r->pos < 6 || r->text[r->pos] != '\\' || r->text[r->pos + 1] != 'u'
      || (lo = hex4 (r->text + r->pos + 2)) < 0xdc00 || lo > 0xdfff)
    return (*why = _("a high surrogate without its low half")), FALSE;
  r->pos += 6;
  *out = 0x10000 + ((gunichar) (hi - 0xd800) << 10) + (gunichar) (lo - 0xdc00);
  return TRUE;
}

/* A string at r->pos (on the opening quote) into r->str. */
static gboolean
lex_string (NdJsonReader *r, GError **error)
{
  const char *why = NULL;
  gsize start;

  g_string_truncate (r->str, 0);
  r->pos++;
  start = r->pos;
  for (;;)
    {
      guchar c;

      if (r->pos >= r->len)
        return fail (r, error, _("the text ends inside a string")), FALSE;
      c = (guchar) r->text[r->pos];
      if (c == '"')
        break;
      if (c < 0x20)
        return fail (r, error, _("a control character inside a string")), FALSE;
      if (c != '\\')
        {
          g_string_append_c (r->str, (char) c);
          r->pos++;
          continue;
        }
      if (++r->pos >= r->len)
        return fail (r, error, _("the text ends inside a string")), FALSE;
      c = (guchar) r->text[r->pos++];
      switch (c)
        {
        case '"': case '\\': case '/':
          g_string_append_c (r->str, (char) c);
          break;
        case 'b': g_string_append_c (r->str, '\b'); break;
        case 'f': g_string_append_c (r->str, '\f'); break;
        case 'n': g_string_append_c (r->str, '\n'); break;
        case 'r': g_string_append_c (r->str, '\r'); break;
        case 't': g_string_append_c (r->str, '\t'); break;
        case 'u':
          {
            gunichar u;

            if (!lex_unicode (r, &u, &why))
              return fail (r, error, why), FALSE;
            if (u == 0)
              return fail (r, error, _("a NUL character (U+0000) inside a string")), FALSE;
            g_string_append_unichar (r->str, u);
          }
          break;
        default:
          r->pos--;
          return fail (r, error, _("an escape that JSON does not have")), FALSE;
        }
    }
  if (!g_utf8_validate_len (r->text + start, r->pos - start, NULL))
    return fail (r, error, _("a string that is not valid UTF-8")), FALSE;
  r->pos++;
  return TRUE;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and its u64 value when it is one. */
static gboolean
lex_number (NdJsonReader *r, GError **error)
{
  const char *t = r->text;
  gboolean neg = FALSE, frac = FALSE, over = FALSE;
  guint64 v = 0;

  if (t[r->pos] == '-')
    neg = TRUE, r->pos++;
  if (r->pos >= r->len || !g_ascii_isdigit (t[r->pos]))
    return fail (r, error, _("a number without digits")), FALSE;
  if (t[r->pos] == '0' && r->pos + 1 < r->len && g_ascii_isdigit (t[r->pos + 1]))
    return fail (r, error, _("a number with a leading zero")), FALSE;
  while (r->pos < r->len && g_ascii_isdigit (t[r->pos]))
    {
      guint d = (guint) (t[r->pos++] - '0');

      if (v > (G_MAXUINT64 - d) / 10)
        over = TRUE;
      v = v * 10 + d;
    }
  if (r->pos < r->len && t[r->pos] == '.')
    {
      frac = TRUE;
      if (++r->pos >= r->len || !g_ascii_isdigit (t[r->pos]))
        return fail (r, error, _("a fraction without digits")), FALSE;
      while (r->pos < r->len && g_ascii_isdigit (t[r->pos]))
        r->pos++;
    }
  if (r->pos < r->len && (t[r->pos] == 'e' || t[r->pos] == 'E'))
    {
      frac = TRUE;
      r->pos++;
      if (r->pos < r->len && (t[r->pos] == '+' || t[r->pos] == '-'))
        r->pos++;
      if (r->pos >= r->len || !g_ascii_isdigit (t[r->pos]))
        return fail (r, error, _("an exponent without digits")), FALSE;
      while (r->pos < r->len && g_ascii_isdigit (t[r->pos]))
        r->pos++;
    }
  r->num_is_uint = !neg && !frac && !over;
  r->num = v;
  return TRUE;
}

static gboolean
lex_literal (NdJsonReader *r, const char *word)
{
  gsize n = strlen (word);

  if (r->len - r->pos < n || memcmp (r->text + r->pos, word, n) != 0)
    return FALSE;
  r->pos += n;
  return TRUE;
}

static gboolean
count_item (NdJsonReader *r, GError **error)
{
  if (r->depth > 0 && ++r->count[r->depth - 1] > r->max_items)
    {
      g_autofree char *why = g_strdup_printf (_("a container with more than %u items"),
                                              r->max_items);

      return fail (r, error, why), FALSE;
    }
  return TRUE;
}

static NdJsonEvent
push (NdJsonReader *r, gboolean object, GError **error)
{
  if ((guint) r->depth >= r->max_depth)
    {
      g_autofree char *why = g_strdup_printf (_("it nests more than %u levels deep"),
                                              r->max_depth);

      return fail (r, error, why);
    }
  r->is_object[r->depth] = object;
  r->count[r->depth] = 0;
  if (object)
    {
      if (r->keys[r->depth] == NULL)
        r->keys[r->depth] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      else
        g_hash_table_remove_all (r->keys[r->depth]);
    }
  r->depth++;
  r->pos++;
  r->state = object ? NEED_KEY_OR_END : NEED_VALUE_OR_END;
  return object ? ND_JSON_OBJECT_BEGIN : ND_JSON_ARRAY_BEGIN;
}

static NdJsonEvent
pop (NdJsonReader *r)
{
  gboolean object = r->is_object[--r->depth];

  r->pos++;
  r->state = AFTER_VALUE;
  return object ? ND_JSON_OBJECT_END : ND_JSON_ARRAY_END;
}

static NdJsonEvent
read_key (NdJsonReader *r, GError **error)
{
  GHashTable *seen = r->keys[r->depth - 1];

  if (r->pos >= r->len || r->text[r->pos] != '"')
    return fail (r, error, _("expected a member name in double quotes"));
  if (!count_item (r, error) || !lex_string (r, error))
    return ND_JSON_ERROR;
  if (!g_hash_table_add (seen, g_strdup (r->str->str)))
    return fail (r, error, _("a member name appears twice in one object"));
  skip_ws (r);
  if (r->pos >= r->len || r->text[r->pos] != ':')
    return fail (r, error, _("expected ':' after a member name"));
  r->pos++;
  r->state = NEED_VALUE;
  return ND_JSON_KEY;
}

static NdJsonEvent
read_value (NdJsonReader *r, GError **error)
{
  char c;

  if (r->pos >= r->len)
    return fail (r, error, _("the text ends where a value should be"));
  if (r->depth > 0 && !r->is_object[r->depth - 1] && !count_item (r, error))
    return ND_JSON_ERROR;
  c = r->text[r->pos];
  if (c == '{' || c == '[')
    return push (r, c == '{', error);
  r->state = AFTER_VALUE;
  if (c == '"')
    return lex_string (r, error) ? ND_JSON_STRING : ND_JSON_ERROR;
  if (c == '-' || g_ascii_isdigit (c))
    return lex_number (r, error) ? ND_JSON_NUMBER : ND_JSON_ERROR;
  if (lex_literal (r, "true"))
    return ND_JSON_TRUE;
  if (lex_literal (r, "false"))
    return ND_JSON_FALSE;
  if (lex_literal (r, "null"))
    return ND_JSON_NULL;
  return fail (r, error, _("a character JSON does not allow here (a comment, a single quote, "
                           "a trailing comma?)"));
}

NdJsonEvent
nd_json_reader_next (NdJsonReader *r, GError **error)
{
  if (r->failed)
    return fail (r, error, _("reading on after an error"));
  for (;;)
    {
      char c;

      skip_ws (r);
      switch (r->state)
        {
        case DONE:
          if (r->pos < r->len)
            return fail (r, error, _("text after the end of the document"));
          return ND_JSON_END;
        case NEED_KEY_OR_END:
          if (r->pos < r->len && r->text[r->pos] == '}')
            return pop (r);
          G_GNUC_FALLTHROUGH;
        case NEED_KEY:
          return read_key (r, error);
        case NEED_VALUE_OR_END:
          if (r->pos < r->len && r->text[r->pos] == ']')
            return pop (r);
          G_GNUC_FALLTHROUGH;
        case NEED_VALUE:
          return read_value (r, error);
        case AFTER_VALUE:
        default:
          if (r->depth == 0)
            {
              r->state = DONE;
              continue;
            }
          if (r->pos >= r->len)
            return fail (r, error, _("the text ends inside an object or array"));
          c = r->text[r->pos];
          if (c == ',')
            {
              r->pos++;
              r->state = r->is_object[r->depth - 1] ? NEED_KEY : NEED_VALUE;
              continue;
            }
          if (c == (r->is_object[r->depth - 1] ? '}' : ']'))
            return pop (r);
          return fail (r, error, r->is_object[r->depth - 1] ? _("expected ',' or '}'")
                                                            : _("expected ',' or ']'"));
        }
    }
}

const char *
nd_json_reader_string (NdJsonReader *r)
{
  return r->str->str;
}

gboolean
nd_json_reader_uint (NdJsonReader *r, guint64 *out)
{
  if (!r->num_is_uint)
    return FALSE;
  *out = r->num;
  return TRUE;
}

gboolean
nd_json_reader_skip (NdJsonReader *r, NdJsonEvent ev, GError **error)
{
  int depth;

  if (ev != ND_JSON_OBJECT_BEGIN && ev != ND_JSON_ARRAY_BEGIN)
    return ev != ND_JSON_ERROR;
  depth = r->depth - 1;
  while (r->depth > depth)
    if (nd_json_reader_next (r, error) == ND_JSON_ERROR)
      return FALSE;
  return TRUE;
}
