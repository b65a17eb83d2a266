/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A strict RFC 8259 pull reader for headers read from files (private to formats/).
 * Iterative: nesting is an explicit stack capped at @max_depth, so no input can exhaust the C
 * stack; every container is capped at @max_items members. Refused beyond RFC 8259's grammar
 * (json-glib accepts some of these): comments, single quotes, trailing commas, duplicate keys
 * in one object, NUL (\u0000) in any string (we keep strings as C strings), lone surrogates,
 * invalid UTF-8, anything after the root value but whitespace. No DOM: the caller turns events
 * into its own typed records, so memory stays proportional to what it keeps. */
typedef enum
{
  ND_JSON_ERROR,          /* @error is set; the reader stays in error */
  ND_JSON_OBJECT_BEGIN,
  ND_JSON_OBJECT_END,
  ND_JSON_ARRAY_BEGIN,
  ND_JSON_ARRAY_END,
  ND_JSON_KEY,            /* nd_json_reader_string() is the member name */
  ND_JSON_STRING,
  ND_JSON_NUMBER,         /* nd_json_reader_uint() tells whether it is a u64 integer */
  ND_JSON_TRUE,
  ND_JSON_FALSE,
  ND_JSON_NULL,
  ND_JSON_END,            /* the root value is complete and only whitespace follows */
} NdJsonEvent;

#define ND_JSON_MAX_DEPTH 64

typedef struct
{
  const char *text;
  gsize       len, pos;
  guint       max_depth, max_items;
  int         depth;
  int         state;
  gboolean    failed;
  guint8      is_object[ND_JSON_MAX_DEPTH];
  guint32     count[ND_JSON_MAX_DEPTH];
  GHashTable *keys[ND_JSON_MAX_DEPTH];   /* member names seen, per open object */
  GString    *str;
  gboolean    num_is_uint;
  guint64     num;
} NdJsonReader;

/* @max_depth is at most ND_JSON_MAX_DEPTH. @text need not be NUL-terminated. */
void        nd_json_reader_init   (NdJsonReader *r,
                                   const char   *text,
                                   gsize         len,
                                   guint         max_depth,
                                   guint         max_items);
void        nd_json_reader_clear  (NdJsonReader *r);
/* The next event. Errors are ND_RUNTIME_ERROR_BAD_FILE with the byte offset ("byte 12: …"). */
NdJsonEvent nd_json_reader_next   (NdJsonReader *r,
                                   GError      **error);
/* The decoded text of the last KEY or STRING (UTF-8, no NUL; transfer none). */
const char *nd_json_reader_string (NdJsonReader *r);
/* The last NUMBER as a u64: FALSE when it has a sign, fraction or exponent or exceeds 2^64-1. */
gboolean    nd_json_reader_uint   (NdJsonReader *r,
                                   guint64      *out);
/* Skips the value whose BEGIN (or scalar) event was just returned: nested events are read and
 * checked, nothing is kept. */
gboolean    nd_json_reader_skip   (NdJsonReader *r,
                                   NdJsonEvent   ev,
                                   GError      **error);

G_END_DECLS
