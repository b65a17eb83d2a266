/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nd-backend.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-safetensors.h"
#include "nd-teach.h"
#include "nd-test-utils.h"
#include "nd-weights.h"

/* runtime/teach: the softmax-regression head, its file, and the head put in place of a real
 * backbone's classifier. */

/* @k Gaussian blobs in @d dimensions, @per points each, centres 4σ apart on the axes (and an
 * offset and scale per feature, as pooled activations have). */
static NdTensor *
blobs (int k, int d, int per, guint32 seed, int **labels)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  NdTensor *x = nd_tensor_new (2, (int64_t[]) { (int64_t) k * per, d });

  *labels = g_new (int, k * per);
  for (int i = 0; i < k * per; i++)
    {
      int c = i % k;

      (*labels)[i] = c;
      for (int j = 0; j < d; j++)
        {
          double v = g_rand_double_range (rand, -1, 1) + (j == c ? 4.0 : 0.0);

          x->data[(gsize) i * d + j] = (float) (10.0 * (j + 1) + v * (j + 1));
        }
    }
  return x;
}

static const char * const names3[] = { "a", "b", "c", NULL };

static void
test_train_blobs (void)
{
  g_autofree int *labels = NULL;
  g_autoptr(NdTensor) x = blobs (3, 8, 50, 1, &labels);
  g_autoptr(NdTeachHead) h1 = NULL, h2 = NULL, h3 = NULL;
  g_autoptr(GError) error = NULL;
  NdTeachOptions o;
  int sum = 0;

  nd_teach_options_init (&o);
  h1 = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpint (h1->n_classes, ==, 3);
  g_assert_cmpint (h1->dim, ==, 8);
  for (int c = 0; c < 3; c++)
    {
      g_assert_cmpint (h1->holdout_counts[c], ==, 10);   /* 20 % of 50 */
      g_assert_cmpint (h1->train_counts[c], ==, 40);
    }
  for (int i = 0; i < 9; i++)
    sum += h1->confusion[i];
  g_assert_cmpint (sum, ==, 30);
  g_assert_cmpfloat (h1->holdout_accuracy, ==, 1.0);
  g_assert_cmpfloat (h1->train_accuracy, ==, 1.0);
  g_assert_cmpint (h1->iterations, >=, 1);
  g_assert_true (isfinite (h1->loss) && h1->loss > 0);

  /* deterministic: the same seed gives the same bits; another seed another split */
  h2 = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (h1->weight->data, 24 * sizeof (float), h2->weight->data, 24 * sizeof (float));
  g_assert_cmpmem (h1->bias->data, 3 * sizeof (float), h2->bias->data, 3 * sizeof (float));
  o.seed = 7;
  h3 = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (h1->weight->data, h3->weight->data, 24 * sizeof (float)) != 0);
}

/* The head is a plain linear layer on raw features: its logits, computed here in double,
 * agree with nd_teach_head_logits, and the softmax of the training objective's optimum puts
 * each held-in point's class first. Checks the standardization fold. */
static void
test_logits_fold (void)
{
  g_autofree int *labels = NULL;
  g_autoptr(NdTensor) x = blobs (2, 5, 30, 3, &labels);
  g_autoptr(NdTeachHead) h = NULL;
  g_autoptr(NdTensor) logits = NULL;
  g_autoptr(GError) error = NULL;
  static const char * const names[] = { "left", "right", NULL };
  NdTeachOptions o;

  nd_teach_options_init (&o);
  o.holdout = 0;
  h = nd_teach_train (x, labels, names, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->holdout_accuracy, ==, -1);   /* nothing held out */
  g_assert_cmpint (h->train_counts[0], ==, 30);
  logits = nd_teach_head_logits (h, x);
  for (int i = 0; i < 60; i++)
    for (int c = 0; c < 2; c++)
      {
        double s = h->bias->data[c];

        for (int j = 0; j < 5; j++)
          s += (double) h->weight->data[c * 5 + j] * x->data[i * 5 + j];
        g_assert_cmpfloat (fabs (s - logits->data[i * 2 + c]), <=, 1e-4 * MAX (1, fabs (s)));
      }
  g_assert_cmpfloat (h->train_accuracy, ==, 1.0);
}

