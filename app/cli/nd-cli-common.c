/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-cli-common.h"
#include "nd-paths.h"
#include "nd-error.h"
#include "nd-file.h"
#include "nd-fuse.h"
#include "nd-weights.h"
#if ND_HAVE_VULKAN
#include "nd-backend-vulkan.h"
#endif

/* GOption hands a callback only the group's data, and the main group has none: the knob
 * callbacks write into the options of the last nd_cli_model_entries() call (one per
 * subcommand run). */
static NdCliModelOptions *knob_target;

static gboolean
knob_cb (const char *name, const char *value, gpointer data, GError **error)
{
  return nd_knobs_set_from_string (&knob_target->knobs, name, value, error);
}

static gboolean
memory_budget_cb (const char *name, const char *value, gpointer data, GError **error)
{
  guint64 bytes;

  if (!nd_memory_budget_parse (value, &bytes, error))
    return FALSE;
  nd_memory_budget_set (bytes);
  return TRUE;
}

static gboolean
weights_precision_cb (const char *name, const char *value, gpointer data, GError **error)
{
  if (g_str_equal (value, "fp32"))
    knob_target->weights_precision = ND_WEIGHTS_FP32;
  else if (g_str_equal (value, "bf16"))
    knob_target->weights_precision = ND_WEIGHTS_BF16;
  else if (g_str_equal (value, "fp16"))
    knob_target->weights_precision = ND_WEIGHTS_FP16;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--weights-precision takes bf16, fp16 or fp32, not “%s”"), value);
      return FALSE;
    }
  return TRUE;
}

GOptionEntry *
nd_cli_model_entries (NdCliModelOptions *o)
{
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &o->model,
      N_("Model preset (parnet-s, repvgg-a0, vanillanet-5, resnet-50, …)"), N_("NAME") },
    { "streams", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb,
      N_("ParNet: parallel streams (1, 2 or 3)"), "N" },
    { "width", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb, N_("Width multiplier (0 < X ≤ 8)"), "X" },
    { "blocks", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb,
      N_("Blocks per stream (ParNet) or stage, comma-separated"), "A,B,C" },
    { "resolution", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb,
      N_("Input side in pixels (32–4096)"), "R" },
    { "classes", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb, N_("Classifier outputs"), "K" },
    { "in-channels", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb,
      N_("Input image channels (3 RGB, 1 gray)"), "C" },
    { "lambda", 0, 0, G_OPTION_ARG_CALLBACK, knob_cb,
      N_("VanillaNet deep-training slope λ in [0, 1]"), "L" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &o->weights,
      N_("Weights: safetensors or a PyTorch checkpoint"), N_("FILE") },
    { "entry", 0, 0, G_OPTION_ARG_STRING, &o->entry,
      N_("Which state dict of a checkpoint to use (state_dict, state_dict_ema, model, "
         "model_ema, …)"), N_("NAME") },
    /* the earlier name of --entry, kept for scripts */
    { "weights-key", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &o->entry, NULL, NULL },
    { "fused", 0, 0, G_OPTION_ARG_NONE, &o->fused,
      N_("Run the re-parameterized (fused) form"), NULL },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &o->backend, N_("cpu or vulkan"), N_("NAME") },
    { "fp16", 0, 0, G_OPTION_ARG_NONE, &o->fp16,
      N_("Vulkan: store activations and weights as float16 (arithmetic stays float32)"), NULL },
    { "tune", 0, 0, G_OPTION_ARG_NONE, &o->tune,
      N_("Vulkan: time each convolution's kernel variants on this device and keep the "
         "fastest (remembered; later runs use it without --tune)"), NULL },
    { "retune", 0, 0, G_OPTION_ARG_NONE, &o->retune,
      N_("Vulkan: as --tune, timing again the convolutions this device already has a verdict "
         "for, and replacing it"), NULL },
    { "weights-precision", 0, 0, G_OPTION_ARG_CALLBACK, weights_precision_cb,
      N_("CPU: store the weights of memory-bound layers (linear, 1×1 on a 1×1 map) as bf16 "
         "or fp16; arithmetic stays float32 (default fp32)"), N_("bf16|fp16") },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o->device,
      N_("Vulkan device: its index or part of its name (see `devices`)"), N_("N|NAME") },
    { "devices", 0, 0, G_OPTION_ARG_STRING, &o->devices,
      N_("ParNet on several Vulkan devices: stream s on the (s mod n)-th listed, the fusion "
         "and head on the first (an index may repeat)"), N_("A,B[,C]") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed,
      N_("Seed of the random weights used without --weights"), "S" },
    { "memory-budget", 0, 0, G_OPTION_ARG_CALLBACK, memory_budget_cb,
      N_("Most memory a model may take: MiB, or with a unit (512M, 8G); default 4G"),
      N_("SIZE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o->json, N_("Print JSON"), NULL },
    { NULL }
  };

  nd_knobs_init (&o->knobs);
  o->seed = 1;
  o->batch = 1;
  knob_target = o;
  return g_memdup2 (entries, sizeof entries);
}

