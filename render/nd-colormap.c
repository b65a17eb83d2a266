/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "nd-colormap.h"

/* Viridis at 9 evenly spaced stops (matplotlib's table, rounded); linear in between is close
 * enough for a display colormap. */
static const double viridis[][3] = {
  { 0.267, 0.005, 0.329 }, { 0.283, 0.141, 0.458 }, { 0.254, 0.265, 0.530 },
  { 0.207, 0.372, 0.553 }, { 0.164, 0.471, 0.558 }, { 0.128, 0.567, 0.551 },
  { 0.135, 0.659, 0.518 }, { 0.478, 0.821, 0.318 }, { 0.993, 0.906, 0.144 },
};

static const double latency[][3] = {
  { 1.000, 0.969, 0.737 }, { 0.996, 0.769, 0.310 }, { 0.925, 0.439, 0.078 },
  { 0.800, 0.145, 0.114 },
};

static const double diverging[][3] = {
  { 0.129, 0.400, 0.675 }, { 0.573, 0.773, 0.871 }, { 0.969, 0.969, 0.969 },
  { 0.957, 0.647, 0.510 }, { 0.698, 0.094, 0.169 },
};

static void
sample (const double (*stops)[3], int n, double t, double *r, double *g, double *b)
{
  double pos;
  int i;
  double f;

  if (isnan (t) || t < 0)
    t = 0;
  if (t > 1)
    t = 1;
  pos = t * (n - 1);
  i = (int) floor (pos);
  if (i >= n - 1)
    i = n - 2;
  f = pos - i;
  *r = stops[i][0] + f * (stops[i + 1][0] - stops[i][0]);
  *g = stops[i][1] + f * (stops[i + 1][1] - stops[i][1]);
  *b = stops[i][2] + f * (stops[i + 1][2] - stops[i][2]);
}

void
nd_colormap_rgb (NdColormap map, double t, double *r, double *g, double *b)
{
  switch (map)
    {
    case ND_COLORMAP_LATENCY:
      sample (latency, G_N_ELEMENTS (latency), t, r, g, b);
      break;
    case ND_COLORMAP_DIVERGING:
      sample (diverging, G_N_ELEMENTS (diverging), t, r, g, b);
      break;
    case ND_COLORMAP_VIRIDIS:
    default:
      sample (viridis, G_N_ELEMENTS (viridis), t, r, g, b);
      break;
    }
}

guint32
nd_colormap_rgb24 (NdColormap map, double t)
{
  double r, g, b;

  nd_colormap_rgb (map, t, &r, &g, &b);
  return ((guint32) lround (r * 255) << 16) | ((guint32) lround (g * 255) << 8)
         | (guint32) lround (b * 255);
}

const guint32 *
nd_colormap_table (NdColormap map)
{
  static guint32 tables[3][ND_COLORMAP_TABLE_SIZE];
  static gsize ready[3];
  int m = map == ND_COLORMAP_LATENCY ? 1 : map == ND_COLORMAP_DIVERGING ? 2 : 0;

  if (g_once_init_enter (&ready[m]))
    {
      for (int i = 0; i < ND_COLORMAP_TABLE_SIZE; i++)
        tables[m][i] = nd_colormap_rgb24 (map, i / (double) (ND_COLORMAP_TABLE_SIZE - 1));
      g_once_init_leave (&ready[m], 1);
    }
  return tables[m];
}
