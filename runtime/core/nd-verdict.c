/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-verdict.h"

gboolean
nd_verdict_parse (const char *value, const char * const *choices, int *choice, double ms[2])
{
  g_auto(GStrv) f = g_strsplit (value, ";", 4);
  double t[2];
  char *end;

  if (g_strv_length (f) != 3)
    return FALSE;
  for (int i = 0; i < 2; i++)
    {
      t[i] = g_ascii_strtod (f[i + 1], &end);
      if (*end != '\0' || end == f[i + 1] || !(t[i] >= 0 && t[i] < 1e9))
        return FALSE;
    }
  for (int k = 0; choices[k] != NULL; k++)
    if (g_str_equal (f[0], choices[k]))
      {
        *choice = k;
        ms[0] = t[0];
        ms[1] = t[1];
        return TRUE;
      }
  return FALSE;
}

char *
nd_verdict_format (const char *choice, const double ms[2])
{
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("%s;%s;%s", choice, g_ascii_formatd (a, sizeof a, "%.4f", ms[0]),
                          g_ascii_formatd (b, sizeof b, "%.4f", ms[1]));
}
