/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Recoverable runtime errors. Messages are plain English, marked for translation with N_()
 * where they are fixed strings; app/ shows a translated summary plus this detail. */
typedef enum
{
  ND_RUNTIME_ERROR_INVALID_MODEL,     /* unknown model name, bad knob combination */
  ND_RUNTIME_ERROR_INVALID_ARGUMENT,  /* bad value from a caller or command line */
  ND_RUNTIME_ERROR_SHAPE_MISMATCH,    /* tensor shapes do not fit the graph */
  ND_RUNTIME_ERROR_UNSUPPORTED,       /* an op, dtype, form or fusion we cannot do */
  ND_RUNTIME_ERROR_BAD_FILE,          /* truncated, malformed or hostile file */
  ND_RUNTIME_ERROR_MISSING_WEIGHTS,   /* expected tensors absent or unexpected ones present */
  ND_RUNTIME_ERROR_OUT_OF_MEMORY,
  ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
  ND_RUNTIME_ERROR_DEVICE_LOST,
  ND_RUNTIME_ERROR_FAILED,
} NdRuntimeError;

#define ND_RUNTIME_ERROR (nd_runtime_error_quark ())
GQuark nd_runtime_error_quark (void);

/* Sets ND_RUNTIME_ERROR_BAD_FILE as "<basename of @path> is not a valid <@kind> file: <detail>";
 * returns FALSE so readers can `return nd_set_bad_file (…)`. */
gboolean nd_set_bad_file (GError     **error,
                          const char  *path,
                          const char  *kind,
                          const char  *format,
                          ...) G_GNUC_PRINTF (4, 5);

/* Maps @path read-only; only regular files (nd_file_open_regular), a file that cannot be opened
 * is a BAD_FILE error ("Cannot open PATH: reason"). The readers use nd_file_read() instead: a
 * mapped file truncated by another process raises SIGBUS on access. */
GMappedFile *nd_map_file (const char  *path,
                          GError     **error);

G_END_DECLS
