/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nd-checkpoint.h"
#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-graph.h"
#include "nd-test-utils.h"
#include "nd-weights.h"
#include "nd-safetensors.h"
#include "nd-npy.h"

/* A small graph with a grouped conv, a BN, a stride-2 conv with bias and a linear head. */
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

static char *
tmp_path (const char *name)
{
  static char *dir;

  if (dir == NULL)
    {
      g_autoptr(GError) error = NULL;

      dir = g_dir_make_tmp ("nd-test-weights-XXXXXX", &error);
      g_assert_no_error (error);
    }
  return g_build_filename (dir, name, NULL);
}

static void
write_bytes (const char *path, const void *data, gsize n)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, n, &error);
  g_assert_no_error (error);
}

static void
test_weight_set (void)
{
  g_autoptr(NdWeightSet) set = nd_weight_set_new ();
  g_autoptr(NdTensor) a = nd_tensor_new_1d (3);
  g_autoptr(NdTensor) b = nd_tensor_new_1d (4);
  const char * const *keys;

  nd_weight_set_insert (set, "z", a);
  nd_weight_set_insert (set, "a", b);
  nd_weight_set_insert (set, "z", b);   /* replaces, keeps position */
  g_assert_cmpuint (nd_weight_set_size (set), ==, 2);
  keys = nd_weight_set_keys (set);
  g_assert_cmpstr (keys[0], ==, "z");
  g_assert_cmpstr (keys[1], ==, "a");
  g_assert_null (keys[2]);
  g_assert_true (nd_weight_set_lookup (set, "z") == b);
  g_assert_null (nd_weight_set_lookup (set, "y"));
}

static void
test_safetensors_round_trip (void)
{
  g_autoptr(NdGraph) g = small_graph ();
  g_autoptr(NdGraph) h = small_graph ();
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdWeightSet) back = NULL;
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) meta_back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = tmp_path ("round.safetensors");
  g_autofree char *contents = NULL;
  const char * const *k1, * const *k2;
  gsize len;
  guint64 hlen;

  nd_test_randomize_graph (g, 7);
  set = nd_graph_dup_weights (g);
  g_hash_table_insert (meta, (gpointer) "format", (gpointer) "pt");
  g_hash_table_insert (meta, (gpointer) "model", (gpointer) "small \"quoted\"");
  g_assert_true (nd_safetensors_save (path, set, meta, &error));
  g_assert_no_error (error);

  /* the data area starts 8-byte aligned */
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  memcpy (&hlen, contents, 8);
  g_assert_cmpuint (GUINT64_FROM_LE (hlen) % 8, ==, 0);

  back = nd_safetensors_load (path, &meta_back, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (meta_back, "model"), ==, "small \"quoted\"");
  {
    /* The header alone gives the same metadata; a truncated header is refused. */
    g_autoptr(GHashTable) only = nd_safetensors_read_metadata (path, &error);
    g_autofree char *cut = tmp_path ("cut.safetensors");
    g_autoptr(GError) cut_error = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (g_hash_table_size (only), ==, g_hash_table_size (meta_back));
    g_assert_cmpstr (g_hash_table_lookup (only, "model"), ==, "small \"quoted\"");
    g_assert_true (g_file_set_contents (cut, contents, 8 + GUINT64_FROM_LE (hlen) / 2, NULL));
    g_assert_null (nd_safetensors_read_metadata (cut, &cut_error));
    g_assert_error (cut_error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
    g_unlink (cut);
  }
  g_assert_cmpuint (nd_weight_set_size (back), ==, nd_weight_set_size (set));
  k1 = nd_weight_set_keys (set);
  k2 = nd_weight_set_keys (back);
  for (guint i = 0; k1[i]; i++)
    g_assert_cmpstr (k1[i], ==, k2[i]);

  g_assert_true (nd_graph_load_weights (h, back, &error));
  g_assert_no_error (error);
  for (guint i = 0; k1[i]; i++)
    {
      NdTensor *x = nd_graph_lookup_weight (g, k1[i]);
      NdTensor *y = nd_graph_lookup_weight (h, k1[i]);

      g_assert_true (nd_tensor_same_shape (x, y));
      g_assert_cmpmem (x->data, x->numel * 4, y->data, y->numel * 4);
    }
}

