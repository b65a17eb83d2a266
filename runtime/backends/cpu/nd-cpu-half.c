/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nd-cpu-half.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-simd.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Batch 1 makes a linear layer a matrix-vector product: every weight is read once per run
 * and used once, so its time is the weights' bytes over the memory bandwidth (VGG-16's
 * 25088×4096 classifier: 411 MB of float32). Storing them in 16 bits halves that; the
 * arithmetic is nearly free. Rows are processed four at a time so each activation vector
 * load serves four weight rows; the batch loop sits inside the row loop so a block of rows
 * (4 × ld × 2 bytes, ≤ 200 KB for VGG-16) is read from memory once for all images. */

#define ROWS 4

typedef enum { ISA_SCALAR, ISA_AVX512 } Isa;

static gboolean force_scalar;

void
nd_cpu_half_force_scalar (gboolean scalar)
{
  force_scalar = scalar;
}

static Isa
isa_for (NdWeightsPrecision p)
{
#if HAVE_X86
  static int bf16 = -1, f16 = -1;

  if (force_scalar)
    return ISA_SCALAR;
  if (bf16 < 0)
    {
      __builtin_cpu_init ();
      bf16 = __builtin_cpu_supports ("avx512bf16") && __builtin_cpu_supports ("avx512bw");
      f16 = __builtin_cpu_supports ("avx512f");
    }
  if (p == ND_WEIGHTS_BF16 && bf16)
    return ISA_AVX512;
  if (p == ND_WEIGHTS_FP16 && f16)
    return ISA_AVX512;
#endif
  return ISA_SCALAR;
}

const char *
nd_cpu_half_isa (NdWeightsPrecision p)
{
  if (isa_for (p) == ISA_AVX512)
    return p == ND_WEIGHTS_BF16 ? "avx512-bf16" : "avx512-f16c";
  return "scalar";
}

int
nd_cpu_half_ld (int n_in)
{
  return (n_in + ND_CPU_HALF_ALIGN - 1) / ND_CPU_HALF_ALIGN * ND_CPU_HALF_ALIGN;
}

