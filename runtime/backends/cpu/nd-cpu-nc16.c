/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-nc16.h"
#include "nd-cpu-pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#include "nd-cpu-dw-strip.h"
#else
#define HAVE_X86 0
#endif

/* Kernels on the channel-blocked layout (nd-cpu-nc16.h): conversions, depthwise, pools, BN and
 * the factory; the convolutions (1×1, stem) are in nd-cpu-nc16-conv.c. */


static gboolean
mult16 (int c)
{
  return c > 0 && c % 16 == 0;
}

/* ---- layout conversion --------------------------------------------------------------- */

typedef struct
{
  const float *x;
  float       *y;
  int          N, C;
  gint64       HW;
  gboolean     to_nc16;
  int          parts;
} ConvertJob;

#if HAVE_X86
__attribute__((target ("avx512f"))) static void
convert_block (const float *x, float *y, gint64 HW, gboolean to_nc16)
{
  /* one image's 16 channels: [16][HW] ↔ [HW][16], 16 × 16 tiles transposed in registers */
  for (gint64 p = 0; p < HW; p += 16)
    {
      int n = (int) MIN (16, HW - p);
      __mmask16 m = (__mmask16) ((1u << n) - 1);
      __m512 r[16];

      if (to_nc16)
        {
          for (int c = 0; c < 16; c++)
            r[c] = _mm512_maskz_loadu_ps (m, x + c * HW + p);
          transpose16 (r);
          for (int i = 0; i < n; i++)
            _mm512_storeu_ps (y + (p + i) * 16, r[i]);
        }
      else
        {
          for (int i = 0; i < 16; i++)
            r[i] = i < n ? _mm512_loadu_ps (x + (p + i) * 16) : _mm512_setzero_ps ();
          transpose16 (r);
          for (int c = 0; c < 16; c++)
            _mm512_mask_storeu_ps (y + c * HW + p, m, r[c]);
        }
    }
}

/* y[p][l] = (idx[l] < 16 ? a : b)[p][idx[l] % 16] */
__attribute__((target ("avx512f"))) static void
permute2 (const float *a, const float *b, const int *idx, float *y, gint64 HW)
{
  __m512i iv = _mm512_loadu_si512 (idx);

  for (gint64 p = 0; p < HW; p++)
    _mm512_store_ps (y + p * 16, _mm512_permutex2var_ps (_mm512_load_ps (a + p * 16), iv,
                                                         _mm512_load_ps (b + p * 16)));
}
#endif

static void
convert_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  ConvertJob *j = data;
  gint64 units = (gint64) j->N * (j->C / 16), u0, u1;

  nd_cpu_split (units, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    convert_block (j->x + u * 16 * j->HW, j->y + u * 16 * j->HW, j->HW, j->to_nc16);
#else
  g_assert_not_reached ();
#endif
}

void
nd_cpu_nc16_convert (const float *x, float *y, int N, int C, gint64 HW, gboolean to_nc16)
{
  ConvertJob j = { x, y, N, C, HW, to_nc16, 1 };
  gint64 units = (gint64) N * (C / 16);

  g_return_if_fail (C % 16 == 0);
  if (HW == 1)
    {
      memcpy (y, x, (gsize) N * C * sizeof (float));   /* the same in both layouts */
      return;
    }
  if ((gint64) N * C * HW >= 32768)
    j.parts = (int) MIN (units, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.parts, convert_task, &j);
}

/* ---- depthwise ----------------------------------------------------------------------- */

typedef struct
{
  NdCpuKernel parent;
  int         C, H, W, OH, OW, k, pad, T, OWr;
  float      *wt;     /* [C / 16][k²][16] */
  float      *bias;   /* [C] */
  gsize       per_thread;
} DwNc16;

typedef struct
{
  DwNc16         *d;
  const NdTensor *x;
  NdTensor       *y;
  int             parts;
} DwJob;

#if HAVE_X86
/* One image's channel block: its [H][W][16] plane copied into a zero-padded one (rows are
 * contiguous runs of W·16 floats: no transposes), strips of the shared depthwise kernel,
 * written straight into the output where the strips tile its rows exactly */
