/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-pickle-private.h"

/* ---- reading the opcode stream ---- */

static gboolean
need (NdPickle *pk, gsize n)
{
  if ((gsize) (pk->end - pk->p) < n)
    return _nd_pk_bad (pk, _("truncated (needs %zu more bytes)"), n);
  return TRUE;
}

static guint64
rd_le (const guint8 *p, int n)
{
  guint64 v = 0;

  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* A text argument up to '\n' (protocol 0); returns a NUL-terminated copy. */
static char *
read_line (NdPickle *pk)
{
  gsize avail = pk->end - pk->p;
  const guint8 *nl = memchr (pk->p, '\n', MIN (avail, (gsize) MAX_LINE));
  char *s;

  if (nl == NULL)
    {
      _nd_pk_bad (pk, _("unterminated text argument"));
      return NULL;
    }
  s = g_strndup ((const char *) pk->p, nl - pk->p);
  pk->p = nl + 1;
  return s;
}

static NdPickleValue *
make_int (NdPickle *pk, gint64 i)
{
  NdPickleValue *v = _nd_pk_new_value (pk, ND_PV_INT);

  if (v)
    v->i = i;
  return v;
}


static NdPickleValue *
make_str (NdPickle *pk, NdPickleKind kind, const guint8 *p, gsize n)
{
  NdPickleValue *v;

  if (kind == ND_PV_STR && !g_utf8_validate_len ((const char *) p, n, NULL))
    {
      _nd_pk_bad (pk, _("a string is not valid UTF-8"));
      return NULL;
    }
  v = _nd_pk_new_value (pk, kind);
  if (v == NULL)
    return NULL;
  v->s = g_malloc (n + 1);
  memcpy (v->s, p, n);
  v->s[n] = '\0';
  v->len = n;
  return v;
}

static gboolean
op_counted_str (NdPickle *pk, NdPickleKind kind, int width)
{
  guint64 n;

  if (!need (pk, width))
    return FALSE;
  n = rd_le (pk->p, width);
  if (width == 4 && kind == ND_PV_STR)
    n = (guint32) n;
  pk->p += width;
  if (n > (guint64) (pk->end - pk->p))
    return _nd_pk_bad (pk, _("a string of %" PRIu64 " bytes runs past the end"), n);
  if (!_nd_pk_push (pk, make_str (pk, kind, pk->p, n)))
    return FALSE;
  pk->p += n;
  return TRUE;
}

static gboolean
op_long (NdPickle *pk, int width)
{
  guint64 n;

  if (!need (pk, width))
    return FALSE;
  n = rd_le (pk->p, width);
  pk->p += width;
  if (width == 4 && (n & 0x80000000u))
    return _nd_pk_bad (pk, _("negative LONG4 length"));
  if (n > (guint64) (pk->end - pk->p))
    return _nd_pk_bad (pk, _("an integer of %" PRIu64 " bytes runs past the end"), n);
  if (n > 8)
    {
      pk->p += n;
      return _nd_pk_push (pk, _nd_pk_make_opaque (pk, "int (too large)"));
    }
  {
    guint64 u = rd_le (pk->p, (int) n);
    gint64 v;

    if (n > 0 && n < 8 && (pk->p[n - 1] & 0x80))
      u |= ~G_GUINT64_CONSTANT (0) << (8 * n);   /* sign-extend */
    memcpy (&v, &u, 8);
    pk->p += n;
    return _nd_pk_push (pk, make_int (pk, v));
  }
}

static NdPickleValue *
make_global (NdPickle *pk, const char *module, const char *name)
{
  NdPickleValue *v = _nd_pk_new_value (pk, ND_PV_GLOBAL);

  if (v)
    v->s = g_strdup_printf ("%s.%s", module, name);
  return v;
}

static gboolean
op_setitems (NdPickle *pk, GPtrArray *items)
{
  NdPickleValue *d = _nd_pk_top (pk);

  if (d == NULL)
    return FALSE;
  if (items->len % 2 != 0)
    return _nd_pk_bad (pk, _("SETITEMS with an odd number of items"));
  if (d->kind == ND_PV_OPAQUE)
    return TRUE;   /* a dict subclass we do not know: its items are not needed */
  if (d->kind != ND_PV_DICT)
    return _nd_pk_bad (pk, _("SETITEM on a %s"), nd_pickle_kind_name (d));
  for (guint i = 0; i < items->len; i += 2)
    if (!_nd_pk_dict_set (pk, d, items->pdata[i], items->pdata[i + 1]))
      return FALSE;
  return TRUE;
}

static gboolean
op_appends (NdPickle *pk, GPtrArray *items)
{
  NdPickleValue *l = _nd_pk_top (pk);

  if (l == NULL)
    return FALSE;
  if (l->kind == ND_PV_OPAQUE)
    return TRUE;
  if (l->kind != ND_PV_LIST)
    return _nd_pk_bad (pk, _("APPEND on a %s"), nd_pickle_kind_name (l));
  for (guint i = 0; i < items->len; i++)
    if (!_nd_pk_add_child (pk, l, items->pdata[i]))
      return FALSE;
  return TRUE;
}

static NdPickleValue *
make_seq (NdPickle *pk, NdPickleKind kind, GPtrArray *items)
{
  NdPickleValue *v = _nd_pk_new_value (pk, kind);

  if (v == NULL)
    return NULL;
  for (guint i = 0; i < items->len; i++)
    if (!_nd_pk_add_child (pk, v, items->pdata[i]))
      return NULL;
  return v;
}

static gboolean
memo_put (NdPickle *pk, guint64 idx)
{
  NdPickleValue *v = _nd_pk_top (pk);

  if (v == NULL)
    return FALSE;
  if (g_hash_table_size (pk->memo) >= MAX_MEMO && !g_hash_table_contains (pk->memo,
                                                                          GSIZE_TO_POINTER (idx)))
    return _nd_pk_bad (pk, _("more than %u memo entries"), MAX_MEMO);
  g_hash_table_insert (pk->memo, GSIZE_TO_POINTER ((gsize) idx), v);
  return TRUE;
}

static gboolean
memo_get (NdPickle *pk, guint64 idx)
{
  NdPickleValue *v = g_hash_table_lookup (pk->memo, GSIZE_TO_POINTER ((gsize) idx));

  if (v == NULL)
    return _nd_pk_bad (pk, _("memo entry %" PRIu64 " was never stored"), idx);
  return _nd_pk_push (pk, v);
}

static gboolean
parse_line_int (NdPickle *pk, gint64 *out)
{
  g_autofree char *line = read_line (pk);
  g_autoptr(GError) err = NULL;
  gsize n;

  if (line == NULL)
    return FALSE;
  n = strlen (line);
  if (n > 0 && line[n - 1] == 'L')
    line[n - 1] = '\0';
  if (!g_ascii_string_to_signed (line, 10, G_MININT64, G_MAXINT64, out, &err))
    return _nd_pk_bad (pk, _("bad integer text “%.32s”"), line);
  return TRUE;
}

/* ---- one handler per opcode (or per family of opcodes that differ only in a width) ---- */

typedef gboolean (*OpHandler) (NdPickle *pk, guint8 op);

static gboolean
op_proto (NdPickle *pk, guint8 op)
{
  if (!need (pk, 1))
    return FALSE;
  if (*pk->p > 5)
    return _nd_pk_fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED, _("pickle protocol %u"), *pk->p);
  pk->p++;
  return TRUE;
}

