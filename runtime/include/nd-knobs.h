/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-model.h"

G_BEGIN_DECLS

/* The scaling knobs of a model request, typed, with which of them were given. The one parser
 * and validator of knobs: the CLI's flags, the GUI's widgets and our weights metadata
 * ("--resolution 28 --classes 10 --in-channels 1") all go through it, so a value out of range
 * is the same error everywhere and never a silent fallback to the preset.
 *
 * Ranges checked here (the model builder then checks what depends on the family):
 *   streams 1–3, width (0, 8], blocks 1–8 counts of 0–64, resolution 32–4096,
 *   classes 1–100000, in_channels 1–64, lambda [0, 1]. */
typedef enum
{
  ND_KNOB_STREAMS     = 1 << 0,
  ND_KNOB_WIDTH       = 1 << 1,
  ND_KNOB_BLOCKS      = 1 << 2,
  ND_KNOB_RESOLUTION  = 1 << 3,
  ND_KNOB_CLASSES     = 1 << 4,
  ND_KNOB_IN_CHANNELS = 1 << 5,
  ND_KNOB_LAMBDA      = 1 << 6,
} NdKnobFlags;

#define ND_KNOBS_MAX_STREAMS      3
#define ND_KNOBS_MAX_WIDTH        8.0
#define ND_KNOBS_MAX_BLOCK_COUNT  64
#define ND_KNOBS_MIN_RESOLUTION   32
#define ND_KNOBS_MAX_RESOLUTION   4096
#define ND_KNOBS_MAX_CLASSES      100000
#define ND_KNOBS_MAX_IN_CHANNELS  64

typedef struct
{
  guint  set;                      /* NdKnobFlags of the fields below that were given */
  int    streams;
  double width;
  int    n_blocks;
  int    blocks[ND_MAX_STAGES];
  int    resolution;
  int    classes;
  int    in_channels;
  double lambda;
} NdKnobs;

/* No knob given. */
void      nd_knobs_init             (NdKnobs       *knobs);

/* Typed setters: each checks its range and names the knob in the error
 * (ND_RUNTIME_ERROR_INVALID_ARGUMENT), leaving @knobs unchanged on error. */
gboolean  nd_knobs_set_streams      (NdKnobs       *knobs,
                                     gint64         streams,
                                     GError       **error);
gboolean  nd_knobs_set_width        (NdKnobs       *knobs,
                                     double         width,
                                     GError       **error);
gboolean  nd_knobs_set_blocks       (NdKnobs       *knobs,
                                     const int     *blocks,
                                     int            n_blocks,
                                     GError       **error);
gboolean  nd_knobs_set_resolution   (NdKnobs       *knobs,
                                     gint64         resolution,
                                     GError       **error);
gboolean  nd_knobs_set_classes      (NdKnobs       *knobs,
                                     gint64         classes,
                                     GError       **error);
gboolean  nd_knobs_set_in_channels  (NdKnobs       *knobs,
                                     gint64         in_channels,
                                     GError       **error);
gboolean  nd_knobs_set_lambda       (NdKnobs       *knobs,
                                     double         lambda,
                                     GError       **error);

/* One knob from text: @name with or without the leading "--" ("streams", "--in-channels"),
 * @value as typed ("3", "0.5", "4,5,5"; the whole string must be a number). */
gboolean  nd_knobs_set_from_string  (NdKnobs       *knobs,
                                     const char    *name,
                                     const char    *value,
                                     GError       **error);
/* "--flag value" or "--flag=value" pairs, as written in our metadata; an empty or NULL @text
 * gives no knobs. A knob given twice, an unknown flag or a missing value is an error.
 * @knobs is unchanged on error. */
gboolean  nd_knobs_parse            (const char    *text,
                                     NdKnobs       *knobs,
                                     GError       **error);

/* Copies every knob @src gives into @dst (later wins: metadata, then the command line). */
void      nd_knobs_merge            (NdKnobs       *dst,
                                     const NdKnobs *src);
/* Overrides @spec's fields with the knobs given. */
void      nd_knobs_apply            (const NdKnobs *knobs,
                                     NdModelSpec   *spec);
/* The knobs that rebuild @spec from its preset (resolution, classes and input channels always;
 * width when not 1; streams for ParNet; λ for VanillaNet; blocks where the family takes them). */
void      nd_knobs_from_spec        (NdKnobs           *knobs,
                                     const NdModelSpec *spec);
/* "--resolution 28 --classes 10 …" in a fixed order, parseable by nd_knobs_parse();
 * "" for no knobs. */
char     *nd_knobs_to_string        (const NdKnobs *knobs);
/* "4,5,5"; "" when @n_blocks is 0. */
char     *nd_knobs_blocks_to_string (const int     *blocks,
                                     int            n_blocks);

G_END_DECLS
