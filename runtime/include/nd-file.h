/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Files as every reader and writer opens them.
 *
 * Inputs are regular files only: opened O_NONBLOCK (a FIFO never blocks) and checked with
 * fstat, then read with pread into owned memory, so a file truncated while it is read is an
 * error and never a SIGBUS as with a mapping. Errors are ND_RUNTIME_ERROR_BAD_FILE, or
 * OUT_OF_MEMORY naming the file. */

/* A read-only descriptor of the regular file @path and its size, or -1 with @error. */
int         nd_file_open_regular (const char  *path,
                                  guint64     *size,
                                  GError     **error);
/* Exactly @n bytes at @offset; fewer (the file shrank) is an error naming @path. */
gboolean    nd_file_pread        (int          fd,
                                  const char  *path,
                                  void        *buf,
                                  gsize        n,
                                  guint64      offset,
                                  GError     **error);
/* The whole of @path in owned memory; files over @max_size bytes are refused before reading. */
GBytes     *nd_file_read         (const char  *path,
                                  guint64      max_size,
                                  GError     **error);

/* Outputs are written to a temporary file beside the target, fsynced, renamed over it and the
 * directory fsynced, so the target is either the old file or the complete new one. A target
 * that exists and is not a regular file (symlink, FIFO, device node, directory) is refused.
 * The temporary file is removed on error, on free without commit, and on SIGINT/SIGTERM. */
typedef struct _NdAtomicFile NdAtomicFile;

NdAtomicFile *nd_atomic_file_new    (const char    *path,
                                     GError       **error);
gboolean      nd_atomic_file_write  (NdAtomicFile  *file,
                                     const void    *data,
                                     gsize          n,
                                     GError       **error);
gboolean      nd_atomic_file_commit (NdAtomicFile  *file,
                                     GError       **error);
void          nd_atomic_file_free   (NdAtomicFile  *file);
/* The whole of @data as @path, through an NdAtomicFile. */
gboolean      nd_file_replace       (const char    *path,
                                     const void    *data,
                                     gsize          n,
                                     GError       **error);

/* @text made safe to print on a terminal: C0 and C1 controls and DEL (ESC, OSC, BEL…) as
 * \xNN or \u00NN, invalid UTF-8 bytes as \xNN; printable text unchanged. Backslashes are
 * kept as they are, so escaping twice (a message quoting an escaped name) changes nothing. */
char         *nd_escape_for_terminal (const char   *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdAtomicFile, nd_atomic_file_free)

G_END_DECLS
