/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nd-compare-sides.h"
#include "nd-compare-window.h"
#include "nd-guideline-page.h"
#include "nd-render-plot.h"
#include "ui-fixture.h"
#include "ui-views.h"

/* The Compare page: measures two small presets, shows them, exports the plot; and the
 * Pareto front it highlights. With ND_COMPARE_SCREENSHOT=PATH it also saves the window. */

static void
test_pareto (void)
{
  /* x latency (lower better), y top-1 (higher better): b beats c on both, a is fastest,
   * d is most accurate */
  NdPlotPoint p[] = { { 1, 70, "a", 0 }, { 2, 74, "b", 0 }, { 3, 73, "c", 0 }, { 4, 77, "d", 0 } };
  gboolean front[4];

  g_assert_cmpint (nd_plot_pareto (p, 4, TRUE, front), ==, 3);
  g_assert_true (front[0] && front[1] && !front[2] && front[3]);
  /* y lower better (e.g. memory access): only a, the least of both */
  g_assert_cmpint (nd_plot_pareto (p, 4, FALSE, front), ==, 1);
  g_assert_true (front[0]);
}

/* Every roofline point can be hit where it is drawn, and empty space hits nothing. */
static void
test_roof_hit (void)
{
  NdRoofPoint p[] = { { 0.5, 4, 0, FALSE }, { 8, 60, 0, FALSE }, { 40, 95, 1, FALSE } };
  gboolean found[3] = { FALSE, FALSE, FALSE };
  int misses = 0;

  for (int y = 0; y < 300; y++)
    for (int x = 0; x < 400; x++)
      {
        int hit = nd_roof_hit (100, 10, p, 3, 400, 300, x, y);

        if (hit >= 0)
          found[hit] = TRUE;
        else
          misses++;
      }
  g_assert_true (found[0] && found[1] && found[2]);
  g_assert_cmpint (misses, >, 400 * 300 * 9 / 10);
  g_assert_cmpint (nd_roof_hit (100, 10, p, 3, 400, 300, 399, 299), ==, -1);
  g_assert_cmpint (nd_roof_hit (0, 10, p, 3, 400, 300, 100, 100), ==, -1);
}

static void
on_block (NdCompareWindow *win, const char *model, const char *block, char **out)
{
  g_free (*out);
  *out = g_strdup_printf ("%s %s", model, block);
}

/* The CLI's standard output for @argv (argv[0] the CLI), which must exit 0. */
static char *
run_cli (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return out;
}

/* The window's table against `nondeep-cli compare` for the same models: the counts equal,
 * as printed (latency is measured separately, so only its presence is checked). */
static void
check_against_cli (NdCompareWindow *win, const char *models, int resolution)
{
  const char *cli = g_getenv ("ND_TEST_CLI");
  g_autofree char *res = g_strdup_printf ("%d", resolution);
  const char *argv[] = { cli, "compare", "--models", models, "--resolution", res, "--fused",
                         "--iters", "1", "--warmup", "0", "--csv", "--cpu-only", NULL };
  g_autofree char *out = NULL, *csv = nd_compare_window_get_csv (win);
  g_auto(GStrv) cli_lines = NULL, win_lines = NULL;

  if (cli == NULL)
    {
      g_test_skip ("ND_TEST_CLI not set (run through meson test)");
      return;
    }
  out = run_cli (argv);
  cli_lines = g_strsplit (g_strstrip (out), "\n", -1);
  win_lines = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (cli_lines), ==, g_strv_length (win_lines));
  for (guint i = 1; cli_lines[i] != NULL; i++)
    {
      /* CLI: model,fused,resolution,params,gmacs,flops,memory_access_mb,weight_depth,…
       * window: model,fused,params_m,gmacs,memory_access_mb,depth,median_ms,… */
      g_auto(GStrv) c = g_strsplit (cli_lines[i], ",", -1);
      g_auto(GStrv) w = g_strsplit (win_lines[i], ",", -1);
      g_autofree char *params_m = g_strdup_printf ("%.3f", g_ascii_strtod (c[3], NULL) / 1e6);

      g_test_message ("CLI %s | window %s", cli_lines[i], win_lines[i]);
      g_assert_cmpstr (w[0], ==, c[0]);
      g_assert_cmpstr (w[1], ==, c[1]);
      g_assert_cmpstr (w[2], ==, params_m);
      g_assert_cmpstr (w[3], ==, c[4]);
      g_assert_cmpstr (w[4], ==, c[6]);
      g_assert_cmpstr (w[5], ==, c[7]);
      g_assert_cmpfloat (g_ascii_strtod (w[6], NULL), >, 0);
    }
}

