/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <cblas.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Convolution as im2col + sgemm per (image, group):
 *   out[g] (og × OH·OW) = W[g] (og × cg·k·k) · cols (cg·k·k × OH·OW)
 * A 1×1 stride-1 unpadded conv reads the input directly as its column matrix ("gemm-1x1").
 * The work is split across the pool by output columns (each thread builds its own columns
 * and multiplies them) or, when the map is too small to split, by output channels. The
 * packed GEMM applies the bias and an epilogue of ADD and / or ReLU in its registers as it
 * stores each tile (NdCpuGemmEp); any other epilogue, and OpenBLAS's output, get them in a
 * pass over the task's output after (finish()). OpenBLAS's cblas interface has no
 * pre-packed sgemm, so "prepared once" here means the weight rows are used in place and all
 * scratch is sized at prepare time. */

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, O, OH, OW, k, s, pad, g;
  int kw, pad_w;     /* the kernel's width and column padding (k, pad: its height's) */
  gboolean direct;   /* 1×1, stride 1, pad 0: no im2col */
  int chunk;         /* columns im2col'd at a time when split by columns */
  gboolean split_cols;   /* each group's GEMM split by columns, else by rows (plan_split) */
  int parts;             /* tasks a group */
  NdCpuPackedA **packed;   /* [g] weights packed at prepare (AVX-512), else NULL */
} ConvGemm;

typedef struct
{
  ConvGemm       *cg;
  const NdNode   *node;
  const float    *x;      /* this image, this group's first channel */
  const float    *w;      /* this group's weights */
  float          *y;      /* this image, this group's first channel */
  const float    *cols;   /* when built before the split */
  int             n, grp, parts;
  gboolean        split_cols;
} ConvJob;

static const char *forced_algo;

void
nd_cpu_conv_force_algo (const char *algo)
{
  forced_algo = algo;
}

const char *
nd_cpu_conv_forced_algo (void)
{
  return forced_algo;
}

#if HAVE_X86
__attribute__((target ("avx512f"))) static void
copy_s2_avx512 (float *restrict dst, const float *restrict src, int n)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  int i = 0;

  /* 16 outputs from src[2i … 2i + 30]: not src[2i + 31], which may lie past the row */
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps (dst + i, _mm512_permutex2var_ps (_mm512_loadu_ps (src + 2 * i), even,
                                                       _mm512_maskz_loadu_ps (0x7FFF,
                                                                              src + 2 * i + 16)));
  if (i < n)
    {
      int left = 2 * (n - i) - 1;   /* src[2i … 2n − 2] */

      _mm512_mask_storeu_ps (dst + i, (__mmask16) ((1u << (n - i)) - 1),
                             _mm512_permutex2var_ps (
                               _mm512_maskz_loadu_ps ((__mmask16) ((1u << MIN (16, left)) - 1),
                                                      src + 2 * i),
                               even,
                               _mm512_maskz_loadu_ps ((__mmask16) ((1u << MAX (0, left - 16)) - 1),
                                                      src + 2 * i + 16)));
    }
}
#endif

/* dst[i] = src[2i], i < n: stride-2 convolutions' im2col rows, a third of their time as
 * the compilers' scalar loop (ParNet-S's first stride-2 conv, perf) */
void
nd_cpu_copy_s2 (float *restrict dst, const float *restrict src, int n)
{
#if HAVE_X86
  static int avx512 = -1;

  if (avx512 < 0)
    avx512 = nd_cpu_gemm_supported ();
  if (avx512)
    {
      copy_s2_avx512 (dst, src, n);
      return;
    }
#endif
  for (int i = 0; i < n; i++)
    dst[i] = src[2 * i];
}

