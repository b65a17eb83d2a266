/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-teach.h"

/* Softmax regression, full batch, by L-BFGS (Nocedal & Wright, Algorithm 7.4/7.5) with an
 * Armijo backtracking line search. Everything is in double and in a fixed order, so the same
 * features and seed give the same head. The features are standardized first (the pooled
 * activations of a trained backbone differ in scale by orders of magnitude between
 * channels, which L-BFGS would otherwise spend its iterations on); the standardization is
 * folded back into the weights, so the saved head is a plain linear layer on raw features. */

#define LBFGS_MEMORY 10

void
nd_teach_options_init (NdTeachOptions *options)
{
  options->holdout = 0.2;
  options->l2 = 1e-2;
  options->max_iter = 200;
  options->seed = 0;
  options->cancellable = NULL;
}

typedef struct
{
  int           n, d, k;
  const double *z;      /* [n, d] standardized features */
  const int    *y;      /* [n] */
  double        l2;
  double       *p;      /* [k] scratch */
  GCancellable *cancellable;
} Problem;

/* θ = [W (k×d) | b (k)]: the mean cross-entropy plus l2/2·|W|², and its gradient in @g. */
static double
objective (const Problem *pb, const double *theta, double *g)
{
  const double *w = theta, *b = theta + (gsize) pb->k * pb->d;
  double *gw = g, *gb = g + (gsize) pb->k * pb->d;
  double f = 0;
  gsize nw = (gsize) pb->k * pb->d;

  memset (g, 0, sizeof (double) * (nw + pb->k));
  for (int i = 0; i < pb->n; i++)
    {
      const double *zi = pb->z + (gsize) i * pb->d;
      double max = -INFINITY, sum = 0;

      for (int c = 0; c < pb->k; c++)
        {
          double s = b[c];

          for (int j = 0; j < pb->d; j++)
            s += w[(gsize) c * pb->d + j] * zi[j];
          pb->p[c] = s;
          max = MAX (max, s);
        }
      for (int c = 0; c < pb->k; c++)
        sum += (pb->p[c] = exp (pb->p[c] - max));
      f -= log (pb->p[pb->y[i]] / sum);
      for (int c = 0; c < pb->k; c++)
        {
          double r = pb->p[c] / sum - (c == pb->y[i]);

          gb[c] += r;
          for (int j = 0; j < pb->d; j++)
            gw[(gsize) c * pb->d + j] += r * zi[j];
        }
    }
  f /= pb->n;
  for (gsize j = 0; j < nw + pb->k; j++)
    g[j] /= pb->n;
  for (gsize j = 0; j < nw; j++)
    {
      f += 0.5 * pb->l2 * w[j] * w[j];
      gw[j] += pb->l2 * w[j];
    }
  return f;
}