/* float → bfloat16, round to nearest even (the weights are finite; NaN stays NaN). */
static inline guint16
bf16_from_float (float x)
{
  uint32_t u;

  memcpy (&u, &x, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (guint16) ((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (guint16) (u >> 16);
}

static inline float
bf16_to_float (guint16 h)
{
  uint32_t u = (uint32_t) h << 16;
  float x;

  memcpy (&x, &u, sizeof x);
  return x;
}

/* float ↔ IEEE half in software (round to nearest even, subnormals kept), so the scalar
 * path and the stored weights do not depend on the compiler's _Float16 support. */
static guint16
fp16_from_float (float x)
{
  uint32_t u, sign, mant;
  int exp;

  memcpy (&u, &x, sizeof u);
  sign = (u >> 16) & 0x8000u;
  exp = (int) ((u >> 23) & 0xff) - 127 + 15;
  mant = u & 0x7fffffu;
  if (((u >> 23) & 0xff) == 0xff)
    return (guint16) (sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31)
    return (guint16) (sign | 0x7c00u);                       /* overflow: ±inf */
  if (exp <= 0)
    {
      int shift;
      uint32_t m, half, rest;

      if (exp < -10)
        return (guint16) sign;                               /* below half the smallest */
      m = mant | 0x800000u;
      shift = 14 - exp;                                      /* 24-bit m → 10-bit subnormal */
      half = 1u << (shift - 1);
      rest = m & ((1u << shift) - 1);
      m >>= shift;
      if (rest > half || (rest == half && (m & 1u)))
        m++;
      return (guint16) (sign | m);                           /* a carry makes it normal */
    }
  {
    uint32_t h = sign | ((uint32_t) exp << 10) | (mant >> 13), rest = mant & 0x1fffu;

    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
      h++;                                                   /* may carry into inf: right */
    return (guint16) h;
  }
}

static inline float
fp16_to_float (guint16 h)
{
  uint32_t sign = (uint32_t) (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, u;
  float x;

  if (exp == 0)
    {
      x = ldexpf ((float) mant, -24);                        /* zero or subnormal */
      return sign ? -x : x;
    }
  u = sign | (exp == 31 ? 0x7f800000u | (mant << 13) : ((exp + 112) << 23) | (mant << 13));
  memcpy (&x, &u, sizeof x);
  return x;
}

guint16
nd_cpu_half_from_float (NdWeightsPrecision p, float x)
{
  return p == ND_WEIGHTS_BF16 ? bf16_from_float (x) : fp16_from_float (x);
}

float
nd_cpu_half_to_float (NdWeightsPrecision p, guint16 h)
{
  return p == ND_WEIGHTS_BF16 ? bf16_to_float (h) : fp16_to_float (h);
}

typedef struct
{
  NdWeightsPrecision p;
  Isa             isa;
  int             N, O, n_in, ld;
  const float    *x;      /* [N × n_in] */
  const guint16  *xh, *xl; /* bf16 AVX-512: x split into hi + lo, [N × ld] each */
  const float    *xp;     /* fp16 AVX-512: x padded to ld, [N × ld] */
  const guint16  *w;
  const float    *bias;
  float          *y;
  int             n_tasks;
} Gemv;

ND_CPU_HOT static void
rows_scalar (const Gemv *g, int o0, int o1)
{
  for (int o = o0; o < o1; o++)
    {
      const guint16 *wr = g->w + (gsize) o * g->ld;

      for (int n = 0; n < g->N; n++)
        {
          const float *xr = g->x + (gsize) n * g->n_in;
          float acc = 0.0f;

          if (g->p == ND_WEIGHTS_BF16)
            for (int i = 0; i < g->n_in; i++)
              acc += xr[i] * bf16_to_float (wr[i]);
          else
            for (int i = 0; i < g->n_in; i++)
              acc += xr[i] * fp16_to_float (wr[i]);
          g->y[(gsize) n * g->O + o] = acc + (g->bias ? g->bias[o] : 0.0f);
        }
    }
}

#if HAVE_X86
/* Once per output, so a plain store and sum: GCC 12's _mm512_reduce_add_ps and 256-bit
 * extracts warn (-Wmaybe-uninitialized on their _mm256_undefined operands). */
__attribute__((target ("avx512f"))) static inline float
hsum (__m512 v)
{
  float lane[16], s = 0.0f;

  _mm512_storeu_ps (lane, v);
  for (int i = 0; i < 16; i++)
    s += lane[i];
  return s;
}

__attribute__((target ("avx512f,avx512bw,avx512bf16"))) static void
rows_bf16 (const Gemv *g, int o0, int o1)
{
  for (int o = o0; o < o1; o += ROWS)
    {
      int nr = MIN (ROWS, o1 - o);
      const guint16 *wr[ROWS];

      for (int r = 0; r < ROWS; r++)
        wr[r] = g->w + (gsize) (o + MIN (r, nr - 1)) * g->ld;
      for (int n = 0; n < g->N; n++)
        {
          const guint16 *xh = g->xh + (gsize) n * g->ld, *xl = g->xl + (gsize) n * g->ld;
          __m512 acc[ROWS];

          for (int r = 0; r < ROWS; r++)
            acc[r] = _mm512_setzero_ps ();
          for (int i = 0; i < g->ld; i += 32)
            {
              __m512bh h = (__m512bh) _mm512_loadu_si512 (xh + i);
              __m512bh l = (__m512bh) _mm512_loadu_si512 (xl + i);

              for (int r = 0; r < ROWS; r++)
                {
                  __m512bh wv = (__m512bh) _mm512_loadu_si512 (wr[r] + i);

                  acc[r] = _mm512_dpbf16_ps (acc[r], h, wv);
                  acc[r] = _mm512_dpbf16_ps (acc[r], l, wv);
                }
            }
          for (int r = 0; r < nr; r++)
            g->y[(gsize) n * g->O + o + r] = hsum (acc[r])
                                             + (g->bias ? g->bias[o + r] : 0.0f);
        }
    }
}

__attribute__((target ("avx512f"))) static void
rows_fp16 (const Gemv *g, int o0, int o1)
{
  for (int o = o0; o < o1; o += ROWS)
    {
      int nr = MIN (ROWS, o1 - o);
      const guint16 *wr[ROWS];

      for (int r = 0; r < ROWS; r++)
        wr[r] = g->w + (gsize) (o + MIN (r, nr - 1)) * g->ld;
      for (int n = 0; n < g->N; n++)
        {
          const float *xp = g->xp + (gsize) n * g->ld;
          __m512 acc[ROWS], acc2[ROWS];

          for (int r = 0; r < ROWS; r++)
            acc[r] = acc2[r] = _mm512_setzero_ps ();
          for (int i = 0; i < g->ld; i += 32)
            {
              __m512 x0 = _mm512_loadu_ps (xp + i), x1 = _mm512_loadu_ps (xp + i + 16);

              for (int r = 0; r < ROWS; r++)
                {
                  __m256i w0 = _mm256_loadu_si256 ((const __m256i *) (wr[r] + i));
                  __m256i w1 = _mm256_loadu_si256 ((const __m256i *) (wr[r] + i + 16));

                  acc[r] = _mm512_fmadd_ps (x0, _mm512_maskz_cvtph_ps (0xffff, w0), acc[r]);
                  acc2[r] = _mm512_fmadd_ps (x1, _mm512_maskz_cvtph_ps (0xffff, w1), acc2[r]);
                }
            }
          for (int r = 0; r < nr; r++)
            g->y[(gsize) n * g->O + o + r] = hsum (_mm512_add_ps (acc[r], acc2[r]))
                                             + (g->bias ? g->bias[o + r] : 0.0f);
        }
    }
}
#endif

static void
gemv_task (gpointer data, int task, int thread)
{
  const Gemv *g = data;
  gint64 o0, o1;

  nd_cpu_split (g->O, g->n_tasks, task, ROWS, &o0, &o1);
  if (o0 >= o1)
    return;
#if HAVE_X86
  if (g->isa == ISA_AVX512 && g->p == ND_WEIGHTS_BF16)
    {
      rows_bf16 (g, (int) o0, (int) o1);
      return;
    }
  if (g->isa == ISA_AVX512)
    {
      rows_fp16 (g, (int) o0, (int) o1);
      return;
    }
#endif
  rows_scalar (g, (int) o0, (int) o1);
}

/* The activations in the layout the vector path reads: bf16 hi + lo terms, or float32,
 * zero-padded to ld; @xs holds N·ld floats. */
static void
stage_input (Gemv *g, float *xs)
{
  gsize total = (gsize) g->N * g->ld;

  if (g->p == ND_WEIGHTS_BF16)
    {
      guint16 *hi = (guint16 *) xs, *lo = hi + total;

      memset (xs, 0, total * sizeof (float));
      for (int n = 0; n < g->N; n++)
        for (int i = 0; i < g->n_in; i++)
          {
            float v = g->x[(gsize) n * g->n_in + i];
            guint16 h = bf16_from_float (v);

            hi[(gsize) n * g->ld + i] = h;
            lo[(gsize) n * g->ld + i] = bf16_from_float (v - bf16_to_float (h));
          }
      g->xh = hi;
      g->xl = lo;
    }
  else
    {
      for (int n = 0; n < g->N; n++)
        {
          memcpy (xs + (gsize) n * g->ld, g->x + (gsize) n * g->n_in, g->n_in * sizeof (float));
          memset (xs + (gsize) n * g->ld + g->n_in, 0, (g->ld - g->n_in) * sizeof (float));
        }
      g->xp = xs;
    }
}

void
nd_cpu_half_gemv (NdWeightsPrecision p, int N, int O, int n_in, const float *x, const guint16 *w,
                  const float *bias, float *xs, float *y)
{
  Gemv g = { .p = p, .isa = isa_for (p), .N = N, .O = O, .n_in = n_in,
             .ld = nd_cpu_half_ld (n_in), .x = x, .w = w, .bias = bias, .y = y };

  if (g.isa == ISA_AVX512)
    stage_input (&g, xs);
  /* a few tasks per thread: rows are equal work, but the other thread may be late */
  g.n_tasks = MAX (1, MIN ((O + ROWS - 1) / ROWS, 4 * nd_cpu_pool_n_threads ()));
  nd_cpu_parallel_for (g.n_tasks, gemv_task, &g);
}

typedef struct
{
  NdCpuKernel        parent;
  NdWeightsPrecision p;
  int                O, n_in;
  guint16           *w;     /* [O × ld], 64-byte aligned */
} HalfLinear;

static void
half_linear_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  HalfLinear *hl = (HalfLinear *) kernel;
  const NdTensor *b = node->w[ND_W_BIAS];

  nd_cpu_half_gemv (hl->p, in[0]->shape[0], hl->O, hl->n_in, in[0]->data, hl->w,
                    b ? b->data : NULL, kernel->scratch, out->data);
}

static void
half_linear_free (NdCpuKernel *kernel)
{
  HalfLinear *hl = (HalfLinear *) kernel;

  free (hl->w);
  g_free (hl);
}

/* A linear layer, or a 1×1 convolution of a 1×1 map (SE gates, VanillaNet's classifier):
 * both a matrix-vector product per image. */
static gboolean
is_gemv (const NdGraph *graph, const NdNode *node)
{
  const NdNode *a;

  if (node->op == ND_OP_LINEAR)
    return TRUE;
  if (node->op != ND_OP_CONV2D || !nd_op_is_square (&node->p, 1, 0) || node->p.stride != 1
      || node->p.groups != 1)
    return FALSE;
  a = nd_graph_node (graph, node->inputs[0]);
  return a->out_h == 1 && a->out_w == 1;
}

NdCpuKernel *
nd_cpu_half_linear_new (const NdGraph *graph, const NdNode *node, int batch,
                        NdWeightsPrecision p)
{
  const NdTensor *wt;
  HalfLinear *hl;
  int ld;

  if (p == ND_WEIGHTS_FP32 || !is_gemv (graph, node) || (wt = node->w[ND_W_WEIGHT]) == NULL)
    return NULL;
  hl = g_new0 (HalfLinear, 1);
  hl->p = p;
  hl->O = wt->shape[0];
  hl->n_in = (int) (wt->numel / hl->O);
  ld = nd_cpu_half_ld (hl->n_in);
  if (posix_memalign ((void **) &hl->w, 64, (gsize) hl->O * ld * sizeof (guint16)) != 0)
    {
      g_free (hl);
      return NULL;   /* the float32 kernel runs instead */
    }
  for (int o = 0; o < hl->O; o++)
    {
      const float *src = wt->data + (gsize) o * hl->n_in;
      guint16 *dst = hl->w + (gsize) o * ld;

      for (int i = 0; i < hl->n_in; i++)
        {
          dst[i] = nd_cpu_half_from_float (p, src[i]);
          /* the format cannot hold it (fp16 beyond ±65504): keep this layer in float32
           * rather than change its result */
          if (!isfinite (nd_cpu_half_to_float (p, dst[i])))
            {
              half_linear_free (&hl->parent);
              return NULL;
            }
        }
      memset (dst + hl->n_in, 0, (ld - hl->n_in) * sizeof (guint16));
    }
  hl->parent.algo = p == ND_WEIGHTS_BF16 ? "gemv-bf16" : "gemv-fp16";
  hl->parent.run = half_linear_run;
  hl->parent.free = half_linear_free;
  hl->parent.scratch_floats = (gsize) MAX (batch, 1) * ld;
  return &hl->parent;
}
