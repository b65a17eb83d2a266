/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "nd-device.h"

#include "nd-window.h"

/* What the UI test programs (test-ui, test-ui-checkpoints, test-ui-camera) share: the window
 * under test, waiting on the main loop, screenshots, driving a knob, and the checks on what
 * the window shows. */

typedef struct
{
  NdWindow *window;
  guint64   painted;
  guint64   rebuilt_generation;   /* of the newest rebuilt result seen */
  double    rebuilt_knob_ms;
} Fixture;

gboolean timeout_cb (gpointer data);

/* Iterates the main loop until @done holds or @seconds pass. */
#define WAIT_UNTIL(cond, seconds)                                                     \
  G_STMT_START {                                                                        \
    gboolean timed_out_ = FALSE;                                                        \
    guint id_ = g_timeout_add_seconds (seconds, timeout_cb, &timed_out_);              \
    while (!(cond) && !timed_out_)                                                      \
      g_main_context_iteration (NULL, TRUE);                                            \
    if (!timed_out_)                                                                    \
      g_source_remove (id_);                                                            \
    g_assert_true (cond);                                                               \
  } G_STMT_END

void fixture_setup (Fixture *f, gconstpointer data);
/* The same with the window made from @o. */
void fixture_setup_options (Fixture *f, const NdWindowOptions *o);
/* The same in a window of @width × @height (1200 × 800 above). */
void fixture_setup_sized (Fixture *f, const NdWindowOptions *o, int width, int height);
void fixture_teardown (Fixture *f, gconstpointer data);
/* The bundled trained ParNet (gray 32 × 32) on its ankle-boot sample, on the CPU, showing
 * @view ("latency", or NULL: the default); the teardown resets the backend, fp16 and devices
 * settings these tests turn. */
void fixture_setup_trained (Fixture *f, gconstpointer view);
void fixture_teardown_trained (Fixture *f, gconstpointer data);
/* Changes @action's state and waits for the rebuilt result; a build error or random weights
 * fail the test. */
NdInferenceResult *turn (Fixture *f, const char *action, GVariant *value);
GBytes *screenshot (Fixture *f, const char *name);
/* Changes one knob through its action and waits for the rebuilt model's first result and the
 * frame that shows it; returns the time that took in ms. */
double drive (Fixture *f, const char *action, GVariant *value, double *knob_ms);

/* Whether some label of the window shows @text; the labels are logged when that is not what
 * the test expects. */
gboolean window_shows (Fixture *f, const char *text, gboolean expected);
/* Waits for the first result of the model rebuilt after generation @gen and the frame that
 * shows it; a build error fails the test with its message. */
NdInferenceResult *wait_weights (Fixture *f, guint64 gen);
char *action_string (Fixture *f, const char *action);
/* The widget under @widget whose action is @action (e.g. "win.fused"), or NULL. */
GtkWidget *find_actionable (GtkWidget *widget, const char *action);
/* The first widget of @type in @widget's tree (itself included), depth first, or NULL. */
GtkWidget *ui_find_type (GtkWidget *widget, GType type);
void assert_title_names (Fixture *f, const char *path);
/* Whether @menu (or a submenu of it) has an item for @action with string @target (NULL:
 * any target or none). */
gboolean ui_menu_has (GMenuModel *menu, const char *action, const char *target);
/* With the environment variable @env naming a folder: saves the window there at 1024×700 and
 * 1600×1000, light and dark, as PREFIX-WxH-LOOK-LANG.png (LANG from $LANGUAGE: zh or en). */
void ui_save_screenshot_set (Fixture *f, const char *env, const char *prefix);
/* The preferred Vulkan device, from the list it puts in *@devices (the caller's); NULL, the
 * test skipped, where there is none. */
NdDeviceInfo *ui_vulkan_or_skip (GPtrArray **devices);
/* `$ND_TEST_CLI bench` on the bundled trained weights on Vulkan (2 runs, --json) with the
 * further arguments (NULL-terminated); its JSON object, held by @parser. NULL (a message
 * says that @what is not compared) without ND_TEST_CLI; a failure fails the test. */
JsonObject   *ui_cli_bench (JsonParser *parser, const char *what, ...) G_GNUC_NULL_TERMINATED;

/* The test registered instead of the others where there is no display. */
/* g_test_init () and GTK; without a display, FALSE with only /ui/no-display (a skip)
 * registered: main () then returns g_test_run () at once. */
gboolean ui_test_init (int *argc, char ***argv);