__attribute__((target ("avx512f"))) static void
dw_block (const DwNc16 *d, int cb, const float *x, float *y, float *xt)
{
  int Wp = d->OWr + d->k - 1, Hp = d->OH + d->k - 1;
  gint64 ld = (gint64) Wp * 16;
  float *ot = xt + (gsize) Hp * ld;
  gboolean direct = d->OWr == d->OW;

  memset (xt, 0, (gsize) d->pad * ld * sizeof (float));
  for (int r = 0; r < Hp - d->pad; r++)
    {
      float *row = xt + (gint64) (r + d->pad) * ld;

      if (r >= d->H)
        {
          memset (row, 0, ld * sizeof (float));
          continue;
        }
      memset (row, 0, (gsize) d->pad * 16 * sizeof (float));
      memcpy (row + d->pad * 16, x + (gint64) r * d->W * 16, (gsize) d->W * 16 * sizeof (float));
      memset (row + (gint64) (d->pad + d->W) * 16, 0,
              (gsize) (Wp - d->pad - d->W) * 16 * sizeof (float));
    }
  nd_cpu_dw_cv_rows (d->k, d->T, xt, (int) ld, d->wt + (gsize) cb * d->k * d->k * 16,
                     _mm512_loadu_ps (d->bias + cb * 16), direct ? y : ot, d->OWr * 16, d->OH,
                     d->OWr);
  if (!direct)
    for (int r = 0; r < d->OH; r++)
      memcpy (y + (gint64) r * d->OW * 16, ot + (gint64) r * d->OWr * 16,
              (gsize) d->OW * 16 * sizeof (float));
}
#endif

static void
dw_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  DwJob *j = data;
  DwNc16 *d = j->d;
  int cbs = d->C / 16;
  gint64 in_plane = (gint64) d->H * d->W, out_plane = (gint64) d->OH * d->OW, u0, u1;

  nd_cpu_split ((gint64) j->x->shape[0] * cbs, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      float *y = j->y->data + u * out_plane * 16;

      dw_block (d, (int) (u % cbs), j->x->data + u * in_plane * 16, y,
                d->parent.scratch + (gsize) thread * d->per_thread);
      if (d->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply_nc16 (&d->parent.epilogue, (int) (u / cbs), (int) (u % cbs), d->C,
                                    out_plane, 0, y, out_plane);
    }
#else
  g_assert_not_reached ();
#endif
}

static void
dw_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  DwNc16 *d = (DwNc16 *) kernel;
  gint64 units = in[0]->shape[0] * (d->C / 16);
  DwJob j = { d, in[0], out, (int) MIN (units, 4 * nd_cpu_pool_n_threads ()) };

  nd_cpu_parallel_for (j.parts, dw_task, &j);
}

static void
dw_free (NdCpuKernel *kernel)
{
  DwNc16 *d = (DwNc16 *) kernel;

  g_free (d->wt);
  g_free (d->bias);
  g_free (d);
}

static NdCpuKernel *
dw_new (const NdNode *node, const NdNode *a)
{
  DwNc16 *d = g_new0 (DwNc16, 1);
  int kk = node->p.kernel * node->p.kernel;
  const float *w = node->w[ND_W_WEIGHT]->data;

  d->C = a->out_c;
  d->H = a->out_h;
  d->W = a->out_w;
  d->OH = node->out_h;
  d->OW = node->out_w;
  d->k = node->p.kernel;
  d->pad = node->p.pad;
#if HAVE_X86
  d->T = nd_cpu_dw_cv_strip (d->OW);
#endif
  d->OWr = (d->OW + d->T - 1) / d->T * d->T;
  d->wt = nd_cpu_dw_weights16 (w, d->C, kk);
  d->bias = g_new0 (float, d->C);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (d->bias, node->w[ND_W_BIAS]->data, d->C * sizeof (float));
  /* the padded input, then the rows of strips when they overhang the output's */
  d->per_thread = ((gsize) (d->OH + d->k - 1) * (d->OWr + d->k - 1) + (gsize) d->OH * d->OWr)
                  * 16;
  d->parent.scratch_floats = (gsize) nd_cpu_pool_n_threads () * d->per_thread;
  d->parent.algo = "nc16-dw";
  d->parent.run = dw_run;
  d->parent.free = dw_free;
  d->parent.fuses_epilogue = TRUE;
  return &d->parent;
}