/* Columns [p0, p1) of the im2col matrix into @cols, @ld floats a row, column p0 first. */
ND_CPU_HOT static void
im2col_cols (const float *restrict x, int C, int H, int W, int k, int kw, int s, int pad,
             int pad_w, int OW, gint64 ld, gint64 p0, gint64 p1, float *restrict cols)
{
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < kw; kx++)
        {
          float *row = cols + ((gint64) (c * k + ky) * kw + kx) * ld;
          const float *plane = x + (gint64) c * H * W;

          for (gint64 p = p0; p < p1;)
            {
              int oy = p / OW, ox0 = p % OW;
              int ox1 = MIN ((gint64) OW, ox0 + (p1 - p));
              int iy = oy * s - pad + ky;
              float *dst = row + (p - p0) - ox0;   /* dst[ox]: column oy·OW + ox */

              if (iy < 0 || iy >= H)
                memset (dst + ox0, 0, (ox1 - ox0) * sizeof (float));
              else
                {
                  const float *src = plane + (gint64) iy * W;
                  int off = kx - pad_w;
                  /* columns whose input ox·s + off lies in [0, W): no test in the copy loop */
                  int lo = off >= 0 ? 0 : (-off + s - 1) / s;
                  int hi = W - 1 - off < 0 ? 0 : (W - 1 - off) / s + 1;
                  int a = CLAMP (lo, ox0, ox1), b = CLAMP (hi, a, ox1);

                  for (int ox = ox0; ox < a; ox++)
                    dst[ox] = 0.0f;
                  if (s == 1)
                    for (int ox = a; ox < b; ox++)
                      dst[ox] = src[ox + off];
                  else if (s == 2)
                    nd_cpu_copy_s2 (dst + a, src + 2 * a + off, b - a);
                  else
                    for (int ox = a; ox < b; ox++)
                      dst[ox] = src[ox * s + off];
                  for (int ox = b; ox < ox1; ox++)
                    dst[ox] = 0.0f;
                }
              p += ox1 - ox0;
            }
        }
}

ND_CPU_HOT static void
add_bias (float *y, gint64 len, float b)
{
  for (gint64 i = 0; i < len; i++)
    y[i] += b;
}