static gboolean
op_frame (NdPickle *pk, guint8 op)
{
  if (!need (pk, 8))
    return FALSE;
  if (rd_le (pk->p, 8) > (guint64) (pk->end - pk->p - 8))
    return _nd_pk_bad (pk, _("a frame runs past the end"));
  pk->p += 8;
  return TRUE;
}

static gboolean
op_stop (NdPickle *pk, guint8 op)
{
  pk->root = _nd_pk_pop (pk);
  return FALSE;
}

static gboolean
op_mark (NdPickle *pk, guint8 op)
{
  int len = pk->stack->len;

  if (pk->marks->len >= MAX_MARKS)
    return _nd_pk_bad (pk, _("more than %d nested MARKs"), MAX_MARKS);
  g_array_append_val (pk->marks, len);
  return TRUE;
}

static gboolean
op_pop (NdPickle *pk, guint8 op)
{
  return _nd_pk_pop (pk) != NULL;
}

static gboolean
op_pop_mark (NdPickle *pk, guint8 op)
{
  GPtrArray *items = _nd_pk_pop_mark (pk);

  if (items == NULL)
    return FALSE;
  g_ptr_array_unref (items);
  return TRUE;
}

static gboolean
op_dup (NdPickle *pk, guint8 op)
{
  return _nd_pk_push (pk, _nd_pk_top (pk));
}