/* Builds a safetensors file from a header string and a data blob. */
static char *
make_st (const char *name, const char *header, const void *data, gsize n_data, gint64 hlen_override)
{
  char *path = tmp_path (name);
  g_autoptr(GByteArray) b = g_byte_array_new ();
  guint64 hlen = hlen_override >= 0 ? (guint64) hlen_override : strlen (header);
  guint64 le = GUINT64_TO_LE (hlen);

  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) header, strlen (header));
  if (n_data)
    g_byte_array_append (b, data, n_data);
  write_bytes (path, b->data, b->len);
  return path;
}

static void
expect_bad (const char *path, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdWeightSet) set = nd_safetensors_load (path, NULL, &error);

  g_assert_null (set);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not say “%s”", error->message, needle);
}

static void
test_safetensors_malformed (void)
{
  float data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  struct
  {
    const char *header;
    gint64      hlen;
    gsize       n_data;
    const char *needle;
  } cases[] = {
    { "", 0, 0, "not a JSON object" },
    { "{\"a\":", -1, 0, "not valid JSON" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 1 << 20, 0,
      "runs past the end" },
    { "{}", (gint64) 1 << 40, 0, "byte limit" },
    { "[1,2]", -1, 0, "not a JSON object" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[0,64]}}", -1, 32, "past the data" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", -1, 32, "overlap" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", -1, 32, "bytes of data" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", -1, 32, "is after end" },
    { "{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", -1, 32, "unsupported dtype" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}", -1, 32,
      "rank 5" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", -1,
      32, "too many elements" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999],\"data_offsets\":[0,8]}}", -1, 32,
      "too large" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", -1, 32,
      "not a non-negative integer" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", -1, 32,
      "not a non-negative integer" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", -1, 32, "lacks" },
    { "{\"__metadata__\":{\"x\":1}}", -1, 0, "not a string" },
    { "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
      -1, 0, "nests" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad%u.safetensors", i);
      g_autofree char *path = make_st (name, cases[i].header, data, cases[i].n_data, cases[i].hlen);

      g_test_message ("case %u: %s", i, cases[i].header);
      expect_bad (path, cases[i].needle);
    }

  /* shorter than the length field */
  {
    g_autofree char *path = tmp_path ("tiny.safetensors");

    write_bytes (path, "\x02\0\0", 3);
    expect_bad (path, "too short");
  }
}

static void
test_safetensors_dtypes (void)
{
  /* F16 1.5, −2, 65504; BF16 1.0, −3.0; F64 0.1; I64 7 */
  const guint16 f16[3] = { GUINT16_TO_LE (0x3e00), GUINT16_TO_LE (0xc000), GUINT16_TO_LE (0x7bff) };
  const guint16 bf16[2] = { GUINT16_TO_LE (0x3f80), GUINT16_TO_LE (0xc040) };
  double f64 = 0.1;
  gint64 i64 = 7;
  g_autoptr(GByteArray) blob = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NdWeightSet) set = NULL;
  g_autofree char *path = NULL;
  NdTensor *t;

  g_byte_array_append (blob, (const guint8 *) f16, 6);
  g_byte_array_append (blob, (const guint8 *) bf16, 4);
  g_byte_array_append (blob, (const guint8 *) &f64, 8);
  g_byte_array_append (blob, (const guint8 *) &i64, 8);
  path = make_st ("dtypes.safetensors",
                  "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                  "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[6,10]},"
                  "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[10,18]},"
                  "\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[18,26]}}",
                  blob->data, blob->len, -1);
  set = nd_safetensors_load (path, NULL, &error);
  g_assert_no_error (error);
  t = nd_weight_set_lookup (set, "h");
  g_assert_cmpfloat (t->data[0], ==, 1.5f);
  g_assert_cmpfloat (t->data[1], ==, -2.0f);
  g_assert_cmpfloat (t->data[2], ==, 65504.0f);
  t = nd_weight_set_lookup (set, "b");
  g_assert_cmpint (t->ndim, ==, 2);
  g_assert_cmpfloat (t->data[0], ==, 1.0f);
  g_assert_cmpfloat (t->data[1], ==, -3.0f);
  t = nd_weight_set_lookup (set, "d");
  g_assert_cmpint (t->ndim, ==, 0);
  g_assert_cmpfloat (t->data[0], ==, 0.1f);
  g_assert_cmpfloat (nd_weight_set_lookup (set, "n")->data[0], ==, 7.0f);
}

