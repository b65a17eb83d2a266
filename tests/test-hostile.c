/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 13, round two: the strict JSON reader, the image loader's allow-list and budgets,
 * inputs that are not regular files, outputs that must not replace links or devices, and
 * terminal escaping. The hostile checkpoints themselves are in test-checkpoint.c. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nd-checkpoint.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-image-load.h"
#include "nd-json.h"
#include "nd-weights.h"
#include "nd-safetensors.h"
#include "nd-npy.h"
#include "nd-verdict.h"

static char *tmpdir;

static glong
max_rss_kb (void)
{
  struct rusage ru;

  g_assert_cmpint (getrusage (RUSAGE_SELF, &ru), ==, 0);
  return ru.ru_maxrss;
}

/* ---- the JSON reader ---- */

/* Reads @text to its end; NULL when valid, else the error message. */
static char *
json_error (const char *text, guint max_depth, guint max_items)
{
  g_autoptr(GError) error = NULL;
  NdJsonReader r;
  NdJsonEvent ev;

  nd_json_reader_init (&r, text, strlen (text), max_depth, max_items);
  while ((ev = nd_json_reader_next (&r, &error)) != ND_JSON_END && ev != ND_JSON_ERROR)
    ;
  nd_json_reader_clear (&r);
  if (ev == ND_JSON_END)
    return NULL;
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  return g_strdup (error->message);
}

static void
test_json_valid (void)
{
  const char *ok[] = {
    "{}", "[]", " {\"a\" : [1, -2.5e3, 0, 0.0, 1E+2, true, false, null]}\n\t\r ",
    "\"\\u00e9\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\"", "18446744073709551615",
    "{\"a\":{\"a\":{\"a\":1}},\"b\":[[],[{}]]}", "\"é\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autofree char *msg = json_error (ok[i], 16, 100);

      if (msg != NULL)
        g_error ("%s: %s", ok[i], msg);
    }
}

static void
test_json_strict (void)
{
  struct { const char *text, *needle; } bad[] = {
    { "{'a':1}", "member name" },
    { "{\"a\":'x'}", "does not allow" },
    { "{/* c */}", "member name" },
    { "[1, // c\n2]", "does not allow" },
    { "[1,]", "does not allow" },
    { "{\"a\":1,}", "member name" },
    { "{\"a\":1,\"a\":2}", "twice" },
    { "{\"a\\u0000\":1}", "NUL" },
    { "\"\\ud800\"", "surrogate" },
    { "\"\\udc00\"", "surrogate" },
    { "\"\\x41\"", "escape" },
    { "\"a\tb\"", "control character" },
    { "\"\xff\"", "UTF-8" },
    { "01", "leading zero" },
    { "1.", "fraction" },
    { "1e", "exponent" },
    { "-", "without digits" },
    { "{} {}", "after the end" },
    { "[1 2]", "expected ','" },
    { "{\"a\" 1}", "':'" },
    { "[", "ends" },
    { "\"abc", "ends inside a string" },
    { "NaN", "does not allow" },
    { "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "levels deep" },
    { "[1,2,3,4,5,6]", "more than 5 items" },
    { "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6}", "more than 5 items" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *msg = json_error (bad[i].text, 16, 5);

      if (msg == NULL || strstr (msg, bad[i].needle) == NULL)
        g_error ("%s: “%s” does not say “%s”", bad[i].text, msg ? msg : "(accepted)",
                 bad[i].needle);
    }
}

/* Builds "8-byte length + header" for the safetensors reader. */
static GByteArray *
st_blob (GString *header)
{
  GByteArray *b = g_byte_array_sized_new (header->len + 8);
  guint64 le = GUINT64_TO_LE ((guint64) header->len);

  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) header->str, header->len);
  return b;
}

