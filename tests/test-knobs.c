/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "nd-error.h"
#include "nd-knobs.h"
#include "nd-model.h"

/* The typed knob parser (every knob, its range, bad text) and the memory budget of a model
 * request. */

typedef struct
{
  const char *name;
  const char *value;
  const char *message;   /* NULL: accepted */
} KnobCase;

static const KnobCase knob_cases[] = {
  { "streams", "1", NULL },
  { "streams", "3", NULL },
  { "--streams", "0", "--streams must be 1, 2 or 3, not 0" },
  { "streams", "4", "--streams must be 1, 2 or 3, not 4" },
  { "streams", "-1", "--streams must be 1, 2 or 3, not -1" },
  { "streams", "2x", "--streams takes a whole number, not “2x”" },
  { "streams", "", "--streams takes a whole number, not “”" },
  { "streams", "99999999999999999999", "--streams takes a whole number, not "
                                       "“99999999999999999999”" },
  { "width", "0.25", NULL },
  { "width", "8", NULL },
  { "width", "0", "--width must be greater than 0 and at most 8, not 0" },
  { "width", "-1", "--width must be greater than 0 and at most 8, not -1" },
  { "width", "8.5", "--width must be greater than 0 and at most 8, not 8.5" },
  { "width", "nan", "--width takes a number, not “nan”" },
  { "width", "inf", "--width takes a number, not “inf”" },
  { "width", " 1", "--width takes a number, not “ 1”" },
  { "blocks", "4,5,5", NULL },
  { "blocks", "0", NULL },
  { "blocks", "1,2,3,4,5,6,7,8", NULL },
  { "blocks", "1,2,3,4,5,6,7,8,9", "--blocks takes 1 to 8 comma-separated counts, not "
                                   "“1,2,3,4,5,6,7,8,9”" },
  { "blocks", "4,65,5", "--blocks: “65” is not a block count between 0 and 64" },
  { "blocks", "4,-1", "--blocks: “-1” is not a block count between 0 and 64" },
  { "blocks", "4,,5", "--blocks: “” is not a block count between 0 and 64" },
  { "blocks", "", "--blocks takes 1 to 8 comma-separated counts, not “”" },
  { "resolution", "32", NULL },
  { "resolution", "4096", NULL },
  { "resolution", "31", "--resolution must be between 32 and 4096 pixels, not 31" },
  { "resolution", "4097", "--resolution must be between 32 and 4096 pixels, not 4097" },
  { "resolution", "abc", "--resolution takes a whole number, not “abc”" },
  { "classes", "1", NULL },
  { "classes", "100000", NULL },
  { "classes", "0", "--classes must be between 1 and 100000, not 0" },
  { "classes", "100001", "--classes must be between 1 and 100000, not 100001" },
  { "in-channels", "1", NULL },
  { "in-channels", "64", NULL },
  { "in-channels", "0", "--in-channels must be between 1 and 64, not 0" },
  { "in-channels", "65", "--in-channels must be between 1 and 64, not 65" },
  { "lambda", "0", NULL },
  { "lambda", "1", NULL },
  { "lambda", "-1", "--lambda must be between 0 and 1, not -1" },
  { "lambda", "1.01", "--lambda must be between 0 and 1, not 1.01" },
  { "lambda", "-nan", "--lambda takes a number, not “-nan”" },
  { "depth", "3", "Unknown knob “--depth” (known: --streams, --width, --blocks, --resolution, "
                  "--classes, --in-channels, --lambda)" },
};

static void
test_knob_case (gconstpointer data)
{
  const KnobCase *c = data;
  g_autoptr(GError) error = NULL;
  NdKnobs k, before;
  gboolean ok;

  nd_knobs_init (&k);
  before = k;
  ok = nd_knobs_set_from_string (&k, c->name, c->value, &error);
  if (c->message == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (k.set, !=, 0);
      return;
    }
  g_assert_false (ok);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, c->message);
  g_assert_cmpmem (&k, sizeof k, &before, sizeof before);
}

