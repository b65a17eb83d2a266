/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-render-style.h"

G_BEGIN_DECLS

/* Keeps @style's colours on AdwStyleManager's dark state: sets them now and again (with a
 * redraw of @widget) whenever the app switches between light and dark. @style must live as
 * long as @widget (a field of it). */
void nd_theme_follow (GtkWidget     *widget,
                      NdRenderStyle *style);

G_END_DECLS