void
nd_cli_model_options_clear (NdCliModelOptions *o)
{
  g_clear_pointer (&o->model, g_free);
  g_clear_pointer (&o->weights, g_free);
  g_clear_pointer (&o->entry, g_free);
  g_clear_pointer (&o->backend, g_free);
  g_clear_pointer (&o->device, g_free);
  g_clear_pointer (&o->devices, g_free);
  if (knob_target == o)
    knob_target = NULL;
}

void
nd_cli_model_free (NdCliModel *model)
{
  g_clear_pointer (&model->train, nd_graph_unref);
  g_clear_pointer (&model->graph, nd_graph_unref);
  g_clear_pointer (&model->info, nd_weights_info_free);
  g_free (model->weights_note);
  g_free (model->preprocess);
  g_free (model);
}

/* The preset and knobs: --model or the file's model, the file's knobs when they are for that
 * model, then the command line's. Checked against the memory budget before anything is
 * allocated. */
static gboolean
resolve_request (NdCliModelOptions *o, NdCliModel *model, int resolution_hint, GError **error)
{
  const NdWeightsInfo *info = model->info;
  const char *name = o->model;

  if (name == NULL && info != NULL && info->has_model)
    name = info->spec.name;
  if (name == NULL)
    {
      if (o->weights != NULL)
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("Cannot tell the model from the weights file (%s); give --model"),
                     info != NULL && info->reason != NULL ? info->reason : _("not recognised"));
      else
        g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                             _("No model given; use --model NAME (see nondeep-cli models)"));
      return FALSE;
    }
  if (!nd_model_spec_parse (name, &model->spec, error))
    return FALSE;
  if (info != NULL && info->has_model
      && g_ascii_strcasecmp (info->spec.name, model->spec.name) == 0)
    nd_knobs_apply (&info->knobs, &model->spec);
  if (!(o->knobs.set & ND_KNOB_RESOLUTION) && resolution_hint > 0)
    model->spec.resolution = resolution_hint;
  nd_knobs_apply (&o->knobs, &model->spec);
  return nd_model_check_budget (&model->spec, MAX (o->batch, 1), error);
}

NdCliModel *
nd_cli_model_load (NdCliModelOptions *o, int resolution_hint, GError **error)
{
  g_autoptr(NdCliModel) model = g_new0 (NdCliModel, 1);
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdGraph) fused = NULL;
  gboolean deploy = FALSE;

  if (o->weights != NULL)
    {
      model->info = nd_weights_open (o->weights, o->entry, &set, error);
      if (model->info == NULL)
        return NULL;
      model->weights_note = g_strdup (model->info->note);
      model->preprocess = g_strdup (model->info->preprocess);
    }
  else if (o->entry != NULL)
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                           _("--entry chooses a state dict of --weights FILE, which is not "
                             "given"));
      return NULL;
    }
  if (!resolve_request (o, model, resolution_hint, error))
    return NULL;

  model->train = nd_model_build (&model->spec, error);
  if (model->train == NULL)
    return NULL;
  nd_model_init_random (model->train, (guint64) o->seed);

  if (set != NULL && !nd_weight_set_fits_graph (set, model->train))
    {
      /* maybe a deploy-form file: it must then fit the fused graph */
      g_autoptr(GError) fuse_error = NULL;

      fused = nd_fuse_graph (model->train, &fuse_error);
      if (fused != NULL && nd_weight_set_fits_graph (set, fused))
        deploy = TRUE;
      else
        g_clear_pointer (&fused, nd_graph_unref);
    }
  if (set != NULL && !nd_graph_load_weights (deploy ? fused : model->train, set, error))
    {
      g_prefix_error (error, "%s: ", o->weights);
      return NULL;
    }

  if (deploy)
    {
      if (!o->fused && !o->json)
        {
          g_autofree char *shown = nd_escape_for_terminal (o->weights);

          g_printerr (_("%s holds deploy-form (fused) weights; running the fused form\n"),
                      shown);
        }
      model->graph = g_steal_pointer (&fused);
    }
  else if (o->fused)
    {
      model->graph = nd_fuse_graph (model->train, error);
      if (model->graph == NULL)
        return NULL;
    }
  else
    model->graph = nd_graph_ref (model->train);
  return g_steal_pointer (&model);
}