static double
dot (const double *a, const double *b, gsize n)
{
  double s = 0;

  for (gsize i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* Minimizes from θ = 0; returns the iterations run and the final objective in *@fx. */
static int
lbfgs (const Problem *pb, double *x, int max_iter, double *fx)
{
  gsize n = (gsize) pb->k * pb->d + pb->k;
  g_autofree double *g = g_new0 (double, n), *d = g_new (double, n);
  g_autofree double *xn = g_new (double, n), *gn = g_new (double, n);
  g_autofree double *s = g_new (double, n * LBFGS_MEMORY), *y = g_new (double, n * LBFGS_MEMORY);
  double rho[LBFGS_MEMORY], alpha[LBFGS_MEMORY];
  int m = 0, head = 0, it;
  double f = objective (pb, x, g);

  for (it = 0; it < max_iter; it++)
    {
      double gd, step, fn = f, gmax = 0;

      for (gsize i = 0; i < n; i++)
        gmax = MAX (gmax, fabs (g[i]));
      if (gmax < 1e-7 || g_cancellable_is_cancelled (pb->cancellable))
        break;
      /* two-loop recursion: d = −H·g */
      for (gsize i = 0; i < n; i++)
        d[i] = -g[i];
      for (int j = 0; j < m; j++)
        {
          int idx = (head - 1 - j + LBFGS_MEMORY) % LBFGS_MEMORY;

          alpha[idx] = rho[idx] * dot (s + idx * n, d, n);
          for (gsize i = 0; i < n; i++)
            d[i] -= alpha[idx] * y[idx * n + i];
        }
      if (m > 0)
        {
          int last = (head - 1 + LBFGS_MEMORY) % LBFGS_MEMORY;
          double gamma = dot (s + last * n, y + last * n, n) / dot (y + last * n, y + last * n, n);

          for (gsize i = 0; i < n; i++)
            d[i] *= gamma;
        }
      for (int j = m - 1; j >= 0; j--)
        {
          int idx = (head - 1 - j + LBFGS_MEMORY) % LBFGS_MEMORY;
          double beta = rho[idx] * dot (y + idx * n, d, n);

          for (gsize i = 0; i < n; i++)
            d[i] += (alpha[idx] - beta) * s[idx * n + i];
        }
      gd = dot (g, d, n);
      if (!(gd < 0))
        {
          /* not a descent direction (round-off): restart from steepest descent */
          m = 0;
          for (gsize i = 0; i < n; i++)
            d[i] = -g[i];
          gd = dot (g, d, n);
        }
      step = m == 0 ? MIN (1.0, 1.0 / sqrt (-gd)) : 1.0;
      for (int tries = 0; tries < 40; tries++, step *= 0.5)
        {
          for (gsize i = 0; i < n; i++)
            xn[i] = x[i] + step * d[i];
          fn = objective (pb, xn, gn);
          if (fn <= f + 1e-4 * step * gd)
            break;
        }
      if (!(fn < f))
        break;   /* no decrease along d: at the optimum to round-off */
      {
        double sy;

        for (gsize i = 0; i < n; i++)
          {
            s[head * n + i] = xn[i] - x[i];
            y[head * n + i] = gn[i] - g[i];
          }
        sy = dot (s + head * n, y + head * n, n);
        if (sy > 1e-12)
          {
            rho[head] = 1.0 / sy;
            head = (head + 1) % LBFGS_MEMORY;
            m = MIN (m + 1, LBFGS_MEMORY);
          }
      }
      memcpy (x, xn, n * sizeof *x);
      memcpy (g, gn, n * sizeof *g);
      if (f - fn < 1e-12 * MAX (1.0, fabs (f)))
        {
          f = fn;
          it++;
          break;
        }
      f = fn;
    }
  *fx = f;
  return it;
}

/* Per class, a seeded shuffle of its images; the first holdout share of them is held out. */
static gboolean *
split (const int *labels, int n, int k, const NdTeachOptions *o, int *train_counts,
       int *holdout_counts)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (o->seed);
  gboolean *held = g_new0 (gboolean, n);
  g_autofree int *idx = g_new (int, n);

  for (int c = 0; c < k; c++)
    {
      int m = 0, h = 0;

      for (int i = 0; i < n; i++)
        if (labels[i] == c)
          idx[m++] = i;
      for (int i = m - 1; i > 0; i--)
        {
          int j = g_rand_int_range (rand, 0, i + 1), t = idx[i];

          idx[i] = idx[j];
          idx[j] = t;
        }
      if (o->holdout > 0 && m >= 2)
        h = CLAMP ((int) lround (m * o->holdout), 1, m - 1);
      for (int i = 0; i < h; i++)
        held[idx[i]] = TRUE;
      train_counts[c] = m - h;
      holdout_counts[c] = h;
    }
  return held;
}

static int
argmax (const float *v, int k)
{
  int best = 0;

  for (int c = 1; c < k; c++)
    if (v[c] > v[best])
      best = c;
  return best;
}

/* Folds the standardization into W and b: W·(x − μ)/σ + b = (W/σ)·x + (b − Σ W·μ/σ). */
static void
fold (NdTeachHead *head, const double *theta, const double *mu, const double *sd)
{
  int k = head->n_classes, d = head->dim;

  for (int c = 0; c < k; c++)
    {
      double b = theta[(gsize) k * d + c];

      for (int j = 0; j < d; j++)
        {
          double w = theta[(gsize) c * d + j] / sd[j];

          head->weight->data[(gsize) c * d + j] = (float) w;
          b -= w * mu[j];
        }
      head->bias->data[c] = (float) b;
    }
}

static gboolean
check_input (const NdTensor *features, const int *labels, const char * const *classes, int k,
             const NdTeachOptions *o, GError **error)
{
  if (k < 2 || k > ND_TEACH_MAX_CLASSES)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("teaching needs 2 to %d classes, not %d"), ND_TEACH_MAX_CLASSES, k);
      return FALSE;
    }
  for (int c = 0; c < k; c++)
    {
      /* the head file joins the names with commas */
      gboolean bad = *classes[c] == '\0' || strchr (classes[c], ',') != NULL;

      for (int e = 0; e < c && !bad; e++)
        bad = g_str_equal (classes[c], classes[e]);
      if (bad)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("class names must be distinct, not empty and without commas: “%s”"),
                       classes[c]);
          return FALSE;
        }
    }
  if (features->ndim != 2 || features->shape[0] < 1 || features->shape[1] < 1)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("features must be [N, D]"));
      return FALSE;
    }
  if (!(o->holdout >= 0 && o->holdout <= 0.9) || !(o->l2 >= 0) || o->max_iter < 1)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("the held-out share must be 0 to 0.9, the L2 penalty ≥ 0 and the "
                     "iterations ≥ 1"));
      return FALSE;
    }
  for (int64_t i = 0; i < features->shape[0]; i++)
    if (labels[i] < 0 || labels[i] >= k)
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("label %d of image %" PRId64 " is not a class"), labels[i],
                     (gint64) i);
        return FALSE;
      }
  for (int64_t i = 0; i < features->numel; i++)
    if (!isfinite (features->data[i]))
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("the features hold NaN or Inf"));
        return FALSE;
      }
  return TRUE;
}