/* Bias and epilogue on channels [o0, o1) of the group, columns [p0, p1). */
static void
finish (ConvJob *j, int o0, int o1, gint64 p0, gint64 p1)
{
  ConvGemm *cg = j->cg;
  const NdTensor *b = j->node->w[ND_W_BIAS];
  gint64 P = (gint64) cg->OH * cg->OW;
  int opg = cg->O / cg->g;

  if (b == NULL && cg->parent.epilogue.n_steps == 0)
    return;
  for (int o = o0; o < o1; o++)
    {
      int oc = j->grp * opg + o;
      float *row = j->y + (gint64) o * P + p0;

      if (b != NULL)
        add_bias (row, p1 - p0, b->data[oc]);
      if (cg->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply (&cg->parent.epilogue, j->n, oc, cg->O, P, p0, row, p1 - p0);
    }
}

/* The bias and epilogue as the packed GEMM's own (for C's column 0 at plane column @col0),
 * when the epilogue is at most ADD then ReLU; FALSE otherwise (finish() does it after). */
static gboolean
gemm_ep (const ConvJob *j, gint64 col0, NdCpuGemmEp *ep)
{
  const ConvGemm *cg = j->cg;
  const NdCpuEpilogue *e = &cg->parent.epilogue;
  const NdTensor *b = j->node->w[ND_W_BIAS];
  int opg = cg->O / cg->g, s = 0;

  *ep = (NdCpuGemmEp) { b != NULL ? b->data + j->grp * opg : NULL, NULL, FALSE };
  if (s < e->n_steps && e->steps[s].kind == ND_CPU_EP_ADD)
    ep->add = e->steps[s++].other->data
              + ((gint64) j->n * cg->O + (gint64) j->grp * opg) * cg->OH * cg->OW + col0;
  if (s < e->n_steps && e->steps[s].kind == ND_CPU_EP_RELU)
    {
      ep->relu = TRUE;
      s++;
    }
  return s == e->n_steps;
}

static void
conv_task (gpointer data, int task, int thread)
{
  ConvJob *j = data;
  ConvGemm *cg = j->cg;
  int cpg = cg->C / cg->g, opg = cg->O / cg->g, K = cpg * cg->k * cg->kw;
  gint64 P = (gint64) cg->OH * cg->OW, b, e;
  NdCpuGemmEp ep;
  gboolean fused = cg->packed != NULL && gemm_ep (j, 0, &ep);

  if (j->split_cols)
    {
      const float *cols = j->x;

      nd_cpu_split (P, j->parts, task, 32, &b, &e);
      if (e <= b)
        return;
      if (cg->direct)
        {
          if (cg->packed != NULL)
            nd_cpu_gemm_run_ep (cg->packed[j->grp], 0, opg, cols, P, b, e, j->y, P,
                                fused ? &ep : NULL);
          else
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, opg, e - b, K, 1.0f, j->w, K,
                         cols + b, P, 0.0f, j->y + b, P);
        }
      else
        /* im2col a chunk of columns at a time into this thread's scratch, small enough to
         * stay in L2 for the GEMM that reads it back */
        for (gint64 c0 = b; c0 < e; c0 += cg->chunk)
          {
            gint64 c1 = MIN (e, c0 + cg->chunk);
            float *buf = cg->parent.scratch + (gsize) thread * K * cg->chunk;

            im2col_cols (j->x, cpg, cg->H, cg->W, cg->k, cg->kw, cg->s, cg->pad, cg->pad_w,
                         cg->OW, c1 - c0, c0, c1, buf);
            if (cg->packed != NULL)
              {
                NdCpuGemmEp ep_c0;

                gemm_ep (j, c0, &ep_c0);
                nd_cpu_gemm_run_ep (cg->packed[j->grp], 0, opg, buf, c1 - c0, 0, c1 - c0,
                                    j->y + c0, P, fused ? &ep_c0 : NULL);
              }
            else
              cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, opg, c1 - c0, K, 1.0f,
                           j->w, K, buf, c1 - c0, 0.0f, j->y + c0, P);
          }
      if (!fused)
        finish (j, 0, opg, b, e);
    }
  else
    {
      nd_cpu_split (opg, j->parts, task, ND_CPU_GEMM_MR, &b, &e);
      if (e <= b)
        return;
      if (cg->packed != NULL)
        nd_cpu_gemm_run_ep (cg->packed[j->grp], b, e, j->cols, P, 0, P, j->y, P,
                            fused ? &ep : NULL);
      else
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, e - b, P, K, 1.0f, j->w + b * K, K,
                   j->cols, P, 0.0f, j->y + b * P, P);
      if (!fused)
        finish (j, b, e, 0, P);
    }
}

/* Split by rows: the whole column matrix first, channels [c0, c1) a task */
static void
im2col_task (gpointer data, int task, int thread)
{
  ConvJob *j = data;
  ConvGemm *cg = j->cg;
  int cpg = cg->C / cg->g;
  gint64 P = (gint64) cg->OH * cg->OW, c0, c1;

  nd_cpu_split (cpg, MIN (cpg, 2 * nd_cpu_pool_n_threads ()), task, 1, &c0, &c1);
  if (c1 > c0)
    im2col_cols (j->x + c0 * cg->H * cg->W, c1 - c0, cg->H, cg->W, cg->k, cg->kw, cg->s,
                 cg->pad, cg->pad_w, cg->OW, P, 0, P,
                 (float *) j->cols + c0 * cg->k * cg->kw * P);
}

/* All groups of one image in one pool call: task t is part t % parts of group t / parts */
typedef struct
{
  ConvJob *jobs;
  int      per_group;
  void   (*fn) (gpointer data, int task, int thread);
} GroupJob;

static void
group_task (gpointer data, int task, int thread)
{
  GroupJob *gj = data;

  gj->fn (&gj->jobs[task / gj->per_group], task % gj->per_group, thread);
}