/* --device N or --device NAME (case-insensitive part of the name, e.g. "h200", "llvmpipe")
 * to the index nd_backend_new() takes; -1 when absent. */
static gboolean
resolve_device (const char *arg, int *index, GError **error)
{
  gint64 n;

  *index = -1;
  if (arg == NULL)
    return TRUE;
  if (g_ascii_string_to_signed (arg, 10, -1, G_MAXINT, &n, NULL))
    {
      *index = (int) n;   /* -1: the preferred device, as before names were accepted */
      return TRUE;
    }
#if ND_HAVE_VULKAN
  {
    g_autoptr(GPtrArray) devices = nd_vulkan_list_devices (error);
    g_autofree char *want = g_utf8_casefold (arg, -1);

    if (devices == NULL)
      return FALSE;
    for (guint i = 0; i < devices->len; i++)
      {
        NdVulkanDeviceInfo *info = g_ptr_array_index (devices, i);
        g_autofree char *name = g_utf8_casefold (info->name, -1);

        if (strstr (name, want) != NULL)
          {
            *index = info->index;
            return TRUE;
          }
      }
  }
#endif
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
               _("No Vulkan device is named like “%s” (nondeep-cli devices lists them)"), arg);
  return FALSE;
}

/* --devices A,B[,C] into o->device_list (each entry as --device takes it). */
static gboolean
resolve_devices (NdCliModelOptions *o, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (o->devices, ",", -1);
  int n = (int) g_strv_length (parts);

  o->n_device_list = 0;
  if (o->device != NULL || (o->backend != NULL && strcmp (o->backend, "vulkan") != 0))
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                           _("--devices takes the place of --device and needs the Vulkan "
                             "backend"));
      return FALSE;
    }
  if (n < 2 || n > (int) G_N_ELEMENTS (o->device_list))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("--devices lists 2 to %d devices, separated by commas (not “%s”)"),
                   (int) G_N_ELEMENTS (o->device_list), o->devices);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] == '\0')
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                       _("--devices has an empty entry (“%s”)"), o->devices);
          return FALSE;
        }
      if (!resolve_device (parts[i], &o->device_list[i], error))
        return FALSE;
    }
  o->n_device_list = n;
  return TRUE;
}

NdBackend *
nd_cli_backend_new (NdCliModelOptions *o, GError **error)
{
  int index;

  if (o->devices != NULL)
    {
      if (!resolve_devices (o, error))
        return NULL;
      return nd_backend_new ("vulkan", o->device_list[0], error);
    }
  if (!resolve_device (o->device, &index, error))
    return NULL;
  return nd_backend_new (o->backend ? o->backend : "cpu", index, error);
}

NdPlan *
nd_cli_prepare (NdCliModelOptions *o, const NdCliModel *model, NdGraph *graph,
                NdBackend **backend, NdPlanOptions *popts, GError **error)
{
  NdPlan *plan;

  if (graph == NULL)
    graph = model->graph;
  if (*backend == NULL && (*backend = nd_cli_backend_new (o, error)) == NULL)
    return NULL;
  popts->fp16 = o->fp16;
  popts->tune = o->tune || o->retune;
  popts->retune = o->retune;
  if (popts->tune && (*backend)->kind != ND_DEVICE_KIND_VULKAN)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("%s is for the Vulkan backend (the CPU backend times its layout on its "
                     "own)"), o->retune ? "--retune" : "--tune");
      return NULL;
    }
  if (o->n_device_list >= 2)
    {
      popts->devices = o->device_list;
      popts->n_devices = o->n_device_list;
    }
  popts->weights_precision = o->weights_precision;
  if (o->weights_precision != ND_WEIGHTS_FP32 && (*backend)->kind != ND_DEVICE_KIND_CPU)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--weights-precision is for the CPU backend; on Vulkan, --fp16 "
                             "stores weights as float16"));
      return NULL;
    }
  if (popts->batch < 1)
    popts->batch = 1;
  plan = nd_backend_prepare (*backend, graph, popts, error);
  /* name the request: an out-of-memory error alone does not say what was asked */
  if (plan == NULL)
    g_prefix_error (error, _("%s at %d×%d, batch %d: "), model->spec.name, graph->in_h,
                    graph->in_w, popts->batch);
  return plan;
}

