/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-device.h"
#include "nd-paths.h"
#include "ui-fixture.h"

/* Two results can be dispatched in one main-loop iteration, so the rebuilt one is caught
 * here rather than read back from the window. */
static void
result_cb (NdInference *inference, NdInferenceResult *r, Fixture *f)
{
  if (r->rebuilt)
    {
      f->rebuilt_generation = r->generation;
      f->rebuilt_knob_ms = r->knob_to_result_ms;
    }
}

/* Counts frames; a tick callback keeps the frame clock running under Xvfb. */
static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ((Fixture *) data)->painted++;
  return G_SOURCE_CONTINUE;
}

gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}


void
fixture_setup (Fixture *f, gconstpointer data)
{
  NdWindowOptions o = { .model = "parnet-s", .width = 0.25, .resolution = 64, .lambda = -1,
                        .select = "streams.1.1" };

  /* ND_UI_TEST_PRESET=1 runs the real preset (224 px, full width) to measure knob latency. */
  if (g_getenv ("ND_UI_TEST_PRESET") != NULL)
    o.width = 0, o.resolution = 0;
  fixture_setup_options (f, &o);
}

void
fixture_setup_options (Fixture *f, const NdWindowOptions *o)
{
  fixture_setup_sized (f, o, 1200, 800);
}

void
fixture_setup_sized (Fixture *f, const NdWindowOptions *o, int width, int height)
{
  f->window = nd_window_new (NULL, o);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width, height);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (nd_window_get_result (f->window) != NULL
              && nd_window_get_result (f->window)->block_diff != NULL, 120);
  gtk_widget_add_tick_callback (GTK_WIDGET (f->window), tick_cb, f, NULL);
  g_signal_connect (nd_window_get_inference (f->window), "result", G_CALLBACK (result_cb), f);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

GBytes *
screenshot (Fixture *f, const char *name)
{
  g_autofree char *file = g_strdup_printf ("ui-%s.png", name);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);
  g_autoptr(GError) error = NULL;
  char *data;
  gsize len;

  /* Two painted frames: the views have drawn the newest result. */
  {
    guint64 target = f->painted + 2;

    gtk_widget_queue_draw (GTK_WIDGET (f->window));
    WAIT_UNTIL (f->painted >= target, 10);
  }
  g_assert_true (nd_window_save_screenshot (f->window, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

/* Changes one knob through its action and waits for the rebuilt model's first result and the
 * frame that shows it; returns the time that took in ms. */
double
drive (Fixture *f, const char *action, GVariant *value, double *knob_ms)
{
  guint64 gen = nd_window_get_result (f->window)->generation;
  gint64 t0 = g_get_monotonic_time ();
  guint64 painted;

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), action, value);
  WAIT_UNTIL (f->rebuilt_generation > gen, 120);
  g_assert_null (nd_window_get_knob_error (f->window, action));
  if (knob_ms != NULL)
    *knob_ms = f->rebuilt_knob_ms;
  painted = f->painted;
  WAIT_UNTIL (f->painted > painted, 10);
  return (g_get_monotonic_time () - t0) / 1000.0;
}

/* Every GtkLabel text under @widget, one per line. */
static void
collect_labels (GtkWidget *widget, GString *out)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    collect_labels (c, out);
}

/* Whether some label of the window shows @text; the labels are logged when that is not what
 * the test expects. */
gboolean
window_shows (Fixture *f, const char *text, gboolean expected)
{
  g_autoptr(GString) all = g_string_new (NULL);
  gboolean shown;

  collect_labels (GTK_WIDGET (f->window), all);
  shown = strstr (all->str, text) != NULL;
  if (shown != expected)
    g_test_message ("“%s” is %s; the window's labels are:\n%s", text,
                    shown ? "shown" : "not shown", all->str);
  return shown;
}

/* The bundled trained ParNet (gray 32 × 32) on its ankle-boot sample, on the CPU. */
void
fixture_setup_trained (Fixture *f, gconstpointer view)
{
  g_autofree char *weights = g_build_filename (ND_SOURCE_ASSETS_DIR, ND_DEFAULT_WEIGHTS, NULL);
  g_autofree char *image = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples",
                                             "0000-ankle-boot.png", NULL);
  gboolean have = g_file_test (weights, G_FILE_TEST_EXISTS);
  NdWindowOptions o = { .weights = have ? weights : NULL, .model = have ? NULL : "parnet-s",
                        .image = image, .lambda = -1, .backend = "cpu", .view = view };

  fixture_setup_options (f, &o);
}

/* The settings live on in this process's memory backend: the next window starts afresh. */
void
fixture_teardown_trained (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (ND_APP_ID);

  fixture_teardown (f, data);
  g_settings_reset (settings, "backend");
  g_settings_reset (settings, "fp16");
  g_settings_reset (settings, "devices");
}

NdInferenceResult *
turn (Fixture *f, const char *action, GVariant *value)
{
  guint64 gen = nd_window_get_result (f->window)->generation;

  g_action_group_change_action_state (G_ACTION_GROUP (f->window), action, value);
  return wait_weights (f, gen);
}

/* Waits for the first result of the model rebuilt after generation @gen and the frame that
 * shows it; a build error fails the test with its message. */
