/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-paths.h"
#include "ui-fixture.h"

/* The window started from the build folder under a Chinese locale is in Chinese: the
 * catalogue compiled into build/po is bound as main () binds it, not the install prefix's
 * (where an uninstalled build has none). */
static void
test_chinese (Fixture *f, gconstpointer data)
{
  g_assert_true (nd_paths_uninstalled ());
  g_assert_true (window_shows (f, "融合", TRUE));     /* Fused */
  g_assert_true (window_shows (f, "输入", TRUE));     /* Input */
  g_assert_false (window_shows (f, "Fused", FALSE));
}

int
main (int argc, char **argv)
{
  /* LANGUAGE picks the catalogue even where no zh_CN locale is generated (C.UTF-8 then). */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  nd_paths_init_i18n ();
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui-locale/zh-CN", Fixture, NULL, fixture_setup, test_chinese, fixture_teardown);
  return g_test_run ();
}