static void
test_measure_and_export (void)
{
  GtkWidget *win = nd_compare_window_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("nd-compare-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "plot.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "plot.svg", NULL);
  g_autofree char *text = NULL;
  const char *shot = g_getenv ("ND_COMPARE_SCREENSHOT");
  gint64 until;

  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (nd_compare_window_measure (ND_COMPARE_WINDOW (win),
                                            shot ? "parnet-s,resnet-18,resnet-34,resnet-50,"
                                                   "repvgg-a0,vanillanet-5"
                                                 : "resnet-18,repvgg-a0",
                                            shot ? 224 : 32, TRUE, shot ? 5 : 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (nd_compare_window_get_n_rows (ND_COMPARE_WINDOW (win)), ==, shot ? 6 : 2);
  if (!shot)
    check_against_cli (ND_COMPARE_WINDOW (win), "resnet-18,repvgg-a0", 32);
  g_assert_true (nd_compare_window_export_plot (ND_COMPARE_WINDOW (win), png, &error));
  g_assert_true (nd_compare_window_export_plot (ND_COMPARE_WINDOW (win), svg, &error));
  g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "<svg"));
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  g_assert_true (nd_compare_window_show_roofline (ND_COMPARE_WINDOW (win), "resnet-18", &error));
  g_assert_no_error (error);
  /* resnet-18's convs at least (BN and ReLU may run inside them) */
  g_assert_cmpint (nd_compare_window_get_n_roof_points (ND_COMPARE_WINDOW (win)), >=, 20);
  /* a click on an op's point announces its block (for the main window's graph) */
  {
    g_autofree char *got = NULL;
    const char *block;

    g_signal_connect (win, "block-activated", G_CALLBACK (on_block), &got);
    block = nd_compare_window_select_op (ND_COMPARE_WINDOW (win), 0);
    g_assert_nonnull (block);
    g_assert_nonnull (got);
    g_assert_true (g_str_has_prefix (got, "resnet-18 "));
    g_assert_cmpstr (got + strlen ("resnet-18 "), ==, block);
    g_assert_null (nd_compare_window_select_op (ND_COMPARE_WINDOW (win), -1));
    g_assert_null (nd_compare_window_select_op (ND_COMPARE_WINDOW (win), 100000));
    g_signal_handlers_disconnect_by_func (win, on_block, &got);
  }
  g_assert_false (nd_compare_window_show_roofline (ND_COMPARE_WINDOW (win), "vgg-16", &error));
  g_clear_error (&error);
  /* a name that is not a preset is an error, not a crash */
  g_assert_false (nd_compare_window_measure (ND_COMPARE_WINDOW (win), "resnet-18,nope", 32,
                                             TRUE, 1, &error));
  g_assert_nonnull (error);
  until = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  if (shot)
    {
      g_assert_true (nd_compare_window_show_roofline (ND_COMPARE_WINDOW (win), "parnet-s", NULL));
      until = g_get_monotonic_time () + G_USEC_PER_SEC;
      while (g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      ui_render_png (win, shot);
    }
  g_remove (png);
  g_remove (svg);
  g_rmdir (dir);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* parnet-table on the page at 64 px: the CLI's variants and counts, and a table row per
 * preset whose cells are the result's numbers. */
static void
check_parnet_table (NdGuidelinePage *page, const char *cli)
{
  static const char *models[] = { "parnet-s", "parnet-m", "resnet-34", "resnet-50" };
  const char *argv[] = { cli, "guideline", "parnet-table", "--resolution", "64", "--iters", "1",
                         "--warmup", "0", "--json", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  const NdLabExperiment *e;
  GtkGrid *grid;
  JsonArray *vs;

  g_assert_true (nd_guideline_page_run (page, "parnet-table", 0, 64, 1, &error));
  g_assert_no_error (error);
  e = nd_guideline_page_get_result (page);
  g_assert_cmpstr (e->name, ==, "parnet-table");
  /* on the CPU: four presets unfused and fused, the two ParNets also with forced streams */
  g_assert_cmpuint (e->variants->len, ==, 12);
  grid = GTK_GRID (nd_guideline_page_get_table (page));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (grid)));
  for (guint r = 0; r < G_N_ELEMENTS (models); r++)
    {
      const NdLabVariant *f = nd_lab_experiment_find (e, models[r], TRUE, ND_STREAMS_AUTO);
      GtkWidget *name = gtk_grid_get_child_at (grid, 0, r + 1);
      GtkWidget *fused = gtk_grid_get_child_at (grid, 5, r + 1);
      g_autofree char *want = NULL;

      g_assert_nonnull (f);
      g_assert_cmpfloat (f->lat.median, >, 0);
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (name)), ==, models[r]);
      want = g_strdup_printf ("%.1f (%.1f–%.1f)", f->lat.median, f->lat.p25, f->lat.p75);
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (fused)), ==, want);
    }
  g_assert_null (gtk_grid_get_child_at (grid, 0, G_N_ELEMENTS (models) + 1));
  out = run_cli (argv);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  vs = json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (
         json_node_get_object (json_parser_get_root (parser)), "experiments"), 0), "variants");
  g_assert_cmpuint (json_array_get_length (vs), ==, e->variants->len);
  for (guint i = 0; i < e->variants->len; i++)
    {
      const NdLabVariant *v = g_ptr_array_index (e->variants, i);
      JsonObject *c = json_array_get_object_element (vs, i);

      g_assert_cmpstr (v->label, ==, json_object_get_string_member (c, "label"));
      g_assert_cmpint (v->params, ==, json_object_get_int_member (c, "params"));
      g_assert_cmpint (v->macs, ==, json_object_get_int_member (c, "macs"));
    }
  /* the synthetic experiments have no such table */
  g_assert_true (nd_guideline_page_run (page, "ratio", 32, 8, 1, &error));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (grid)));
}