/* ---- pools, batchnorm and the SE / SSE gate --------------------------------------------- */

typedef struct
{
  NdCpuKernel parent;
  NdOp        op;
  int         C, H, W, OH, OW, k, s, pad;
  float      *scale, *shift;   /* BATCHNORM */
  NdOpParams  p;               /* GATE: its gate function */
} Pool16;

typedef struct
{
  Pool16         *e;
  const NdTensor *x;
  const NdTensor *s;           /* GATE: the squeezed values, [N][C] in either layout */
  NdTensor       *y;
  int             parts;
} PoolJob;

#if HAVE_X86
/* One image's channel block of a pool: each output pixel the max or the sum / k² of the
 * window's cells inside the map (the reference's semantics, ceil_mode's windows included) */
__attribute__((target ("avx512f"))) static void
pool_block (const Pool16 *e, const float *x, float *y)
{
  gboolean is_max = e->op == ND_OP_MAXPOOL;
  __m512 inv = _mm512_set1_ps (1.0f / (e->k * e->k));

  if (e->k == 2 && e->s == 2 && e->pad == 0 && e->OH * 2 <= e->H && e->OW * 2 <= e->W)
    {
      /* VanillaNet's pools: four vectors an output pixel, no window bounds */
      for (int oy = 0; oy < e->OH; oy++)
        {
          const float *r0 = x + (gint64) (2 * oy) * e->W * 16, *r1 = r0 + (gint64) e->W * 16;
          float *o = y + (gint64) oy * e->OW * 16;

          for (int ox = 0; ox < e->OW; ox++)
            {
              __m512 a = _mm512_load_ps (r0 + ox * 32), b = _mm512_load_ps (r0 + ox * 32 + 16);
              __m512 c = _mm512_load_ps (r1 + ox * 32), d = _mm512_load_ps (r1 + ox * 32 + 16);

              _mm512_store_ps (o + ox * 16,
                               is_max ? _mm512_maskz_max_ps (0xFFFF, _mm512_maskz_max_ps (0xFFFF, a, b),
                                                             _mm512_maskz_max_ps (0xFFFF, c, d))
                                      : _mm512_mul_ps (_mm512_add_ps (_mm512_add_ps (a, b),
                                                                      _mm512_add_ps (c, d)), inv));
            }
        }
      return;
    }
  for (int oy = 0; oy < e->OH; oy++)
    {
      int iy0 = MAX (0, oy * e->s - e->pad), iy1 = MIN (e->H, oy * e->s - e->pad + e->k);

      for (int ox = 0; ox < e->OW; ox++)
        {
          int ix0 = MAX (0, ox * e->s - e->pad), ix1 = MIN (e->W, ox * e->s - e->pad + e->k);
          __m512 acc = _mm512_set1_ps (is_max ? -INFINITY : 0.0f);

          for (int iy = iy0; iy < iy1; iy++)
            for (int ix = ix0; ix < ix1; ix++)
              {
                __m512 v = _mm512_load_ps (x + ((gint64) iy * e->W + ix) * 16);

                acc = is_max ? _mm512_maskz_max_ps (0xFFFF, acc, v) : _mm512_add_ps (acc, v);
              }
          _mm512_store_ps (y + ((gint64) oy * e->OW + ox) * 16,
                           is_max ? acc : _mm512_mul_ps (acc, inv));
        }
    }
}

__attribute__((target ("avx512f"))) static void
mean_block (const float *x, gint64 HW, float *y)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0;
  gint64 p = 0;

  for (; p + 2 <= HW; p += 2)
    {
      a0 = _mm512_add_ps (a0, _mm512_load_ps (x + p * 16));
      a1 = _mm512_add_ps (a1, _mm512_load_ps (x + p * 16 + 16));
    }
  if (p < HW)
    a0 = _mm512_add_ps (a0, _mm512_load_ps (x + p * 16));
  _mm512_storeu_ps (y, _mm512_mul_ps (_mm512_add_ps (a0, a1), _mm512_set1_ps (1.0f / HW)));
}

