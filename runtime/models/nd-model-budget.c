/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-knobs.h"
#include "nd-model-private.h"

/* The memory budget of a model request. Each knob is capped on its own, but their product is
 * not: vgg-16 at --resolution 4096 --width 8 asks for tens of GB, whether the knobs come from
 * the command line or from a file's metadata. The request is sized from a shapes-only build
 * and refused before the first weight tensor exists. */

#define MAX_BUDGET (G_GUINT64_CONSTANT (1) << 60)

static guint64 budget_set;   /* 0: not set */

gboolean
nd_memory_budget_parse (const char *text, guint64 *bytes, GError **error)
{
  g_autofree char *unit = NULL;
  char *end = NULL;
  double value, scale;

  g_return_val_if_fail (text != NULL && bytes != NULL, FALSE);
  value = g_ascii_strtod (text, &end);
  if (end == text || g_ascii_isspace (*text))
    goto bad;
  unit = g_ascii_strdown (end, -1);
  g_strstrip (unit);
  if (*unit == '\0')
    scale = 1 << 20;   /* a plain number is MiB */
  else
    {
      static const char units[] = "kmgt";
      const char *u = strchr (units, unit[0]);
      const char *rest = unit + 1;

      if (u == NULL || unit[0] == '\0')
        goto bad;
      if (*rest == 'i')
        rest++;
      if (*rest == 'b')
        rest++;
      if (*rest != '\0')
        goto bad;
      scale = ldexp (1.0, 10 * (int) (u - units + 1));
    }
  if (!(value > 0) || !(value * scale < (double) MAX_BUDGET) || value * scale < 1)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("The memory budget must be more than 0 and less than 2^60 bytes, not "
                     "“%s”"), text);
      return FALSE;
    }
  *bytes = (guint64) (value * scale);
  return TRUE;

bad:
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a memory size such as 4096 (MiB), 512M or 8G"), text);
  return FALSE;
}

guint64
nd_memory_budget_get (void)
{
  static gsize env_once;
  static guint64 env_budget;
  /* set once by a front end at start, before any worker thread */
  if (budget_set != 0)
    return budget_set;
  if (g_once_init_enter (&env_once))
    {
      const char *env = g_getenv ("ND_MEMORY_BUDGET");
      g_autoptr(GError) error = NULL;

      if (env != NULL && !nd_memory_budget_parse (env, &env_budget, &error))
        {
          g_warning ("ND_MEMORY_BUDGET: %s; using the default", error->message);
          env_budget = 0;
        }
      g_once_init_leave (&env_once, 1);
    }
  return env_budget != 0 ? env_budget : ND_DEFAULT_MEMORY_BUDGET;
}

void
nd_memory_budget_set (guint64 bytes)
{
  budget_set = bytes;
}

gboolean
nd_model_check_budget (const NdModelSpec *spec, int batch, GError **error)
{
  guint64 weights, activations, need, budget = nd_memory_budget_get ();
  NdModelSpec r;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (batch >= 1, FALSE);
  if (!_nd_model_resolve_spec (spec, &r, error)
      || !nd_model_measure (&r, &weights, &activations, error))
    return FALSE;
  /* activations ≤ 2^62 for any graph the knobs allow; batch ≤ 2^31 */
  if (activations > (G_MAXUINT64 - weights) / (guint64) batch)
    need = G_MAXUINT64;
  else
    need = weights + activations * (guint64) batch;
  if (need > budget)
    {
      g_autofree char *need_s = g_format_size_full (need, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *w_s = g_format_size_full (weights, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *a_s = g_format_size_full (activations, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *budget_s = g_format_size_full (budget, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *knobs = NULL;
      NdKnobs k;

      nd_knobs_from_spec (&k, &r);
      knobs = nd_knobs_to_string (&k);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                   g_dngettext (GETTEXT_PACKAGE,
                                "%s %s needs %s (weights %s, activations %s per image, %d "
                                "image), over the memory budget of %s (--memory-budget or "
                                "ND_MEMORY_BUDGET raises it)",
                                "%s %s needs %s (weights %s, activations %s per image, %d "
                                "images), over the memory budget of %s (--memory-budget or "
                                "ND_MEMORY_BUDGET raises it)", batch),
                   r.name, knobs, need_s, w_s, a_s, batch, budget_s);
      return FALSE;
    }
  return TRUE;
}