static void
test_train_errors (void)
{
  g_autofree int *labels = NULL;
  g_autoptr(NdTensor) x = blobs (3, 4, 5, 2, &labels);
  g_autoptr(GError) error = NULL;
  static const char * const one[] = { "a", NULL };
  static const char * const four[] = { "a", "b", "c", "d", NULL };
  NdTeachOptions o;
  NdTeachHead *h;

  nd_teach_options_init (&o);
  h = nd_teach_train (x, labels, one, &o, &error);
  g_assert_null (h);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* class "d" has no images */
  h = nd_teach_train (x, labels, four, &o, &error);
  g_assert_null (h);
  g_assert_nonnull (strstr (error->message, "“d”"));
  g_clear_error (&error);
  {
    static const char * const twice[] = { "a", "b", "a", NULL };
    static const char * const comma[] = { "a", "b,c", "d", NULL };

    g_assert_null (nd_teach_train (x, labels, twice, &o, &error));
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_null (nd_teach_train (x, labels, comma, &o, &error));
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  labels[3] = 5;
  h = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_null (h);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  labels[3] = 0;
  x->data[7] = NAN;
  h = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_null (h);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  x->data[7] = 0;
  o.holdout = 0.95;
  h = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_null (h);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
}

/* A small random ParNet, fused: features through a capturing plan, a head trained on them,
 * then the whole graph with the head in place gives the head's logits of those features. */
static void
test_backbone (void)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) train = NULL, fused = NULL, taught = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL, full = NULL;
  g_autoptr(NdTensor) images = nd_test_random_input (12, 3, 32, 32, 5);
  g_autoptr(NdTensor) feats = NULL, logits = NULL, out = NULL;
  g_autoptr(NdTeachHead) head = NULL;
  int labels[12], node;
  NdTeachOptions o;
  NdPlanOptions popts = { .batch = 5, .n_capture = 1 };   /* 12 = 5 + 5 + 2: a padded chunk */

  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, &error));
  spec.resolution = 32;
  spec.width = 0.25;
  spec.classes = 7;
  train = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_test_randomize_graph (train, 3);
  fused = nd_fuse_graph (train, &error);
  g_assert_no_error (error);
  node = nd_teach_feature_node (fused, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nd_graph_node (fused, node)->op, ==, ND_OP_ADAPTIVE_AVGPOOL);
  backend = nd_backend_new ("cpu", -1, &error);
  g_assert_no_error (error);
  popts.capture = &node;
  plan = nd_backend_prepare (backend, fused, &popts, &error);
  g_assert_no_error (error);
  feats = nd_teach_extract (plan, node, images, &error);
  g_assert_no_error (error);
  g_assert_cmpint (feats->shape[0], ==, 12);
  for (int i = 0; i < 12; i++)
    labels[i] = i % 3;
  nd_teach_options_init (&o);
  head = nd_teach_train (feats, labels, names3, &o, &error);
  g_assert_no_error (error);
  g_assert_cmpint (head->dim, ==, feats->shape[1]);
  taught = nd_teach_apply_head (fused, head, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nd_graph_node (taught, taught->output)->out_c, ==, 3);
  g_assert_cmpint (nd_graph_node (fused, fused->output)->out_c, ==, 7);   /* untouched */
  popts = (NdPlanOptions) { .batch = 12 };
  full = nd_backend_prepare (backend, taught, &popts, &error);
  g_assert_no_error (error);
  g_assert_true (nd_plan_run (full, images, &error));
  logits = nd_teach_head_logits (head, feats);
  out = nd_tensor_copy (full->output);
  g_assert_true (nd_tensor_reshape (out, 2, (int64_t[]) { 12, 3 }));
  nd_test_assert_close (out, logits, 1e-4, 1e-5, "backbone + head vs head on features");

  /* a head of another width does not fit */
  head->dim += 1;
  g_assert_null (nd_teach_apply_head (fused, head, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  head->dim -= 1;
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (g_get_tmp_dir (), name, NULL);
}

static void
test_save_load (void)
{
  g_autofree int *labels = NULL;
  g_autoptr(NdTensor) x = blobs (3, 6, 20, 4, &labels);
  g_autoptr(NdTeachHead) h = NULL, back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("nd-test-teach-head.safetensors");
  NdTeachOptions o;

  nd_teach_options_init (&o);
  h = nd_teach_train (x, labels, names3, &o, &error);
  g_assert_no_error (error);
  g_free (h->backbone);
  h->backbone = g_strdup ("backbone.safetensors");
  g_assert_true (nd_teach_head_save (h, path, &error));
  g_assert_no_error (error);
  back = nd_teach_head_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->n_classes, ==, 3);
  g_assert_cmpint (back->dim, ==, 6);
  g_assert_cmpstr (back->classes[2], ==, "c");
  g_assert_cmpstr (back->backbone, ==, "backbone.safetensors");
  g_assert_cmpstr (back->layer, ==, "head.fc");
  g_assert_cmpmem (back->train_counts, 3 * sizeof (int), h->train_counts, 3 * sizeof (int));
  g_assert_cmpmem (back->holdout_counts, 3 * sizeof (int), h->holdout_counts, 3 * sizeof (int));
  g_assert_cmpmem (back->confusion, 9 * sizeof (int), h->confusion, 9 * sizeof (int));
  g_assert_cmpfloat (fabs (back->holdout_accuracy - h->holdout_accuracy), <, 1e-4);
  g_assert_cmpmem (back->weight->data, 18 * sizeof (float), h->weight->data, 18 * sizeof (float));
  g_assert_cmpmem (back->bias->data, 3 * sizeof (float), h->bias->data, 3 * sizeof (float));
  g_unlink (path);
}

