/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-pickle.h"

/* Caps far above what a state dict needs (a ParNet-XL timm checkpoint with optimizer state
 * has a few thousand values) and far below what would exhaust memory. */
#define MAX_NESTING    256
#define MAX_MARKS      256
#define MAX_STACK      (1u << 20)
#define MAX_VALUES     (1u << 21)
#define MAX_MEMO       (1u << 20)
#define MAX_LINE       (1u << 16)

struct _NdPickle
{
  const guint8  *start, *p, *end;
  GPtrArray     *arena;    /* every value, freed together */
  GPtrArray     *stack;
  GArray        *marks;    /* int: stack length at each MARK */
  GHashTable    *memo;     /* index → value */
  NdPickleValue *root;
  GError        *error;
};

static void
value_free (gpointer p)
{
  NdPickleValue *v = p;

  g_free (v->s);
  g_free (v->key);
  g_free (v->location);
  g_free (v->storage_type);
  if (v->items != NULL)
    g_ptr_array_unref (v->items);
  if (v->index != NULL)
    g_hash_table_unref (v->index);
  g_free (v);
}

void
nd_pickle_free (NdPickle *pk)
{
  if (pk == NULL)
    return;
  g_clear_pointer (&pk->stack, g_ptr_array_unref);
  g_clear_pointer (&pk->marks, g_array_unref);
  g_clear_pointer (&pk->memo, g_hash_table_unref);
  g_clear_pointer (&pk->arena, g_ptr_array_unref);
  g_clear_error (&pk->error);
  g_free (pk);
}

NdPickleValue *
nd_pickle_root (NdPickle *pk)
{
  return pk->root;
}

static gboolean
fail (NdPickle *pk, NdRuntimeError code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (NdPickle *pk, NdRuntimeError code, const char *fmt, ...)
{
  g_autofree char *detail = NULL;
  va_list ap;

  if (pk->error != NULL)
    return FALSE;
  va_start (ap, fmt);
  detail = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (&pk->error, ND_RUNTIME_ERROR, code, _("data.pkl at byte %" G_GSIZE_FORMAT ": %s"),
               (gsize) (pk->p - pk->start), detail);
  return FALSE;
}

#define BAD(pk, ...) fail ((pk), ND_RUNTIME_ERROR_BAD_FILE, __VA_ARGS__)

static NdPickleValue *
new_value (NdPickle *pk, NdPickleKind kind)
{
  NdPickleValue *v;

  if (pk->arena->len >= MAX_VALUES)
    {
      BAD (pk, _("more than %u objects"), MAX_VALUES);
      return NULL;
    }
  v = g_new0 (NdPickleValue, 1);
  v->kind = kind;
  if (kind == ND_PV_LIST || kind == ND_PV_TUPLE || kind == ND_PV_DICT || kind == ND_PV_OPAQUE)
    v->items = g_ptr_array_new ();
  if (kind == ND_PV_DICT)
    v->index = g_hash_table_new (g_str_hash, g_str_equal);
  g_ptr_array_add (pk->arena, v);
  return v;
}

static gboolean
push (NdPickle *pk, NdPickleValue *v)
{
  if (v == NULL)
    return FALSE;
  if (pk->stack->len >= MAX_STACK)
    return BAD (pk, _("the stack grows past %u items"), MAX_STACK);
  g_ptr_array_add (pk->stack, v);
  return TRUE;
}

static int
current_mark (NdPickle *pk)
{
  return pk->marks->len ? g_array_index (pk->marks, int, pk->marks->len - 1) : 0;
}

static NdPickleValue *
pop (NdPickle *pk)
{
  if (pk->stack->len == 0 || (int) pk->stack->len <= current_mark (pk))
    {
      BAD (pk, _("stack underflow"));
      return NULL;
    }
  return g_ptr_array_steal_index (pk->stack, pk->stack->len - 1);
}

static NdPickleValue *
top (NdPickle *pk)
{
  if (pk->stack->len == 0 || (int) pk->stack->len <= current_mark (pk))
    {
      BAD (pk, _("stack underflow"));
      return NULL;
    }
  return g_ptr_array_index (pk->stack, pk->stack->len - 1);
}

/* Removes the items above the last MARK and the mark; returns them (transfer container). */
static GPtrArray *
pop_mark (NdPickle *pk)
{
  GPtrArray *items;
  int mark;

  if (pk->marks->len == 0)
    {
      BAD (pk, _("no MARK on the stack"));
      return NULL;
    }
  mark = current_mark (pk);
  g_array_set_size (pk->marks, pk->marks->len - 1);
  items = g_ptr_array_new ();
  for (guint i = mark; i < pk->stack->len; i++)
    g_ptr_array_add (items, pk->stack->pdata[i]);
  g_ptr_array_set_size (pk->stack, mark);
  return items;
}

static gboolean
add_child (NdPickle *pk, NdPickleValue *c, NdPickleValue *child)
{
  if (child->depth + 1 > c->depth)
    c->depth = child->depth + 1;
  if (c->depth > MAX_NESTING)
    return BAD (pk, _("objects nest deeper than %d levels"), MAX_NESTING);
  g_ptr_array_add (c->items, child);
  return TRUE;
}

static gboolean
dict_set (NdPickle *pk, NdPickleValue *d, NdPickleValue *k, NdPickleValue *v)
{
  if (k->kind == ND_PV_STR)
    {
      guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (d->index, k->s));

      if (idx != 0)
        {
          /* a repeated key replaces the value, as in Python */
          if (v->depth + 1 > d->depth)
            d->depth = v->depth + 1;
          if (d->depth > MAX_NESTING)
            return BAD (pk, _("objects nest deeper than %d levels"), MAX_NESTING);
          d->items->pdata[2 * (idx - 1) + 1] = v;
          return TRUE;
        }
    }
  if (!add_child (pk, d, k) || !add_child (pk, d, v))
    return FALSE;
  if (k->kind == ND_PV_STR)
    g_hash_table_insert (d->index, k->s, GUINT_TO_POINTER (d->items->len / 2));
  return TRUE;
}