/* How one group's GEMM is split (the same for every group): by columns or rows, in @parts */
static void
plan_split (const ConvGemm *cg, int threads, gboolean *split_cols, int *parts)
{
  int cpg = cg->C / cg->g, opg = cg->O / cg->g, K = cpg * cg->k * cg->kw;
  gint64 P = (gint64) cg->OH * cg->OW, flops = 2 * (gint64) opg * K * P;

  /* a few tasks per thread: on a loaded machine a late worker leaves its share to the
   * others instead of stalling the op */
  *parts = flops < 200000 ? 1 : 3 * threads;
  /* by columns, each task streams all the weights; by rows, all the input columns:
   * the smaller is read again by every task (VanillaNet-9's 1024 → 2048 on 28²: 8 MB
   * of weights, 3 MB of input) */
  *split_cols = (P >= 48 * *parts && opg <= P) || opg < 4 * *parts;
  /* by rows, every task packs all of its group's columns: a task of fewer than ~96 rows
   * spent a third of its time on that (ParNet-S's grouped stride-2 conv, 192 rows a group:
   * 2 tasks 2.0-2.25 ms, 6 tasks 2.3-2.5). The groups run side by side: with a group for
   * every thread, one task a group packs them once (that conv, 5 alternating runs: two tasks
   * a group 1.71-1.75 ms, one 1.48-1.62). */
  if (!*split_cols && *parts > 1)
    *parts = cg->g >= threads ? 1 : threads * CLAMP (opg / (96 * threads), 1, 3);
}

static void
conv_gemm_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  ConvGemm *cg = (ConvGemm *) kernel;
  int N = in[0]->shape[0], threads = nd_cpu_pool_n_threads ();
  int cpg = cg->C / cg->g, opg = cg->O / cg->g, K = cpg * cg->k * cg->kw;
  gint64 P = (gint64) cg->OH * cg->OW;
  g_autofree ConvJob *jobs = g_new0 (ConvJob, cg->g);

  for (int n = 0; n < N; n++)
    {
      GroupJob gj = { jobs, cg->parts, conv_task };

      for (int grp = 0; grp < cg->g; grp++)
        {
          const float *x = in[0]->data + ((gint64) n * cg->C + (gint64) grp * cpg) * cg->H * cg->W;

          jobs[grp] = (ConvJob) {
            .cg = cg, .node = node, .n = n, .grp = grp, .x = x,
            .parts = cg->parts, .split_cols = cg->split_cols,
            .w = node->w[ND_W_WEIGHT]->data + (gint64) grp * opg * K,
            .y = out->data + ((gint64) n * cg->O + (gint64) grp * opg) * P,
            /* by rows: the whole column matrix of each group, shared by its tasks */
            .cols = cg->split_cols ? NULL : cg->direct ? x : kernel->scratch + (gsize) grp * K * P,
          };
        }
      if (!cg->split_cols && !cg->direct)
        {
          /* built by the pool, a range of one group's channels a task */
          GroupJob cj = { jobs, MIN (cpg, 2 * threads), im2col_task };

          nd_cpu_parallel_for (cg->g * cj.per_group, group_task, &cj);
        }
      nd_cpu_parallel_for (cg->g * cg->parts, group_task, &gj);
    }
}

static void
conv_gemm_free (NdCpuKernel *kernel)
{
  ConvGemm *cg = (ConvGemm *) kernel;

  if (cg->packed != NULL)
    for (int i = 0; i < cg->g; i++)
      nd_cpu_gemm_free (cg->packed[i]);
  g_free (cg->packed);
  g_free (kernel);
}

