/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nd-checkpoint-private.h"
#include "nd-checkpoint.h"
#include "nd-error.h"
#include "nd-graph.h"
#include "nd-pickle.h"
#include "nd-test-utils.h"
#include "nd-weights.h"
#include "nd-safetensors.h"

#define PWNED "/tmp/nd-hostile-pwned"

/* The graph whose keys the scripts in tests/data write: a grouped conv, a BN, a stride-2 conv with bias
 * and a linear head. */
static NdGraph *
small_graph (void)
{
  g_autoptr(GError) error = NULL;
  NdGraph *g = nd_graph_new (3, 9, 9);
  NdOpParams c1 = { .out_c = 6, .kernel = 3, .stride = 1, .pad = 1, .groups = 3 };
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams c2 = { .out_c = 4, .kernel = 3, .stride = 2, .pad = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 5 };
  int id;

  id = nd_graph_add (g, ND_OP_CONV2D, &c1, (int[]) { 0 }, 1, "stage0.conv", &error);
  id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &id, 1, "stage0.bn", &error);
  id = nd_graph_add (g, ND_OP_CONV2D, &c2, &id, 1, "stage1.conv", &error);
  id = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, &error);
  id = nd_graph_add (g, ND_OP_LINEAR, &fc, &id, 1, "linear", &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return g;
}

/* ---- hostile and broken files (tests/data/hostile, written by make-hostile.py) ---- */

typedef struct
{
  const char *file;
  gboolean    opens;     /* nd_checkpoint_open succeeds; the error comes from get_weights */
  int         code;      /* -1: the weights load but hold non-finite values */
  const char *needle;
  gboolean    raw;       /* a bare pickle, fed to nd_pickle_load (needle NULL: loads inert) */
} Hostile;