/* ---- reading the opcode stream ---- */

static gboolean
need (NdPickle *pk, gsize n)
{
  if ((gsize) (pk->end - pk->p) < n)
    return BAD (pk, _("truncated (needs %" G_GSIZE_FORMAT " more bytes)"), n);
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
      BAD (pk, _("unterminated text argument"));
      return NULL;
    }
  s = g_strndup ((const char *) pk->p, nl - pk->p);
  pk->p = nl + 1;
  return s;
}

static NdPickleValue *
make_int (NdPickle *pk, gint64 i)
{
  NdPickleValue *v = new_value (pk, ND_PV_INT);

  if (v)
    v->i = i;
  return v;
}

static NdPickleValue *
make_opaque (NdPickle *pk, const char *what)
{
  NdPickleValue *v = new_value (pk, ND_PV_OPAQUE);

  if (v)
    v->s = g_strdup (what);
  return v;
}

static NdPickleValue *
make_str (NdPickle *pk, NdPickleKind kind, const guint8 *p, gsize n)
{
  NdPickleValue *v;

  if (kind == ND_PV_STR && !g_utf8_validate_len ((const char *) p, n, NULL))
    {
      BAD (pk, _("a string is not valid UTF-8"));
      return NULL;
    }
  v = new_value (pk, kind);
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
    return BAD (pk, _("a string of %" G_GUINT64_FORMAT " bytes runs past the end"), n);
  if (!push (pk, make_str (pk, kind, pk->p, n)))
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
    return BAD (pk, _("negative LONG4 length"));
  if (n > (guint64) (pk->end - pk->p))
    return BAD (pk, _("an integer of %" G_GUINT64_FORMAT " bytes runs past the end"), n);
  if (n > 8)
    {
      pk->p += n;
      return push (pk, make_opaque (pk, "int (too large)"));
    }
  {
    guint64 u = rd_le (pk->p, (int) n);
    gint64 v;

    if (n > 0 && n < 8 && (pk->p[n - 1] & 0x80))
      u |= ~G_GUINT64_CONSTANT (0) << (8 * n);   /* sign-extend */
    memcpy (&v, &u, 8);
    pk->p += n;
    return push (pk, make_int (pk, v));
  }
}

static NdPickleValue *
make_global (NdPickle *pk, const char *module, const char *name)
{
  NdPickleValue *v = new_value (pk, ND_PV_GLOBAL);

  if (v)
    v->s = g_strdup_printf ("%s.%s", module, name);
  return v;
}

