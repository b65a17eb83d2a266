/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "nd-error.h"
#include "nd-weights-file.h"
#include "nd-safetensors.h"

/* nd_weights_open() on every format (our safetensors with metadata, plain safetensors,
 * PyTorch zips with one or several state dicts), the metadata round trip through
 * nd_weights_save(), and bad metadata as the file's error. */

static char *tmpdir;

static char *
source_file (const char *first, ...)
{
  va_list args;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *p;

  g_ptr_array_add (parts, (gpointer) g_test_get_dir (G_TEST_DIST));
  va_start (args, first);
  for (p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static void
add_weight (const char *key, NdTensor *tensor, gboolean is_param, gpointer set)
{
  nd_weight_set_insert (set, key, tensor);
}

/* A small RepVGG-A0 (width 0.25, 32 px, 10 gray classes) with random weights. */
static NdGraph *
small_repvgg (NdModelSpec *spec)
{
  NdGraph *g;

  g_assert_true (nd_model_spec_parse ("repvgg-a0", spec, NULL));
  spec->width = 0.25;
  spec->resolution = 32;
  spec->classes = 10;
  spec->in_channels = 1;
  g = nd_model_build (spec, NULL);
  g_assert_nonnull (g);
  nd_model_init_random (g, 7);
  return g;
}

static void
test_shipped (void)
{
  g_autofree char *dir = source_file ("..", "assets", "weights", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(NdWeightsInfo) header = NULL;
      g_autoptr(NdWeightsInfo) full = NULL;
      g_autoptr(NdWeightSet) set = NULL;
      g_autoptr(NdGraph) g = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_str_has_suffix (name, ".safetensors"))
        continue;
      n++;
      path = g_build_filename (dir, name, NULL);
      /* the header alone names the model: the menu labels read only that */
      header = nd_weights_open (path, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (header->has_model && header->from_metadata);
      g_assert_cmpstr (header->format, ==, "safetensors");
      g_assert_cmpint (header->spec.classes, ==, 10);
      g_assert_cmpint (header->spec.in_channels, ==, 1);
      g_assert_cmpint (header->spec.resolution, ==, 32);
      g_assert_true (header->knobs.set & ND_KNOB_WIDTH);
      g_assert_cmpuint (g_strv_length (header->labels), ==, 10);
      g_assert_cmpstr (header->labels[9], ==, "Ankle boot");
      g_assert_cmpstr (header->dataset, ==, "fashion-mnist");
      g_assert_true (header->test_accuracy > 0.8 && header->test_accuracy <= 1);
      g_assert_nonnull (strstr (header->preprocess, "gray"));
      g_assert_null (header->note);
      g_assert_cmpstr (header->entry, ==, "");

      /* with the tensors: the same record, and they load into the model it names */
      full = nd_weights_open (path, NULL, &set, &error);
      g_assert_no_error (error);
      g_assert_nonnull (set);
      g_assert_cmpmem (&full->spec, sizeof full->spec, &header->spec, sizeof header->spec);
      g_assert_cmpint (full->form, ==, ND_WEIGHTS_FORM_TRAINING);   /* detected */
      g = nd_model_build (&full->spec, &error);
      g_assert_no_error (error);
      g_assert_true (nd_graph_load_weights (g, set, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (n, >=, 3);
}

static void
test_round_trip (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "round.safetensors", NULL);
  g_autofree char *plain = g_build_filename (tmpdir, "plain.safetensors", NULL);
  g_autoptr(NdWeightSet) out = nd_weight_set_new ();
  g_autoptr(NdWeightSet) in = NULL;
  g_autoptr(NdWeightsInfo) info = NULL;
  g_autoptr(NdWeightsInfo) detected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(GHashTable) meta = NULL;
  NdModelSpec spec;

  g = small_repvgg (&spec);
  nd_graph_foreach_weight (g, add_weight, out);
  g_assert_true (nd_weights_save (path, out, &spec, ND_WEIGHTS_FORM_TRAINING,
                                  "gray resize=pad size=32 mean=0.5 std=0.25", &error));
  g_assert_no_error (error);
  info = nd_weights_open (path, NULL, &in, &error);
  g_assert_no_error (error);
  g_assert_true (info->from_metadata);
  g_assert_cmpstr (info->spec.name, ==, "repvgg-a0");
  g_assert_cmpfloat (info->spec.width, ==, 0.25);
  g_assert_cmpint (info->spec.resolution, ==, 32);
  g_assert_cmpint (info->spec.classes, ==, 10);
  g_assert_cmpint (info->spec.in_channels, ==, 1);
  g_assert_cmpint (info->spec.n_blocks, ==, 5);
  g_assert_cmpint (info->form, ==, ND_WEIGHTS_FORM_TRAINING);
  g_assert_cmpstr (info->preprocess, ==, "gray resize=pad size=32 mean=0.5 std=0.25");
  g_assert_cmpuint (nd_weight_set_size (in), ==, nd_weight_set_size (out));
  g_assert_cmpmem (&info->spec, sizeof spec, &spec, sizeof spec);

  /* what is written: the schema's keys, as fuse has always written them */
  meta = nd_metadata_new (&spec, ND_WEIGHTS_FORM_DEPLOY, NULL);
  g_assert_cmpstr (g_hash_table_lookup (meta, "nondeep.model"), ==, "repvgg-a0");
  g_assert_cmpstr (g_hash_table_lookup (meta, "nondeep.knobs"), ==,
                   "--resolution 32 --classes 10 --in-channels 1 --width 0.25 "
                   "--blocks 1,2,4,14,1");
  g_assert_cmpstr (g_hash_table_lookup (meta, "nondeep.form"), ==, "fused");
  g_assert_false (g_hash_table_contains (meta, "nondeep.preprocess"));

  /* the same tensors without metadata: detected from key names and shapes */
  g_assert_true (nd_safetensors_save (plain, out, NULL, &error));
  detected = nd_weights_open (plain, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (detected->has_model);
  g_assert_false (detected->from_metadata);
  g_assert_cmpstr (detected->spec.name, ==, "repvgg-a0");
  g_assert_cmpfloat (detected->spec.width, ==, 0.25);
  g_assert_cmpint (detected->spec.classes, ==, 10);
  g_assert_cmpint (detected->spec.in_channels, ==, 1);
  g_assert_cmpint (detected->form, ==, ND_WEIGHTS_FORM_TRAINING);
  g_assert_cmpstr (detected->note, ==, "weights: top-level state dict; detected repvgg-a0, "
                                       "training form, --width 0.25 --classes 10 "
                                       "--in-channels 1");
}

typedef struct
{
  const char *file;
  const char *entry;        /* asked for; NULL the default */
  const char *chosen;
  const char *entries;      /* every state dict, joined by "," */
  guint       n_tensors;
} EntryCase;

static void
test_checkpoint_entries (void)
{
  static const EntryCase cases[] = {
    { "timm.pth.tar", NULL, "state_dict_ema", "state_dict,state_dict_ema", 10 },
    { "timm.pth.tar", "state_dict", "state_dict", "state_dict,state_dict_ema", 10 },
    { "vanilla.pth", NULL, "model_ema", "model,model_ema", 10 },
    { "vanilla.pth", "model", "model", "model,model_ema", 10 },
    { "good.pth", NULL, "", "", 9 },
    { "mixed.safetensors", NULL, "", "", 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const EntryCase *c = &cases[i];
      g_autofree char *path = source_file ("fuzz", "corpus", "checkpoint", c->file, NULL);
      g_autoptr(NdWeightsInfo) info = NULL;
      g_autoptr(NdWeightsInfo) header = NULL;
      g_autoptr(NdWeightSet) set = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *all = NULL;

      info = nd_weights_open (path, c->entry, &set, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (info->format, ==, g_str_has_suffix (c->file, ".safetensors")
                                         ? "safetensors" : "pytorch-zip");
      g_assert_cmpstr (info->entry, ==, c->chosen);
      all = g_strjoinv (",", info->entries);
      g_assert_cmpstr (all, ==, c->entries);
      g_assert_cmpuint (nd_weight_set_size (set), ==, c->n_tensors);
      g_assert_false (info->has_model);   /* test layouts, not real models */
      g_assert_nonnull (info->reason);
      g_assert_true (g_str_has_prefix (info->note, "weights: "));
      if (strchr (c->entries, ',') != NULL)
        g_assert_nonnull (strstr (info->note, c->entry ? "(chosen;" : "(default;"));

      /* without tensors: the same choice */
      header = nd_weights_open (path, c->entry, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (header->entry, ==, c->chosen);
    }
}

static void
test_errors (void)
{
  g_autofree char *timm = source_file ("fuzz", "corpus", "checkpoint", "timm.pth.tar", NULL);
  g_autofree char *bad = g_build_filename (tmpdir, "bad-meta.safetensors", NULL);
  g_autofree char *junk = g_build_filename (tmpdir, "junk.pth", NULL);
  g_autoptr(NdWeightSet) empty = nd_weight_set_new ();
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  static const struct { const char *key, *value, *message; } metas[] = {
    { "nondeep.knobs", "--width -1",
      "bad-meta.safetensors: metadata nondeep.knobs: --width must be greater than 0 and at "
      "most 8, not -1" },
    { "nondeep.knobs", "--streams 2 --streams 3",
      "bad-meta.safetensors: metadata nondeep.knobs: Knobs “--streams 2 --streams 3”: "
      "--streams is given twice" },
    { "nondeep.form", "half", "bad-meta.safetensors: metadata nondeep.form: not “training” or "
                              "“fused”" },
  };

  for (int with_tensors = 0; with_tensors < 2; with_tensors++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NdWeightSet) set = NULL;

      g_assert_null (nd_weights_open (timm, "model_ema", with_tensors ? &set : NULL, &error));
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "no state dict “model_ema” in the file (it "
                                                "has: state_dict, state_dict_ema)"));
      g_assert_null (set);
    }
  for (guint i = 0; i < G_N_ELEMENTS (metas); i++)
    for (int with_tensors = 0; with_tensors < 2; with_tensors++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(NdWeightSet) set = NULL;

        g_hash_table_remove_all (meta);
        g_hash_table_insert (meta, (gpointer) "nondeep.model", (gpointer) "parnet-s");
        g_hash_table_insert (meta, (gpointer) metas[i].key, (gpointer) metas[i].value);
        g_assert_true (nd_safetensors_save (bad, empty, meta, NULL));
        g_assert_null (nd_weights_open (bad, NULL, with_tensors ? &set : NULL, &error));
        g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
        g_assert_cmpstr (error->message, ==, metas[i].message);
      }
  {
    g_autoptr(GError) error = NULL;

    g_hash_table_remove_all (meta);
    g_hash_table_insert (meta, (gpointer) "nondeep.model", (gpointer) "parnet-q");
    g_assert_true (nd_safetensors_save (bad, empty, meta, NULL));
    g_assert_null (nd_weights_open (bad, NULL, NULL, &error));
    g_assert_true (g_str_has_prefix (error->message, "bad-meta.safetensors: metadata "
                                                     "nondeep.model: Unknown model “parnet-q”"));
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (g_file_set_contents (junk, "not weights at all", -1, NULL));
    g_assert_null (nd_weights_open (junk, NULL, NULL, &error));
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  }
}

/* A 97-byte file asks for a model far over the budget: opening it is fine (it is only a
 * description); building what it asks for is refused before anything is allocated. */
static void
test_metadata_budget (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "bomb.safetensors", NULL);
  g_autoptr(NdWeightSet) empty = nd_weight_set_new ();
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(NdWeightsInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_hash_table_insert (meta, (gpointer) "nondeep.model", (gpointer) "vgg-16");
  g_hash_table_insert (meta, (gpointer) "nondeep.knobs", (gpointer) "--resolution 4096 --width 8");
  g_assert_true (nd_safetensors_save (path, empty, meta, NULL));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, <=, 128);
  info = nd_weights_open (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->spec.resolution, ==, 4096);
  g_assert_null (nd_model_build (&info->spec, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "vgg-16 --resolution 4096"));
}

int
main (int argc, char **argv)
{
  int status;

  g_unsetenv ("ND_MEMORY_BUDGET");
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("nd-weights-file-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  g_test_add_func ("/weights-file/shipped", test_shipped);
  g_test_add_func ("/weights-file/round-trip", test_round_trip);
  g_test_add_func ("/weights-file/checkpoint-entries", test_checkpoint_entries);
  g_test_add_func ("/weights-file/errors", test_errors);
  g_test_add_func ("/weights-file/metadata-budget", test_metadata_budget);
  status = g_test_run ();
  {
    g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);

        g_unlink (p);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return status;
}
