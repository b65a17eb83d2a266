/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-application.h"
#include "nd-compare-window.h"
#include "nd-window.h"

struct _NdApplication
{
  AdwApplication  parent_instance;
  char           *model, *blocks, *backend, *weights, *image, *select, *view, *screenshot;
  char           *camera, *explain, *devices;
  int             streams, resolution, classes;
  double          width, lambda, measure;
  gboolean        fused, unfused, fp16, json;
};

G_DEFINE_FINAL_TYPE (NdApplication, nd_application, ADW_TYPE_APPLICATION)

static int
nd_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  NdApplication *self = ND_APPLICATION (app);

  g_variant_dict_lookup (options, "model", "s", &self->model);
  g_variant_dict_lookup (options, "streams", "i", &self->streams);
  g_variant_dict_lookup (options, "width", "d", &self->width);
  g_variant_dict_lookup (options, "blocks", "s", &self->blocks);
  g_variant_dict_lookup (options, "resolution", "i", &self->resolution);
  g_variant_dict_lookup (options, "lambda", "d", &self->lambda);
  g_variant_dict_lookup (options, "fused", "b", &self->fused);
  g_variant_dict_lookup (options, "unfused", "b", &self->unfused);
  g_variant_dict_lookup (options, "fp16", "b", &self->fp16);
  g_variant_dict_lookup (options, "backend", "s", &self->backend);
  g_variant_dict_lookup (options, "devices", "s", &self->devices);
  g_variant_dict_lookup (options, "weights", "^ay", &self->weights);
  g_variant_dict_lookup (options, "image", "^ay", &self->image);
  g_variant_dict_lookup (options, "select", "s", &self->select);
  g_variant_dict_lookup (options, "view", "s", &self->view);
  g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot);
  g_variant_dict_lookup (options, "camera", "s", &self->camera);
  g_variant_dict_lookup (options, "classes", "i", &self->classes);
  g_variant_dict_lookup (options, "measure", "d", &self->measure);
  g_variant_dict_lookup (options, "json", "b", &self->json);
  g_variant_dict_lookup (options, "explain", "s", &self->explain);
  if (self->explain != NULL && !g_strv_contains ((const char *[]) { "off", "gradcam", "grad",
                                                                   NULL }, self->explain))
    {
      g_autofree char *message = g_strdup_printf (_("--explain must be off, gradcam or grad, "
                                                    "not “%s”"), self->explain);

      g_printerr ("%s\n", message);
      return 2;
    }
  if (self->measure < 0 || (self->measure > 0 && !self->json))
    {
      /* the JSON object is the only output there is; keep the door open for others */
      g_printerr ("%s\n", _("--measure takes a positive number of seconds and --json"));
      return 2;
    }
  if (self->screenshot != NULL || self->measure > 0)
    /* A one-shot render must not hand its work to a running instance. */
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  return -1;
}

static void
nd_application_activate (GApplication *app)
{
  NdApplication *self = ND_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  NdWindowOptions o = {
    .model = self->model, .streams = self->streams, .width = self->width,
    .blocks = self->blocks, .resolution = self->resolution, .lambda = self->lambda,
    .fused = self->fused, .fused_set = self->fused || self->unfused,
    .backend = self->backend, .weights = self->weights, .image = self->image,
    .select = self->select, .view = self->view, .screenshot = self->screenshot,
    .camera = self->camera, .fp16 = self->fp16, .devices = self->devices,
    .classes = self->classes,
    .measure = self->measure, .explain = self->explain,
  };

  if (window == NULL)
    window = GTK_WINDOW (nd_window_new (ADW_APPLICATION (app), &o));
  gtk_window_present (window);
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkApplication *app = data;
  const char *developers[] = { _("The Nondeep Explorer authors"), NULL };
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "transient-for", gtk_application_get_active_window (app),
                "application-name", _("Nondeep Explorer"),
                "application-icon", ND_APP_ID,
                "version", ND_VERSION,
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "comments", _("Run shallow and parallel CNNs live and see inside them: "
                              "streams, feature maps, SE gates, receptive fields, "
                              "re-parameterization and latency."),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkApplication *app = data;
  GtkWindow *parent = gtk_application_get_active_window (app);
  GtkWidget *prefs = adw_preferences_window_new ();
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();
  GtkWidget *fused_row = adw_action_row_new ();
  GtkWidget *fused_sw = gtk_switch_new ();

  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Inference"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Live inference"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Keep running on the current input so the latency stays live"));
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (sw), "win.live");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (fused_row), _("Fused form"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (fused_row),
                               _("Run the re-parameterized network"));
  gtk_widget_set_valign (fused_sw, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (fused_sw), "win.fused");
  adw_action_row_add_suffix (ADW_ACTION_ROW (fused_row), fused_sw);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), fused_row);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (prefs), ADW_PREFERENCES_PAGE (page));
  /* The switches act on the main window's actions. */
  gtk_widget_insert_action_group (prefs, "win", G_ACTION_GROUP (parent));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