static void
test_npy (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTensor) t = nd_tensor_new_4d (2, 3, 1, 5);
  g_autoptr(NdTensor) v = nd_tensor_new_1d (7);
  g_autoptr(NdTensor) back = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autofree char *path = tmp_path ("t.npy");
  g_autofree char *vpath = tmp_path ("v.npy");
  g_autofree char *contents = NULL;
  gsize len;

  nd_tensor_fill_normal (t, rand, 0, 1);
  nd_tensor_fill_normal (v, rand, 0, 1);
  g_assert_true (nd_npy_save (path, t, &error));
  g_assert_no_error (error);
  back = nd_npy_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (nd_tensor_same_shape (t, back));
  g_assert_cmpmem (t->data, t->numel * 4, back->data, back->numel * 4);
  g_clear_pointer (&back, nd_tensor_unref);

  g_assert_true (nd_npy_save (vpath, v, &error));
  g_file_get_contents (vpath, &contents, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint ((len - 7 * 4) % 64, ==, 0);
  g_assert_nonnull (g_strstr_len (contents + 10, len - 10, "'shape': (7,)"));
  back = nd_npy_load (vpath, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->ndim, ==, 1);
  g_assert_cmpint (back->shape[0], ==, 7);
}

static char *
make_npy (const char *name, int version, const char *dict, gsize n_data)
{
  char *path = tmp_path (name);
  g_autoptr(GByteArray) b = g_byte_array_new ();
  gsize hlen = strlen (dict);
  guint8 hdr[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', version, 0,
                     hlen & 0xff, (hlen >> 8) & 0xff, 0, 0 };
  g_autofree guint8 *zeros = g_malloc0 (n_data + 1);

  g_byte_array_append (b, hdr, version == 1 ? 10 : 12);
  g_byte_array_append (b, (const guint8 *) dict, hlen);
  g_byte_array_append (b, zeros, n_data);
  write_bytes (path, b->data, b->len);
  return path;
}