/* y = x · gate(s[c]) on one image's channel block (ParNet's SSE on its BN branch) */
__attribute__((target ("avx512f"))) static void
gate_block (const Pool16 *e, const float *s, const float *x, gint64 HW, float *y)
{
  float g[16];
  __m512 gv;

  for (int l = 0; l < 16; l++)
    g[l] = nd_op_gate_value (&e->p, s[l]);
  gv = _mm512_loadu_ps (g);
  for (gint64 p = 0; p < HW; p++)
    _mm512_store_ps (y + p * 16, _mm512_mul_ps (_mm512_load_ps (x + p * 16), gv));
}

__attribute__((target ("avx512f"))) static void
bn_block (const Pool16 *e, int cb, const float *x, gint64 HW, float *y)
{
  __m512 a = _mm512_loadu_ps (e->scale + cb * 16), b = _mm512_loadu_ps (e->shift + cb * 16);

  for (gint64 p = 0; p < HW; p++)
    _mm512_store_ps (y + p * 16, _mm512_fmadd_ps (_mm512_load_ps (x + p * 16), a, b));
}
#endif

static void
pool_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  PoolJob *j = data;
  Pool16 *e = j->e;
  int cbs = e->C / 16;
  gint64 in_plane = (gint64) e->H * e->W, out_plane = (gint64) e->OH * e->OW, u0, u1;

  nd_cpu_split ((gint64) j->x->shape[0] * cbs, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      const float *x = j->x->data + u * in_plane * 16;
      float *y = j->y->data + u * out_plane * 16;

      if (e->op == ND_OP_BATCHNORM)
        bn_block (e, (int) (u % cbs), x, in_plane, y);
      else if (e->op == ND_OP_GATE)
        gate_block (e, j->s->data + u * 16, x, in_plane, y);
      else if (e->op == ND_OP_ADAPTIVE_AVGPOOL)
        mean_block (x, in_plane, y);
      else
        pool_block (e, x, y);
      if (e->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply_nc16 (&e->parent.epilogue, (int) (u / cbs), (int) (u % cbs), e->C,
                                    out_plane, 0, y, out_plane);
    }
#else
  g_assert_not_reached ();
#endif
}

static void
pool_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Pool16 *e = (Pool16 *) kernel;
  gint64 units = in[0]->shape[0] * (e->C / 16);
  PoolJob j = { e, in[0], e->op == ND_OP_GATE ? in[1] : NULL, out, 1 };

  if (in[0]->numel >= 16384)
    j.parts = (int) MIN (units, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.parts, pool_task, &j);
}

static void
pool_free (NdCpuKernel *kernel)
{
  Pool16 *e = (Pool16 *) kernel;

  g_free (e->scale);
  g_free (e->shift);
  g_free (e);
}

static NdCpuKernel *
pool_new (const NdNode *node, const NdNode *a)
{
  Pool16 *e = g_new0 (Pool16, 1);

  e->op = node->op;
  e->C = a->out_c;
  e->H = a->out_h;
  e->W = a->out_w;
  e->OH = node->out_h;
  e->OW = node->out_w;
  e->k = node->p.kernel;
  e->s = node->p.stride;
  e->pad = node->p.pad;
  e->p = node->p;
  if (node->op == ND_OP_BATCHNORM)
    nd_cpu_bn_fold (node, e->C, &e->scale, &e->shift);
  e->parent.algo = node->op == ND_OP_BATCHNORM ? "nc16-bn"
                   : node->op == ND_OP_GATE ? "nc16-gate" : "nc16-pool";
  e->parent.run = pool_run;
  e->parent.free = pool_free;
  e->parent.fuses_epilogue = node->op != ND_OP_BATCHNORM;
  return &e->parent;
}

/* ---- channel permutations -------------------------------------------------------------- */

/* ParNet's fusion: CONCAT_INTERLEAVE (z[2c] = a[c], z[2c + 1] = b[c]) and CHANNEL_SHUFFLE.
 * Each output block's 16 channels come from at most two input blocks (two for an interleave
 * or a 2-group shuffle), so a position's block is one two-source permute. */