compare_block_activated (NdCompareWindow *compare, const char *model, const char *block,
                         gpointer data)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (compare));

  if (ND_IS_WINDOW (parent))
    nd_window_show_block (ND_WINDOW (parent), model, block);
}

static void
compare_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));
  GtkWidget *compare = nd_compare_window_new (parent);

  /* a click on an op in its roofline shows that block in the main window's graph */
  g_signal_connect (compare, "block-activated", G_CALLBACK (compare_block_activated), NULL);
  gtk_window_present (GTK_WINDOW (compare));
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  g_application_quit (G_APPLICATION (data));
}

static const GActionEntry app_actions[] = {
  { "about", about_activated },
  { "preferences", preferences_activated },
  { "compare", compare_activated },
  { "quit", quit_activated },
};

static void
nd_application_startup (GApplication *app)
{
  static const char *quit[] = { "<Control>q", NULL };
  static const char *open_image[] = { "<Control>o", NULL };
  static const char *open_weights[] = { "<Control><Shift>o", NULL };
  static const char *fused[] = { "<Control>f", NULL };
  static const char *prefs[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (nd_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.open-image", open_image);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.open-weights",
                                         open_weights);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.fused", fused);
}

static void
nd_application_finalize (GObject *object)
{
  NdApplication *self = ND_APPLICATION (object);

  g_free (self->model);
  g_free (self->blocks);
  g_free (self->backend);
  g_free (self->devices);
  g_free (self->weights);
  g_free (self->image);
  g_free (self->select);
  g_free (self->view);
  g_free (self->screenshot);
  g_free (self->camera);
  g_free (self->explain);
  G_OBJECT_CLASS (nd_application_parent_class)->finalize (object);
}

static void
nd_application_class_init (NdApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = nd_application_finalize;
  app_class->handle_local_options = nd_application_handle_local_options;
  app_class->activate = nd_application_activate;
  app_class->startup = nd_application_startup;
}

static void
nd_application_init (NdApplication *self)
{
  static const GOptionEntry options[] = {
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Render the window to a PNG after the first inference and exit"), N_("FILE") },
    { "model", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Model preset, e.g. parnet-s"), N_("NAME") },
    { "streams", 0, 0, G_OPTION_ARG_INT, NULL, N_("Parallel streams (ParNet)"), N_("N") },
    { "width", 0, 0, G_OPTION_ARG_DOUBLE, NULL, N_("Width multiplier"), N_("X") },
    { "blocks", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Blocks per stream or stage"), N_("LIST") },
    { "resolution", 0, 0, G_OPTION_ARG_INT, NULL, N_("Input side in pixels"), N_("N") },
    { "lambda", 0, 0, G_OPTION_ARG_DOUBLE, NULL, N_("VanillaNet λ"), N_("X") },
    { "fused", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Run the fused (deploy) form"), NULL },
    { "unfused", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Run the training form"), NULL },
    { "fp16", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Vulkan: store activations and weights as float16"), NULL },
    { "backend", 0, 0, G_OPTION_ARG_STRING, NULL, N_("cpu or vulkan"), N_("NAME") },
    { "devices", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Vulkan, ParNet: its streams on these devices (stream s on the (s mod n)-th listed; "
         "an index may repeat), as nondeep-cli --devices"), N_("A,B[,C]") },
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("safetensors weights"), N_("FILE") },
    { "image", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Input image"), N_("FILE") },
    { "select", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Block to inspect, e.g. streams.1.3"),
      N_("BLOCK") },
    { "view", 0, 0, G_OPTION_ARG_STRING, NULL, N_("inspector or latency"), N_("VIEW") },
    /* The same sources as ND_CAMERA_SOURCE (nd-camera-controller.h). */
    { "camera", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Start on the camera: auto, test-pattern[:PATTERN[:FRAMES]] or /dev/videoN"),
      N_("SOURCE") },
    { "classes", 0, 0, G_OPTION_ARG_INT, NULL, N_("Number of classes"), N_("K") },
    { "measure", 0, 0, G_OPTION_ARG_DOUBLE, NULL,
      N_("Run the window this many seconds, then print its rates, latency, drawing time and "
         "memory as one JSON object (with --json) and exit"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Machine-readable output (with --measure)"),
      NULL },
    { "explain", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Start with the top class explained over the picture: gradcam, grad or off"),
      N_("METHOD") },
    { NULL }
  };

  self->lambda = -1;
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

NdApplication *
nd_application_new (void)
{
  return g_object_new (ND_TYPE_APPLICATION,
                       "application-id", ND_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/nondeep/Explorer",
                       NULL);
}