static gboolean
op_none (NdPickle *pk, guint8 op)
{
  return _nd_pk_push (pk, _nd_pk_new_value (pk, ND_PV_NONE));
}

/* NEWTRUE, NEWFALSE */
static gboolean
op_bool (NdPickle *pk, guint8 op)
{
  NdPickleValue *v = _nd_pk_new_value (pk, ND_PV_BOOL);

  if (v)
    v->i = op == 0x88;
  return _nd_pk_push (pk, v);
}

/* INT (text; "01"/"00" are True/False) */
static gboolean
op_int_text (NdPickle *pk, guint8 op)
{
  gint64 i;
  gboolean is_bool = pk->end - pk->p >= 3 && pk->p[0] == '0'
                     && (pk->p[1] == '0' || pk->p[1] == '1') && pk->p[2] == '\n';

  if (!parse_line_int (pk, &i))
    return FALSE;
  if (is_bool)
    {
      NdPickleValue *v = _nd_pk_new_value (pk, ND_PV_BOOL);

      if (v)
        v->i = i;
      return _nd_pk_push (pk, v);
    }
  return _nd_pk_push (pk, make_int (pk, i));
}

/* LONG (text) */
static gboolean
op_long_text (NdPickle *pk, guint8 op)
{
  gint64 i;

  if (!parse_line_int (pk, &i))
    return FALSE;
  return _nd_pk_push (pk, make_int (pk, i));
}

/* BININT (signed 4 bytes), BININT1, BININT2 (unsigned) */
static gboolean
op_binint (NdPickle *pk, guint8 op)
{
  int width = op == 'J' ? 4 : op == 'K' ? 1 : 2;
  guint64 u;

  if (!need (pk, width))
    return FALSE;
  u = rd_le (pk->p, width);
  pk->p += width;
  return _nd_pk_push (pk, make_int (pk, width == 4 ? (gint32) (guint32) u : (gint64) u));
}

/* LONG1, LONG4 */
static gboolean
op_long_bin (NdPickle *pk, guint8 op)
{
  return op_long (pk, op == 0x8a ? 1 : 4);
}

/* FLOAT (text) */
static gboolean
op_float_text (NdPickle *pk, guint8 op)
{
  g_autofree char *line = read_line (pk);
  NdPickleValue *v;
  char *endp;

  if (line == NULL)
    return FALSE;
  v = _nd_pk_new_value (pk, ND_PV_FLOAT);
  if (v == NULL)
    return FALSE;
  v->f = g_ascii_strtod (line, &endp);
  if (endp == line || *endp != '\0')
    return _nd_pk_bad (pk, _("bad float text"));
  return _nd_pk_push (pk, v);
}

/* BINFLOAT, big-endian */
static gboolean
op_binfloat (NdPickle *pk, guint8 op)
{
  NdPickleValue *v;
  guint64 u = 0;

  if (!need (pk, 8))
    return FALSE;
  for (int i = 0; i < 8; i++)
    u = (u << 8) | pk->p[i];
  pk->p += 8;
  v = _nd_pk_new_value (pk, ND_PV_FLOAT);
  if (v)
    memcpy (&v->f, &u, 8);
  return _nd_pk_push (pk, v);
}

