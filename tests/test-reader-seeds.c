/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-checkpoint.h"
#include "nd-pickle.h"
#include "nd-weights.h"
#include "nd-weights-file.h"
#include "nd-safetensors.h"
#include "nd-npy.h"

/* Replays every committed fuzz seed (tests/fuzz/corpus/<target>/) and hostile file
 * (tests/data/hostile/) through every reader, whatever the file is meant for: the pickle VM,
 * the checkpoint path the fuzz target takes (open, describe, each state dict, detection), the
 * CLI's --weights path from disk, safetensors and .npy. Refusing a file is fine; crashing,
 * tripping the sanitizers (CI runs this under ASan/UBSan) or failing without a message is not. */

/* A reader that returned nothing must say why. */
static void
assert_refused_with_message (const char *reader, const char *path, const GError *error)
{
  if (error == NULL || error->message == NULL || error->message[0] == '\0')
    g_error ("%s refused %s without an error message", reader, path);
  g_test_message ("%s: %s", reader, error->message);
}

static void
replay_checkpoint (const guint8 *data, gsize size, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdCheckpoint) ckpt = nd_checkpoint_open_from_data (data, size, path, &error);
  g_autofree char *json = NULL;
  const char * const *names;

  if (ckpt == NULL)
    {
      assert_refused_with_message ("nd_checkpoint_open_from_data", path, error);
      return;
    }
  json = nd_checkpoint_describe_json (ckpt, &error);
  if (json == NULL)
    assert_refused_with_message ("nd_checkpoint_describe_json", path, error);
  g_clear_error (&error);
  names = nd_checkpoint_list_state_dicts (ckpt);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(NdWeightSet) set = NULL;
      NdCheckpointModel m;

      nd_checkpoint_detect_key (ckpt, names[i], &m);
      set = nd_checkpoint_get_weights (ckpt, names[i], NULL, &error);
      if (set == NULL)
        assert_refused_with_message ("nd_checkpoint_get_weights", path, error);
      else
        nd_checkpoint_detect (set, &m);
      g_clear_error (&error);
    }
}

static void
replay_file (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *bytes = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &bytes, &size, &error));
  g_assert_no_error (error);

  {
    g_autoptr(NdPickle) pk = nd_pickle_load ((const guint8 *) bytes, size, &error);

    if (pk == NULL)
      assert_refused_with_message ("nd_pickle_load", path, error);
    else
      (void) nd_pickle_kind_name (nd_pickle_root (pk));
    g_clear_error (&error);
  }
  replay_checkpoint ((const guint8 *) bytes, size, path);
  {
    NdWeightSet *set = NULL;
    g_autoptr(NdWeightsInfo) info = nd_weights_open (path, NULL, &set, &error);

    g_clear_pointer (&set, nd_weight_set_free);
    if (info == NULL)
      assert_refused_with_message ("nd_weights_open", path, error);
    g_clear_error (&error);
  }
  {
    GHashTable *meta = NULL;
    g_autoptr(NdWeightSet) set = nd_safetensors_load_from_data ((const guint8 *) bytes, size,
                                                                path, &meta, &error);

    if (set == NULL)
      assert_refused_with_message ("nd_safetensors_load_from_data", path, error);
    g_clear_pointer (&meta, g_hash_table_unref);
    g_clear_error (&error);
  }
  {
    g_autoptr(NdTensor) t = nd_npy_load_from_data ((const guint8 *) bytes, size, path, &error);

    if (t == NULL)
      assert_refused_with_message ("nd_npy_load_from_data", path, error);
    g_clear_error (&error);
  }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Adds one test per regular file under @dir (recursively), sorted; returns how many. */
static guint
add_files (const char *dir, const char *test_prefix, GPtrArray *keep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint n = 0;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *base = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, base, NULL);
      /* GLib runs a path containing "/subprocess" only when asked by name (-p) */
      g_autofree char *test = g_strdup_printf ("%s/%s%s", test_prefix,
                                               g_str_has_prefix (base, "subprocess") ? "file-" : "",
                                               base);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        n += add_files (path, test, keep);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && !g_str_has_suffix (base, ".md")
               && !g_str_has_suffix (base, ".py"))
        {
          g_ptr_array_add (keep, g_steal_pointer (&path));
          g_test_add_data_func (test, g_ptr_array_index (keep, keep->len - 1), replay_file);
          n++;
        }
    }
  return n;
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *corpus = NULL, *hostile = NULL;

  g_test_init (&argc, &argv, NULL);
  corpus = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", NULL);
  hostile = g_test_build_filename (G_TEST_DIST, "data", "hostile", NULL);
  /* an empty corpus (a moved directory) must not pass as "nothing crashed" */
  g_assert_cmpuint (add_files (corpus, "/seeds/corpus", keep), >=, 20);
  g_assert_cmpuint (add_files (hostile, "/seeds/hostile", keep), >=, 40);
  return g_test_run ();
}