NdCpuKernel *
nd_cpu_conv_gemm_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  ConvGemm *cg;
  gboolean direct;

  if (node->op != ND_OP_CONV2D)
    return NULL;
  direct = nd_op_is_square (&node->p, 1, 0) && node->p.stride == 1;
  if (forced_algo != NULL && !g_str_equal (forced_algo, direct ? "gemm-1x1" : "im2col+sgemm"))
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  cg = g_new0 (ConvGemm, 1);
  cg->C = a->out_c;
  cg->H = a->out_h;
  cg->W = a->out_w;
  cg->O = node->out_c;
  cg->OH = node->out_h;
  cg->OW = node->out_w;
  cg->k = node->p.kernel;
  cg->kw = nd_op_kernel_w (&node->p);
  cg->s = node->p.stride;
  cg->pad = node->p.pad;
  cg->pad_w = nd_op_pad_w (&node->p);
  cg->g = node->p.groups;
  cg->direct = direct;
  plan_split (cg, nd_cpu_pool_n_threads (), &cg->split_cols, &cg->parts);
  cg->parent.algo = cg->direct ? "gemm-1x1" : "im2col+sgemm";
  cg->parent.run = conv_gemm_run;
  cg->parent.free = conv_gemm_free;
  cg->parent.fuses_epilogue = TRUE;
  if (!cg->direct)
    {
      /* ~384 KiB of columns per chunk (a 2 MiB L2 holds them with the weights' block); a
       * task's whole share, 576 × 523 floats for ParNet-S's first stride-2 conv, went out to
       * L3 between im2col and the GEMM */
      gsize K = (gsize) (cg->C / cg->g) * cg->k * cg->kw;

      cg->chunk = MAX (32, (int) (96 * 1024 / K) / 32 * 32);
      cg->parent.scratch_floats = cg->split_cols
                                  ? (gsize) nd_cpu_pool_n_threads () * K * cg->chunk
                                  : (gsize) cg->g * K * cg->OH * cg->OW;
    }
  if (nd_cpu_gemm_supported ())
    {
      int opg = cg->O / cg->g, K = cg->C / cg->g * cg->k * cg->kw;

      cg->packed = g_new0 (NdCpuPackedA *, cg->g);
      for (int i = 0; i < cg->g; i++)
        if ((cg->packed[i] = nd_cpu_gemm_pack (node->w[ND_W_WEIGHT]->data + (gsize) i * opg * K,
                                               opg, K, K)) == NULL)
          {
            conv_gemm_free (&cg->parent);
            return NULL;
          }
    }
  return &cg->parent;
}

/* Linear: out (N × O) = x (N × I) · Wᵀ + b. A few images are matrix-vector products, split
 * by output rows across the pool: the layer is a read of its weights (VGG-16's first
 * classifier layer: 411 MB), and sgemm with one row re-packs all of them (25088 × 4096:
 * 31 ms against 16 ms as sgemv, measured). */
typedef struct
{
  const float *w, *x;
  float       *y;
  int          O, n_in, parts;
} LinearJob;

static void
linear_task (gpointer data, int task, int thread)
{
  LinearJob *j = data;
  gint64 b, e;

  nd_cpu_split (j->O, j->parts, task, 16, &b, &e);
  if (e > b)
    cblas_sgemv (CblasRowMajor, CblasNoTrans, e - b, j->n_in, 1.0f, j->w + b * j->n_in,
                 j->n_in, j->x, 1, 1.0f, j->y + b, 1);
}

static void
linear_gemm_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in,
                 NdTensor *out)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  int N = in[0]->shape[0], O = w->shape[0], n_in = w->shape[1];

  for (int n = 0; n < N; n++)
    memcpy (out->data + (gint64) n * O, node->w[ND_W_BIAS]->data, O * sizeof (float));
  if (N > 4)   /* as the algorithm named at prepare */
    {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, N, O, n_in, 1.0f, in[0]->data, n_in,
                   w->data, n_in, 1.0f, out->data, O);
      return;
    }
  for (int n = 0; n < N; n++)
    {
      LinearJob j = { w->data, in[0]->data + (gint64) n * n_in, out->data + (gint64) n * O, O,
                      n_in, (gint64) O * n_in < 65536 ? 1 : 2 * nd_cpu_pool_n_threads () };

      nd_cpu_parallel_for (j.parts, linear_task, &j);
    }
}

NdCpuKernel *
nd_cpu_linear_gemm_new (const NdGraph *graph, const NdNode *node, int batch)
{
  NdCpuKernel *k;

  if (node->op != ND_OP_LINEAR)
    return NULL;
  k = g_new0 (NdCpuKernel, 1);
  k->algo = batch <= 4 ? "gemv" : "sgemm";
  k->run = linear_gemm_run;
  k->free = (void (*) (NdCpuKernel *)) g_free;
  return k;
}