static void
test_typed_setters (void)
{
  g_autoptr(GError) error = NULL;
  const int blocks[3] = { 1, 2, 3 };
  const int bad[2] = { 1, 65 };
  NdKnobs k;

  nd_knobs_init (&k);
  g_assert_true (nd_knobs_set_streams (&k, 2, NULL));
  g_assert_true (nd_knobs_set_width (&k, 0.5, NULL));
  g_assert_true (nd_knobs_set_blocks (&k, blocks, 3, NULL));
  g_assert_true (nd_knobs_set_resolution (&k, 64, NULL));
  g_assert_true (nd_knobs_set_classes (&k, 10, NULL));
  g_assert_true (nd_knobs_set_in_channels (&k, 1, NULL));
  g_assert_true (nd_knobs_set_lambda (&k, 0.5, NULL));
  g_assert_cmpuint (k.set, ==, ND_KNOB_STREAMS | ND_KNOB_WIDTH | ND_KNOB_BLOCKS
                    | ND_KNOB_RESOLUTION | ND_KNOB_CLASSES | ND_KNOB_IN_CHANNELS
                    | ND_KNOB_LAMBDA);
  g_assert_false (nd_knobs_set_blocks (&k, bad, 2, &error));
  g_assert_cmpstr (error->message, ==, "--blocks: a block count must be between 0 and 64, "
                                       "not 65");
  g_clear_error (&error);
  g_assert_false (nd_knobs_set_blocks (&k, blocks, 0, &error));
  g_clear_error (&error);
  g_assert_false (nd_knobs_set_width (&k, NAN, &error));
  g_clear_error (&error);
  g_assert_false (nd_knobs_set_streams (&k, G_MININT64, &error));
  g_assert_cmpint (k.streams, ==, 2);
  g_assert_cmpint (k.n_blocks, ==, 3);
  g_assert_cmpfloat (k.width, ==, 0.5);
}

static void
test_parse_and_print (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  NdKnobs k, again;

  nd_knobs_init (&k);
  g_assert_true (nd_knobs_parse ("--width 0.25 --resolution 32\t--classes=10 --in-channels 1 "
                                 "--blocks 4,5,5 --streams 3 --lambda 0.5", &k, &error));
  g_assert_no_error (error);
  g_assert_cmpint (k.resolution, ==, 32);
  g_assert_cmpint (k.classes, ==, 10);
  g_assert_cmpint (k.in_channels, ==, 1);
  g_assert_cmpint (k.streams, ==, 3);
  g_assert_cmpint (k.n_blocks, ==, 3);
  g_assert_cmpint (k.blocks[2], ==, 5);
  g_assert_cmpfloat (k.width, ==, 0.25);
  g_assert_cmpfloat (k.lambda, ==, 0.5);
  text = nd_knobs_to_string (&k);
  g_assert_cmpstr (text, ==, "--resolution 32 --classes 10 --in-channels 1 --width 0.25 "
                             "--streams 3 --lambda 0.5 --blocks 4,5,5");
  nd_knobs_init (&again);
  g_assert_true (nd_knobs_parse (text, &again, NULL));
  g_assert_cmpmem (&k, sizeof k, &again, sizeof again);

  /* nothing given: no knobs, and an empty string back */
  nd_knobs_init (&k);
  g_assert_true (nd_knobs_parse (NULL, &k, NULL));
  g_assert_true (nd_knobs_parse ("  ", &k, NULL));
  g_assert_cmpuint (k.set, ==, 0);
  g_clear_pointer (&text, g_free);
  text = nd_knobs_to_string (&k);
  g_assert_cmpstr (text, ==, "");
}