/* STRING (text repr), UNICODE (raw-unicode-escape text) */
static gboolean
op_string_text (NdPickle *pk, guint8 op)
{
  g_autofree char *line = read_line (pk);
  gsize n;

  if (line == NULL)
    return FALSE;
  n = strlen (line);
  /* Kept as written (escapes not decoded): such strings are data, never keys we need. */
  if (op == 'S' && n >= 2 && (line[0] == '\'' || line[0] == '"') && line[n - 1] == line[0])
    return _nd_pk_push (pk, make_str (pk, ND_PV_STR, (const guint8 *) line + 1, n - 2));
  if (op == 'S')
    return _nd_pk_bad (pk, _("bad STRING text"));
  return _nd_pk_push (pk, make_str (pk, ND_PV_STR, (const guint8 *) line, n));
}

/* The length-prefixed strings and bytes: the width of the length and the kind by opcode. */
static gboolean
op_counted (NdPickle *pk, guint8 op)
{
  switch (op)
    {
    case 'T': /* BINSTRING */
    case 'X': /* BINUNICODE */
      return op_counted_str (pk, ND_PV_STR, 4);
    case 'U': /* SHORT_BINSTRING */
    case 0x8c: /* SHORT_BINUNICODE */
      return op_counted_str (pk, ND_PV_STR, 1);
    case 0x8d: /* BINUNICODE8 */
      return op_counted_str (pk, ND_PV_STR, 8);
    case 'B': /* BINBYTES */
      return op_counted_str (pk, ND_PV_BYTES, 4);
    case 'C': /* SHORT_BINBYTES */
      return op_counted_str (pk, ND_PV_BYTES, 1);
    default: /* BINBYTES8, BYTEARRAY8 */
      return op_counted_str (pk, ND_PV_BYTES, 8);
    }
}

/* EMPTY_LIST, EMPTY_SET (a list to us), EMPTY_TUPLE, EMPTY_DICT */
static gboolean
op_empty (NdPickle *pk, guint8 op)
{
  NdPickleKind kind = op == ')' ? ND_PV_TUPLE : op == '}' ? ND_PV_DICT : ND_PV_LIST;

  return _nd_pk_push (pk, _nd_pk_new_value (pk, kind));
}

static gboolean
op_append (NdPickle *pk, guint8 op)
{
  NdPickleValue *v = _nd_pk_pop (pk);
  g_autoptr(GPtrArray) one = g_ptr_array_new ();

  if (v == NULL)
    return FALSE;
  g_ptr_array_add (one, v);
  return op_appends (pk, one);
}

/* APPENDS, ADDITEMS */
static gboolean
op_appends_mark (NdPickle *pk, guint8 op)
{
  g_autoptr(GPtrArray) items = _nd_pk_pop_mark (pk);

  return items != NULL && op_appends (pk, items);
}

/* LIST, TUPLE, FROZENSET: the items since MARK */
static gboolean
op_seq (NdPickle *pk, guint8 op)
{
  g_autoptr(GPtrArray) items = _nd_pk_pop_mark (pk);

  return items != NULL
         && _nd_pk_push (pk, make_seq (pk, op == 't' ? ND_PV_TUPLE : ND_PV_LIST, items));
}

/* TUPLE1, TUPLE2, TUPLE3 */
static gboolean
op_tuple_n (NdPickle *pk, guint8 op)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  int n = op - 0x84;

  for (int i = 0; i < n; i++)
    {
      NdPickleValue *v = _nd_pk_pop (pk);

      if (v == NULL)
        return FALSE;
      g_ptr_array_insert (items, 0, v);
    }
  return _nd_pk_push (pk, make_seq (pk, ND_PV_TUPLE, items));
}

/* DICT: a dict of the key, value pairs since MARK */
static gboolean
op_dict (NdPickle *pk, guint8 op)
{
  g_autoptr(GPtrArray) items = _nd_pk_pop_mark (pk);
  NdPickleValue *d;

  if (items == NULL || (d = _nd_pk_new_value (pk, ND_PV_DICT)) == NULL || !_nd_pk_push (pk, d))
    return FALSE;
  return op_setitems (pk, items);
}

static gboolean
op_setitem (NdPickle *pk, guint8 op)
{
  NdPickleValue *v = _nd_pk_pop (pk), *k = v ? _nd_pk_pop (pk) : NULL;
  g_autoptr(GPtrArray) two = g_ptr_array_new ();

  if (k == NULL)
    return FALSE;
  g_ptr_array_add (two, k);
  g_ptr_array_add (two, v);
  return op_setitems (pk, two);
}