typedef struct
{
  NdCpuKernel parent;
  int         O, HW;
  int        *src;       /* [O / 16][2]: (input · 65536 + block) of the two sources */
  int        *idx;       /* [O / 16][16]: permutex2var indices */
} Perm16;

typedef struct
{
  Perm16                  *e;
  const NdTensor * const  *in;
  NdTensor                *y;
  int                      parts;
} PermJob;

static void
perm_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  PermJob *j = data;
  Perm16 *e = j->e;
  int OB = e->O / 16;
  gint64 u0, u1;

  nd_cpu_split ((gint64) j->y->shape[0] * OB, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      int n = (int) (u / OB), ob = (int) (u % OB);
      const float *x[2];
      float *y = j->y->data + u * e->HW * 16;

      for (int q = 0; q < 2; q++)
        {
          const NdTensor *t = j->in[e->src[ob * 2 + q] >> 16];
          int cb = e->src[ob * 2 + q] & 0xFFFF;

          x[q] = t->data + ((gint64) n * (t->shape[1] / 16) + cb) * e->HW * 16;
        }
      permute2 (x[0], x[1], e->idx + ob * 16, y, e->HW);
    }
#else
  g_assert_not_reached ();
#endif
}

static void
perm_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Perm16 *e = (Perm16 *) kernel;
  gint64 units = out->shape[0] * (e->O / 16);
  PermJob j = { e, in, out, (int) MIN (units, 4 * nd_cpu_pool_n_threads ()) };

  nd_cpu_parallel_for (j.parts, perm_task, &j);
}

static void
perm_free (NdCpuKernel *kernel)
{
  Perm16 *e = (Perm16 *) kernel;

  g_free (e->src);
  g_free (e->idx);
  g_free (e);
}

static NdCpuKernel *
perm_new (const NdNode *node, const NdNode *a)
{
  Perm16 *e = g_new0 (Perm16, 1);
  int C = a->out_c;

  e->O = node->out_c;
  e->HW = a->out_h * a->out_w;
  e->src = g_new (int, e->O / 16 * 2);
  e->idx = g_new (int, e->O);
  for (int ob = 0; ob < e->O / 16; ob++)
    {
      int n_src = 0;

      for (int l = 0; l < 16; l++)
        {
          int o = ob * 16 + l, t, c, key, q;

          if (node->op == ND_OP_CONCAT_INTERLEAVE)
            {
              t = o % 2;
              c = o / 2;
            }
          else
            {
              t = 0;
              c = (o % node->p.groups) * (C / node->p.groups) + o / node->p.groups;
            }
          key = (t << 16) | (c / 16);
          for (q = 0; q < n_src && e->src[ob * 2 + q] != key; q++)
            ;
          if (q == n_src)
            {
              if (n_src == 2)
                {
                  perm_free (&e->parent);
                  return NULL;
                }
              e->src[ob * 2 + n_src++] = key;
            }
          e->idx[o] = q * 16 + c % 16;
        }
      if (n_src == 1)
        e->src[ob * 2 + 1] = e->src[ob * 2];
    }
  e->parent.algo = "nc16-permute";
  e->parent.run = perm_run;
  e->parent.free = perm_free;
  return &e->parent;
}

/* ---- factory --------------------------------------------------------------------------- */

/* Winograd's tile size for a 3×3 stride-1 convolution on this layout, 0 for the direct
 * kernel: F(4,3) from 24² maps, F(2,3) from 6², as on NCHW (nd-cpu-conv-winograd.c);
 * ND_CPU_NC16_CONV3=direct|f23|f43 forces one (tests, benchmarks) */
static int
conv3_wino_m (const NdNode *node)
{
  const char *force = g_getenv ("ND_CPU_NC16_CONV3");

  if (node->p.kernel != 3 || node->p.stride != 1)
    return 0;
  if (force != NULL && g_str_equal (force, "direct"))
    return 0;
  if (force != NULL && g_str_equal (force, "f23"))
    return 2;
  if (force != NULL && g_str_equal (force, "f43"))
    return 4;
  return node->out_h >= 24 && node->out_w >= 24 ? 4 : node->out_h >= 6 && node->out_w >= 6 ? 2 : 0;
}

