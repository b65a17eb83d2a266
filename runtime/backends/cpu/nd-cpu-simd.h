/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdint.h>
#include <string.h>

#include <glib.h>

/* Hot loops are written as plain, vectorisable C and compiled three times (AVX-512, AVX2+FMA,
 * baseline); the dynamic loader picks the clone for the running CPU (GCC target_clones, an
 * ifunc resolved once), so the binary still runs on any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define ND_CPU_HOT \
  __attribute__((target_clones ("avx512f", "arch=haswell", "default"), optimize ("O3")))
#else
#define ND_CPU_HOT
#endif

/* exp() in float, vectorisable (no libm call): Cody–Waite reduction to r ∈ [−ln2/2, ln2/2],
 * a degree-6 polynomial, 2^k through the exponent bits. Relative error ≈ 2e-7. */
static inline float
nd_cpu_expf (float x)
{
  float t, kf, r, p;
  int32_t k, bits;

  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  t = x * 1.44269504088896341f;
  kf = (t + 12582912.0f) - 12582912.0f;        /* round to nearest */
  k = (int32_t) kf;
  r = x - kf * 0.693359375f;
  r = r + kf * 2.12194440e-4f;
  p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  memcpy (&bits, &p, sizeof bits);
  bits += (int32_t) ((uint32_t) k << 23);   /* k < 0: shift the bits, not the value */
  memcpy (&p, &bits, sizeof p);
  return p;
}

static inline float
nd_cpu_sigmoidf (float x)
{
  return 1.0f / (1.0f + nd_cpu_expf (-x));
}