static void
test_npy_malformed (void)
{
  struct
  {
    int         version;
    const char *dict;
    gsize       n_data;
    const char *needle;
  } cases[] = {
    { 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", 16, "not little-endian" },
    { 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", 8, "C-order" },
    { 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8, "bytes of data" },
    { 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2), }\n", 8, "at most" },
    { 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }\n", 8, "not a tuple" },
    { 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", 8, "non-negative" },
    { 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (999999999, 999999999), }\n", 8,
      "too many" },
    { 1, "{'descr': '<f4', 'shape': (2,), }\n", 8, "lacks" },
    { 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", 8, "unexpected" },
    { 4, "{}", 0, "version" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad%u.npy", i);
      g_autofree char *path = make_npy (name, cases[i].version, cases[i].dict, cases[i].n_data);
      g_autoptr(GError) error = NULL;
      g_autoptr(NdTensor) t = nd_npy_load (path, &error);

      g_assert_null (t);
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
      if (strstr (error->message, cases[i].needle) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].needle);
    }
  /* v2 header length past EOF */
  {
    g_autofree char *path = tmp_path ("long.npy");
    g_autoptr(GError) error = NULL;
    g_autoptr(NdTensor) t = NULL;

    write_bytes (path, "\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 14);
    t = nd_npy_load (path, &error);
    g_assert_null (t);
    g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  }
}

static void
test_load_errors (void)
{
  g_autoptr(NdGraph) g = small_graph ();
  g_autoptr(NdGraph) src = small_graph ();
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTensor) extra = nd_tensor_new_1d (2);
  g_autoptr(NdTensor) wrong = nd_tensor_new_1d (7);
  g_autoptr(NdTensor) counter = nd_tensor_new (0, NULL);
  NdTensor *before = nd_graph_lookup_weight (g, "stage0.bn.running_var");
  float saved;

  nd_test_randomize_graph (src, 1);
  /* missing + unexpected, listed by name; num_batches_tracked is not unexpected */
  set = nd_weight_set_new ();
  nd_weight_set_insert (set, "stage0.conv.weight", nd_graph_lookup_weight (src, "stage0.conv.weight"));
  nd_weight_set_insert (set, "stage0.bn.num_batches_tracked", counter);
  nd_weight_set_insert (set, "module.extra", extra);
  g_assert_false (nd_graph_load_weights (g, set, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_MISSING_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "stage0.bn.running_var"));
  g_assert_nonnull (strstr (error->message, "linear.bias"));
  g_assert_nonnull (strstr (error->message, "module.extra"));
  g_assert_null (strstr (error->message, "num_batches_tracked"));
  g_assert_null (strstr (error->message, "stage0.conv.weight"));
  g_assert_true (nd_graph_lookup_weight (g, "stage0.bn.running_var") == before);
  g_clear_error (&error);
  g_clear_pointer (&set, nd_weight_set_free);

  /* shape mismatch */
  set = nd_graph_dup_weights (src);
  nd_weight_set_insert (set, "stage1.conv.bias", wrong);
  g_assert_false (nd_graph_load_weights (g, set, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_assert_nonnull (strstr (error->message, "stage1.conv.bias"));
  g_clear_error (&error);
  g_clear_pointer (&set, nd_weight_set_free);

  /* NaN refused with its key; the graph is unchanged */
  set = nd_graph_dup_weights (src);
  {
    NdTensor *t = nd_tensor_copy (nd_weight_set_lookup (set, "stage0.bn.running_var"));

    saved = t->data[2];
    t->data[2] = NAN;
    nd_weight_set_insert (set, "stage0.bn.running_var", t);
    nd_tensor_unref (t);
  }
  g_assert_false (nd_graph_load_weights (g, set, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "stage0.bn.running_var"));
  g_assert_true (nd_graph_lookup_weight (g, "stage0.bn.running_var") == before);
  g_assert_true (nd_graph_lookup_weight (g, "linear.weight")
                 != nd_weight_set_lookup (set, "linear.weight"));
  (void) saved;
}

/* float → half (the Vulkan backend's fp16 storage): every half value round-trips exactly;
 * midpoints round to even; overflow, underflow and NaN behave as IEEE says. */
static void
test_float_to_half (void)
{
  for (guint32 h = 0; h < 0x10000u; h++)
    {
      float f = nd_half_to_float ((guint16) h);

      if (isnan (f))
        g_assert_true (isnan (nd_half_to_float (nd_float_to_half (f))));
      else
        g_assert_cmphex (nd_float_to_half (f), ==, h);
    }
  g_assert_cmphex (nd_float_to_half (1.0f + 1.0f / 2048), ==, 0x3c00);   /* tie → even */
  g_assert_cmphex (nd_float_to_half (1.0f + 3.0f / 2048), ==, 0x3c02);   /* tie → even */
  g_assert_cmphex (nd_float_to_half (1.0f + 1.5f / 2048), ==, 0x3c01);
  g_assert_cmphex (nd_float_to_half (65520.0f), ==, 0x7c00);             /* rounds to inf */
  g_assert_cmphex (nd_float_to_half (65519.0f), ==, 0x7bff);
  g_assert_cmphex (nd_float_to_half (-1e10f), ==, 0xfc00);
  g_assert_cmphex (nd_float_to_half (1e-10f), ==, 0x0000);
  g_assert_cmphex (nd_float_to_half (5.9604645e-8f), ==, 0x0001);        /* 2^-24 */
  g_assert_cmphex (nd_float_to_half (2.9802322e-8f), ==, 0x0000);        /* 2^-25: tie → 0 */
  g_assert_cmphex (nd_float_to_half (6.1e-5f), ==, 0x03ff);              /* largest subnormal */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/weights/set", test_weight_set);
  g_test_add_func ("/weights/float-to-half", test_float_to_half);
  g_test_add_func ("/weights/safetensors/round-trip", test_safetensors_round_trip);
  g_test_add_func ("/weights/safetensors/malformed", test_safetensors_malformed);
  g_test_add_func ("/weights/safetensors/dtypes", test_safetensors_dtypes);
  g_test_add_func ("/weights/npy/round-trip", test_npy);
  g_test_add_func ("/weights/npy/malformed", test_npy_malformed);
  g_test_add_func ("/weights/load-errors", test_load_errors);
  return g_test_run ();
}
