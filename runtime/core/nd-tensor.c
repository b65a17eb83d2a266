/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-tensor.h"

static gboolean
shape_numel (int ndim, const int64_t *shape, int64_t *numel)
{
  int64_t n = 1;

  if (ndim < 0 || ndim > ND_MAX_DIMS)
    return FALSE;
  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] < 0 || shape[i] > ND_TENSOR_MAX_ELEMENTS)
        return FALSE;
      n *= shape[i];
      if (n > ND_TENSOR_MAX_ELEMENTS)
        return FALSE;
    }
  *numel = n;
  return TRUE;
}

static void
tensor_free_data (NdTensor *t)
{
  if (t->owner_free != NULL)
    t->owner_free (t->owner);
  else
    free (t->data);
}

static NdTensor *
tensor_alloc_header (int ndim, const int64_t *shape, int64_t numel)
{
  NdTensor *t = g_atomic_rc_box_new0 (NdTensor);

  t->ndim = ndim;
  for (int i = 0; i < ND_MAX_DIMS; i++)
    t->shape[i] = i < ndim ? shape[i] : 1;
  t->numel = numel;
  return t;
}

/* g_aligned_alloc0() aborts on failure; a tensor sized from a file must fail softly. */
static gpointer
aligned_alloc0_try (gsize n_blocks, gsize n_block_bytes, gsize alignment)
{
  gsize size;
  void *p = NULL;

  if (!g_size_checked_mul (&size, n_blocks, n_block_bytes))
    return NULL;
  if (posix_memalign (&p, alignment, size) != 0)
    return NULL;
  memset (p, 0, size);
  return p;
}

NdTensor *
nd_tensor_try_new (int ndim, const int64_t *shape, GError **error)
{
  int64_t numel;
  NdTensor *t;
  gpointer data;

  if (!shape_numel (ndim, shape, &numel))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Tensor shape is invalid or too large (rank %d)"), ndim);
      return NULL;
    }
  data = aligned_alloc0_try (MAX (numel, 1), sizeof (float), 64);
  if (data == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                   _("Out of memory allocating %" PRId64 " floats"), numel);
      return NULL;
    }
  t = tensor_alloc_header (ndim, shape, numel);
  t->data = data;
  return t;
}

NdTensor *
nd_tensor_new (int ndim, const int64_t *shape)
{
  g_autoptr(GError) error = NULL;
  NdTensor *t = nd_tensor_try_new (ndim, shape, &error);

  if (t == NULL)
    g_error ("%s", error->message);
  return t;
}

NdTensor *
nd_tensor_new_4d (int64_t n, int64_t c, int64_t h, int64_t w)
{
  int64_t shape[4] = { n, c, h, w };

  return nd_tensor_new (4, shape);
}

NdTensor *
nd_tensor_new_1d (int64_t n)
{
  return nd_tensor_new (1, &n);
}

NdTensor *
nd_tensor_new_wrap (int            ndim,
                    const int64_t *shape,
                    float         *data,
                    gpointer       owner,
                    GDestroyNotify owner_free)
{
  int64_t numel;
  NdTensor *t;

  g_return_val_if_fail (owner_free != NULL, NULL);
  if (!shape_numel (ndim, shape, &numel))
    g_return_val_if_reached (NULL);
  t = tensor_alloc_header (ndim, shape, numel);
  t->data = data;
  t->owner = owner;
  t->owner_free = owner_free;
  return t;
}

NdTensor *
nd_tensor_copy (const NdTensor *t)
{
  NdTensor *c = nd_tensor_new (t->ndim, t->shape);

  memcpy (c->data, t->data, t->numel * sizeof (float));
  return c;
}

NdTensor *
nd_tensor_ref (NdTensor *t)
{
  return g_atomic_rc_box_acquire (t);
}

void
nd_tensor_unref (NdTensor *t)
{
  g_atomic_rc_box_release_full (t, (GDestroyNotify) tensor_free_data);
}

gboolean
nd_tensor_same_shape (const NdTensor *a, const NdTensor *b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

gboolean
nd_tensor_reshape (NdTensor *t, int ndim, const int64_t *shape)
{
  int64_t numel;

  if (!shape_numel (ndim, shape, &numel) || numel != t->numel)
    return FALSE;
  t->ndim = ndim;
  for (int i = 0; i < ND_MAX_DIMS; i++)
    t->shape[i] = i < ndim ? shape[i] : 1;
  return TRUE;
}

char *
nd_tensor_shape_string (const NdTensor *t)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < t->ndim; i++)
    g_string_append_printf (s, "%s%" PRId64, i ? ", " : "", t->shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

void
nd_tensor_fill_normal (NdTensor *t, GRand *rand, double mean, double std)
{
  /* Box–Muller; GRand gives reproducible streams across platforms. */
  for (int64_t i = 0; i < t->numel; i += 2)
    {
      double u1 = g_rand_double_range (rand, 1e-12, 1.0);
      double u2 = g_rand_double (rand);
      double r = sqrt (-2.0 * log (u1));

      t->data[i] = (float) (mean + std * r * cos (2 * G_PI * u2));
      if (i + 1 < t->numel)
        t->data[i + 1] = (float) (mean + std * r * sin (2 * G_PI * u2));
    }
}

void
nd_tensor_fill_uniform (NdTensor *t, GRand *rand, double lo, double hi)
{
  for (int64_t i = 0; i < t->numel; i++)
    t->data[i] = (float) g_rand_double_range (rand, lo, hi);
}

gboolean
nd_tensor_compare (const NdTensor *a, const NdTensor *b, double *max_abs, double *max_rel)
{
  double ma = 0, mb = 0;

  if (a->numel != b->numel)
    return FALSE;
  for (int64_t i = 0; i < a->numel; i++)
    {
      double d = fabs ((double) a->data[i] - (double) b->data[i]);

      if (!(d <= ma))   /* NaN-propagating max */
        ma = d;
      mb = MAX (mb, fabs ((double) b->data[i]));
    }
  if (max_abs)
    *max_abs = ma;
  if (max_rel)
    *max_rel = ma / MAX (mb, 1e-30);
  return TRUE;
}
