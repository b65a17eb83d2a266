/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-knobs.h"
#include "nd-model.h"
#include "nd-weights-file.h"
#include "nd-weights.h"

G_BEGIN_DECLS

/* The most images one run takes (run --input, bench --batch); the memory budget bounds it
 * further. */
#define ND_CLI_MAX_BATCH 65536

/* What every subcommand that takes --model accepts: the model, its knobs, weights and form. */
typedef struct
{
  char    *model;
  char    *weights;
  char    *entry;     /* --entry: which state dict of a checkpoint */
  gboolean fused;
  gboolean fp16;      /* --fp16: float16 storage on the Vulkan backend */
  gboolean tune;      /* --tune: time the convolutions' kernel variants (Vulkan) */
  gboolean retune;    /* --retune: … those with verdicts too */
  NdWeightsPrecision weights_precision; /* --weights-precision: CPU linear-layer weights */
  char    *backend;
  char    *device;    /* --device: an index or part of a device name */
  char    *devices;   /* --devices A,B[,C]: ParNet's streams over several Vulkan devices */
  int      device_list[8];   /* --devices resolved to indices, by nd_cli_backend_new () */
  int      n_device_list;
  gboolean json;
  NdKnobs  knobs;     /* the knob flags, checked as they are parsed */
  gint64   seed;
  int      batch;     /* images per run, for the memory budget (1 when not set) */
} NdCliModelOptions;

/* The knob entries (--model --streams --width --blocks --resolution --classes --in-channels
 * --lambda --weights --entry --fused --backend --fp16 --tune --retune --device --devices
 * --weights-precision --seed
 * --memory-budget --json); the
 * array is owned by @opts' caller. The knob flags are parsed and range-checked by
 * nd_knobs_set_from_string() as GOption reads them, into the @opts of the last call. */
GOptionEntry *nd_cli_model_entries     (NdCliModelOptions *opts);
void          nd_cli_model_options_clear (NdCliModelOptions *opts);

/* A model ready to run, as the options describe it. */
typedef struct
{
  NdModelSpec  spec;
  NdGraph     *train;      /* training form (always built) */
  NdGraph     *graph;      /* what to run: train, or the fused form */
  NdWeightsInfo *info;    /* what --weights says, or NULL without */
  char        *weights_note; /* e.g. "weights: state_dict_ema (EMA)", or NULL */
  char        *preprocess; /* from the weights' metadata, or NULL */
} NdCliModel;

void          nd_cli_model_free        (NdCliModel *model);
/* Builds the model: preset + knobs from @opts (or from the weights file's metadata when
 * --model is absent), loads --weights or a deterministic random init, and fuses when --fused
 * is set or the weights are in deploy form. @resolution_hint (> 0) is used when --resolution
 * is not given (e.g. the size of an --input tensor). */
NdCliModel   *nd_cli_model_load        (NdCliModelOptions *opts,
                                        int                resolution_hint,
                                        GError           **error);
/* The backend from --backend/--device ("cpu" when absent). */
NdBackend    *nd_cli_backend_new       (NdCliModelOptions *opts,
                                        GError           **error);

/* The model → backend → plan step every running subcommand shares: creates *@backend from
 * --backend/--device when it is NULL, applies --fp16 to @popts and prepares @graph (NULL: the
 * model's graph to run). A failure (e.g. out of memory) names the model, size and batch. */
NdPlan       *nd_cli_prepare           (NdCliModelOptions *opts,
                                        const NdCliModel  *model,
                                        NdGraph           *graph,
                                        NdBackend        **backend,
                                        NdPlanOptions     *popts,
                                        GError           **error);

/* Class labels for @classes outputs: ImageNet-1k for 1000, Fashion-MNIST for 10, else
 * "class N". Returns a NULL-terminated array of exactly @classes strings. */
char        **nd_cli_labels            (int classes,
                                        const char *dataset);
/* Finds a file under assets/ (installed data dir, or the source tree when uninstalled). */
/* A trained model the project ships for @model (a .safetensors file in assets/weights whose
 * nondeep.model metadata names it; the first by file name), or NULL. */
char         *nd_cli_find_shipped_weights (const char *model);
char         *nd_cli_find_asset        (const char *relative);
/* For subcommands that want trained weights (eval, camera): --weights as given; --model
 * with no knobs → the weights the project ships for it, if any (else, and with knobs, the
 * model's random init); neither → the default trained ParNet. */
gboolean      nd_cli_use_trained_weights (NdCliModelOptions *o,
                                          GError           **error);

/* Prints "nondeep-cli: <message>" on stderr and returns the exit status 1. */
int           nd_cli_fail              (const GError *error);
int           nd_cli_failf             (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Parses @argv with @entries; on error prints it and returns FALSE. */
gboolean      nd_cli_parse             (const char   *command,
                                        const char   *parameter_string,
                                        const char   *summary,
                                        GOptionEntry *model_entries,
                                        GOptionEntry *entries,
                                        int          *argc,
                                        char       ***argv);
/* Prints a JSON node to stdout, pretty. */
void          nd_cli_print_json        (JsonNode *root);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdCliModel, nd_cli_model_free)

G_END_DECLS
