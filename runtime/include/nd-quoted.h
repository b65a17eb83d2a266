/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Published ImageNet-1k top-1 of a preset: quoted from its source, never measured here. */
typedef struct
{
  const char *model;      /* preset name, e.g. "resnet-50" */
  double      top1;       /* percent */
  const char *source;     /* paper (or model card) and table */
  gboolean    verified;   /* FALSE where docs/reference/networks.md could not check it */
} NdQuotedTop1;

/* The entry for @model, or NULL when no source is recorded. */
const NdQuotedTop1 *nd_quoted_top1 (const char *model);

G_END_DECLS