static gboolean
storage_dtype (const char *type, NdDtype *dtype)
{
  static const struct { const char *name; NdDtype dtype; } map[] = {
    { "torch.FloatStorage", ND_DTYPE_F32 },
    { "torch.HalfStorage", ND_DTYPE_F16 },
    { "torch.BFloat16Storage", ND_DTYPE_BF16 },
    { "torch.DoubleStorage", ND_DTYPE_F64 },
    { "torch.LongStorage", ND_DTYPE_I64 },
    { "torch.IntStorage", ND_DTYPE_I32 },
    { "torch.ByteStorage", ND_DTYPE_U8 },
    { "torch.BoolStorage", ND_DTYPE_U8 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (strcmp (type, map[i].name) == 0)
      {
        *dtype = map[i].dtype;
        return TRUE;
      }
  return FALSE;
}

/* ('storage', storage_type, key, location, numel) → a STORAGE reference. */
static gboolean
op_persid (NdPickle *pk, NdPickleValue *pid)
{
  NdPickleValue *v, **it;

  if (pid->kind != ND_PV_TUPLE || pid->items->len != 5)
    return fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED,
                 _("unsupported persistent id (not a 5-tuple storage reference)"));
  it = (NdPickleValue **) pid->items->pdata;
  if (it[0]->kind != ND_PV_STR || strcmp (it[0]->s, "storage") != 0
      || it[1]->kind != ND_PV_GLOBAL || it[2]->kind != ND_PV_STR || it[3]->kind != ND_PV_STR
      || it[4]->kind != ND_PV_INT || it[4]->i < 0)
    return BAD (pk, _("malformed storage reference"));
  if (it[2]->len == 0 || it[2]->len > 256 || strlen (it[2]->s) != it[2]->len)
    return BAD (pk, _("malformed storage key"));
  v = new_value (pk, ND_PV_STORAGE);
  if (v == NULL)
    return FALSE;
  v->storage_type = g_strdup (it[1]->s);
  v->dtype_known = storage_dtype (v->storage_type, &v->dtype);
  v->key = g_strdup (it[2]->s);
  v->location = g_strdup (it[3]->s);
  v->numel = it[4]->i;
  return push (pk, v);
}

static gboolean
int_tuple (const NdPickleValue *t, gint64 *out, int *n)
{
  if (t->kind != ND_PV_TUPLE || t->items->len > ND_MAX_DIMS)
    return FALSE;
  for (guint i = 0; i < t->items->len; i++)
    {
      const NdPickleValue *x = t->items->pdata[i];

      if (x->kind != ND_PV_INT || x->i < 0 || x->i > ND_TENSOR_MAX_ELEMENTS)
        return FALSE;
      out[i] = x->i;
    }
  *n = t->items->len;
  return TRUE;
}

/* torch._utils._rebuild_tensor_v2 (storage, offset, size, stride, requires_grad, hooks[, meta])
 * and _rebuild_tensor (storage, offset, size, stride). */
static NdPickleValue *
rebuild_tensor (NdPickle *pk, NdPickleValue *args, gboolean v2)
{
  NdPickleValue **a = (NdPickleValue **) args->items->pdata, *t;
  int ns, nt;
  guint64 numel = 1, last = 0;

  if (args->items->len < 4 || (v2 && args->items->len < 6) || args->items->len > 7)
    {
      BAD (pk, _("tensor rebuild with %u arguments"), args->items->len);
      return NULL;
    }
  if (a[0]->kind != ND_PV_STORAGE || a[1]->kind != ND_PV_INT || a[1]->i < 0
      || a[1]->i > ND_TENSOR_MAX_ELEMENTS)
    {
      BAD (pk, _("tensor rebuild without a storage and offset"));
      return NULL;
    }
  t = new_value (pk, ND_PV_TENSOR);
  if (t == NULL)
    return NULL;
  if (!int_tuple (a[2], t->size, &ns) || !int_tuple (a[3], t->stride, &nt) || ns != nt)
    {
      BAD (pk, _("tensor size/stride are not matching tuples of at most %d integers in "
                 "[0, 2^34]"), ND_MAX_DIMS);
      return NULL;
    }
  t->storage = a[0];
  t->offset = a[1]->i;
  t->ndim = ns;
  for (int i = 0; i < ns; i++)
    {
      if (!g_uint64_checked_mul (&numel, numel, (guint64) t->size[i])
          || numel > (guint64) ND_TENSOR_MAX_ELEMENTS)
        {
          BAD (pk, _("a tensor has too many elements"));
          return NULL;
        }
      guint64 reach = 0;

      if (t->size[i] > 0
          && !g_uint64_checked_mul (&reach, (guint64) (t->size[i] - 1), (guint64) t->stride[i]))
        reach = G_MAXUINT64;
      if (reach > (guint64) ND_TENSOR_MAX_ELEMENTS * 4
          || (last += reach) > (guint64) ND_TENSOR_MAX_ELEMENTS * 4)
        {
          BAD (pk, _("a tensor's strides reach too far"));
          return NULL;
        }
    }
  /* The tensor must lie inside its storage (checked again against the zip entry on load). */
  if (numel > 0 && (guint64) t->offset + last >= (guint64) a[0]->numel)
    {
      BAD (pk, _("a tensor reaches element %" G_GUINT64_FORMAT " of a storage of %"
                 G_GINT64_FORMAT), (guint64) t->offset + last, a[0]->numel);
      return NULL;
    }
  /* Without this, stride 0 over a one-element storage decodes to gigabytes from a few hundred
   * bytes of file: a view may not hold more elements than its storage. */
  if (numel > (guint64) a[0]->numel)
    {
      BAD (pk, _("a tensor of %" G_GUINT64_FORMAT " elements over a storage of %" G_GINT64_FORMAT
                 " (an expanding view, e.g. stride 0, is refused)"), numel, a[0]->numel);
      return NULL;
    }
  t->numel = (gint64) numel;
  return t;
}

static gboolean
op_reduce (NdPickle *pk)
{
  NdPickleValue *args = pop (pk), *fn = args ? pop (pk) : NULL, *r;

  if (fn == NULL)
    return FALSE;
  if (args->kind != ND_PV_TUPLE)
    return BAD (pk, _("REDUCE arguments are not a tuple"));
  if (fn->kind == ND_PV_OPAQUE)
    return push (pk, make_opaque (pk, fn->s));
  if (fn->kind != ND_PV_GLOBAL)
    return BAD (pk, _("REDUCE on a %s"), nd_pickle_kind_name (fn));

  if (strcmp (fn->s, "torch._utils._rebuild_tensor_v2") == 0)
    return push (pk, rebuild_tensor (pk, args, TRUE));
  if (strcmp (fn->s, "torch._utils._rebuild_tensor") == 0)
    return push (pk, rebuild_tensor (pk, args, FALSE));
  if (strcmp (fn->s, "torch._utils._rebuild_parameter") == 0
      || strcmp (fn->s, "torch._utils._rebuild_parameter_with_state") == 0)
    {
      if (args->items->len < 1 || ((NdPickleValue *) args->items->pdata[0])->kind != ND_PV_TENSOR)
        return BAD (pk, _("parameter rebuild without a tensor"));
      return push (pk, args->items->pdata[0]);
    }
  if ((strcmp (fn->s, "collections.OrderedDict") == 0 || strcmp (fn->s, "builtins.dict") == 0
       || strcmp (fn->s, "__builtin__.dict") == 0) && args->items->len == 0)
    return push (pk, new_value (pk, ND_PV_DICT));

  /* Anything else is a name we never resolve: the "call" is data. */
  r = make_opaque (pk, fn->s);
  if (r == NULL || !add_child (pk, r, args))
    return FALSE;
  return push (pk, r);
}

static gboolean
op_setitems (NdPickle *pk, GPtrArray *items)
{
  NdPickleValue *d = top (pk);

  if (d == NULL)
    return FALSE;
  if (items->len % 2 != 0)
    return BAD (pk, _("SETITEMS with an odd number of items"));
  if (d->kind == ND_PV_OPAQUE)
    return TRUE;   /* a dict subclass we do not know: its items are not needed */
  if (d->kind != ND_PV_DICT)
    return BAD (pk, _("SETITEM on a %s"), nd_pickle_kind_name (d));
  for (guint i = 0; i < items->len; i += 2)
    if (!dict_set (pk, d, items->pdata[i], items->pdata[i + 1]))
      return FALSE;
  return TRUE;
}

static gboolean
op_appends (NdPickle *pk, GPtrArray *items)
{
  NdPickleValue *l = top (pk);

  if (l == NULL)
    return FALSE;
  if (l->kind == ND_PV_OPAQUE)
    return TRUE;
  if (l->kind != ND_PV_LIST)
    return BAD (pk, _("APPEND on a %s"), nd_pickle_kind_name (l));
  for (guint i = 0; i < items->len; i++)
    if (!add_child (pk, l, items->pdata[i]))
      return FALSE;
  return TRUE;
}

static NdPickleValue *
make_seq (NdPickle *pk, NdPickleKind kind, GPtrArray *items)
{
  NdPickleValue *v = new_value (pk, kind);

  if (v == NULL)
    return NULL;
  for (guint i = 0; i < items->len; i++)
    if (!add_child (pk, v, items->pdata[i]))
      return NULL;
  return v;
}

static gboolean
memo_put (NdPickle *pk, guint64 idx)
{
  NdPickleValue *v = top (pk);

  if (v == NULL)
    return FALSE;
  if (g_hash_table_size (pk->memo) >= MAX_MEMO && !g_hash_table_contains (pk->memo,
                                                                          GSIZE_TO_POINTER (idx)))
    return BAD (pk, _("more than %u memo entries"), MAX_MEMO);
  g_hash_table_insert (pk->memo, GSIZE_TO_POINTER ((gsize) idx), v);
  return TRUE;
}

static gboolean
memo_get (NdPickle *pk, guint64 idx)
{
  NdPickleValue *v = g_hash_table_lookup (pk->memo, GSIZE_TO_POINTER ((gsize) idx));

  if (v == NULL)
    return BAD (pk, _("memo entry %" G_GUINT64_FORMAT " was never stored"), idx);
  return push (pk, v);
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
    return BAD (pk, _("bad integer text “%.32s”"), line);
  return TRUE;
}

static gboolean
step (NdPickle *pk)
{
  guint8 op;

  if (!need (pk, 1))
    return FALSE;
  op = *pk->p++;
  switch (op)
    {
    case 0x80: /* PROTO */
      if (!need (pk, 1))
        return FALSE;
      if (*pk->p > 5)
        return fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED, _("pickle protocol %u"), *pk->p);
      pk->p++;
      return TRUE;
    case 0x95: /* FRAME */
      if (!need (pk, 8))
        return FALSE;
      if (rd_le (pk->p, 8) > (guint64) (pk->end - pk->p - 8))
        return BAD (pk, _("a frame runs past the end"));
      pk->p += 8;
      return TRUE;
    case '.': /* STOP */
      pk->root = pop (pk);
      return FALSE;
    case '(': /* MARK */
      {
        int len = pk->stack->len;

        if (pk->marks->len >= MAX_MARKS)
          return BAD (pk, _("more than %d nested MARKs"), MAX_MARKS);
        g_array_append_val (pk->marks, len);
        return TRUE;
      }
    case '0': /* POP */
      return pop (pk) != NULL;
    case '1': /* POP_MARK */
      {
        GPtrArray *items = pop_mark (pk);

        if (items == NULL)
          return FALSE;
        g_ptr_array_unref (items);
        return TRUE;
      }
    case '2': /* DUP */
      return push (pk, top (pk));
    case 'N':
      return push (pk, new_value (pk, ND_PV_NONE));
    case 0x88: /* NEWTRUE */
    case 0x89: /* NEWFALSE */
      {
        NdPickleValue *v = new_value (pk, ND_PV_BOOL);

        if (v)
          v->i = op == 0x88;
        return push (pk, v);
      }
    case 'I': /* INT (text; "01"/"00" are True/False) */
      {
        gint64 i;
        gboolean is_bool = pk->end - pk->p >= 3 && pk->p[0] == '0'
                           && (pk->p[1] == '0' || pk->p[1] == '1') && pk->p[2] == '\n';

        if (!parse_line_int (pk, &i))
          return FALSE;
        if (is_bool)
          {
            NdPickleValue *v = new_value (pk, ND_PV_BOOL);

            if (v)
              v->i = i;
            return push (pk, v);
          }
        return push (pk, make_int (pk, i));
      }
    case 'L': /* LONG (text) */
      {
        gint64 i;

        if (!parse_line_int (pk, &i))
          return FALSE;
        return push (pk, make_int (pk, i));
      }
    case 'J': /* BININT */
      if (!need (pk, 4))
        return FALSE;
      pk->p += 4;
      return push (pk, make_int (pk, (gint32) (guint32) rd_le (pk->p - 4, 4)));
    case 'K': /* BININT1 */
      if (!need (pk, 1))
        return FALSE;
      pk->p += 1;
      return push (pk, make_int (pk, pk->p[-1]));
    case 'M': /* BININT2 */
      if (!need (pk, 2))
        return FALSE;
      pk->p += 2;
      return push (pk, make_int (pk, (gint64) rd_le (pk->p - 2, 2)));
    case 0x8a: /* LONG1 */
      return op_long (pk, 1);
    case 0x8b: /* LONG4 */
      return op_long (pk, 4);
    case 'F': /* FLOAT (text) */
      {
        g_autofree char *line = read_line (pk);
        NdPickleValue *v;
        char *endp;

        if (line == NULL)
          return FALSE;
        v = new_value (pk, ND_PV_FLOAT);
        if (v == NULL)
          return FALSE;
        v->f = g_ascii_strtod (line, &endp);
        if (endp == line || *endp != '\0')
          return BAD (pk, _("bad float text"));
        return push (pk, v);
      }
    case 'G': /* BINFLOAT, big-endian */
      {
        NdPickleValue *v;
        guint64 u = 0;

        if (!need (pk, 8))
          return FALSE;
        for (int i = 0; i < 8; i++)
          u = (u << 8) | pk->p[i];
        pk->p += 8;
        v = new_value (pk, ND_PV_FLOAT);
        if (v)
          memcpy (&v->f, &u, 8);
        return push (pk, v);
      }
    case 'S': /* STRING (text repr) */
    case 'V': /* UNICODE (raw-unicode-escape text) */
      {
        g_autofree char *line = read_line (pk);
        gsize n;

        if (line == NULL)
          return FALSE;
        n = strlen (line);
        /* Kept as written (escapes not decoded): such strings are data, never keys we need. */
        if (op == 'S' && n >= 2 && (line[0] == '\'' || line[0] == '"') && line[n - 1] == line[0])
          return push (pk, make_str (pk, ND_PV_STR, (const guint8 *) line + 1, n - 2));
        if (op == 'S')
          return BAD (pk, _("bad STRING text"));
        return push (pk, make_str (pk, ND_PV_STR, (const guint8 *) line, n));
      }
    case 'T': /* BINSTRING */
      return op_counted_str (pk, ND_PV_STR, 4);
    case 'U': /* SHORT_BINSTRING */
      return op_counted_str (pk, ND_PV_STR, 1);
    case 'X': /* BINUNICODE */
      return op_counted_str (pk, ND_PV_STR, 4);
    case 0x8c: /* SHORT_BINUNICODE */
      return op_counted_str (pk, ND_PV_STR, 1);
    case 0x8d: /* BINUNICODE8 */
      return op_counted_str (pk, ND_PV_STR, 8);
    case 'B': /* BINBYTES */
      return op_counted_str (pk, ND_PV_BYTES, 4);
    case 'C': /* SHORT_BINBYTES */
      return op_counted_str (pk, ND_PV_BYTES, 1);
    case 0x8e: /* BINBYTES8 */
    case 0x96: /* BYTEARRAY8 */
      return op_counted_str (pk, ND_PV_BYTES, 8);
    case ']': /* EMPTY_LIST */
    case 0x8f: /* EMPTY_SET */
      return push (pk, new_value (pk, ND_PV_LIST));
    case ')': /* EMPTY_TUPLE */
      return push (pk, new_value (pk, ND_PV_TUPLE));
    case '}': /* EMPTY_DICT */
      return push (pk, new_value (pk, ND_PV_DICT));
    case 'a': /* APPEND */
      {
        NdPickleValue *v = pop (pk);
        g_autoptr(GPtrArray) one = g_ptr_array_new ();

        if (v == NULL)
          return FALSE;
        g_ptr_array_add (one, v);
        return op_appends (pk, one);
      }
    case 'e': /* APPENDS */
    case 0x90: /* ADDITEMS */
      {
        g_autoptr(GPtrArray) items = pop_mark (pk);

        return items != NULL && op_appends (pk, items);
      }
    case 'l': /* LIST */
    case 't': /* TUPLE */
    case 0x91: /* FROZENSET */
      {
        g_autoptr(GPtrArray) items = pop_mark (pk);

        return items != NULL
               && push (pk, make_seq (pk, op == 't' ? ND_PV_TUPLE : ND_PV_LIST, items));
      }
    case 0x85: /* TUPLE1 */
    case 0x86: /* TUPLE2 */
    case 0x87: /* TUPLE3 */
      {
        g_autoptr(GPtrArray) items = g_ptr_array_new ();
        int n = op - 0x84;

        for (int i = 0; i < n; i++)
          {
            NdPickleValue *v = pop (pk);

            if (v == NULL)
              return FALSE;
            g_ptr_array_insert (items, 0, v);
          }
        return push (pk, make_seq (pk, ND_PV_TUPLE, items));
      }
    case 'd': /* DICT */
      {
        g_autoptr(GPtrArray) items = pop_mark (pk);
        NdPickleValue *d;

        if (items == NULL || (d = new_value (pk, ND_PV_DICT)) == NULL || !push (pk, d))
          return FALSE;
        return op_setitems (pk, items);
      }
    case 's': /* SETITEM */
      {
        NdPickleValue *v = pop (pk), *k = v ? pop (pk) : NULL;
        g_autoptr(GPtrArray) two = g_ptr_array_new ();

        if (k == NULL)
          return FALSE;
        g_ptr_array_add (two, k);
        g_ptr_array_add (two, v);
        return op_setitems (pk, two);
      }
    case 'u': /* SETITEMS */
      {
        g_autoptr(GPtrArray) items = pop_mark (pk);

        return items != NULL && op_setitems (pk, items);
      }
    case 'c': /* GLOBAL */
    case 'i': /* INST */
      {
        g_autofree char *module = read_line (pk);
        g_autofree char *name = module ? read_line (pk) : NULL;
        NdPickleValue *g;

        if (name == NULL)
          return FALSE;
        if (!g_utf8_validate (module, -1, NULL) || !g_utf8_validate (name, -1, NULL))
          return BAD (pk, _("a global name is not valid UTF-8"));
        g = make_global (pk, module, name);
        if (op == 'c')
          return push (pk, g);
        {
          g_autoptr(GPtrArray) items = pop_mark (pk);

          return g != NULL && items != NULL && push (pk, make_opaque (pk, g->s));
        }
      }
    case 0x93: /* STACK_GLOBAL */
      {
        NdPickleValue *name = pop (pk), *module = name ? pop (pk) : NULL;

        if (module == NULL)
          return FALSE;
        if (module->kind != ND_PV_STR || name->kind != ND_PV_STR)
          return BAD (pk, _("STACK_GLOBAL needs two strings"));
        return push (pk, make_global (pk, module->s, name->s));
      }
    case 'o': /* OBJ */
      {
        g_autoptr(GPtrArray) items = pop_mark (pk);
        NdPickleValue *cls;

        if (items == NULL)
          return FALSE;
        if (items->len == 0)
          return BAD (pk, _("OBJ without a class"));
        cls = items->pdata[0];
        if (cls->kind != ND_PV_GLOBAL && cls->kind != ND_PV_OPAQUE)
          return BAD (pk, _("OBJ on a %s"), nd_pickle_kind_name (cls));
        return push (pk, make_opaque (pk, cls->s));
      }
    case 'R': /* REDUCE */
      return op_reduce (pk);
    case 0x81: /* NEWOBJ: cls, args */
    case 0x92: /* NEWOBJ_EX: cls, args, kwargs */
      {
        NdPickleValue *kw = op == 0x92 ? pop (pk) : NULL;
        NdPickleValue *args = (op == 0x81 || kw) ? pop (pk) : NULL;
        NdPickleValue *cls = args ? pop (pk) : NULL;

        if (cls == NULL)
          return FALSE;
        if (cls->kind != ND_PV_GLOBAL && cls->kind != ND_PV_OPAQUE)
          return BAD (pk, _("NEWOBJ on a %s"), nd_pickle_kind_name (cls));
        if (strcmp (cls->s, "collections.OrderedDict") == 0)
          return push (pk, new_value (pk, ND_PV_DICT));
        return push (pk, make_opaque (pk, cls->s));
      }
    case 'b': /* BUILD: obj.__setstate__(state) — never called; kept as data of an opaque */
      {
        NdPickleValue *state = pop (pk), *obj = state ? top (pk) : NULL;

        if (obj == NULL)
          return FALSE;
        if (obj->kind == ND_PV_OPAQUE)
          return add_child (pk, obj, state);
        return TRUE;
      }
    case 'p': /* PUT */
    case 'g': /* GET */
      {
        gint64 idx;

        if (!parse_line_int (pk, &idx))
          return FALSE;
        if (idx < 0)
          return BAD (pk, _("negative memo index"));
        return op == 'p' ? memo_put (pk, idx) : memo_get (pk, idx);
      }
    case 'q': /* BINPUT */
    case 'h': /* BINGET */
      if (!need (pk, 1))
        return FALSE;
      pk->p++;
      return op == 'q' ? memo_put (pk, pk->p[-1]) : memo_get (pk, pk->p[-1]);
    case 'r': /* LONG_BINPUT */
    case 'j': /* LONG_BINGET */
      if (!need (pk, 4))
        return FALSE;
      pk->p += 4;
      return op == 'r' ? memo_put (pk, rd_le (pk->p - 4, 4)) : memo_get (pk, rd_le (pk->p - 4, 4));
    case 0x94: /* MEMOIZE */
      return memo_put (pk, g_hash_table_size (pk->memo));
    case 'Q': /* BINPERSID */
      {
        NdPickleValue *pid = pop (pk);

        return pid != NULL && op_persid (pk, pid);
      }
    case 'P': /* PERSID (text) */
      return fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED, _("text persistent ids are not supported"));
    case 0x82: case 0x83: case 0x84: /* EXT1/2/4: the copyreg extension registry */
      return fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED, _("extension-registry opcodes are not "
                                                       "supported"));
    case 0x97: case 0x98: /* NEXT_BUFFER, READONLY_BUFFER */
      return fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED, _("out-of-band buffers are not supported"));
    default:
      pk->p--;
      return BAD (pk, _("unknown opcode 0x%02x"), op);
    }
}

