/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>

#include "nd-theme.h"

static void
dark_changed_cb (AdwStyleManager *manager, GParamSpec *pspec, GtkWidget *widget)
{
  NdRenderStyle *style = g_object_get_data (G_OBJECT (widget), "nd-theme-style");

  nd_render_style_set_dark (style, adw_style_manager_get_dark (manager));
  gtk_widget_queue_draw (widget);
}

void
nd_theme_follow (GtkWidget *widget, NdRenderStyle *style)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();

  g_return_if_fail (GTK_IS_WIDGET (widget) && style != NULL);
  nd_render_style_set_dark (style, adw_style_manager_get_dark (manager));
  g_object_set_data (G_OBJECT (widget), "nd-theme-style", style);
  g_signal_connect_object (manager, "notify::dark", G_CALLBACK (dark_changed_cb), widget, 0);
}