/* The 100 MB header of numbers that json-glib turned into ~4 GB: refused after a bounded scan. */
static void
test_st_huge_headers (void)
{
  struct { const char *open, *item, *close, *needle; } cases[] = {
    /* one array of 50 M numbers: the item cap stops it at 131072 */
    { "{\"a\":[", "0,", "0]}", "more than 131072 items" },
    /* 25 k members of 4 KB of numbers each: read to the end, then the schema refuses */
    { "{", NULL, "\"z\":1}", "is not an object" },
    /* 1.9 M valid empty tensors: the member cap stops it at 131072 */
    { "{", "\"t%u\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},", "\"z\":1}",
      "more than 131072 items" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GString) h = g_string_sized_new (100u << 20);
      g_autoptr(GByteArray) blob = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(NdWeightSet) set = NULL;
      glong rss0;
      gint64 t0;
      guint i = 0;

      g_autofree char *zeros = g_strnfill (4000, '0');

      for (guint z = 1; z < 4000; z += 2)
        zeros[z] = ',';
      g_string_append (h, cases[c].open);
      while (h->len < (100u << 20) - 8200)
        if (c == 0)
          g_string_append (h, cases[c].item);
        else if (c == 1)
          g_string_append_printf (h, "\"k%u\":[%s0],", i++, zeros);
        else
          g_string_append_printf (h, "\"t%u\":{\"dtype\":\"F32\",\"shape\":[0],"
                                  "\"data_offsets\":[0,0]},", i++);
      g_string_append (h, cases[c].close);
      blob = st_blob (h);
      g_string_truncate (h, 0);
      rss0 = max_rss_kb ();
      t0 = g_get_monotonic_time ();
      set = nd_safetensors_load_from_data (blob->data, blob->len, "numbers.safetensors", NULL,
                                           &error);
      g_test_message ("%u: %.2f s, max RSS %ld → %ld MB: %s", c,
                      (g_get_monotonic_time () - t0) / 1e6, rss0 >> 10, max_rss_kb () >> 10,
                      error ? error->message : "loaded");
      g_assert_null (set);
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
      g_assert_nonnull (strstr (error->message, cases[c].needle));
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
      /* the header itself is 100 MB and the GString that built it as much again; the records
       * of 131072 tensors are ~20 MB */
      g_assert_cmpint (max_rss_kb () - rss0, <, 200 * 1024);
    }
}

/* ---- images ---- */

static void
test_images (void)
{
  struct { const char *file, *needle; } bad[] = {
    { "svg-as.png", "not a PNG, JPEG or WebP" },
    { "png-bomb.png", "8000×7000" },
    { "jpeg-16000.jpg", "16000×16000" },
    { "truncated.jpg", "truncated" },
    { "corrupt-huffman.jpg", "bad Huffman code" },
    { "corrupt-scan.jpg", "damaged" },
    { "truncated.png", "truncated" },
    { "png-crc.png", "CRC-32" },
    { "st-gap.safetensors", "not a PNG, JPEG or WebP" },
  };
  g_autofree char *good = g_test_build_filename (G_TEST_DIST, "data", "hostile", "sample.jpg",
                                                 NULL);
  g_autoptr(GBytes) rgba = NULL;
  g_autoptr(GError) error = NULL;
  int w = 0, h = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "hostile", bad[i].file,
                                                     NULL);
      g_autoptr(GBytes) px = NULL;
      gint64 t0 = g_get_monotonic_time ();

      px = nd_image_load_rgba (path, &w, &h, &error);
      g_test_message ("%s: %s", bad[i].file, error ? error->message : "loaded");
      g_assert_null (px);
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
      g_assert_nonnull (strstr (error->message, bad[i].file));
      g_assert_nonnull (strstr (error->message, bad[i].needle));
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
      g_clear_error (&error);
    }
  /* the claimed sizes (56 MP, 256 MP, 3.6 GP) were never allocated */
  g_assert_cmpint (max_rss_kb (), <, 1024 * 1024);

  rgba = nd_image_load_rgba (good, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, 64);
  g_assert_cmpint (h, ==, 48);
  g_assert_cmpuint (g_bytes_get_size (rgba), ==, 64 * 48 * 4);
}

