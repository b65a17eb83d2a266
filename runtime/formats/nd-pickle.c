/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-pickle.h"
#include "nd-pickle-private.h"

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

gboolean
_nd_pk_fail (NdPickle *pk, NdRuntimeError code, const char *fmt, ...)
{
  g_autofree char *detail = NULL;
  va_list ap;

  if (pk->error != NULL)
    return FALSE;
  va_start (ap, fmt);
  detail = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (&pk->error, ND_RUNTIME_ERROR, code, _("data.pkl at byte %zu: %s"),
               (gsize) (pk->p - pk->start), detail);
  return FALSE;
}

NdPickleValue *
_nd_pk_new_value (NdPickle *pk, NdPickleKind kind)
{
  NdPickleValue *v;

  if (pk->arena->len >= MAX_VALUES)
    {
      _nd_pk_bad (pk, _("more than %u objects"), MAX_VALUES);
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

gboolean
_nd_pk_push (NdPickle *pk, NdPickleValue *v)
{
  if (v == NULL)
    return FALSE;
  if (pk->stack->len >= MAX_STACK)
    return _nd_pk_bad (pk, _("the stack grows past %u items"), MAX_STACK);
  g_ptr_array_add (pk->stack, v);
  return TRUE;
}

static int
current_mark (NdPickle *pk)
{
  return pk->marks->len ? g_array_index (pk->marks, int, pk->marks->len - 1) : 0;
}

NdPickleValue *
_nd_pk_pop (NdPickle *pk)
{
  if (pk->stack->len == 0 || (int) pk->stack->len <= current_mark (pk))
    {
      _nd_pk_bad (pk, _("stack underflow"));
      return NULL;
    }
  return g_ptr_array_steal_index (pk->stack, pk->stack->len - 1);
}

NdPickleValue *
_nd_pk_top (NdPickle *pk)
{
  if (pk->stack->len == 0 || (int) pk->stack->len <= current_mark (pk))
    {
      _nd_pk_bad (pk, _("stack underflow"));
      return NULL;
    }
  return g_ptr_array_index (pk->stack, pk->stack->len - 1);
}

/* Removes the items above the last MARK and the mark; returns them (transfer container). */
GPtrArray *
_nd_pk_pop_mark (NdPickle *pk)
{
  GPtrArray *items;
  int mark;

  if (pk->marks->len == 0)
    {
      _nd_pk_bad (pk, _("no MARK on the stack"));
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

gboolean
_nd_pk_add_child (NdPickle *pk, NdPickleValue *c, NdPickleValue *child)
{
  if (child->depth + 1 > c->depth)
    c->depth = child->depth + 1;
  if (c->depth > MAX_NESTING)
    return _nd_pk_bad (pk, _("objects nest deeper than %d levels"), MAX_NESTING);
  g_ptr_array_add (c->items, child);
  return TRUE;
}

gboolean
_nd_pk_dict_set (NdPickle *pk, NdPickleValue *d, NdPickleValue *k, NdPickleValue *v)
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
            return _nd_pk_bad (pk, _("objects nest deeper than %d levels"), MAX_NESTING);
          d->items->pdata[2 * (idx - 1) + 1] = v;
          return TRUE;
        }
    }
  if (!_nd_pk_add_child (pk, d, k) || !_nd_pk_add_child (pk, d, v))
    return FALSE;
  if (k->kind == ND_PV_STR)
    g_hash_table_insert (d->index, k->s, GUINT_TO_POINTER (d->items->len / 2));
  return TRUE;
}

NdPickleValue *
_nd_pk_make_opaque (NdPickle *pk, const char *what)
{
  NdPickleValue *v = _nd_pk_new_value (pk, ND_PV_OPAQUE);

  if (v)
    v->s = g_strdup (what);
  return v;
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

  while (_nd_pk_step (pk))
    ;
  if (pk->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&pk->error));
      return NULL;
    }
  if (pk->root == NULL)
    {
      _nd_pk_bad (pk, _("no result"));
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
