/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-error.h"
#include "nd-teach.h"

#define TEACH_BATCH 50

/* Images of one or more NAME=DIR classes, preprocessed for the model, and their labels. */
typedef struct
{
  GStrv      names;
  NdTensor  *images;   /* [N, C, R, R] */
  int       *labels;   /* [N] */
  char      *first;    /* the first image file (for the round-trip check) */
} ClassSet;

static void
class_set_clear (ClassSet *set)
{
  g_clear_pointer (&set->names, g_strfreev);
  g_clear_pointer (&set->images, nd_tensor_unref);
  g_clear_pointer (&set->labels, g_free);
  g_clear_pointer (&set->first, g_free);
}

static int
cmp_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg")
         || g_str_has_suffix (lower, ".jpeg") || g_str_has_suffix (lower, ".webp");
}

/* The image files of @dir (PNG, JPEG, WebP by name; others are skipped), sorted. */
static GPtrArray *
list_images (const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    if (is_image_name (name))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (files, cmp_paths);
  if (files->len == 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("%s holds no PNG, JPEG or WebP images"), dir);
      return NULL;
    }
  return g_steal_pointer (&files);
}

/* Reads every NAME=DIR of @specs into @set. @names: when not NULL, the class names the
 * labels refer to (a --test class must be one of them). */
static gboolean
load_classes (char **specs, NdCliModel *model, GStrv names, ClassSet *set, GError **error)
{
  g_autoptr(GStrvBuilder) nb = g_strv_builder_new ();
  g_autoptr(GPtrArray) tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_tensor_unref);
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  int64_t per = 0;

  for (int c = 0; specs[c] != NULL; c++)
    {
      const char *eq = strchr (specs[c], '=');
      g_autofree char *name = eq ? g_strndup (specs[c], eq - specs[c]) : NULL;
      g_autoptr(GPtrArray) files = NULL;
      int label = c;

      if (name == NULL || *name == '\0' || eq[1] == '\0' || strchr (name, ',') != NULL)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("“%s”: a class is NAME=DIR (the name without commas)"), specs[c]);
          return FALSE;
        }
      if (names != NULL && !g_strv_contains ((const char * const *) names, name))
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("--test class “%s” is not one of the taught classes"), name);
          return FALSE;
        }
      for (int k = 0; names != NULL && names[k] != NULL; k++)
        if (g_str_equal (names[k], name))
          label = k;
      g_strv_builder_add (nb, name);
      if ((files = list_images (eq + 1, error)) == NULL)
        return FALSE;
      for (guint i = 0; i < files->len; i++)
        {
          NdTensor *t = nd_cli_load_image (files->pdata[i], model, error);

          if (t == NULL)
            return FALSE;
          if (set->first == NULL)
            set->first = g_strdup (files->pdata[i]);
          per = t->numel;
          g_ptr_array_add (tensors, t);
          g_array_append_val (labels, label);
        }
    }
  set->names = g_strv_builder_end (nb);
  set->images = nd_tensor_try_new (4, (int64_t[]) { tensors->len, model->graph->in_c,
                                                    model->graph->in_h, model->graph->in_w },
                                   error);
  if (set->images == NULL)
    return FALSE;
  for (guint i = 0; i < tensors->len; i++)
    memcpy (set->images->data + i * per, ((NdTensor *) tensors->pdata[i])->data,
            per * sizeof (float));
  set->labels = (int *) g_array_free (g_steal_pointer (&labels), FALSE);
  return TRUE;
}

/* Accuracy of @head on @set's images (their features in @feats) and the confusion matrix. */
static double
test_accuracy (const NdTeachHead *head, const NdTensor *feats, const ClassSet *set,
               int *confusion)
{
  g_autoptr(NdTensor) logits = nd_teach_head_logits (head, feats);
  int k = head->n_classes, right = 0, n = (int) feats->shape[0];

  for (int i = 0; i < n; i++)
    {
      const float *l = logits->data + (gsize) i * k;
      int best = 0;

      for (int c = 1; c < k; c++)
        if (l[c] > l[best])
          best = c;
      right += best == set->labels[i];
      confusion[set->labels[i] * k + best]++;
    }
  return (double) right / n;
}

/* The logits the head gives @path through the whole backbone with its classifier replaced
 * (what `run --head` computes from the saved file). */
