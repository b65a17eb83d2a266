/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-pickle-private.h"

/* What torch.save pickles around the data: storage references (persistent ids) and the
 * tensor rebuild calls, checked against ND_MAX_DIMS, ND_TENSOR_MAX_ELEMENTS and the storage. */

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
gboolean
_nd_pk_persid (NdPickle *pk, NdPickleValue *pid)
{
  NdPickleValue *v, **it;

  if (pid->kind != ND_PV_TUPLE || pid->items->len != 5)
    return _nd_pk_fail (pk, ND_RUNTIME_ERROR_UNSUPPORTED,
                        _("unsupported persistent id (not a 5-tuple storage reference)"));
  it = (NdPickleValue **) pid->items->pdata;
  if (it[0]->kind != ND_PV_STR || strcmp (it[0]->s, "storage") != 0
      || it[1]->kind != ND_PV_GLOBAL || it[2]->kind != ND_PV_STR || it[3]->kind != ND_PV_STR
      || it[4]->kind != ND_PV_INT || it[4]->i < 0)
    return _nd_pk_bad (pk, _("malformed storage reference"));
  if (it[2]->len == 0 || it[2]->len > 256 || strlen (it[2]->s) != it[2]->len)
    return _nd_pk_bad (pk, _("malformed storage key"));
  v = _nd_pk_new_value (pk, ND_PV_STORAGE);
  if (v == NULL)
    return FALSE;
  v->storage_type = g_strdup (it[1]->s);
  v->dtype_known = storage_dtype (v->storage_type, &v->dtype);
  v->key = g_strdup (it[2]->s);
  v->location = g_strdup (it[3]->s);
  v->numel = it[4]->i;
  return _nd_pk_push (pk, v);
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
      _nd_pk_bad (pk, _("tensor rebuild with %u arguments"), args->items->len);
      return NULL;
    }
  if (a[0]->kind != ND_PV_STORAGE || a[1]->kind != ND_PV_INT || a[1]->i < 0
      || a[1]->i > ND_TENSOR_MAX_ELEMENTS)
    {
      _nd_pk_bad (pk, _("tensor rebuild without a storage and offset"));
      return NULL;
    }
  t = _nd_pk_new_value (pk, ND_PV_TENSOR);
  if (t == NULL)
    return NULL;
  if (!int_tuple (a[2], t->size, &ns) || !int_tuple (a[3], t->stride, &nt) || ns != nt)
    {
      _nd_pk_bad (pk, _("tensor size/stride are not matching tuples of at most %d integers in "
                        "[0, 2^34]"), ND_MAX_DIMS);
      return NULL;
    }
  t->storage = a[0];
  t->offset = a[1]->i;
  t->ndim = ns;
  for (int i = 0; i < ns; i++)
    {
      guint64 reach = 0;

      if (!g_uint64_checked_mul (&numel, numel, (guint64) t->size[i])
          || numel > (guint64) ND_TENSOR_MAX_ELEMENTS)
        {
          _nd_pk_bad (pk, _("a tensor has too many elements"));
          return NULL;
        }
      if (t->size[i] > 0
          && !g_uint64_checked_mul (&reach, (guint64) (t->size[i] - 1), (guint64) t->stride[i]))
        reach = G_MAXUINT64;
      if (reach > (guint64) ND_TENSOR_MAX_ELEMENTS * 4
          || (last += reach) > (guint64) ND_TENSOR_MAX_ELEMENTS * 4)
        {
          _nd_pk_bad (pk, _("a tensor's strides reach too far"));
          return NULL;
        }
    }
  /* The tensor must lie inside its storage (checked again against the zip entry on load). */
  if (numel > 0 && (guint64) t->offset + last >= (guint64) a[0]->numel)
    {
      _nd_pk_bad (pk, _("a tensor reaches element %" PRIu64 " of a storage of %"
                        PRId64), (guint64) t->offset + last, a[0]->numel);
      return NULL;
    }
  /* Without this, stride 0 over a one-element storage decodes to gigabytes from a few hundred
   * bytes of file: a view may not hold more elements than its storage. */
  if (numel > (guint64) a[0]->numel)
    {
      _nd_pk_bad (pk, _("a tensor of %" PRIu64 " elements over a storage of %"
                        PRId64 " (an expanding view, e.g. stride 0, is refused)"),
                  numel, a[0]->numel);
      return NULL;
    }
  t->numel = (gint64) numel;
  return t;
}

gboolean
_nd_pk_reduce (NdPickle *pk)
{
  NdPickleValue *args = _nd_pk_pop (pk), *fn = args ? _nd_pk_pop (pk) : NULL, *r;

  if (fn == NULL)
    return FALSE;
  if (args->kind != ND_PV_TUPLE)
    return _nd_pk_bad (pk, _("REDUCE arguments are not a tuple"));
  if (fn->kind == ND_PV_OPAQUE)
    return _nd_pk_push (pk, _nd_pk_make_opaque (pk, fn->s));
  if (fn->kind != ND_PV_GLOBAL)
    return _nd_pk_bad (pk, _("REDUCE on a %s"), nd_pickle_kind_name (fn));

  if (strcmp (fn->s, "torch._utils._rebuild_tensor_v2") == 0)
    return _nd_pk_push (pk, rebuild_tensor (pk, args, TRUE));
  if (strcmp (fn->s, "torch._utils._rebuild_tensor") == 0)
    return _nd_pk_push (pk, rebuild_tensor (pk, args, FALSE));
  if (strcmp (fn->s, "torch._utils._rebuild_parameter") == 0
      || strcmp (fn->s, "torch._utils._rebuild_parameter_with_state") == 0)
    {
      if (args->items->len < 1 || ((NdPickleValue *) args->items->pdata[0])->kind != ND_PV_TENSOR)
        return _nd_pk_bad (pk, _("parameter rebuild without a tensor"));
      return _nd_pk_push (pk, args->items->pdata[0]);
    }
  if ((strcmp (fn->s, "collections.OrderedDict") == 0 || strcmp (fn->s, "builtins.dict") == 0
       || strcmp (fn->s, "__builtin__.dict") == 0) && args->items->len == 0)
    return _nd_pk_push (pk, _nd_pk_new_value (pk, ND_PV_DICT));

  /* Anything else is a name we never resolve: the "call" is data. */
  r = _nd_pk_make_opaque (pk, fn->s);
  if (r == NULL || !_nd_pk_add_child (pk, r, args))
    return FALSE;
  return _nd_pk_push (pk, r);
}
