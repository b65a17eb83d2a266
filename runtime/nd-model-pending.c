/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* Builders not written yet: they fail plainly instead of building something wrong. */

static NdGraph *
not_yet (const NdModelSpec *spec, GError **error)
{
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
               _("The %s builder is not implemented yet"), spec->name);
  return NULL;
}

NdGraph *
nd_model_build_vanillanet (const NdModelSpec *spec, GError **error)
{
  return not_yet (spec, error);
}

NdGraph *
nd_model_build_resnet (const NdModelSpec *spec, GError **error)
{
  return not_yet (spec, error);
}

NdGraph *
nd_model_build_vgg (const NdModelSpec *spec, GError **error)
{
  return not_yet (spec, error);
}