/* ---- files ---- */

static void
test_fifo_inputs (void)
{
  g_autofree char *fifo = g_build_filename (tmpdir, "weights.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  int w, h;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  /* each of these used to block in open() waiting for a writer */
  g_assert_null (nd_checkpoint_open (fifo, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
  g_assert_null (nd_safetensors_load (fifo, NULL, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_null (nd_safetensors_read_metadata (fifo, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_null (nd_npy_load (fifo, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_null (nd_image_load_rgba (fifo, &w, &h, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_clear_error (&error);
  g_assert_null (nd_checkpoint_open (tmpdir, &error));   /* a directory */
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 10 * G_USEC_PER_SEC);
  g_unlink (fifo);
}

/* A file that shrinks under the reader (once a SIGBUS through the mapping): a short pread is
 * an error naming the file. */
static void
test_short_read (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "shrinks.pth", NULL);
  g_autoptr(GError) error = NULL;
  guint8 buf[64];
  guint64 size = 0;
  int fd;

  g_assert_true (g_file_set_contents (path, "0123456789abcdef", 16, NULL));
  fd = nd_file_open_regular (path, &size, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, 16);
  g_assert_cmpint (truncate (path, 8), ==, 0);
  g_assert_false (nd_file_pread (fd, path, buf, 16, 0, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE);
  g_assert_nonnull (strstr (error->message, "shrinks.pth"));
  g_assert_nonnull (strstr (error->message, "shorter"));
  close (fd);
  g_unlink (path);
}

static NdWeightSet *
small_set (void)
{
  NdWeightSet *set = nd_weight_set_new ();
  g_autoptr(NdTensor) t = nd_tensor_new_1d (3);

  t->data[0] = 1;
  t->data[1] = 2;
  t->data[2] = 3;
  nd_weight_set_insert (set, "w", t);
  return set;
}

static guint
count_temp_files (void)
{
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    n += strstr (name, ".tmp-") != NULL;
  return n;
}

static void
test_outputs (void)
{
  g_autofree char *victim = g_build_filename (tmpdir, "victim.txt", NULL);
  g_autofree char *link = g_build_filename (tmpdir, "link.safetensors", NULL);
  g_autofree char *fifo = g_build_filename (tmpdir, "fifo.safetensors", NULL);
  g_autofree char *plain = g_build_filename (tmpdir, "plain.safetensors", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(NdWeightSet) set = small_set ();
  g_autoptr(NdWeightSet) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTensor) t = nd_tensor_new_1d (2);
  struct stat st;

  g_assert_true (g_file_set_contents (victim, "keep", -1, NULL));
  g_assert_cmpint (symlink (victim, link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  g_assert_false (nd_safetensors_save (link, set, NULL, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
  g_assert_cmpint (lstat (link, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_assert_true (g_file_get_contents (victim, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep");

  g_assert_false (nd_safetensors_save (fifo, set, NULL, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));
  g_assert_false (nd_npy_save (link, t, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* a regular file is replaced, and nothing is left beside it */
  g_assert_true (g_file_set_contents (plain, "old", -1, NULL));
  g_assert_true (nd_safetensors_save (plain, set, NULL, &error));
  g_assert_no_error (error);
  back = nd_safetensors_load (plain, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (nd_weight_set_lookup (back, "w")->data[2], ==, 3.0f);
  g_assert_cmpuint (count_temp_files (), ==, 0);
  g_unlink (link);
  g_unlink (fifo);
  g_unlink (victim);
  g_unlink (plain);
}

/* SIGTERM while the temporary file is open: the file goes, and the process still dies of the
 * signal (the handler chains to the default action). */
static void
test_signal_cleanup (void)
{
  g_autofree char *target = g_build_filename (tmpdir, "killed.safetensors", NULL);
  int status;
  pid_t pid;

  g_assert_cmpuint (count_temp_files (), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      NdAtomicFile *f = nd_atomic_file_new (target, NULL);

      if (f == NULL || !nd_atomic_file_write (f, "partial", 7, NULL))
        _exit (3);
      raise (SIGTERM);
      _exit (4);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
  g_assert_cmpuint (count_temp_files (), ==, 0);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
}

static void
test_escape (void)
{
  struct { const char *in, *out; } cases[] = {
    { "plain name.pth", "plain name.pth" },
    { "x\x1b]0;owned\x07y", "x\\x1b]0;owned\\x07y" },
    { "\x1b[2J\r\n", "\\x1b[2J\\x0d\\x0a" },
    { "c1\xc2\x9b" "31m", "c1\\u009b31m" },
    { "bad\xff\xfe", "bad\\xff\\xfe" },
    { "del\x7f", "del\\x7f" },
    { "back\\slash", "back\\slash" },
    { "ünïcode ✓", "ünïcode ✓" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *e = nd_escape_for_terminal (cases[i].in);
      g_autofree char *twice = nd_escape_for_terminal (e);

      g_assert_cmpstr (e, ==, cases[i].out);
      g_assert_cmpstr (twice, ==, e);   /* idempotent: messages quote escaped names */
    }
}

/* The cache files' timed choices ("CHOICE;MS;MS", cpu-layout.ini and vulkan-kernels.ini): a
 * value another program or a damaged disk wrote is refused whole, never half-read. */
static void
test_verdict_values (void)
{
  static const char * const choices[] = { "nchw", "nc16", NULL };
  static const char *bad[] = {
    "", ";;", "nc16", "nc16;1", "nc16;1;2;3", "nc16;;2", "nc16;1;", "nc16;nan;1",
    "nc16;inf;1", "nc16;-1;1", "nc16;1e99;1", "nc16;1 ;2", "NC16;1;2",
    "fast;1;2", "nc16\xff;1;2",
  };
  double ms[2] = { -7, -7 }, back[2];
  int choice = -7;
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      if (nd_verdict_parse (bad[i], choices, &choice, ms))
        g_error ("accepted “%s”", bad[i]);
      g_assert_cmpint (choice, ==, -7);
      g_assert_cmpfloat (ms[0], ==, -7);
    }
  g_assert_true (nd_verdict_parse ("nc16;1.25;0.5", choices, &choice, ms));
  g_assert_cmpint (choice, ==, 1);
  g_assert_cmpfloat (ms[0], ==, 1.25);
  g_assert_cmpfloat (ms[1], ==, 0.5);
  /* written in the C locale's notation, read back the same */
  text = nd_verdict_format ("nchw", (double[2]) { 3.5, 0.125 });
  g_assert_cmpstr (text, ==, "nchw;3.5000;0.1250");
  g_assert_true (nd_verdict_parse (text, choices, &choice, back));
  g_assert_cmpint (choice, ==, 0);
  g_assert_cmpfloat (back[0], ==, 3.5);
  g_assert_cmpfloat (back[1], ==, 0.125);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("nd-hostile-XXXXXX", NULL);
  g_test_add_func ("/hostile/json/valid", test_json_valid);
  g_test_add_func ("/hostile/json/strict", test_json_strict);
  g_test_add_func ("/hostile/safetensors/huge-headers", test_st_huge_headers);
  g_test_add_func ("/hostile/images", test_images);
  g_test_add_func ("/hostile/files/fifo-inputs", test_fifo_inputs);
  g_test_add_func ("/hostile/files/short-read", test_short_read);
  g_test_add_func ("/hostile/files/outputs", test_outputs);
  g_test_add_func ("/hostile/files/signal-cleanup", test_signal_cleanup);
  g_test_add_func ("/hostile/escape", test_escape);
  g_test_add_func ("/hostile/verdict-values", test_verdict_values);
  ret = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return ret;
}
