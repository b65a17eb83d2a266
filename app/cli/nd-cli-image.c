/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-error.h"

NdTensor *
nd_cli_load_image (const char *path, NdCliModel *model, GError **error)
{
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
               _("%s: reading images needs the capture library, which this build lacks; "
                 "use --input FILE.npy"), path);
  return NULL;
}
