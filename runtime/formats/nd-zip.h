/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A bounded reader for the zip container torch.save writes: stored (uncompressed) entries
 * only, zip64 where sizes need it. Works on bytes in memory that the caller keeps alive;
 * every offset and size is checked against them; entries may not overlap each other or the
 * central directory; names are UTF-8 without NUL; stored data is checked against its CRC-32.
 * Private to the checkpoint reader. */
typedef struct
{
  char    *name;
  guint64  offset;   /* of the entry's data, checked: offset + size ≤ archive size */
  guint64  size;
  guint16  method;   /* 0 = stored; others are listed but refused by nd_zip_entry_data() */
  guint32  crc32;    /* from the central directory; checked on the first nd_zip_entry_data() */
} NdZipEntry;

typedef struct _NdZip NdZip;

gboolean          nd_zip_sniff        (const guint8 *data,
                                       gsize         size);
NdZip            *nd_zip_open         (const guint8 *data,
                                       gsize         size,
                                       const char   *name,
                                       GError      **error);
void              nd_zip_free         (NdZip        *zip);
guint             nd_zip_n_entries    (NdZip        *zip);
const NdZipEntry *nd_zip_entry        (NdZip        *zip,
                                       guint         i);
const NdZipEntry *nd_zip_find         (NdZip        *zip,
                                       const char   *name);
/* The bytes of a stored entry, or NULL with @error for compressed or encrypted entries and for
 * bytes whose CRC-32 differs from the directory's (checked once per entry). */
const guint8     *nd_zip_entry_data   (NdZip            *zip,
                                       const NdZipEntry *entry,
                                       GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdZip, nd_zip_free)

G_END_DECLS