static void
test_parse_errors (void)
{
  static const struct { const char *text, *message; } cases[] = {
    { "--width 0.25 --width 0.5", "Knobs “--width 0.25 --width 0.5”: --width is given twice" },
    { "resolution 32", "Knobs “resolution 32”: “resolution” is not a --flag" },
    { "--classes", "--classes needs a value" },
    { "--classes 10 --fused", "Unknown knob “--fused” (known: --streams, --width, --blocks, "
                              "--resolution, --classes, --in-channels, --lambda)" },
    { "--resolution $(reboot)", "--resolution takes a whole number, not “$(reboot)”" },
    { "--width -1", "--width must be greater than 0 and at most 8, not -1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      NdKnobs k;

      nd_knobs_init (&k);
      k.classes = 7;
      g_assert_false (nd_knobs_parse (cases[i].text, &k, &error));
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_cmpint (k.classes, ==, 7);   /* unchanged on error */
      g_assert_cmpuint (k.set, ==, 0);
    }
}

static void
test_merge_apply_from_spec (void)
{
  NdKnobs file, cli, k;
  NdModelSpec spec, rebuilt;
  g_autofree char *text = NULL;

  nd_knobs_init (&file);
  nd_knobs_init (&cli);
  g_assert_true (nd_knobs_parse ("--width 0.25 --resolution 32 --classes 10", &file, NULL));
  g_assert_true (nd_knobs_parse ("--resolution 64", &cli, NULL));
  nd_knobs_merge (&file, &cli);
  g_assert_cmpint (file.resolution, ==, 64);
  g_assert_cmpint (file.classes, ==, 10);

  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, NULL));
  nd_knobs_apply (&file, &spec);
  g_assert_cmpint (spec.resolution, ==, 64);
  g_assert_cmpfloat (spec.width, ==, 0.25);
  g_assert_cmpint (spec.streams, ==, 3);   /* not given: the preset's */

  /* from_spec → string → parse → apply rebuilds the same spec */
  nd_knobs_from_spec (&k, &spec);
  text = nd_knobs_to_string (&k);
  g_assert_cmpstr (text, ==, "--resolution 64 --classes 10 --in-channels 3 --width 0.25 "
                             "--streams 3 --blocks 4,5,5");
  nd_knobs_init (&k);
  g_assert_true (nd_knobs_parse (text, &k, NULL));
  g_assert_true (nd_model_spec_parse ("parnet-s", &rebuilt, NULL));
  nd_knobs_apply (&k, &rebuilt);
  g_assert_cmpmem (&rebuilt, sizeof rebuilt, &spec, sizeof spec);
}

static void
test_budget_parse (void)
{
  static const struct { const char *text; guint64 bytes; } good[] = {
    { "4096", G_GUINT64_CONSTANT (4096) << 20 }, { "512M", 512u << 20 },
    { "8G", G_GUINT64_CONSTANT (8) << 30 }, { "8GiB", G_GUINT64_CONSTANT (8) << 30 },
    { "8gb", G_GUINT64_CONSTANT (8) << 30 }, { "1.5G", G_GUINT64_CONSTANT (3) << 29 },
    { "64k", 64u << 10 }, { "2T", G_GUINT64_CONSTANT (2) << 40 },
  };
  static const char * const bad[] = { "", "0", "-3", "lots", "8X", "8GBs", "nan", "1e30",
                                       " 8G", "2000000000T" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      guint64 bytes = 0;

      g_assert_true (nd_memory_budget_parse (good[i].text, &bytes, NULL));
      g_assert_cmpuint (bytes, ==, good[i].bytes);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 bytes = 7;

      g_assert_false (nd_memory_budget_parse (bad[i], &bytes, &error));
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
      g_assert_cmpuint (bytes, ==, 7);
    }
}