static gboolean
op_setitems_mark (NdPickle *pk, guint8 op)
{
  g_autoptr(GPtrArray) items = _nd_pk_pop_mark (pk);

  return items != NULL && op_setitems (pk, items);
}

/* GLOBAL, INST: a name we record and never resolve */
static gboolean
op_global (NdPickle *pk, guint8 op)
{
  g_autofree char *module = read_line (pk);
  g_autofree char *name = module ? read_line (pk) : NULL;
  g_autoptr(GPtrArray) items = NULL;
  NdPickleValue *g;

  if (name == NULL)
    return FALSE;
  if (!g_utf8_validate (module, -1, NULL) || !g_utf8_validate (name, -1, NULL))
    return _nd_pk_bad (pk, _("a global name is not valid UTF-8"));
  g = make_global (pk, module, name);
  if (op == 'c')
    return _nd_pk_push (pk, g);
  items = _nd_pk_pop_mark (pk);
  return g != NULL && items != NULL && _nd_pk_push (pk, _nd_pk_make_opaque (pk, g->s));
}

static gboolean
op_stack_global (NdPickle *pk, guint8 op)
{
  NdPickleValue *name = _nd_pk_pop (pk), *module = name ? _nd_pk_pop (pk) : NULL;

  if (module == NULL)
    return FALSE;
  if (module->kind != ND_PV_STR || name->kind != ND_PV_STR)
    return _nd_pk_bad (pk, _("STACK_GLOBAL needs two strings"));
  return _nd_pk_push (pk, make_global (pk, module->s, name->s));
}

/* OBJ: an instance of the class after MARK, kept opaque */
static gboolean
op_obj (NdPickle *pk, guint8 op)
{
  g_autoptr(GPtrArray) items = _nd_pk_pop_mark (pk);
  NdPickleValue *cls;

  if (items == NULL)
    return FALSE;
  if (items->len == 0)
    return _nd_pk_bad (pk, _("OBJ without a class"));
  cls = items->pdata[0];
  if (cls->kind != ND_PV_GLOBAL && cls->kind != ND_PV_OPAQUE)
    return _nd_pk_bad (pk, _("OBJ on a %s"), nd_pickle_kind_name (cls));
  return _nd_pk_push (pk, _nd_pk_make_opaque (pk, cls->s));
}

static gboolean
op_reduce (NdPickle *pk, guint8 op)
{
  return _nd_pk_reduce (pk);
}

/* NEWOBJ: cls, args; NEWOBJ_EX: cls, args, kwargs */
static gboolean
op_newobj (NdPickle *pk, guint8 op)
{
  NdPickleValue *kw = op == 0x92 ? _nd_pk_pop (pk) : NULL;
  NdPickleValue *args = (op == 0x81 || kw) ? _nd_pk_pop (pk) : NULL;
  NdPickleValue *cls = args ? _nd_pk_pop (pk) : NULL;

  if (cls == NULL)
    return FALSE;
  if (cls->kind != ND_PV_GLOBAL && cls->kind != ND_PV_OPAQUE)
    return _nd_pk_bad (pk, _("NEWOBJ on a %s"), nd_pickle_kind_name (cls));
  if (strcmp (cls->s, "collections.OrderedDict") == 0)
    return _nd_pk_push (pk, _nd_pk_new_value (pk, ND_PV_DICT));
  return _nd_pk_push (pk, _nd_pk_make_opaque (pk, cls->s));
}

/* BUILD: obj.__setstate__(state) — never called; kept as data of an opaque */
static gboolean
op_build (NdPickle *pk, guint8 op)
{
  NdPickleValue *state = _nd_pk_pop (pk), *obj = state ? _nd_pk_top (pk) : NULL;

  if (obj == NULL)
    return FALSE;
  if (obj->kind == ND_PV_OPAQUE)
    return _nd_pk_add_child (pk, obj, state);
  return TRUE;
}

/* PUT, GET (text index) */
static gboolean
op_memo_text (NdPickle *pk, guint8 op)
{
  gint64 idx;

  if (!parse_line_int (pk, &idx))
    return FALSE;
  if (idx < 0)
    return _nd_pk_bad (pk, _("negative memo index"));
  return op == 'p' ? memo_put (pk, idx) : memo_get (pk, idx);
}