static const Hostile hostile[] = {
  { "os-system-value.pth", TRUE, ND_RUNTIME_ERROR_MISSING_WEIGHTS, "no state dict" },
  { "eval-root.pth", FALSE, ND_RUNTIME_ERROR_UNSUPPORTED, "builtins.eval" },
  { "os-system-numel.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "malformed storage reference" },
  { "huge-string.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "runs past the end" },
  { "huge-bytes.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "runs past the end" },
  { "huge-tensor.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "reach too far" },
  { "huge-storage.pth", TRUE, ND_RUNTIME_ERROR_BAD_FILE, "shorter than" },
  { "deep-lists.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "nest deeper" },
  { "deep-marks.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "nested MARKs" },
  { "deep-tuples.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "nest deeper" },
  { "cycle.pth", TRUE, ND_RUNTIME_ERROR_MISSING_WEIGHTS, "no state dict" },
  { "truncated-half.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "truncated" },
  { "truncated-tail.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "truncated" },
  { "short-storage.pth", TRUE, ND_RUNTIME_ERROR_BAD_FILE, "shorter than" },
  { "out-of-storage.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "reaches element 17" },
  { "missing-storage.pth", TRUE, ND_RUNTIME_ERROR_BAD_FILE, "missing from the archive" },
  { "deflated.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "compressed" },
  { "legacy.pth", FALSE, ND_RUNTIME_ERROR_UNSUPPORTED, "_use_new_zipfile_serialization" },
  { "bad-opcode.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "unknown opcode 0xff" },
  { "underflow.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "stack underflow" },
  { "memo-miss.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "memo entry 7" },
  { "bad-cd-offset.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "outside the file" },
  { "complex.pth", TRUE, ND_RUNTIME_ERROR_UNSUPPORTED, "ComplexFloatStorage" },
  /* the corpus tools/write_checkpoints.py writes (see README.md there) */
  { "bad_offset.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "reaches element" },
  { "builtins_eval.pkl", FALSE, ND_RUNTIME_ERROR_UNSUPPORTED, "legacy" },
  { "builtins_eval.pkl", FALSE, 0, NULL, TRUE },
  { "deep_nesting_lists.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "nest deeper" },
  { "deep_nesting_marks.pkl", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "nested MARKs", TRUE },
  { "huge_bytes8.pkl", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "runs past the end", TRUE },
  { "huge_dims.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "[0, 2^34]" },
  { "huge_numel.pth", TRUE, ND_RUNTIME_ERROR_BAD_FILE, "shorter than" },
  { "huge_string.pkl", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "runs past the end", TRUE },
  { "memo_bomb.pkl", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "never stored", TRUE },
  { "nan_weights.pth", TRUE, -1, NULL },
  { "nan_weights.safetensors", TRUE, -1, NULL },
  { "not_a_zip.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "not a PyTorch checkpoint" },
  { "os_system.pth", FALSE, ND_RUNTIME_ERROR_UNSUPPORTED, "os.system" },
  { "os_system_nested.pth", TRUE, ND_RUNTIME_ERROR_MISSING_WEIGHTS, "no state dict" },
  { "short_storage.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "reaches element" },
  { "short_storage_file.pth", TRUE, ND_RUNTIME_ERROR_BAD_FILE, "shorter than" },
  { "st_bad_dtype.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "unsupported dtype" },
  { "st_dim_overflow.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "too many elements" },
  { "st_huge_header.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "byte limit" },
  { "st_not_json.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "not valid JSON" },
  { "st_offsets_oob.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "past the data" },
  { "st_overlap.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "overlap" },
  { "st_shape_mismatch.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "bytes of data" },
  { "subprocess_popen.pth", FALSE, ND_RUNTIME_ERROR_UNSUPPORTED, "subprocess.Popen" },
  { "truncated.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "truncated" },
  { "zip_huge_entry.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "run past the end" },
  /* round two (issue 13): strict JSON, the data area tiled, expansion, zip integrity */
  { "st-quote-nesting.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "not valid JSON" },
  { "st-single-quote.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "not valid JSON" },
  { "st-comment.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "not valid JSON" },
  { "st-trailing-comma.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "not valid JSON" },
  { "st-dup-key.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "appears twice" },
  { "st-nul-key.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "NUL character" },
  { "st-gap.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "(a gap)" },
  { "st-trailing.safetensors", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "trailing bytes" },
  { "stride0-expand.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "expanding view" },
  { "zip-crc.pth", TRUE, ND_RUNTIME_ERROR_BAD_FILE, "CRC-32" },
  { "zip-overlap.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "overlap" },
  { "zip-over-cd.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "overlaps the central directory" },
  { "zip-name.pth", FALSE, ND_RUNTIME_ERROR_BAD_FILE, "invalid name" },
};

static void
assert_message (const GError *error, const char *needle)
{
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not say “%s”", error->message, needle);
}

static void
test_hostile (gconstpointer data)
{
  const Hostile *h = data;
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "hostile", h->file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = NULL;
  g_autoptr(NdWeightSet) set = NULL;

  g_unlink (PWNED);
  if (h->raw)
    {
      g_autofree char *contents = NULL;
      gsize len;
      g_autoptr(NdPickle) pk = NULL;

      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);
      pk = nd_pickle_load ((const guint8 *) contents, len, &error);
      if (h->needle == NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpint (nd_pickle_root (pk)->kind, ==, ND_PV_OPAQUE);
          return;
        }
      g_assert_null (pk);
      g_assert_error (error, ND_RUNTIME_ERROR, h->code);
      assert_message (error, h->needle);
      return;
    }
  ckpt = nd_checkpoint_open (path, &error);
  if (h->opens && h->code == -1)
    {
      gboolean finite = TRUE;

      g_assert_no_error (error);
      set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
      g_assert_no_error (error);
      for (const char * const *k = nd_weight_set_keys (set); *k; k++)
        {
          NdTensor *t = nd_weight_set_lookup (set, *k);

          for (int64_t j = 0; j < t->numel; j++)
            finite = finite && isfinite (t->data[j]);
        }
      /* nd_graph_load_weights refuses these (see /checkpoint/hostile/nan.pth) */
      g_assert_false (finite);
      return;
    }
  if (h->opens)
    {
      g_autofree char *json = NULL;

      g_assert_no_error (error);
      /* describing the file must be as safe as loading it */
      json = nd_checkpoint_describe_json (ckpt, &error);
      g_assert_no_error (error);
      g_assert_nonnull (json);
      set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
      g_assert_null (set);
    }
  else
    g_assert_null (ckpt);
  g_assert_error (error, ND_RUNTIME_ERROR, h->code);
  assert_message (error, h->needle);
  g_test_message ("%s: %s", h->file, error->message);
  /* nothing named by the pickle ran */
  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
}

static void
test_hostile_nan (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "hostile", "nan.pth", NULL);
  g_autofree char *good = g_test_build_filename (G_TEST_DIST, "data", "hostile", "good.pth", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open (path, &error);
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdGraph) g = small_graph ();

  g_assert_no_error (error);
  set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (nd_weight_set_lookup (set, "stage0.bn.running_var")->data[3]));
  g_assert_false (nd_graph_load_weights (g, set, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  assert_message (error, "stage0.bn.running_var");
  g_clear_error (&error);

  /* the same file without the NaN loads */
  g_clear_pointer (&ckpt, nd_checkpoint_free);
  g_clear_pointer (&set, nd_weight_set_free);
  ckpt = nd_checkpoint_open (good, &error);
  g_assert_no_error (error);
  set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (nd_graph_load_weights (g, set, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (nd_graph_lookup_weight (g, "linear.bias")->data[4], ==, 0.54f);
}

/* Random garbage and every truncation of a good file: never a crash, always an error or a
 * consistent result. */
static void
test_truncations (void)
{
  g_autofree char *good = g_test_build_filename (G_TEST_DIST, "data", "hostile", "good.pth", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (good, &contents, &len, &error);
  g_assert_no_error (error);
  for (gsize n = 0; n < len; n += 7)
    {
      g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open_from_data ((guint8 *) contents, n, "t",
                                                                   &error);

      g_assert_null (ckpt);
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
  /* flip one byte at a time in the pickle and the directory */
  for (gsize i = 0; i < len; i += 3)
    {
      g_autofree guint8 *copy = g_memdup2 (contents, len);
      g_autoptr(NdCheckpoint) ckpt = NULL;

      copy[i] ^= 0x5a;
      ckpt = nd_checkpoint_open_from_data (copy, len, "flip", &error);
      if (ckpt != NULL)
        {
          g_autoptr(NdWeightSet) set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
          g_autofree char *json = nd_checkpoint_describe_json (ckpt, NULL);

          g_assert_true ((set == NULL) == (error != NULL));
          g_assert_nonnull (json);
        }
      g_clear_error (&error);
    }
}

/* ---- zip64: every size and offset in the central directory saturated ---- */

static void
put16 (GByteArray *b, guint v)
{
  guint8 x[2] = { v & 0xff, (v >> 8) & 0xff };

  g_byte_array_append (b, x, 2);
}

static void
put32 (GByteArray *b, guint32 v)
{
  put16 (b, v & 0xffff);
  put16 (b, v >> 16);
}

static void
put64 (GByteArray *b, guint64 v)
{
  put32 (b, (guint32) v);
  put32 (b, (guint32) (v >> 32));
}

/* zip's CRC-32, bit by bit: an independent check of the reader's table-driven one. */
static guint32
crc32_bitwise (const guint8 *p, gsize n)
{
  guint32 c = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
  return c ^ 0xffffffffu;
}

/* A stored zip of @n entries whose central directory and end record use zip64 fields. */
static GByteArray *
zip64_archive (const char **names, const guint8 **data, const gsize *sizes, guint n)
{
  GByteArray *b = g_byte_array_new ();
  g_autofree guint64 *offsets = g_new (guint64, n);
  guint64 cd_start, cd_end;

  for (guint i = 0; i < n; i++)
    {
      offsets[i] = b->len;
      put32 (b, 0x04034b50);
      put16 (b, 45);
      put16 (b, 0);
      put16 (b, 0);
      put32 (b, 0);
      put32 (b, crc32_bitwise (data[i], sizes[i]));
      put32 (b, sizes[i]);
      put32 (b, sizes[i]);
      put16 (b, strlen (names[i]));
      put16 (b, 0);
      g_byte_array_append (b, (const guint8 *) names[i], strlen (names[i]));
      g_byte_array_append (b, data[i], sizes[i]);
    }
  cd_start = b->len;
  for (guint i = 0; i < n; i++)
    {
      put32 (b, 0x02014b50);
      put16 (b, 45);
      put16 (b, 45);
      put16 (b, 0);
      put16 (b, 0);
      put32 (b, 0);
      put32 (b, crc32_bitwise (data[i], sizes[i]));
      put32 (b, 0xffffffffu);
      put32 (b, 0xffffffffu);
      put16 (b, strlen (names[i]));
      put16 (b, 4 + 24);
      put16 (b, 0);
      put16 (b, 0);
      put16 (b, 0);
      put32 (b, 0);
      put32 (b, 0xffffffffu);
      g_byte_array_append (b, (const guint8 *) names[i], strlen (names[i]));
      put16 (b, 1);
      put16 (b, 24);
      put64 (b, sizes[i]);
      put64 (b, sizes[i]);
      put64 (b, offsets[i]);
    }
  cd_end = b->len;
  put32 (b, 0x06064b50);
  put64 (b, 44);
  put16 (b, 45);
  put16 (b, 45);
  put32 (b, 0);
  put32 (b, 0);
  put64 (b, n);
  put64 (b, n);
  put64 (b, cd_end - cd_start);
  put64 (b, cd_start);
  put32 (b, 0x07064b50);
  put32 (b, 0);
  put64 (b, cd_end);
  put32 (b, 1);
  put32 (b, 0x06054b50);
  put16 (b, 0);
  put16 (b, 0);
  put16 (b, 0xffff);
  put16 (b, 0xffff);
  put32 (b, 0xffffffffu);
  put32 (b, 0xffffffffu);
  put16 (b, 0);
  return b;
}

static void
test_zip64 (void)
{
  /* {'w': tensor([1.5, -2.0])} as torch.save pickles it */
  static const guint8 pkl[] =
    "\x80\x02}(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
    "ctorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00" "cpuK\x02tQK\x00K\x02\x85K\x01"
    "\x85\x89" "ccollections\nOrderedDict\n)RtRu.";
  const float w[2] = { 1.5f, -2.0f };
  const char *names[2] = { "archive/data.pkl", "archive/data/0" };
  const guint8 *data[2] = { pkl, (const guint8 *) w };
  const gsize sizes[2] = { sizeof pkl - 1, sizeof w };
  g_autoptr(GByteArray) zip = zip64_archive (names, data, sizes, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open_from_data (zip->data, zip->len, "z64", &error);
  g_autoptr(NdWeightSet) set = NULL;
  NdTensor *t;

  g_assert_no_error (error);
  set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
  g_assert_no_error (error);
  t = nd_weight_set_lookup (set, "w");
  g_assert_nonnull (t);
  g_assert_cmpint (t->ndim, ==, 1);
  g_assert_cmpfloat (t->data[0], ==, 1.5f);
  g_assert_cmpfloat (t->data[1], ==, -2.0f);

  /* the zip64 locator pointing outside the file is refused */
  g_clear_pointer (&ckpt, nd_checkpoint_free);
  zip->data[zip->len - 22 - 20 + 8] = 0xf0;
  ckpt = nd_checkpoint_open_from_data (zip->data, zip->len, "z64", &error);
  g_assert_null (ckpt);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  assert_message (error, "zip64");
}

/* ---- the pickle reader on its own ---- */

static void
test_pickle_values (void)
{
  /* {'a': [1, -2, 300, 70000, 2**40, -2**40, 1.5, True, None, 'é', b'xy', (1,)], 'a': 3} */
  static const guint8 pkl[] =
    "\x80\x02}q\x00(X\x01\x00\x00\x00" "aq\x01]q\x02(K\x01J\xfe\xff\xff\xffM,\x01J\x70\x11\x01\x00"
    "\x8a\x06\x00\x00\x00\x00\x00\x01\x8a\x06\x00\x00\x00\x00\x00\xff"
    "G?\xf8\x00\x00\x00\x00\x00\x00\x88NX\x02\x00\x00\x00\xc3\xa9" "C\x02xyK\x01\x85" "eh\x01K\x03u.";
  g_autoptr(GError) error = NULL;
  g_autoptr(NdPickle) pk = nd_pickle_load (pkl, sizeof pkl - 1, &error);
  NdPickleValue *root, *list, **it;

  g_assert_no_error (error);
  root = nd_pickle_root (pk);
  g_assert_cmpint (root->kind, ==, ND_PV_DICT);
  g_assert_cmpuint (nd_pickle_dict_size (root), ==, 1);   /* the repeated key replaced */
  g_assert_cmpint (nd_pickle_dict_lookup (root, "a")->i, ==, 3);
  g_clear_pointer (&pk, nd_pickle_free);

  /* same without the replacement: check every item */
  {
    static const guint8 pkl2[] =
      "\x80\x02]q\x02(K\x01J\xfe\xff\xff\xffM,\x01J\x70\x11\x01\x00"
      "\x8a\x06\x00\x00\x00\x00\x00\x01\x8a\x06\x00\x00\x00\x00\x00\xff"
      "G?\xf8\x00\x00\x00\x00\x00\x00\x88NX\x02\x00\x00\x00\xc3\xa9" "C\x02xyK\x01\x85" "e.";

    pk = nd_pickle_load (pkl2, sizeof pkl2 - 1, &error);
    g_assert_no_error (error);
    list = nd_pickle_root (pk);
    g_assert_cmpint (list->kind, ==, ND_PV_LIST);
    g_assert_cmpuint (list->items->len, ==, 12);
    it = (NdPickleValue **) list->items->pdata;
    g_assert_cmpint (it[0]->i, ==, 1);
    g_assert_cmpint (it[1]->i, ==, -2);
    g_assert_cmpint (it[2]->i, ==, 300);
    g_assert_cmpint (it[3]->i, ==, 70000);
    g_assert_cmpint (it[4]->i, ==, G_GINT64_CONSTANT (1) << 40);
    g_assert_cmpint (it[5]->i, ==, -(G_GINT64_CONSTANT (1) << 40));
    g_assert_cmpfloat (it[6]->f, ==, 1.5);
    g_assert_cmpint (it[7]->kind, ==, ND_PV_BOOL);
    g_assert_cmpint (it[8]->kind, ==, ND_PV_NONE);
    g_assert_cmpstr (it[9]->s, ==, "é");
    g_assert_cmpint (it[10]->kind, ==, ND_PV_BYTES);
    g_assert_cmpint (it[11]->kind, ==, ND_PV_TUPLE);
  }
}

/* ---- detection ---- */

static void
add_shape (GArray *ks, const char *key, int ndim, int64_t a, int64_t b, int64_t c, int64_t d)
{
  NdKeyShape s = { g_intern_string (key), ndim, { a, b, c, d } };

  g_array_append_val (ks, s);
}

static void
test_detect (void)
{
  g_autoptr(GArray) ks = g_array_new (FALSE, TRUE, sizeof (NdKeyShape));
  NdCheckpointModel m;

  /* ParNet-S, training form: c0 = 92 */
  add_shape (ks, "inits.0.0.block.rbr_dense.conv.weight", 4, 64, 3, 3, 3);
  add_shape (ks, "inits.0.1.block.rbr_dense.conv.weight", 4, 92, 64, 3, 3);
  add_shape (ks, "inits.1.block.rbr_dense.conv.weight", 4, 192, 92, 3, 3);
  add_shape (ks, "inits.2.block.rbr_dense.conv.weight", 4, 384, 192, 3, 3);
  add_shape (ks, "downsamples_2.0.block.rbr_dense.conv.weight", 4, 192, 92, 3, 3);
  add_shape (ks, "downsamples_2.1.2.block.rbr_dense.conv.weight", 4, 384, 192, 3, 3);
  add_shape (ks, "combine.3.block.rbr_dense.conv.weight", 4, 1280, 384, 3, 3);
  add_shape (ks, "head.fc.weight", 2, 1000, 1280, 1, 1);
  for (int s = 0; s < 3; s++)
    for (int b = 0; b < (s == 0 ? 4 : 5); b++)
      {
        g_autofree char *k = g_strdup_printf ("streams.%d.%d.block.rbr_dense.conv.weight", s, b);

        add_shape (ks, k, 4, 8, 8, 3, 3);
      }
  g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_cmpstr (m.family, ==, "parnet");
  g_assert_cmpstr (m.preset, ==, "parnet-s");
  g_assert_cmpstr (m.knobs, ==, "");
  g_assert_false (m.deploy);
  g_assert_cmpint (m.classes, ==, 1000);
  g_assert_cmpint (m.in_channels, ==, 3);

  /* ParNet-M with 10 classes and one stream block fewer */
  g_array_set_size (ks, 0);
  add_shape (ks, "inits.0.0.block.rbr_dense.conv.weight", 4, 64, 1, 3, 3);
  add_shape (ks, "inits.0.1.block.rbr_dense.conv.weight", 4, 128, 64, 3, 3);
  add_shape (ks, "inits.1.block.rbr_dense.conv.weight", 4, 256, 128, 3, 3);
  add_shape (ks, "inits.2.block.rbr_dense.conv.weight", 4, 512, 256, 3, 3);
  add_shape (ks, "downsamples_2.0.block.rbr_dense.conv.weight", 4, 256, 128, 3, 3);
  add_shape (ks, "downsamples_2.1.2.block.rbr_dense.conv.weight", 4, 512, 256, 3, 3);
  add_shape (ks, "combine.3.block.rbr_dense.conv.weight", 4, 2048, 512, 3, 3);
  add_shape (ks, "head.fc.weight", 2, 10, 2048, 1, 1);
  for (int s = 0; s < 3; s++)
    for (int b = 0; b < 4; b++)
      {
        g_autofree char *k = g_strdup_printf ("streams.%d.%d.block.rbr_dense.conv.weight", s, b);

        add_shape (ks, k, 4, 8, 8, 3, 3);
      }
  g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_cmpstr (m.preset, ==, "parnet-m");
  g_assert_cmpstr (m.knobs, ==, "--classes 10 --in-channels 1 --blocks 4,4,4");

  /* ParNet-L with one stream, deploy form: downsamples_2.1 is a plain block */
  g_array_set_size (ks, 0);
  add_shape (ks, "inits.0.0.block.rbr_dense.weight", 4, 64, 3, 3, 3);
  add_shape (ks, "inits.0.1.block.rbr_dense.weight", 4, 160, 64, 3, 3);
  add_shape (ks, "downsamples_2.0.block.rbr_dense.weight", 4, 320, 160, 3, 3);
  add_shape (ks, "downsamples_2.1.block.rbr_dense.weight", 4, 640, 320, 3, 3);
  add_shape (ks, "combine.3.block.rbr_dense.weight", 4, 2560, 640, 3, 3);
  add_shape (ks, "head.fc.weight", 2, 1000, 2560, 1, 1);
  for (int b = 0; b < 4; b++)
    {
      g_autofree char *k = g_strdup_printf ("streams.0.%d.block.rbr_dense.weight", b);

      add_shape (ks, k, 4, 160, 160, 3, 3);
    }
  g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_cmpstr (m.preset, ==, "parnet-l");
  g_assert_true (m.deploy);
  g_assert_cmpstr (m.knobs, ==, "--streams 1");

  /* RepVGG-B1g4 deploy: A/B by block counts, groups from stage1.1 */
  {
    static const int w[5] = { 64, 128, 256, 512, 2048 }, n[5] = { 1, 4, 6, 16, 1 };

    g_array_set_size (ks, 0);
    add_shape (ks, "stage0.rbr_reparam.weight", 4, 64, 3, 3, 3);
    for (int s = 1; s < 5; s++)
      for (int b = 0; b < n[s]; b++)
        {
          g_autofree char *k = g_strdup_printf ("stage%d.%d.rbr_reparam.weight", s, b);
          int in = b == 0 ? w[s - 1] : w[s];

          add_shape (ks, k, 4, w[s], b % 2 ? in / 4 : in, 3, 3);
        }
    add_shape (ks, "linear.weight", 2, 1000, 2048, 1, 1);
    g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
    g_assert_cmpstr (m.preset, ==, "repvgg-b1g4");
    g_assert_true (m.deploy);
  }

  /* RepVGG-A1 (same widths as B0, fewer blocks), training form */
  {
    static const int w[5] = { 64, 64, 128, 256, 1280 }, n[5] = { 1, 2, 4, 14, 1 };

    g_array_set_size (ks, 0);
    add_shape (ks, "stage0.rbr_dense.conv.weight", 4, 64, 3, 3, 3);
    for (int s = 1; s < 5; s++)
      for (int b = 0; b < n[s]; b++)
        {
          g_autofree char *k = g_strdup_printf ("stage%d.%d.rbr_dense.conv.weight", s, b);

          add_shape (ks, k, 4, w[s], b == 0 ? w[s - 1] : w[s], 3, 3);
        }
    add_shape (ks, "linear.weight", 2, 1000, 1280, 1, 1);
    g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
    g_assert_cmpstr (m.preset, ==, "repvgg-a1");
    g_assert_false (m.deploy);
  }

  /* VanillaNet-5 deploy and VanillaNet-9 training */
  g_array_set_size (ks, 0);
  add_shape (ks, "stem.0.weight", 4, 512, 3, 4, 4);
  add_shape (ks, "stem.1.weight", 4, 512, 1, 7, 7);
  add_shape (ks, "stages.0.conv.weight", 4, 1024, 512, 1, 1);
  add_shape (ks, "stages.1.conv.weight", 4, 2048, 1024, 1, 1);
  add_shape (ks, "stages.2.conv.weight", 4, 4096, 2048, 1, 1);
  add_shape (ks, "cls.2.weight", 4, 1000, 4096, 1, 1);
  g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_cmpstr (m.preset, ==, "vanillanet-5");
  g_assert_true (m.deploy);
  {
    static const int w[7] = { 512, 1024, 2048, 2048, 2048, 4096, 4096 };

    g_array_set_size (ks, 0);
    add_shape (ks, "stem1.0.weight", 4, 512, 3, 4, 4);
    add_shape (ks, "stem2.2.weight", 4, 512, 1, 9, 9);
    for (int i = 0; i < 7; i++)
      {
        g_autofree char *k = g_strdup_printf ("stages.%d.conv2.0.weight", i);

        add_shape (ks, k, 4, w[i], i ? w[i - 1] : 512, 1, 1);
      }
    add_shape (ks, "cls2.0.weight", 4, 100, 100, 1, 1);
    g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
    g_assert_cmpstr (m.preset, ==, "vanillanet-9");
    g_assert_false (m.deploy);
    g_assert_cmpstr (m.knobs, ==, "--classes 100");
    g_assert_nonnull (strstr (m.reason, "act_num 4"));
  }

  /* VanillaNet-6 at width 0.25 (every width scaled, as the builder does) */
  g_array_set_size (ks, 0);
  add_shape (ks, "stem1.0.weight", 4, 128, 3, 4, 4);
  add_shape (ks, "stages.0.conv2.0.weight", 4, 256, 128, 1, 1);
  add_shape (ks, "stages.1.conv2.0.weight", 4, 512, 256, 1, 1);
  add_shape (ks, "stages.2.conv2.0.weight", 4, 1024, 512, 1, 1);
  add_shape (ks, "stages.3.conv2.0.weight", 4, 1024, 1024, 1, 1);
  add_shape (ks, "cls2.0.weight", 4, 10, 10, 1, 1);
  g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_cmpstr (m.preset, ==, "vanillanet-6");
  g_assert_cmpstr (m.knobs, ==, "--width 0.25 --classes 10");

  /* RepVGG-B1 at width 0.5: stage 0 is min(64, stage 1), not a scaled 64 */
  {
    static const int w[5] = { 64, 64, 128, 256, 1024 }, n[5] = { 1, 4, 6, 16, 1 };

    g_array_set_size (ks, 0);
    add_shape (ks, "stage0.rbr_dense.conv.weight", 4, w[0], 3, 3, 3);
    for (int s = 1; s < 5; s++)
      for (int b = 0; b < n[s]; b++)
        {
          g_autofree char *k = g_strdup_printf ("stage%d.%d.rbr_dense.conv.weight", s, b);

          add_shape (ks, k, 4, w[s], b == 0 ? w[s - 1] : w[s], 3, 3);
        }
    add_shape (ks, "linear.weight", 2, 1000, 1024, 1, 1);
    g_assert_true (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
    g_assert_cmpstr (m.preset, ==, "repvgg-b1");
    g_assert_cmpstr (m.knobs, ==, "--width 0.5");
  }

  /* timm's RepVGG scheme is recognised and reported as not converted */
  g_array_set_size (ks, 0);
  add_shape (ks, "stem.conv_kxk.conv.weight", 4, 64, 3, 3, 3);
  g_assert_false (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_true (m.timm_keys);
  g_assert_cmpstr (m.family, ==, "repvgg");

  /* unknown */
  g_array_set_size (ks, 0);
  add_shape (ks, "foo.weight", 1, 3, 0, 0, 0);
  g_assert_false (nd_checkpoint_detect_shapes ((NdKeyShape *) ks->data, ks->len, &m));
  g_assert_cmpstr (m.family, ==, "");
}

/* ---- real torch.save files (tests/data/write-torch-checkpoints.py) ---- */

static char *torch_dir;

static gboolean
have_torch_files (void)
{
  static int state = -1;

  if (state < 0)
    {
      g_autofree char *script = g_test_build_filename (G_TEST_DIST, "data",
                                                       "write-torch-checkpoints.py", NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;
      int status = 0;
      const char *python = g_getenv ("ND_PYTHON") ? g_getenv ("ND_PYTHON") : "/usr/bin/python3";
      char *argv[] = { (char *) python, script, NULL, NULL };

      torch_dir = g_dir_make_tmp ("nd-test-ckpt-XXXXXX", &error);
      g_assert_no_error (error);
      argv[2] = torch_dir;
      state = 0;
      if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
        return FALSE;
      if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status,
                         &error))
        g_error ("cannot run %s: %s", script, error->message);
      if (g_spawn_check_wait_status (status, NULL))
        state = 1;
      else if (!(WIFEXITED (status) && WEXITSTATUS (status) == 77))
        g_error ("%s failed: %s", script, err);
    }
  return state == 1;
}

static NdWeightSet *
load_ref (const char *name)
{
  g_autofree char *path = g_build_filename (torch_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  NdWeightSet *set = nd_safetensors_load (path, NULL, &error);

  g_assert_no_error (error);
  return set;
}

static void
assert_same_set (NdWeightSet *got, NdWeightSet *ref)
{
  const char * const *keys = nd_weight_set_keys (ref);

  g_assert_cmpuint (nd_weight_set_size (got), ==, nd_weight_set_size (ref));
  for (guint i = 0; keys[i] != NULL; i++)
    {
      NdTensor *a = nd_weight_set_lookup (got, keys[i]), *b = nd_weight_set_lookup (ref, keys[i]);

      if (a == NULL)
        g_error ("%s missing", keys[i]);
      if (!nd_tensor_same_shape (a, b))
        g_error ("%s: shape %s vs %s", keys[i], nd_tensor_shape_string (a),
                 nd_tensor_shape_string (b));
      for (int64_t j = 0; j < a->numel; j++)
        if (a->data[j] != b->data[j])
          g_error ("%s[%" G_GINT64_FORMAT "]: %g vs %g", keys[i], (gint64) j, a->data[j],
                   b->data[j]);
    }
}

static void
check_file (const char *file, const char *ref, const char *key, const char *want_chosen)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = NULL;
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdWeightSet) want = NULL;
  const char *chosen = NULL;

  if (!have_torch_files ())
    {
      nd_test_skip_unless_required ("torch", "python3-torch is not available");
      return;
    }
  path = g_build_filename (torch_dir, file, NULL);
  ckpt = nd_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd_checkpoint_get_format (ckpt), ==, "pytorch-zip");
  set = nd_checkpoint_get_weights (ckpt, key, &chosen, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chosen, ==, want_chosen);
  want = load_ref (ref);
  assert_same_set (set, want);
}

static void
test_torch_plain (void)
{
  check_file ("plain.pth", "plain.ref.safetensors", NULL, "");
  if (g_test_failed () || !have_torch_files ())
    return;
  /* and it loads into the graph (num_batches_tracked ignored) */
  {
    g_autofree char *path = g_build_filename (torch_dir, "plain.pth", NULL);
    g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open (path, NULL);
    g_autoptr(NdWeightSet) set = nd_checkpoint_get_weights (ckpt, NULL, NULL, NULL);
    g_autoptr(NdGraph) g = small_graph ();
    g_autoptr(GError) error = NULL;

    g_assert_true (nd_graph_load_weights (g, set, &error));
    g_assert_no_error (error);
  }
}

static void
test_torch_timm (void)
{
  /* default: the EMA weights, `module.` stripped; the plain ones on request */
  check_file ("timm.pth.tar", "timm.ref.safetensors", NULL, "state_dict_ema");
  check_file ("timm.pth.tar", "plain.ref.safetensors", "state_dict", "state_dict");
  if (!have_torch_files ())
    return;
  {
    g_autofree char *path = g_build_filename (torch_dir, "timm.pth.tar", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open (path, &error);
    g_autoptr(NdWeightSet) set = NULL;
    g_autofree char *json = NULL;

    g_assert_no_error (error);
    set = nd_checkpoint_get_weights (ckpt, "optimizer", NULL, &error);
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
    assert_message (error, "state_dict_ema");
    json = nd_checkpoint_describe_json (ckpt, NULL);
    g_assert_nonnull (strstr (json, "argparse.Namespace"));
    g_assert_nonnull (strstr (json, "\"default_state_dict\" : \"state_dict_ema\""));
  }
}

static void
test_torch_vanilla (void)
{
  check_file ("vanilla.pth", "vanilla.ref.safetensors", NULL, "model_ema");
}

static void
test_torch_dtypes (void)
{
  /* float16, bfloat16, float64, int64, transposed, storage offset, shared storage,
   * channels_last, a Parameter, a scalar, an empty tensor */
  check_file ("dtypes.pth", "dtypes.ref.safetensors", NULL, "");
}

static void
test_torch_legacy_and_nan (void)
{
  g_autofree char *legacy = NULL, *nan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = NULL;
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdGraph) g = small_graph ();

  if (!have_torch_files ())
    {
      nd_test_skip_unless_required ("torch", "python3-torch is not available");
      return;
    }
  legacy = g_build_filename (torch_dir, "legacy.pth", NULL);
  ckpt = nd_checkpoint_open (legacy, &error);
  g_assert_null (ckpt);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  assert_message (error, "re-save");
  g_clear_error (&error);

  nan = g_build_filename (torch_dir, "nan.pth", NULL);
  ckpt = nd_checkpoint_open (nan, &error);
  g_assert_no_error (error);
  set = nd_checkpoint_get_weights (ckpt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (nd_graph_load_weights (g, set, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  assert_message (error, "stage0.bn.running_var");
}

static void
test_safetensors_checkpoint (void)
{
  g_autoptr(NdGraph) g = small_graph ();
  g_autoptr(NdWeightSet) set = nd_graph_dup_weights (g);
  g_autoptr(NdWeightSet) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = NULL;
  g_autofree char *dir = g_dir_make_tmp ("nd-test-st-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);
  const char *chosen = NULL;

  g_assert_true (nd_safetensors_save (path, set, NULL, &error));
  ckpt = nd_checkpoint_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nd_checkpoint_get_format (ckpt), ==, "safetensors");
  back = nd_checkpoint_get_weights (ckpt, NULL, &chosen, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (chosen, ==, "");
  g_assert_cmpuint (nd_weight_set_size (back), ==, nd_weight_set_size (set));
  g_unlink (path);

  /* a header of exactly 128 bytes starts with 0x80, like a pickle: still safetensors */
  {
    g_autoptr(GString) h = g_string_new ("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                                         "\"data_offsets\":[0,4]}}");
    g_autoptr(GByteArray) b = g_byte_array_new ();
    g_autoptr(NdCheckpoint) c2 = NULL;
    guint64 le = GUINT64_TO_LE (128);
    float one = 1.0f;

    while (h->len < 128)
      g_string_append_c (h, ' ');
    g_byte_array_append (b, (const guint8 *) &le, 8);
    g_byte_array_append (b, (const guint8 *) h->str, h->len);
    g_byte_array_append (b, (const guint8 *) &one, 4);
    c2 = nd_checkpoint_open_from_data (b->data, b->len, "h128", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (nd_checkpoint_get_format (c2), ==, "safetensors");
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autoptr(GString) name = g_string_new (NULL);

      g_string_printf (name, "/checkpoint/hostile%s/%s", hostile[i].raw ? "-pickle" : "",
                       hostile[i].file);
      /* GLib runs paths with a "/subprocess" component only inside g_test_trap_subprocess() */
      g_string_replace (name, "/subprocess", "/sub-process", 0);
      g_test_add_data_func (name->str, &hostile[i], test_hostile);
    }
  g_test_add_func ("/checkpoint/hostile/nan.pth", test_hostile_nan);
  g_test_add_func ("/checkpoint/truncations", test_truncations);
  g_test_add_func ("/checkpoint/zip64", test_zip64);
  g_test_add_func ("/checkpoint/pickle/values", test_pickle_values);
  g_test_add_func ("/checkpoint/detect", test_detect);
  g_test_add_func ("/checkpoint/safetensors", test_safetensors_checkpoint);
  g_test_add_func ("/checkpoint/torch/plain", test_torch_plain);
  g_test_add_func ("/checkpoint/torch/timm", test_torch_timm);
  g_test_add_func ("/checkpoint/torch/vanilla", test_torch_vanilla);
  g_test_add_func ("/checkpoint/torch/dtypes", test_torch_dtypes);
  g_test_add_func ("/checkpoint/torch/legacy-and-nan", test_torch_legacy_and_nan);
  {
    int ret = g_test_run ();

    if (torch_dir != NULL)
      {
        g_autoptr(GDir) dir = g_dir_open (torch_dir, 0, NULL);
        const char *name;

        while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
          {
            g_autofree char *p = g_build_filename (torch_dir, name, NULL);

            g_unlink (p);
          }
        g_rmdir (torch_dir);
      }
    return ret;
  }
}