/* The counted bytes match what a built graph really holds. */
static void
test_budget_measure (void)
{
  g_autoptr(NdGraph) g = NULL;
  guint64 w_shapes, a_shapes, w_built, a_built, w_tensors = 0;
  NdModelSpec spec;

  g_assert_true (nd_model_spec_parse ("repvgg-a0", &spec, NULL));
  spec.resolution = 64;
  g_assert_true (nd_model_measure (&spec, &w_shapes, &a_shapes, NULL));
  g = nd_model_build (&spec, NULL);
  g_assert_nonnull (g);
  g_assert_false (g->shapes_only);
  nd_graph_memory (g, &w_built, &a_built);
  g_assert_cmpuint (w_shapes, ==, w_built);
  g_assert_cmpuint (a_shapes, ==, a_built);
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    for (int s = 0; s < ND_W_COUNT; s++)
      if (nd_graph_node (g, i)->w[s] != NULL)
        w_tensors += (guint64) nd_graph_node (g, i)->w[s]->numel * sizeof (float);
  g_assert_cmpuint (w_shapes, ==, w_tensors);
  /* 64×64 RGB input alone */
  g_assert_cmpuint (a_shapes, >, 3 * 64 * 64 * sizeof (float));
}

static void
test_budget_refuses (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;
  NdModelSpec spec;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_cmpuint (nd_memory_budget_get (), ==, ND_DEFAULT_MEMORY_BUDGET);
  g_assert_true (nd_model_spec_parse ("vgg-16", &spec, NULL));
  spec.resolution = 4096;
  spec.width = 8;
  g = nd_model_build (&spec, &error);
  g_assert_null (g);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY);
  g_assert_cmpstr (error->message, ==,
                   "vgg-16 --resolution 4096 --classes 1000 --in-channels 3 --width 8 needs "
                   "292.1\u00a0GiB (weights 6.6\u00a0GiB, activations 285.4\u00a0GiB per image, "
                   "1 image), over the memory budget of 4.0\u00a0GiB (--memory-budget or "
                   "ND_MEMORY_BUDGET raises it)");
  /* refused from shapes alone: no 6.6 GiB of zeroed weights first */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* every preset fits the default budget at its own resolution, with room to spare */
  for (const char * const *n = nd_model_names (); *n != NULL; n++)
    {
      g_assert_true (nd_model_spec_parse (*n, &spec, NULL));
      g_assert_true (nd_model_check_budget (&spec, 2, &error));
      g_assert_no_error (error);
    }

  /* a batch counts its activations once per image */
  g_assert_true (nd_model_spec_parse ("repvgg-a0", &spec, NULL));
  g_assert_false (nd_model_check_budget (&spec, 100000, &error));
  g_assert_nonnull (strstr (error->message, "100000 images"));
  g_clear_error (&error);

  /* a lower budget refuses what the default allows; 0 restores the default */
  nd_memory_budget_set (G_GUINT64_CONSTANT (16) << 20);
  g_assert_false (nd_model_check_budget (&spec, 1, &error));
  g_assert_nonnull (strstr (error->message, "over the memory budget of 16.0\u00a0MiB"));
  nd_memory_budget_set (0);
  g_assert_cmpuint (nd_memory_budget_get (), ==, ND_DEFAULT_MEMORY_BUDGET);
  g_clear_error (&error);
  g_assert_true (nd_model_check_budget (&spec, 1, &error));
}

int
main (int argc, char **argv)
{
  g_unsetenv ("ND_MEMORY_BUDGET");
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (knob_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/knobs/value/%s/%u", knob_cases[i].name, i);

      g_test_add_data_func (path, &knob_cases[i], test_knob_case);
    }
  g_test_add_func ("/knobs/typed-setters", test_typed_setters);
  g_test_add_func ("/knobs/parse-and-print", test_parse_and_print);
  g_test_add_func ("/knobs/parse-errors", test_parse_errors);
  g_test_add_func ("/knobs/merge-apply-from-spec", test_merge_apply_from_spec);
  g_test_add_func ("/budget/parse", test_budget_parse);
  g_test_add_func ("/budget/measure", test_budget_measure);
  g_test_add_func ("/budget/refuses", test_budget_refuses);
  return g_test_run ();
}