/* Accuracy (and the confusion matrix when @confusion) of @head over the images @mask selects
 * (mask[i] == @want). Returns −1 when it selects none. */
static double
score (const NdTeachHead *head, const NdTensor *features, const int *labels,
       const gboolean *mask, gboolean want, int *confusion)
{
  g_autoptr(NdTensor) logits = nd_teach_head_logits (head, features);
  int n = 0, right = 0, k = head->n_classes;

  for (int64_t i = 0; i < features->shape[0]; i++)
    {
      int pred;

      if (mask[i] != want)
        continue;
      pred = argmax (logits->data + i * k, k);
      n++;
      right += pred == labels[i];
      if (confusion != NULL)
        confusion[labels[i] * k + pred]++;
    }
  return n > 0 ? (double) right / n : -1;
}

NdTeachHead *
nd_teach_train (const NdTensor *features, const int *labels, const char * const *classes,
                const NdTeachOptions *options, GError **error)
{
  g_autoptr(NdTeachHead) head = NULL;
  g_autofree gboolean *held = NULL;
  g_autofree double *z = NULL, *mu = NULL, *sd = NULL, *theta = NULL, *p = NULL;
  g_autofree int *y = NULL;
  int k = classes != NULL ? (int) g_strv_length ((char **) classes) : 0;
  int n = 0, d, all;
  Problem pb;

  if (!check_input (features, labels, classes, k, options, error))
    return NULL;
  all = (int) features->shape[0];
  d = (int) features->shape[1];
  head = g_new0 (NdTeachHead, 1);
  head->n_classes = k;
  head->dim = d;
  head->classes = g_strdupv ((char **) classes);
  head->layer = g_strdup ("head.fc");
  head->backbone = g_strdup ("");
  head->train_counts = g_new0 (int, k);
  head->holdout_counts = g_new0 (int, k);
  head->confusion = g_new0 (int, k * k);
  held = split (labels, all, k, options, head->train_counts, head->holdout_counts);
  for (int c = 0; c < k; c++)
    if (head->train_counts[c] == 0)
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("class “%s” has no images"), classes[c]);
        return NULL;
      }

  /* standardize the training images' features */
  mu = g_new0 (double, d);
  sd = g_new0 (double, d);
  for (int i = 0; i < all; i++)
    if (!held[i])
      {
        n++;
        for (int j = 0; j < d; j++)
          mu[j] += features->data[(gsize) i * d + j];
      }
  for (int j = 0; j < d; j++)
    mu[j] /= n;
  for (int i = 0; i < all; i++)
    if (!held[i])
      for (int j = 0; j < d; j++)
        {
          double v = features->data[(gsize) i * d + j] - mu[j];

          sd[j] += v * v;
        }
  for (int j = 0; j < d; j++)
    {
      sd[j] = sqrt (sd[j] / n);
      if (sd[j] < 1e-6)
        sd[j] = 1;   /* a constant feature: nothing to learn from it, keep it harmless */
    }
  z = g_new (double, (gsize) n * d);
  y = g_new (int, n);
  for (int i = 0, r = 0; i < all; i++)
    if (!held[i])
      {
        for (int j = 0; j < d; j++)
          z[(gsize) r * d + j] = (features->data[(gsize) i * d + j] - mu[j]) / sd[j];
        y[r++] = labels[i];
      }

  theta = g_new0 (double, (gsize) k * d + k);
  p = g_new (double, k);
  pb = (Problem) { .n = n, .d = d, .k = k, .z = z, .y = y, .l2 = options->l2, .p = p,
                   .cancellable = options->cancellable };
  head->iterations = lbfgs (&pb, theta, options->max_iter, &head->loss);
  if (g_cancellable_set_error_if_cancelled (options->cancellable, error))
    return NULL;

  head->weight = nd_tensor_new (2, (int64_t[]) { k, d });
  head->bias = nd_tensor_new_1d (k);
  fold (head, theta, mu, sd);
  head->train_accuracy = score (head, features, labels, held, FALSE, NULL);
  head->holdout_accuracy = score (head, features, labels, held, TRUE, head->confusion);
  return g_steal_pointer (&head);
}

NdTensor *
nd_teach_head_logits (const NdTeachHead *head, const NdTensor *features)
{
  int64_t n = features->shape[0];
  int k = head->n_classes, d = head->dim;
  NdTensor *out = nd_tensor_new (2, (int64_t[]) { n, k });

  g_return_val_if_fail (features->ndim == 2 && features->shape[1] == d, out);
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < k; c++)
      {
        double s = head->bias->data[c];

        for (int j = 0; j < d; j++)
          s += (double) head->weight->data[(gsize) c * d + j] * features->data[i * d + j];
        out->data[i * k + c] = (float) s;
      }
  return out;
}
