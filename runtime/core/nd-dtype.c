/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "nd-dtype.h"

static const struct
{
  const char *st;     /* safetensors name */
  const char *name;
  gsize       size;
} dtypes[ND_DTYPE_COUNT] = {
  [ND_DTYPE_F32] = { "F32", "float32", 4 },
  [ND_DTYPE_F16] = { "F16", "float16", 2 },
  [ND_DTYPE_BF16] = { "BF16", "bfloat16", 2 },
  [ND_DTYPE_F64] = { "F64", "float64", 8 },
  [ND_DTYPE_I64] = { "I64", "int64", 8 },
  [ND_DTYPE_I32] = { "I32", "int32", 4 },
  [ND_DTYPE_U8] = { "U8", "uint8", 1 },
};

gsize
nd_dtype_size (NdDtype dtype)
{
  g_return_val_if_fail (dtype < ND_DTYPE_COUNT, 1);
  return dtypes[dtype].size;
}

const char *
nd_dtype_name (NdDtype dtype)
{
  g_return_val_if_fail (dtype < ND_DTYPE_COUNT, "?");
  return dtypes[dtype].name;
}

gboolean
nd_dtype_from_safetensors (const char *name, NdDtype *dtype)
{
  for (int i = 0; i < ND_DTYPE_COUNT; i++)
    if (i != ND_DTYPE_U8 && strcmp (name, dtypes[i].st) == 0)
      {
        *dtype = i;
        return TRUE;
      }
  return FALSE;
}

static float
bits_to_float (guint32 u)
{
  float f;

  memcpy (&f, &u, 4);
  return f;
}

float
nd_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h >> 15) << 31;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;

  if (exp == 0)
    {
      /* zero or subnormal: mant · 2^-24 */
      float v = (float) mant * (1.0f / 16777216.0f);
      return sign ? -v : v;
    }
  if (exp == 31)
    return bits_to_float (sign | 0x7f800000u | (mant << 13));
  return bits_to_float (sign | ((exp + 112) << 23) | (mant << 13));
}

/* Round to nearest even; overflow gives ±inf, NaN stays NaN, small values become
 * subnormals or zero. */
guint16
nd_float_to_half (float f)
{
  guint32 x;
  guint32 sign, exp, mant;

  memcpy (&x, &f, sizeof x);
  sign = (x >> 16) & 0x8000u;
  exp = (x >> 23) & 0xffu;
  mant = x & 0x7fffffu;
  if (exp == 0xffu)
    return (guint16) (sign | 0x7c00u | (mant ? 0x200u : 0u));
  if (exp > 142)                          /* ≥ 2^16: beyond the largest half */
    return (guint16) (sign | 0x7c00u);
  if (exp < 113)                          /* below 2^-14: subnormal or zero */
    {
      guint32 shift, half, rest;

      if (exp < 102)
        return (guint16) sign;
      mant |= 0x800000u;
      shift = 126 - exp;                  /* 14 … 24 */
      half = mant >> shift;
      rest = mant & ((1u << shift) - 1);
      if (rest > (1u << (shift - 1)) || (rest == (1u << (shift - 1)) && (half & 1u)))
        half++;
      return (guint16) (sign | half);
    }
  {
    guint32 h = ((exp - 112) << 10) | (mant >> 13);
    guint32 rest = mant & 0x1fffu;

    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
      h++;                                /* may carry into the exponent: still right */
    return (guint16) (sign | h);
  }
}

void
nd_dtype_to_f32 (NdDtype dtype, const guint8 *src, int64_t n, float *dst)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (dtype == ND_DTYPE_F32)
    {
      memcpy (dst, src, (size_t) n * 4);
      return;
    }
#endif
  for (int64_t i = 0; i < n; i++)
    {
      switch (dtype)
        {
        case ND_DTYPE_F32:
          {
            guint32 u;
            memcpy (&u, src + 4 * i, 4);
            dst[i] = bits_to_float (GUINT32_FROM_LE (u));
            break;
          }
        case ND_DTYPE_F16:
          {
            guint16 u;
            memcpy (&u, src + 2 * i, 2);
            dst[i] = nd_half_to_float (GUINT16_FROM_LE (u));
            break;
          }
        case ND_DTYPE_BF16:
          {
            guint16 u;
            memcpy (&u, src + 2 * i, 2);
            dst[i] = bits_to_float ((guint32) GUINT16_FROM_LE (u) << 16);
            break;
          }
        case ND_DTYPE_F64:
          {
            guint64 u;
            double d;
            memcpy (&u, src + 8 * i, 8);
            u = GUINT64_FROM_LE (u);
            memcpy (&d, &u, 8);
            /* out-of-range double → float conversion is undefined behaviour in C */
            if (d > FLT_MAX)
              dst[i] = INFINITY;
            else if (d < -FLT_MAX)
              dst[i] = -INFINITY;
            else
              dst[i] = (float) d;
            break;
          }
        case ND_DTYPE_I64:
          {
            guint64 u;
            memcpy (&u, src + 8 * i, 8);
            dst[i] = (float) (gint64) GUINT64_FROM_LE (u);
            break;
          }
        case ND_DTYPE_I32:
          {
            guint32 u;
            memcpy (&u, src + 4 * i, 4);
            dst[i] = (float) (gint32) GUINT32_FROM_LE (u);
            break;
          }
        case ND_DTYPE_U8:
          dst[i] = src[i];
          break;
        case ND_DTYPE_COUNT:
        default:
          g_return_if_reached ();
        }
    }
}