/* BINPUT, BINGET (1 byte); LONG_BINPUT, LONG_BINGET (4 bytes) */
static gboolean
op_memo_bin (NdPickle *pk, guint8 op)
{
  int width = op == 'q' || op == 'h' ? 1 : 4;
  guint64 idx;

  if (!need (pk, width))
    return FALSE;
  idx = rd_le (pk->p, width);
  pk->p += width;
  return op == 'q' || op == 'r' ? memo_put (pk, idx) : memo_get (pk, idx);
}

static gboolean
op_memoize (NdPickle *pk, guint8 op)
{
  return memo_put (pk, g_hash_table_size (pk->memo));
}

static gboolean
op_binpersid (NdPickle *pk, guint8 op)
{
  NdPickleValue *pid = _nd_pk_pop (pk);

  return pid != NULL && _nd_pk_persid (pk, pid);
}

/* PERSID (text), EXT1/2/4 (the copyreg registry), NEXT_BUFFER, READONLY_BUFFER */
static gboolean
op_unsupported (NdPickle *pk, guint8 op)
{
  if (op == 'P')
    return _nd_pk_fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED,
                        _("text persistent ids are not supported"));
  if (op >= 0x82 && op <= 0x84)
    return _nd_pk_fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED,
                        _("extension-registry opcodes are not supported"));
  return _nd_pk_fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED, _("out-of-band buffers are not supported"));
}

static const OpHandler handlers[256] = {
  [0x80] = op_proto, [0x95] = op_frame, ['.'] = op_stop, ['('] = op_mark, ['0'] = op_pop,
  ['1'] = op_pop_mark, ['2'] = op_dup, ['N'] = op_none, [0x88] = op_bool, [0x89] = op_bool,
  ['I'] = op_int_text, ['L'] = op_long_text, ['J'] = op_binint, ['K'] = op_binint,
  ['M'] = op_binint, [0x8a] = op_long_bin, [0x8b] = op_long_bin, ['F'] = op_float_text,
  ['G'] = op_binfloat, ['S'] = op_string_text, ['V'] = op_string_text,
  ['T'] = op_counted, ['U'] = op_counted, ['X'] = op_counted, [0x8c] = op_counted,
  [0x8d] = op_counted, ['B'] = op_counted, ['C'] = op_counted, [0x8e] = op_counted,
  [0x96] = op_counted,
  [']'] = op_empty, [0x8f] = op_empty, [')'] = op_empty, ['}'] = op_empty,
  ['a'] = op_append, ['e'] = op_appends_mark, [0x90] = op_appends_mark,
  ['l'] = op_seq, ['t'] = op_seq, [0x91] = op_seq,
  [0x85] = op_tuple_n, [0x86] = op_tuple_n, [0x87] = op_tuple_n,
  ['d'] = op_dict, ['s'] = op_setitem, ['u'] = op_setitems_mark,
  ['c'] = op_global, ['i'] = op_global, [0x93] = op_stack_global, ['o'] = op_obj,
  ['R'] = op_reduce, [0x81] = op_newobj, [0x92] = op_newobj, ['b'] = op_build,
  ['p'] = op_memo_text, ['g'] = op_memo_text, ['q'] = op_memo_bin, ['h'] = op_memo_bin,
  ['r'] = op_memo_bin, ['j'] = op_memo_bin, [0x94] = op_memoize, ['Q'] = op_binpersid,
  ['P'] = op_unsupported, [0x82] = op_unsupported, [0x83] = op_unsupported,
  [0x84] = op_unsupported, [0x97] = op_unsupported, [0x98] = op_unsupported,
};

gboolean
_nd_pk_step (NdPickle *pk)
{
  guint8 op;

  if (!need (pk, 1))
    return FALSE;
  op = *pk->p++;
  if (handlers[op] == NULL)
    {
      pk->p--;
      return _nd_pk_bad (pk, _("unknown opcode 0x%02x"), op);
    }
  return handlers[op] (pk, op);
}