static NdTensor *
full_logits (NdCliModelOptions *o, NdCliModel *model, const NdTeachHead *head,
             const char *path, GError **error)
{
  g_autoptr(NdGraph) graph = nd_teach_apply_head (model->graph, head, error);
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  NdPlanOptions popts = { .batch = 1 };

  if (graph == NULL || (input = nd_cli_load_image (path, model, error)) == NULL)
    return NULL;
  plan = nd_cli_prepare (o, model, graph, &backend, &popts, error);
  if (plan == NULL || !nd_plan_run (plan, input, error))
    return NULL;
  return nd_tensor_copy (plan->output);
}

typedef struct
{
  const NdTeachHead *head;
  const char        *model;
  const char        *output;
  double             accuracy;   /* on --test, or −1 */
  const int         *confusion;  /* on --test */
  int                n_test;
  double             extract_s, train_s, total_s;
  const char        *check_image;
  const NdTensor    *check_logits;
} Report;

static void
add_int_array (JsonBuilder *b, const char *name, const int *v, int n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (b, v[i]);
  json_builder_end_array (b);
}

static void
add_matrix (JsonBuilder *b, const char *name, const int *m, int k)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int r = 0; r < k; r++)
    {
      json_builder_begin_array (b);
      for (int c = 0; c < k; c++)
        json_builder_add_int_value (b, m[r * k + c]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

#define MEMBER(b, name, kind, value) \
  (json_builder_set_member_name (b, name), json_builder_add_##kind##_value (b, value))

static void
report_json (const Report *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const NdTeachHead *h = r->head;
  int k = h->n_classes;

  json_builder_begin_object (b);
  MEMBER (b, "model", string, r->model);
  MEMBER (b, "backbone", string, h->backbone);
  MEMBER (b, "output", string, r->output);
  MEMBER (b, "features", int, h->dim);
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int c = 0; c < k; c++)
    json_builder_add_string_value (b, h->classes[c]);
  json_builder_end_array (b);
  add_int_array (b, "train_counts", h->train_counts, k);
  add_int_array (b, "holdout_counts", h->holdout_counts, k);
  MEMBER (b, "holdout_accuracy", double, h->holdout_accuracy);
  add_matrix (b, "confusion", h->confusion, k);
  MEMBER (b, "train_accuracy", double, h->train_accuracy);
  MEMBER (b, "iterations", int, h->iterations);
  MEMBER (b, "loss", double, h->loss);
  if (r->accuracy >= 0)
    {
      MEMBER (b, "test_n", int, r->n_test);
      MEMBER (b, "test_accuracy", double, r->accuracy);
      add_matrix (b, "test_confusion", r->confusion, k);
    }
  MEMBER (b, "extract_seconds", double, r->extract_s);
  MEMBER (b, "train_seconds", double, r->train_s);
  MEMBER (b, "seconds", double, r->total_s);
  json_builder_set_member_name (b, "check");
  json_builder_begin_object (b);
  MEMBER (b, "image", string, r->check_image);
  json_builder_set_member_name (b, "logits");
  json_builder_begin_array (b);
  for (int c = 0; c < k; c++)
    json_builder_add_double_value (b, r->check_logits->data[c]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  nd_cli_print_json (root);
}

static void
print_confusion (const NdTeachHead *h, const int *m)
{
  int k = h->n_classes;

  printf (_("  confusion (rows: true class, columns: predicted)\n"));
  for (int r = 0; r < k; r++)
    {
      printf ("    %-16.16s", h->classes[r]);
      for (int c = 0; c < k; c++)
        printf (" %5d", m[r * k + c]);
      printf ("\n");
    }
}

static void
report_text (const Report *r)
{
  const NdTeachHead *h = r->head;
  int train = 0, held = 0;

  for (int c = 0; c < h->n_classes; c++)
    {
      train += h->train_counts[c];
      held += h->holdout_counts[c];
    }
  printf (_("Taught %d classes on %s (%d features): %d training, %d held-out images, "
            "%d L-BFGS iterations\n"), h->n_classes, r->model, h->dim, train, held,
          h->iterations);
  if (h->holdout_accuracy >= 0)
    {
      printf (_("Held-out accuracy %.2f%%\n"), 100 * h->holdout_accuracy);
      print_confusion (h, h->confusion);
    }
  if (r->accuracy >= 0)
    {
      printf (_("Test accuracy %.2f%% on %d images\n"), 100 * r->accuracy, r->n_test);
      print_confusion (h, r->confusion);
    }
  printf (_("Wrote %s (features %.2f s, training %.2f s, %.2f s in all)\n"), r->output,
          r->extract_s, r->train_s, r->total_s);
}

/* Features of @set's images through @plan. */
static NdTensor *
features_of (NdPlan *plan, int node, const ClassSet *set, GError **error)
{
  return nd_teach_extract (plan, node, set->images, error);
}

/* `teach`: a new classifier head on the frozen, fused backbone's pooled features, from
 * NAME=DIR folders of images; saved as safetensors (nd-teach.h). Without --weights the
 * default trained ParNet is the backbone. --seed chooses the held-out images. */
int
nd_cli_teach (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_auto(GStrv) class_specs = NULL, test_specs = NULL;
  g_autofree char *output = NULL, *backbone = NULL;
  NdTeachOptions topts;
  GOptionEntry entries[] = {
    { "class", 0, 0, G_OPTION_ARG_STRING_ARRAY, &class_specs,
      N_("A class and the folder of its images (give two or more)"), N_("NAME=DIR") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Where to write the head"),
      N_("FILE.safetensors") },
    { "holdout", 0, 0, G_OPTION_ARG_DOUBLE, &topts.holdout,
      N_("Share of each class held out for evaluation (default 0.2)"), "F" },
    { "l2", 0, 0, G_OPTION_ARG_DOUBLE, &topts.l2, N_("L2 penalty (default 0.01)"), "L" },
    { "test", 0, 0, G_OPTION_ARG_STRING_ARRAY, &test_specs,
      N_("After training, the accuracy on these images of a taught class"), N_("NAME=DIR") },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) feats = NULL, test_feats = NULL, check = NULL;
  g_autoptr(NdTeachHead) head = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree int *confusion = NULL;
  ClassSet train = { 0 }, test = { 0 };
  NdPlanOptions popts = { .batch = TEACH_BATCH };
  Report r = { .accuracy = -1 };
  gint64 start, t0;
  int node, status = 0;

  nd_teach_options_init (&topts);
  if (!nd_cli_parse ("teach", NULL,
                     _("Teach the backbone new classes: a classifier head trained on its pooled "
                       "features."), model_entries, entries, &argc, &argv))
    return 2;
  start = g_get_monotonic_time ();
  if (class_specs == NULL || g_strv_length (class_specs) < 2 || output == NULL)
    {
      status = nd_cli_failf (_("give --class NAME=DIR at least twice and --output FILE"));
      goto out;
    }
  /* the backbone is frozen and only runs forward: always the fused form */
  o.fused = TRUE;
  o.batch = TEACH_BATCH;
  topts.seed = (guint32) o.seed;
  if (!nd_cli_use_trained_weights (&o, &error)
      || (model = nd_cli_model_load (&o, 0, &error)) == NULL
      || (node = nd_teach_feature_node (model->graph, &error)) < 0
      || !load_classes (class_specs, model, NULL, &train, &error))
    goto fail;
  popts.capture = &node;
  popts.n_capture = 1;
  if ((plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error)) == NULL)
    goto fail;
  t0 = g_get_monotonic_time ();
  if ((feats = features_of (plan, node, &train, &error)) == NULL)
    goto fail;
  r.extract_s = (g_get_monotonic_time () - t0) / 1e6;
  t0 = g_get_monotonic_time ();
  head = nd_teach_train (feats, train.labels, (const char * const *) train.names, &topts, &error);
  if (head == NULL)
    goto fail;
  r.train_s = (g_get_monotonic_time () - t0) / 1e6;
  backbone = o.weights != NULL ? g_path_get_basename (o.weights) : g_strdup ("");
  g_free (head->backbone);
  head->backbone = g_steal_pointer (&backbone);
  g_free (head->layer);
  head->layer = g_strdup (nd_graph_node (model->graph, model->graph->output)->name);
  if (!nd_teach_head_save (head, output, &error))
    goto fail;
  r.total_s = (g_get_monotonic_time () - start) / 1e6;

  if (test_specs != NULL)
    {
      if (!load_classes (test_specs, model, train.names, &test, &error)
          || (test_feats = features_of (plan, node, &test, &error)) == NULL)
        goto fail;
      confusion = g_new0 (int, head->n_classes * head->n_classes);
      r.accuracy = test_accuracy (head, test_feats, &test, confusion);
      r.confusion = confusion;
      r.n_test = (int) test_feats->shape[0];
    }
  if ((check = full_logits (&o, model, head, train.first, &error)) == NULL)
    goto fail;
  r.head = head;
  r.model = model->spec.name;
  r.output = output;
  r.check_image = train.first;
  r.check_logits = check;
  if (o.json)
    report_json (&r);
  else
    report_text (&r);
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  class_set_clear (&train);
  class_set_clear (&test);
  nd_cli_model_options_clear (&o);
  return status;
}
