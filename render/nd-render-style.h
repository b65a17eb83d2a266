/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* Everything the render functions need besides the data: colours, font, and the view
 * transform (zoom about the origin, then pan in device pixels). The functions keep no state;
 * the widget owns one of these. */
typedef struct
{
  double   fg[4];           /* text, outlines */
  double   bg[4];           /* background (alpha 0: leave the surface as it is) */
  double   muted[4];        /* axes, grid, secondary text */
  double   accent[4];       /* selection */
  double   highlight[4];    /* the longest path */
  double   fused[4];        /* series colours: fused / unfused */
  double   unfused[4];
  double   surface[4];      /* graph boxes and panels without a value colour */
  double   on_surface[4];   /* text on @surface */
  double   on_color[4];     /* text on colormap fills (they are light in both themes) */
  gboolean dark;
  double   font_size;       /* in user units */
  double   zoom;            /* 1 = fit */
  double   pan_x, pan_y;
  int      axis_depth;      /* graph view: depth units on the axis; 0 = fit the model */
  int      max_channels;    /* feature maps: channels drawn at most; 0 = all */
} NdRenderStyle;

/* A light theme; @dark selects the dark variant. Only the colours depend on it. */
void nd_render_style_init (NdRenderStyle *style,
                           gboolean       dark);

/* Internal helpers shared by the render files. */
void nd_render_set_rgba   (cairo_t      *cr,
                           const double *rgba);
void nd_render_fill_bg    (cairo_t             *cr,
                           const NdRenderStyle *style,
                           double               width,
                           double               height);
/* Sets only the colours of @style for @dark, keeping zoom, pan and the other settings. */
void nd_render_style_set_dark (NdRenderStyle *style,
                               gboolean       dark);

/* Text goes through PangoCairo (shaping, CJK, font fallback) in the cairo_t's current font
 * size (cairo_set_font_size) and source colour. */
/* Draws @text with its left (align 0), centre (0.5) or right (1) edge at @x and its baseline
 * at @y. */
void   nd_render_text          (cairo_t    *cr,
                                const char *text,
                                double      x,
                                double      y,
                                double      align);
/* nd_render_text shrunk to at most @max_w wide; nothing is drawn (FALSE) when that needs a
 * size under @min_size: text never overlaps its neighbours, nor is it drawn unreadably. */
gboolean nd_render_text_fit    (cairo_t    *cr,
                                const char *text,
                                double      x,
                                double      y,
                                double      align,
                                double      max_w,
                                double      min_size);
/* The advance width of @text in user units. */
double nd_render_text_width    (cairo_t    *cr,
                                const char *text);
/* Glyphs of @text that no installed font has (drawn as boxes): 0 when all render. */
int    nd_render_text_unknown  (cairo_t    *cr,
                                const char *text);

G_END_DECLS