/* Files that are not heads: each a BAD_FILE error naming the file, never a crash. */
static void
test_bad_files (void)
{
  g_autofree char *path = tmp_path ("nd-test-teach-bad.safetensors");
  struct { const char *key, *value; int wrows; gboolean nan; const char *expect; } cases[] = {
    { NULL, NULL, 3, FALSE, "not made by nondeep-cli teach" },           /* no metadata */
    { NULL, NULL, 2, FALSE, "[3, D]" },                                   /* shapes vs classes */
    { "nondeep.labels", "a,,c", 3, FALSE, "empty or repeated" },
    { "nondeep.labels", "a,b,a", 3, FALSE, "empty or repeated" },
    { "nondeep.head.train_counts", "1,2", 3, FALSE, "one count per class" },
    { "nondeep.head.holdout_accuracy", "1.5", 3, FALSE, "not a fraction" },
    { NULL, NULL, 3, TRUE, "NaN or Inf" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdWeightSet) set = nd_weight_set_new ();
      g_autoptr(NdTensor) w = nd_tensor_new (2, (int64_t[]) { cases[i].wrows, 4 });
      g_autoptr(NdTensor) b = nd_tensor_new_1d (cases[i].wrows);
      g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_autoptr(GError) error = NULL;
      NdTeachHead *h;

      if (i > 0)
        {
          g_hash_table_insert (meta, g_strdup ("nondeep.labels"), g_strdup ("a,b,c"));
          g_hash_table_insert (meta, g_strdup ("nondeep.head.layer"), g_strdup ("head.fc"));
          g_hash_table_insert (meta, g_strdup ("nondeep.head.train_counts"), g_strdup ("1,1,1"));
          g_hash_table_insert (meta, g_strdup ("nondeep.head.holdout_counts"),
                               g_strdup ("0,0,0"));
        }
      if (cases[i].key != NULL)
        g_hash_table_insert (meta, g_strdup (cases[i].key), g_strdup (cases[i].value));
      if (cases[i].nan)
        w->data[5] = NAN;
      nd_weight_set_insert (set, "head.fc.weight", w);
      nd_weight_set_insert (set, "head.fc.bias", b);
      g_assert_true (nd_safetensors_save (path, set, meta, &error));
      h = nd_teach_head_load (path, &error);
      g_assert_null (h);
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
      g_test_message ("case %u: %s", i, error->message);
      g_assert_nonnull (strstr (error->message, "nd-test-teach-bad.safetensors"));
      g_assert_nonnull (strstr (error->message, cases[i].expect));
    }
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/teach/train/blobs", test_train_blobs);
  g_test_add_func ("/teach/train/logits-fold", test_logits_fold);
  g_test_add_func ("/teach/train/errors", test_train_errors);
  g_test_add_func ("/teach/backbone/parnet-s", test_backbone);
  g_test_add_func ("/teach/file/round-trip", test_save_load);
  g_test_add_func ("/teach/file/bad", test_bad_files);
  return g_test_run ();
}