NdCpuKernel *
nd_cpu_nc16_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  NdCpuKernel *k = NULL;

  if (!nd_cpu_gemm_supported () || node->n_inputs < 1)
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  /* the stem: the model's input in NCHW, a patchify window (stride = kernel, no padding:
   * VanillaNet's 4×4) of at most 11² over a few channels. Overlapping windows cost it more
   * gathers than the NCHW direct kernel (ParNet-S's 3×3: 0.50 against 0.30 ms, ResNet's 7×7
   * 0.95 against 0.6) */
  if (node->op == ND_OP_CONV2D && node->inputs[0] == 0 && mult16 (node->out_c)
      && node->p.groups == 1 && (node->p.kernel_w == 0 || node->p.kernel_w == node->p.kernel)
      && node->p.stride == node->p.kernel && node->p.pad == 0 && node->p.pad_w == 0
      && node->p.kernel <= 11 && a->out_c * node->p.kernel * node->p.kernel <= 1024)
    k = nd_cpu_nc16_stem_new (node, a);
  if (k != NULL || !mult16 (a->out_c) || !mult16 (node->out_c))
    {
      if (k != NULL)
        k->nc16 = TRUE;
      return k;
    }
  switch (node->op)
    {
    case ND_OP_CONV2D:
      if (node->p.kernel_w > 0 && node->p.kernel_w != node->p.kernel)
        return NULL;
      /* below 8² the NCHW GEMM's narrow kernels win (VanillaNet-9's 4096² 1×1 on 7²: 4.1
       * against 4.4–4.6 ms): the map is converted there and back, 49 values a channel */
      if (node->p.kernel == 1 && node->p.stride == 1 && node->p.pad == 0 && node->p.groups == 1
          && (gint64) a->out_h * a->out_w >= 64)
        k = nd_cpu_nc16_conv1x1_new (node, a, batch);
      else if (node->p.groups == a->out_c && node->out_c == a->out_c && node->p.stride == 1
               && (node->p.kernel == 3 || node->p.kernel == 5 || node->p.kernel == 7)
               && node->p.pad < node->p.kernel && (node->p.pad_w == 0 || node->p.pad_w == node->p.pad))
        k = dw_new (node, a);
      else if (!(node->p.kernel == 1 && node->p.stride == 1 && node->p.groups == 1)
               && node->p.groups != a->out_c && mult16 (a->out_c / node->p.groups)
               && mult16 (node->out_c / node->p.groups) && node->p.kernel <= 7
               && (node->p.pad_w == 0 || node->p.pad_w == node->p.pad))
        {
          int m = conv3_wino_m (node);

          k = m > 0 ? nd_cpu_nc16_wino_new (node, a, m, batch)
                    : nd_cpu_nc16_convk_new (node, a, batch);
        }
      break;
    case ND_OP_MAXPOOL:
    case ND_OP_AVGPOOL:
    case ND_OP_BATCHNORM:
      k = pool_new (node, a);
      break;
    case ND_OP_GATE:
      if (node->n_inputs == 2)
        k = pool_new (node, a);
      break;
    case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE:
      k = perm_new (node, a);
      break;
    case ND_OP_ADAPTIVE_AVGPOOL:
      if (node->out_h == 1 && node->out_w == 1)
        k = pool_new (node, a);
      break;
    default:
      break;
    }
  if (k != NULL)
    k->nc16 = TRUE;
  return k;
}

gboolean
nd_cpu_nc16_agnostic (const NdGraph *graph, const NdNode *node)
{
  switch (node->op)
    {
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
    case ND_OP_ADD:
      return mult16 (node->out_c);
    case ND_OP_CONCAT:
      for (int i = 0; i < node->n_inputs; i++)
        if (!mult16 (nd_graph_node (graph, node->inputs[i])->out_c))
          return FALSE;
      return mult16 (node->out_c);
    default:
      return FALSE;
    }
}
