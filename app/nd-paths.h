/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where the front ends find their data, translations and settings schema. A run is
 * "uninstalled" when the executable lives in the build tree (build/app/gui/nondeep, the test
 * programs): it then reads the source tree's assets/, the catalogues compiled into build/po
 * and the schema compiled into build/assets, so it behaves like an installed run without
 * installing anything. */
gboolean     nd_paths_uninstalled  (void);
/* $ND_ASSETS_DIR when set; else the source tree's assets/ (uninstalled) or the installed
 * data directory ($prefix/share/nondeep). */
const char  *nd_paths_assets_dir   (void);
/* The gettext catalogue tree: build/po uninstalled, $prefix/share/locale installed. */
const char  *nd_paths_locale_dir   (void);
/* The directory holding the compiled schema of an uninstalled run, NULL when installed (the
 * default schema source then has it). */
const char  *nd_paths_schema_dir   (void);
/* setlocale () and the text domain bound to nd_paths_locale_dir (): what main () does first. */
void         nd_paths_init_i18n    (void);

G_END_DECLS