NdInferenceResult *
wait_weights (Fixture *f, guint64 gen)
{
  NdInferenceResult *r;

  WAIT_UNTIL (f->rebuilt_generation > gen || nd_window_get_knob_error (f->window, "general"),
              120);
  g_assert_cmpstr (nd_window_get_knob_error (f->window, "general"), ==, NULL);
  /* the frame that shows it */
  {
    guint64 painted = f->painted;

    WAIT_UNTIL (f->painted > painted + 1, 10);
  }
  r = nd_window_get_result (f->window);
  g_assert_cmpuint (r->generation, ==, f->rebuilt_generation);
  g_assert_false (r->random_weights);
  return r;
}

GtkWidget *
find_actionable (GtkWidget *widget, const char *action)
{
  if (GTK_IS_ACTIONABLE (widget)
      && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_actionable (c, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

char *
action_string (Fixture *f, const char *action)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (f->window),
                                                               action);

  return g_variant_is_of_type (state, G_VARIANT_TYPE_STRING)
         ? g_variant_dup_string (state, NULL) : g_variant_print (state, FALSE);
}

void
assert_title_names (Fixture *f, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (f->window)), base));
  g_assert_true (window_shows (f, base, TRUE));
}

static void
no_display (void)
{
  g_test_skip ("no display (run under Xvfb)");
}

gboolean
ui_test_init (int *argc, char ***argv)
{
  nd_paths_init_i18n ();   /* as main () does: the window in the user's language */
  g_test_init (argc, argv, NULL);
  /* gtk_test_init() exits without a display; a machine without one skips instead. */
  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/no-display", no_display);
      return FALSE;
    }
  adw_init ();
  return TRUE;
}

GtkWidget *
ui_find_type (GtkWidget *widget, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = ui_find_type (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
ui_menu_has (GMenuModel *menu, const char *action, const char *target)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (menu, i);
      g_autofree char *name = NULL;
      g_autoptr(GVariant) value = g_menu_model_get_item_attribute_value (menu, i, "target",
                                                                         NULL);

      if (g_menu_model_get_item_attribute (menu, i, "action", "s", &name)
          && g_strcmp0 (name, action) == 0
          && (target == NULL
              || (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
                  && g_strcmp0 (g_variant_get_string (value, NULL), target) == 0)))
        return TRUE;
      while (g_menu_link_iter_next (links))
        {
          g_autoptr(GMenuModel) sub = g_menu_link_iter_get_value (links);

          if (ui_menu_has (sub, action, target))
            return TRUE;
        }
    }
  return FALSE;
}

void
ui_save_screenshot_set (Fixture *f, const char *env, const char *prefix)
{
  const char *dir = g_getenv (env);
  const char *lang = g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh")
                     ? "zh" : "en";
  AdwStyleManager *manager = adw_style_manager_get_default ();
  static const struct { int w, h; AdwColorScheme scheme; const char *look; } shots[] = {
    { 1024, 700, ADW_COLOR_SCHEME_FORCE_LIGHT, "light" },
    { 1024, 700, ADW_COLOR_SCHEME_FORCE_DARK, "dark" },
    { 1600, 1000, ADW_COLOR_SCHEME_FORCE_LIGHT, "light" },
    { 1600, 1000, ADW_COLOR_SCHEME_FORCE_DARK, "dark" },
  };

  if (dir == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%dx%d-%s-%s.png", prefix, shots[i].w,
                                               shots[i].h, shots[i].look, lang);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GError) error = NULL;
      guint64 target;

      gtk_window_set_default_size (GTK_WINDOW (f->window), shots[i].w, shots[i].h);
      adw_style_manager_set_color_scheme (manager, shots[i].scheme);
      target = f->painted + 3;
      gtk_widget_queue_draw (GTK_WIDGET (f->window));
      WAIT_UNTIL (f->painted >= target, 10);
      g_assert_true (nd_window_save_screenshot (f->window, path, &error));
      g_assert_no_error (error);
      g_test_message ("saved %s", path);
    }
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

NdDeviceInfo *
ui_vulkan_or_skip (GPtrArray **devices)
{
  g_autoptr(GError) error = NULL;
  NdDeviceInfo *vk;

  *devices = nd_device_list_vulkan (&error);
  vk = *devices != NULL ? nd_device_find_preferred (*devices, ND_DEVICE_KIND_VULKAN) : NULL;
  if (vk == NULL)
    {
      g_autofree char *why = g_strdup_printf ("no Vulkan device: %s",
                                              error ? error->message : "none usable");

      g_test_skip (why);
    }
  return vk;
}

JsonObject *
ui_cli_bench (JsonParser *parser, const char *what, ...)
{
  const char *cli = g_getenv ("ND_TEST_CLI");
  g_autofree char *weights = g_build_filename (ND_SOURCE_ASSETS_DIR, ND_DEFAULT_WEIGHTS, NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;
  int status = 0;

  if (cli == NULL)
    {
      g_test_message ("ND_TEST_CLI not set: %s not compared", what);
      return NULL;
    }
  for (const char * const *a = (const char *[]) { cli, "bench", "--weights", weights,
                                                  "--backend", "vulkan", "--iters", "2",
                                                  "--warmup", "1", "--json", NULL };
       *a != NULL; a++)
    g_ptr_array_add (argv, (gpointer) *a);
  va_start (ap, what);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("nondeep-cli bench (%s) failed: %s", what, err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}