NdPickle *
nd_pickle_load (const guint8 *data, gsize size, GError **error)
{
  g_autoptr(NdPickle) pk = g_new0 (NdPickle, 1);

  pk->start = pk->p = data;
  pk->end = data + size;
  pk->arena = g_ptr_array_new_with_free_func (value_free);
  pk->stack = g_ptr_array_new ();
  pk->marks = g_array_new (FALSE, FALSE, sizeof (int));
  pk->memo = g_hash_table_new (g_direct_hash, g_direct_equal);

  while (step (pk))
    ;
  if (pk->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&pk->error));
      return NULL;
    }
  if (pk->root == NULL)
    {
      BAD (pk, _("no result"));
      g_propagate_error (error, g_steal_pointer (&pk->error));
      return NULL;
    }
  return g_steal_pointer (&pk);
}

guint
nd_pickle_dict_size (const NdPickleValue *dict)
{
  return dict->kind == ND_PV_DICT ? dict->items->len / 2 : 0;
}

NdPickleValue *
nd_pickle_dict_key (const NdPickleValue *dict, guint i)
{
  return dict->items->pdata[2 * i];
}

NdPickleValue *
nd_pickle_dict_value (const NdPickleValue *dict, guint i)
{
  return dict->items->pdata[2 * i + 1];
}

NdPickleValue *
nd_pickle_dict_lookup (const NdPickleValue *dict, const char *key)
{
  guint idx;

  if (dict->kind != ND_PV_DICT)
    return NULL;
  idx = GPOINTER_TO_UINT (g_hash_table_lookup (dict->index, key));
  return idx == 0 ? NULL : dict->items->pdata[2 * (idx - 1) + 1];
}

const char *
nd_pickle_kind_name (const NdPickleValue *v)
{
  static const char *names[] = { "None", "bool", "int", "float", "str", "bytes", "list",
                                 "tuple", "dict", "global", "object", "storage", "tensor" };

  return v->kind < G_N_ELEMENTS (names) ? names[v->kind] : "?";
}