char *
nd_cli_find_asset (const char *relative)
{
  g_autofree char *path = g_build_filename (nd_paths_assets_dir (), relative, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS) ? g_steal_pointer (&path) : NULL;
}

char *
nd_cli_find_shipped_weights (const char *model)
{
  g_autofree char *dir = nd_cli_find_asset ("weights");
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".safetensors"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);   /* the same pick every time */
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_autoptr(NdWeightsInfo) info = nd_weights_open (path, NULL, NULL, NULL);

      if (info != NULL && info->from_metadata
          && g_ascii_strcasecmp (info->spec.name, model) == 0)
        return g_steal_pointer (&path);
    }
  return NULL;
}

gboolean
nd_cli_use_trained_weights (NdCliModelOptions *o, GError **error)
{
  if (o->weights != NULL)
    return TRUE;
  if (o->model != NULL)
    {
      gboolean knobs = o->knobs.set != 0;

      /* Knobs ask for a model of their own (random weights); without, the trained one,
       * whose metadata then gives the knobs. */
      if (!knobs && (o->weights = nd_cli_find_shipped_weights (o->model)) != NULL)
        g_clear_pointer (&o->model, g_free);
      return TRUE;
    }
  o->weights = nd_cli_find_asset (ND_DEFAULT_WEIGHTS);
  if (o->weights == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_MISSING_WEIGHTS,
                   _("The default weights %s are not installed; give --model or --weights"),
                   ND_DEFAULT_WEIGHTS);
      return FALSE;
    }
  return TRUE;
}

char **
nd_cli_labels (int classes, const char *dataset)
{
  const char *file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (classes == 1000)
    file = "labels/imagenet-1k.txt";
  else if (classes == 10 && (dataset == NULL || g_str_equal (dataset, "fashion-mnist")))
    file = "labels/fashion-mnist.txt";
  if (file != NULL && (path = nd_cli_find_asset (file)) != NULL
      && g_file_get_contents (path, &text, NULL, NULL))
    {
      lines = g_strsplit (text, "\n", -1);
      n = g_strv_length (lines);
    }
  for (int i = 0; i < classes; i++)
    {
      if (i < (int) n && lines[i][0] != '\0')
        g_strv_builder_add (builder, lines[i]);
      else
        {
          g_autofree char *name = g_strdup_printf (_("class %d"), i);

          g_strv_builder_add (builder, name);
        }
    }
  return g_strv_builder_end (builder);
}

int
nd_cli_fail (const GError *error)
{
  /* Messages quote file names and metadata: escaped, so a file cannot drive the terminal. */
  g_autofree char *msg = nd_escape_for_terminal (error->message);

  g_printerr ("nondeep-cli: %s\n", msg);
  return 1;
}

int
nd_cli_failf (const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;
  g_autofree char *shown = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  shown = nd_escape_for_terminal (msg);
  g_printerr ("nondeep-cli: %s\n", shown);
  return 1;
}

gboolean
nd_cli_parse (const char   *command,
              const char   *parameter_string,
              const char   *summary,
              GOptionEntry *model_entries,
              GOptionEntry *entries,
              int          *argc,
              char       ***argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (parameter_string);
  g_autoptr(GError) error = NULL;
  g_autofree char *prog = g_strdup_printf ("nondeep-cli %s", command);

  g_set_prgname (prog);
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  if (model_entries != NULL)
    g_option_context_add_main_entries (ctx, model_entries, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      nd_cli_fail (error);
      return FALSE;
    }
  return TRUE;
}

/* json-glib writes NaN and Inf as "nan.0"/"inf.0", which is not JSON: null instead. */
static void
null_non_finite (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter it;
      JsonNode *v;

      json_object_iter_init (&it, json_node_get_object (node));
      while (json_object_iter_next (&it, NULL, &v))
        null_non_finite (v);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        null_non_finite (json_array_get_element (a, i));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE
           && !isfinite (json_node_get_double (node)))
    json_node_init_null (node);
}

void
nd_cli_print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  null_non_finite (root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  puts (text);
}