/* The Guidelines page runs the CLI's experiment: the same variants, counts and claim. */
static void
test_guidelines (void)
{
  GtkWidget *win = nd_compare_window_new (NULL);
  NdGuidelinePage *page = ND_GUIDELINE_PAGE (nd_compare_window_show_guidelines (
                                               ND_COMPARE_WINDOW (win)));
  const char *cli = g_getenv ("ND_TEST_CLI");
  const char *argv[] = { cli, "guideline", "ratio", "--channels", "32", "--size", "8",
                         "--iters", "1", "--warmup", "0", "--json", NULL };
  const char *shot = g_getenv ("ND_COMPARE_SCREENSHOT");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  const NdLabExperiment *e;
  JsonObject *exp;
  JsonArray *vs;

  if (g_getenv ("ND_COMPARE_SIZE") != NULL)   /* screenshots: e.g. 1024x700 */
    {
      int w = 0, h = 0;

      if (sscanf (g_getenv ("ND_COMPARE_SIZE"), "%dx%d", &w, &h) == 2)
        gtk_window_set_default_size (GTK_WINDOW (win), w, h);
    }
  gtk_window_present (GTK_WINDOW (win));
  g_assert_null (nd_guideline_page_get_result (page));
  g_assert_true (nd_guideline_page_run (page, "ratio", 32, 8, 2, &error));
  g_assert_no_error (error);
  e = nd_guideline_page_get_result (page);
  g_assert_nonnull (e);
  g_assert_cmpstr (e->name, ==, "ratio");
  g_assert_false (nd_guideline_page_run (page, "nope", 32, 8, 1, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (nd_guideline_page_get_result (page) == e);   /* a failed run keeps the last */
  if (cli == NULL)
    {
      g_test_skip ("ND_TEST_CLI not set (run through meson test)");
      gtk_window_destroy (GTK_WINDOW (win));
      return;
    }
  out = run_cli (argv);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  exp = json_array_get_object_element (json_object_get_array_member (
          json_node_get_object (json_parser_get_root (parser)), "experiments"), 0);
  g_assert_cmpstr (json_object_get_string_member (exp, "claim"), ==, e->claim);
  vs = json_object_get_array_member (exp, "variants");
  g_assert_cmpuint (json_array_get_length (vs), ==, e->variants->len);
  for (guint i = 0; i < e->variants->len; i++)
    {
      const NdLabVariant *v = g_ptr_array_index (e->variants, i);
      JsonObject *c = json_array_get_object_element (vs, i);

      g_assert_cmpstr (v->label, ==, json_object_get_string_member (c, "label"));
      g_assert_cmpint (v->flops, ==, json_object_get_int_member (c, "flops"));
      g_assert_cmpint (v->bytes, ==, json_object_get_int_member (c, "memory_access_bytes"));
      g_assert_cmpfloat (v->lat.median, >, 0);
    }
  check_parnet_table (page, cli);
  if (shot)
    {
      g_autofree char *path = g_strdup_printf ("%.*s-guidelines.png",
                                               (int) (strlen (shot) - 4), shot);

      g_autofree char *table = g_strdup_printf ("%.*s-parnet-table.png",
                                                (int) (strlen (shot) - 4), shot);

      g_assert_true (nd_guideline_page_run (page, "depth-width", 128, 28, 5, NULL));
      for (gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;
           g_get_monotonic_time () < until;)
        g_main_context_iteration (NULL, FALSE);
      ui_render_png (win, path);
      /* ParNet's table at 224, as the page runs it */
      g_assert_true (nd_guideline_page_run (page, "parnet-table", 0, 224, 5, NULL));
      for (gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;
           g_get_monotonic_time () < until;)
        g_main_context_iteration (NULL, FALSE);
      ui_render_png (win, table);
    }
  gtk_window_destroy (GTK_WINDOW (win));
}

static void
wait_measured (NdCompareSides *sides)
{
  gint64 until = g_get_monotonic_time () + 300 * G_USEC_PER_SEC;

  while (nd_compare_sides_is_busy (sides) && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (nd_compare_sides_is_busy (sides));
}

static void
iterate_for (double seconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

/* The first @n comma-separated fields of @line, joined again. */
static char *
fields (const char *line, int n)
{
  g_auto(GStrv) f = g_strsplit (line, ",", -1);
  GString *s = g_string_new (NULL);

  g_assert_cmpuint (g_strv_length (f), >=, (guint) n);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", f[i]);
  return g_string_free (s, FALSE);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The window's table against `nondeep-cli compare --per-block --csv` for the same models:
 * stage, position and both block names exactly; ms loosely, since the CLI measures again on a
 * machine whose load changes between the two runs (under a parallel test suite a whole run
 * can be several times slower, and a stalled worker thread makes single blocks 10× slower):
 * the ratio window/CLI, taken per block, has its median within 1/20–20 (a unit or column
 * mix-up fails) and three blocks in four within 3× of that median. */
static void
check_sides_against_cli (const char *table_csv)
{
  const char *cli = g_getenv ("ND_TEST_CLI");
  const char *argv[] = { cli, "compare", "--models", "parnet-s,resnet-18", "--per-block",
                         "--resolution", "64", "--fused", "--iters", "5", "--csv", NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) c = NULL, w = NULL;
  g_autoptr(GArray) ratios = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) sorted = NULL;
  double median;
  guint n_close = 0;

  if (cli == NULL)
    {
      g_test_skip ("ND_TEST_CLI not set (run through meson test)");
      return;
    }
  out = run_cli (argv);
  c = g_strsplit (g_strstrip (out), "\n", -1);
  w = g_strsplit (table_csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (c), ==, g_strv_length (w));
  for (guint i = 1; c[i] != NULL; i++)
    {
      g_auto(GStrv) cf = g_strsplit (c[i], ",", -1);
      g_auto(GStrv) wf = g_strsplit (w[i], ",", -1);
      g_autofree char *cs = fields (c[i], 4), *ws = fields (w[i], 4);

      g_test_message ("CLI %s | window %s", c[i], w[i]);
      g_assert_cmpstr (ws, ==, cs);
      for (int side = 0; side < 2; side++)
        {
          const char *wms = wf[4 + side], *cms = cf[4 + side];
          double v = g_ascii_strtod (wms, NULL), cv = g_ascii_strtod (cms, NULL);

          g_assert_cmpint (*wms == '\0', ==, *cms == '\0');   /* unmatched on both or neither */
          if (*wms == '\0')
            continue;
          if (cv > 0.02 && v > 0.02)   /* above the µs clock's resolution */
            {
              double r = v / cv;

              g_array_append_val (ratios, r);
            }
        }
    }
  g_assert_cmpuint (ratios->len, >, 10);
  sorted = g_array_copy (ratios);
  g_array_sort (sorted, cmp_double);
  median = g_array_index (sorted, double, sorted->len / 2);
  g_assert_cmpfloat (median, >, 1.0 / 20);
  g_assert_cmpfloat (median, <, 20);
  for (guint i = 0; i < ratios->len; i++)
    n_close += fabs (log (g_array_index (ratios, double, i) / median)) <= log (3);
  g_test_message ("window/CLI per block: median %.2f, %u of %u within 3× of it", median, n_close,
                  ratios->len);
  g_assert_cmpuint (n_close * 4, >=, ratios->len * 3);
}

static void
sides_screenshot (GtkWidget *win, const char *shot, gboolean dark)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  int w = 0, h = 0;
  g_autofree char *path = NULL;

  gtk_window_get_default_size (GTK_WINDOW (win), &w, &h);
  path = g_strdup_printf ("%.*s-side-by-side-%dx%d-%s.png", (int) (strlen (shot) - 4), shot,
                          w, h, dark ? "dark" : "light");

  adw_style_manager_set_color_scheme (manager, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                    : ADW_COLOR_SCHEME_FORCE_LIGHT);
  iterate_for (1);
  ui_render_png (win, path);
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

/* Hovering either block of a pair reads out both and their difference; an unmatched block
 * says so; the margin is no block. */
static void
check_sides_hover (NdCompareSides *sides, const NdLabBlockDiff *d)
{
  const NdLabBlockPair *matched = NULL, *unmatched = NULL;
  const char *text;
  double x, y;

  for (int i = 0; i < d->n_pairs; i++)
    {
      if (matched == NULL && d->pairs[i].a >= 0 && d->pairs[i].b >= 0)
        matched = &d->pairs[i];
      if (unmatched == NULL && (d->pairs[i].a < 0 || d->pairs[i].b < 0))
        unmatched = &d->pairs[i];
    }
  g_assert_nonnull (matched);
  g_assert_nonnull (unmatched);
  for (int s = 0; s < 2; s++)
    {
      const NdLabBlock *blk = &d->side[s].blocks[s == 0 ? matched->a : matched->b];
      g_autofree char *diff = g_strdup_printf ("A − B %+.3f ms", matched->diff_ms);

      g_assert_true (nd_compare_sides_block_center (sides, s, blk->block, &x, &y));
      text = nd_compare_sides_hover (sides, s, x, y);
      g_assert_nonnull (text);
      g_test_message ("hover %s: %s", blk->block, text);
      g_assert_nonnull (strstr (text, diff));
      g_assert_nonnull (strstr (text, d->side[0].blocks[matched->a].block));
      g_assert_nonnull (strstr (text, d->side[1].blocks[matched->b].block));
    }
  {
    int s = unmatched->a >= 0 ? 0 : 1;
    const NdLabBlock *blk = &d->side[s].blocks[s == 0 ? unmatched->a : unmatched->b];

    g_assert_true (nd_compare_sides_block_center (sides, s, blk->block, &x, &y));
    text = nd_compare_sides_hover (sides, s, x, y);
    g_assert_nonnull (text);
    g_assert_nonnull (strstr (text, "unmatched"));
  }
  g_assert_null (nd_compare_sides_hover (sides, 0, 1, 1));   /* the margin: no block */
}

/* One depth axis: A's and B's first blocks (depth 1) share a column, before and after a zoom
 * over either graph, which moves both. */
static void
check_sides_zoom (NdCompareSides *sides)
{
  double ax0, ay0, bx0, by0, ax1, ay1, bx1, by1;

  g_assert_true (nd_compare_sides_block_center (sides, 0, "inits.0.0", &ax0, &ay0));
  g_assert_true (nd_compare_sides_block_center (sides, 1, "stem", &bx0, &by0));
  g_assert_cmpfloat_with_epsilon (ax0, bx0, 0.5);
  nd_compare_sides_scroll (sides, 1, -1);
  nd_compare_sides_scroll (sides, 1, -1);
  g_assert_true (nd_compare_sides_block_center (sides, 0, "inits.0.0", &ax1, &ay1));
  g_assert_true (nd_compare_sides_block_center (sides, 1, "stem", &bx1, &by1));
  g_assert_cmpfloat_with_epsilon (ax1, bx1, 0.5);
  g_assert_cmpfloat (fabs (ax1 - ax0), >, 5);
  nd_compare_sides_scroll (sides, 0, 1);
  nd_compare_sides_scroll (sides, 0, 1);
  g_assert_true (nd_compare_sides_block_center (sides, 0, "inits.0.0", &ax1, &ay1));
  g_assert_cmpfloat_with_epsilon (ax1, ax0, 0.5);   /* zoomed back out: where it was */
}

/* The table shows the shared computation's pairs, exactly, in stage order; sorted by A − B
 * ms descending, the largest come first and the unmatched rows last. */
static void
check_sides_table (NdCompareSides *sides, const NdLabBlockDiff *d)
{
  g_autofree char *table = NULL, *shared = NULL, *sorted = NULL;
  g_auto(GStrv) rows = NULL, trows = NULL, srows = NULL;
  double prev = G_MAXDOUBLE;
  gboolean blank = FALSE;

  nd_compare_sides_sort_table (sides, 0, FALSE);
  table = nd_compare_sides_get_table_csv (sides);
  shared = nd_lab_block_diff_csv (d);
  rows = g_strsplit (g_strstrip (shared), "\n", -1);
  trows = g_strsplit (g_strstrip (table), "\n", -1);
  g_assert_cmpuint (g_strv_length (trows), ==, d->n_pairs + 1);
  for (guint i = 1; rows[i] != NULL; i++)
    {
      g_autofree char *a = fields (rows[i], 8);

      g_assert_cmpstr (trows[i], ==, a);
    }
  nd_compare_sides_sort_table (sides, 5, TRUE);
  sorted = nd_compare_sides_get_table_csv (sides);
  srows = g_strsplit (g_strstrip (sorted), "\n", -1);
  for (guint i = 1; srows[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (srows[i], ",", -1);

      if (*f[6] == '\0')
        blank = TRUE;
      else
        {
          g_assert_false (blank);
          g_assert_cmpfloat (g_ascii_strtod (f[6], NULL), <=, prev);
          prev = g_ascii_strtod (f[6], NULL);
        }
    }
  g_assert_true (blank);
  nd_compare_sides_sort_table (sides, 0, FALSE);
}

/* Side by side: ParNet-S against ResNet-18 measured block by block off the main thread
 * (cancellable), both graphs drawn, the hover readout gives A − B, the table sorts and
 * equals the shared computation, and the CLI reproduces it. */
static void
test_side_by_side (void)
{
  GtkWidget *win = nd_compare_window_new (NULL);
  NdCompareSides *sides = ND_COMPARE_SIDES (nd_compare_window_show_sides (
                                              ND_COMPARE_WINDOW (win)));
  const char *shot = g_getenv ("ND_COMPARE_SCREENSHOT");
  const NdLabBlockDiff *d;
  double x, y;
  int w = 1280, h = 720;

  if (g_getenv ("ND_COMPARE_SIZE") != NULL)
    g_assert_cmpint (sscanf (g_getenv ("ND_COMPARE_SIZE"), "%dx%d", &w, &h), ==, 2);
  gtk_window_set_default_size (GTK_WINDOW (win), w, h);
  gtk_window_present (GTK_WINDOW (win));
  /* cancelled at once: no result, the page says so, and it is not busy any more */
  nd_compare_sides_start (sides, "parnet-s", "resnet-18", 1, 64, TRUE, 200);
  g_assert_true (nd_compare_sides_is_busy (sides));
  nd_compare_sides_cancel (sides);
  wait_measured (sides);
  g_assert_null (nd_compare_sides_get_diff (sides));
  g_assert_true (g_str_has_prefix (nd_compare_sides_get_status (sides), "Cancelled"));
  /* a bad name is a message, not a crash */
  nd_compare_sides_start (sides, "parnet-s", "nope", 1, 64, TRUE, 1);
  wait_measured (sides);
  g_assert_null (nd_compare_sides_get_diff (sides));
  g_assert_null (strstr (nd_compare_sides_get_status (sides), "Cancelled"));

  nd_compare_sides_start (sides, "parnet-s", "resnet-18", 1, shot ? 224 : 64, TRUE, 5);
  g_assert_true (nd_compare_sides_is_busy (sides));
  wait_measured (sides);
  d = nd_compare_sides_get_diff (sides);
  g_assert_nonnull (d);
  g_assert_cmpstr (d->side[0].model, ==, "parnet-s");
  g_assert_cmpint (d->n_matched, >, 3);
  g_assert_cmpint (d->n_pairs, >, d->n_matched);   /* ParNet has more blocks per stage */
  iterate_for (0.5);
  g_assert_cmpuint (nd_compare_sides_get_frames (sides, 0), >, 0);
  g_assert_cmpuint (nd_compare_sides_get_frames (sides, 1), >, 0);
  check_sides_hover (sides, d);
  check_sides_zoom (sides);
  check_sides_table (sides, d);
  if (!shot)
    {
      g_autofree char *table = nd_compare_sides_get_table_csv (sides);

      check_sides_against_cli (g_strstrip (table));
    }
  else
    {
      /* a matched pair outlined in both graphs, as the pointer leaves it */
      g_assert_true (nd_compare_sides_block_center (sides, 0, "streams.1.0", &x, &y));
      g_assert_nonnull (nd_compare_sides_hover (sides, 0, x, y));
      sides_screenshot (win, shot, FALSE);
      sides_screenshot (win, shot, TRUE);
    }
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/compare/pareto", test_pareto);
  g_test_add_func ("/compare/roof-hit", test_roof_hit);
  g_test_add_func ("/compare/measure-export", test_measure_and_export);
  g_test_add_func ("/compare/guidelines", test_guidelines);
  g_test_add_func ("/compare/side-by-side", test_side_by_side);
  return g_test_run ();
}
