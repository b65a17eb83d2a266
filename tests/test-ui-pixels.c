/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nd-colormap.h"
#include "nd-fuse.h"
#include "nd-inspector.h"
#include "nd-render-featuremap.h"
#include "nd-render-gates.h"
#include "nd-render-kernel.h"
#include "ui-fixture.h"

/* What the inspector's views show, read from the picture the window painted, against the
 * numbers the runtime computed (issue 20, item 1): every feature-map cell's colour is the
 * colormap of its activation, every SE gate bar is as tall as its gate value, and the fused
 * kernel's numbers are the weights of the fusion pass. Checked again after the input, the
 * hovered channel and the block change, so a view that stops redrawing fails. */

/* The drawing area the inspector's template names @id. */
static GtkWidget *
find_area (GtkWidget *widget, const char *id)
{
  if (GTK_IS_DRAWING_AREA (widget)
      && g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_area (c, id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* What @widget showed in the last painted frame: its render node as the window keeps it (GTK
 * reuses it until the widget asks for a redraw), drawn to an image of the widget's size. */
static cairo_surface_t *
shown (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  graphene_rect_t b;
  cairo_t *cr = cairo_create (s);

  g_assert_true (gtk_widget_compute_bounds (widget, parent, &b));
  gtk_widget_snapshot_child (parent, widget, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  cairo_translate (cr, -b.origin.x, -b.origin.y);
  gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  return s;
}

static guint32
pixel (cairo_surface_t *s, int x, int y)
{
  return ((guint32 *) (cairo_image_surface_get_data (s)
                       + y * cairo_image_surface_get_stride (s)))[x] & 0xffffff;
}

/* The largest difference of one colour channel. */
static int
channel_diff (guint32 a, guint32 b)
{
  int d = 0;

  for (int shift = 0; shift <= 16; shift += 8)
    d = MAX (d, abs ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff)));
  return d;
}

static void
save (cairo_surface_t *s, const char *name)
{
  g_autofree char *file = g_strdup_printf ("ui-pixels-%s.png", name);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);

  cairo_surface_write_to_png (s, path);
  g_test_message ("wrote %s", path);
}

/* Waits for a few painted frames. */
static void
frames (Fixture *f, int n)
{
  guint64 target = f->painted + n;

  WAIT_UNTIL (f->painted >= target, 10);
}

static int
compare_floats (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

/* The scale the feature-map view documents: the 1st and 99th percentiles of up to 4096
 * evenly spaced finite activations. */
static void
percentiles (const NdTensor *t, float *lo, float *hi)
{
  g_autoptr(GArray) a = g_array_new (FALSE, FALSE, sizeof (float));
  gint64 step = MAX (t->numel / 4096, 1);

  for (gint64 i = 0; i < t->numel && a->len < 4096; i += step)
    if (isfinite (t->data[i]))
      g_array_append_val (a, t->data[i]);
  g_assert_cmpuint (a->len, >, 1);
  g_array_sort (a, compare_floats);
  *lo = g_array_index (a, float, (int) (0.01 * (a->len - 1)));
  *hi = g_array_index (a, float, (int) (0.99 * (a->len - 1)));
}

/* Every cell of the feature-map grid, at its pixels inside the channel's tile and away from
 * the hovered cell's outline @mark, has the viridis colour of its activation in @t (±1 per
 * channel). Returns the number of cells checked. */
static int
assert_fmap_shows (GtkWidget *area, const NdTensor *t, const NdFeatureCell *mark)
{
  cairo_surface_t *s = shown (area);
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  int C = (int) t->shape[1], H = (int) t->shape[2], W = (int) t->shape[3];
  g_autofree gboolean *seen = g_new0 (gboolean, (gsize) C * H * W);
  NdRenderStyle style;
  float lo, hi;
  int wrong = 0, cells = 0;

  nd_render_style_init (&style, FALSE);
  percentiles (t, &lo, &hi);
  g_assert_cmpfloat (hi, >, lo);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        NdFeatureCell c, n;
        gboolean inside = nd_render_featuremap_cell_at (t, w, h, &style, x + 0.5, y + 0.5, &c);
        int idx;
        float v;
        guint32 want;

        /* The tile is one image scaled with the nearest filter: a pixel inside it has the
         * colour of the cell at its centre. Its corners in the tile keep off the blended
         * tile edge; ±0.25 px in the same cell, off the boundaries where the filter's
         * rounding may pick the neighbour. */
        for (int k = 0; inside && k < 8; k++)
          {
            double d = k < 4 ? 0.49 : 0.25;

            inside = nd_render_featuremap_cell_at (t, w, h, &style, x + 0.5 + (k & 1 ? d : -d),
                                                   y + 0.5 + (k & 2 ? d : -d), &n)
                     && n.channel == c.channel && (k < 4 || memcmp (&n, &c, sizeof c) == 0);
          }
        if (!inside
            || (c.channel == mark->channel && abs (c.y - mark->y) <= 1
                && abs (c.x - mark->x) <= 1))
          continue;
        idx = (c.channel * H + c.y) * W + c.x;
        v = t->data[idx];
        want = nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, (v - lo) / (hi - lo));
        cells += !seen[idx];
        seen[idx] = TRUE;
        if (channel_diff (pixel (s, x, y), want) > 1 && wrong++ < 5)
          g_test_message ("(%d, %d): channel %d row %d column %d = %g shows #%06x, not #%06x",
                          x, y, c.channel, c.y, c.x, v, pixel (s, x, y), want);
      }
  g_test_message ("feature maps %d×%d×%d in %d×%d px: %d cells checked, %d pixels wrong", C, H,
                  W, w, h, cells, wrong);
  if (wrong > 0)
    save (s, "fmap");
  cairo_surface_destroy (s);
  g_assert_cmpint (wrong, ==, 0);
  /* all but the few cells around the outline */
  g_assert_cmpint (cells, >=, C * H * W - 9);
  return cells;
}

/* The SE gate chart with axes (the inspector's pane is wide enough): each bar, down the middle
 * of its column, is as tall as its gate value (to the pixel: the top row is partly covered). */
static void
assert_gates_show (GtkWidget *area, const float *v, int n, double max)
{
  cairo_surface_t *s = shown (area);
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  /* the chart's documented plot area with axes: 38 px of values left, 16 px above and below */
  double x0 = 38, x1 = w - 4, top = 16, base = h - 16, bw = (x1 - x0) / n, gap = bw >= 4 ? 1 : 0;
  NdRenderStyle style;
  guint32 accent;
  int wrong = 0;

  nd_render_style_init (&style, FALSE);
  accent = ((guint32) lround (style.accent[0] * 255) << 16)
           | ((guint32) lround (style.accent[1] * 255) << 8)
           | (guint32) lround (style.accent[2] * 255);
  g_assert_cmpint (w, >=, 160);
  g_assert_cmpint (h, >=, 96);
  g_assert_cmpfloat (bw - gap, >=, 2);
  for (int i = 0; i < n; i++)
    {
      int xc = (int) floor (x0 + i * bw + (bw - gap) / 2);
      double bh = (base - top) * CLAMP (v[i], 0, max) / max;
      int ytop = (int) base;

      g_assert_cmpint (nd_render_gates_index_at_full (n, w, h, xc + 0.5), ==, i);
      for (int y = (int) top; y < base; y++)
        if (channel_diff (pixel (s, xc, y), accent) <= 1)
          {
            ytop = y;
            break;
          }
      if (fabs ((base - ytop) - bh) > 1 && wrong++ < 5)
        g_test_message ("gate %d = %g: bar %g px tall, drawn %d px", i, v[i], bh,
                        (int) base - ytop);
    }
  g_test_message ("%d gates (max %g) in %d×%d px, %d bars wrong", n, max, w, h, wrong);
  if (wrong > 0)
    save (s, "gates");
  cairo_surface_destroy (s);
  g_assert_cmpint (wrong, ==, 0);
}

/* Each cell of the fused matrix, near its top-left corner (off its number and border), has
 * the diverging colour of @fw over the largest |value| the view shows (the branches' scaled
 * weights included). The geometry is the view's: three matrices of 4.2 cells across, centred,
 * below a title line; the view's own hit-test agrees. */
static void
assert_kernel_colours (GtkWidget *area, NdInferenceResult *r, const char *block, int out,
                       const float *fw)
{
  cairo_surface_t *s = shown (area);
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  double vmax = 1e-6, cell, x0, y0;
  NdKernelSteps steps;
  NdRenderStyle style;
  int wrong = 0;

  nd_render_style_init (&style, FALSE);
  g_assert_true (nd_kernel_steps_compute (r->training, block, out, 0, &steps, NULL));
  g_assert_false (steps.has_identity);
  for (int k = 0; k < 9; k++)
    vmax = MAX (vmax, MAX (fabs (steps.dense[k] * steps.scale_dense),
                           MAX (fabs (steps.one[k] * steps.scale_one), fabs (fw[k]))));
  cell = MIN ((w - 8) / (3 * 3 + 2 * 1.2), (h - 5 * style.font_size - 8) / 3);
  x0 = (w - cell * (3 * 3 + 2 * 1.2)) / 2 + 2 * 4.2 * cell;
  y0 = style.font_size * 1.6;
  for (int k = 0; k < 9; k++)
    {
      int px = (int) (x0 + (k % 3) * cell + 2), py = (int) (y0 + (k / 3) * cell + 2);
      guint32 want = nd_colormap_rgb24 (ND_COLORMAP_DIVERGING, 0.5 + 0.5 * fw[k] / vmax);
      g_autofree char *where = nd_render_kernel_value_at (&steps, w, h, &style, px, py);
      g_autofree char *cell_name = g_strdup_printf ("row %d, column %d", k / 3, k % 3);

      g_assert_nonnull (where);
      g_assert_nonnull (strstr (where, cell_name));
      if (channel_diff (pixel (s, px, py), want) > 1 && wrong++ < 5)
        g_test_message ("fused[%d] = %g at (%d, %d) shows #%06x, not #%06x", k, fw[k], px, py,
                        pixel (s, px, py), want);
    }
  if (wrong > 0)
    save (s, "kernel");
  cairo_surface_destroy (s);
  g_assert_cmpint (wrong, ==, 0);
}

/* The numbers printed in the fused 3×3 matrix (the last nine the view laid out) are the
 * weights nd_fuse_graph gives output channel @out, input channel 0, to their two decimals;
 * the cells' colours are theirs too. */
static void
assert_kernel_shows (GtkWidget *area, NdInferenceResult *r, const char *block, int out)
{
  g_auto(GStrv) drawn = nd_render_kernel_drawn_numbers ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) fused = nd_fuse_graph (r->training, &error);
  g_autofree char *key = g_strdup_printf ("%s.block.rbr_dense.weight", block);
  guint n = g_strv_length (drawn);
  NdTensor *fw;

  g_assert_no_error (error);
  fw = nd_graph_lookup_weight (fused, key);
  g_assert_nonnull (fw);
  g_test_message ("kernel view of %s, out %d: %u numbers", block, out, n);
  /* 3×3 · BN, 1×1 · BN and the fused 3×3 (ParNet's gated identity is not fused) */
  g_assert_cmpuint (n, ==, 27);
  for (int k = 0; k < 9; k++)
    {
      const char *text = drawn[n - 9 + k];
      double want = fw->data[(out * fw->shape[1] + 0) * 9 + k];
      char *end = NULL;
      double got = g_ascii_strtod (text, &end);

      if (fabs (got - want) > 0.005 + 1e-6)
        g_test_message ("fused[%d]: drawn “%s”, weight %.6f", k, text, want);
      g_assert_true (end != text && *end == '\0');
      g_assert_cmpfloat (fabs (got - want), <=, 0.005 + 1e-6);
    }
  assert_kernel_colours (area, r, block, out, fw->data + (out * fw->shape[1] + 0) * 9);
}

/* The three views of @block against @r, with the hovered cell @mark. */
static void
assert_inspector_shows (GtkWidget *inspector, NdInferenceResult *r, const char *block,
                        const NdFeatureCell *mark)
{
  NdTensor *t = nd_inference_result_block_output (r, block, NULL);
  g_autofree float *gates = NULL;
  double max = 0;
  int n = 0;

  g_assert_nonnull (t);
  g_assert_cmpint (t->ndim, ==, 4);
  gates = nd_inference_result_gates (r, block, &n, &max);
  g_assert_nonnull (gates);
  assert_kernel_shows (find_area (inspector, "kernel"), r, block, mark->channel);
  assert_fmap_shows (find_area (inspector, "fmap"), t, mark);
  assert_gates_show (find_area (inspector, "gates"), gates, n, max);
}

static void
pixels_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *image = g_build_filename (ND_SOURCE_ASSETS_DIR, "samples",
                                             "0000-ankle-boot.png", NULL);
  NdWindowOptions o = { .model = "parnet-s", .width = 0.25, .resolution = 64, .lambda = -1,
                        .select = "streams.1.1", .backend = "cpu", .image = image };

  /* large enough for the kernel view to print its numbers (cells of 21 px and up) */
  fixture_setup_sized (f, &o, 1600, 1000);
}

static void
test_inspector_pixels (Fixture *f, gconstpointer data)
{
  GtkWidget *inspector = ui_find_type (GTK_WIDGET (f->window), ND_TYPE_INSPECTOR);
  NdFeatureCell mark = { 2, 1, 1 };
  g_autoptr(NdInferenceResult) before = NULL;
  NdInferenceResult *r;
  NdTensor *t0, *t1;
  double change = 0;

  g_assert_nonnull (inspector);
  g_assert_nonnull (find_area (inspector, "fmap"));
  g_assert_nonnull (find_area (inspector, "gates"));
  g_assert_nonnull (find_area (inspector, "kernel"));
  nd_inspector_set_cell (ND_INSPECTOR (inspector), mark.channel, mark.y, mark.x);
  frames (f, 3);
  before = nd_inference_result_ref (nd_window_get_result (f->window));
  assert_inspector_shows (inspector, before, "streams.1.1", &mark);

  /* The test pattern instead of the sample: new activations and gates, the same weights. */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "test-pattern", NULL);
  WAIT_UNTIL (nd_window_get_result (f->window)->serial > before->serial, 60);
  frames (f, 3);
  r = nd_window_get_result (f->window);
  t0 = nd_inference_result_block_output (before, "streams.1.1", NULL);
  t1 = nd_inference_result_block_output (r, "streams.1.1", NULL);
  for (gint64 i = 0; i < t1->numel; i++)
    change = MAX (change, fabs (t1->data[i] - t0->data[i]));
  g_test_message ("test pattern: block output moved by up to %g", change);
  g_assert_cmpfloat (change, >, 0.1);
  assert_inspector_shows (inspector, r, "streams.1.1", &mark);

  /* Another hovered channel: the kernel view shows that output channel's kernel. */
  mark = (NdFeatureCell) { 5, 0, 2 };
  nd_inspector_set_cell (ND_INSPECTOR (inspector), mark.channel, mark.y, mark.x);
  frames (f, 3);
  assert_inspector_shows (inspector, r, "streams.1.1", &mark);

  /* Another block, through the window's action as a click in the graph does. */
  g_action_group_change_action_state (G_ACTION_GROUP (f->window), "select",
                                      g_variant_new_string ("streams.0.1"));
  /* (the run that captures the new block's activations) */
  WAIT_UNTIL (nd_inference_result_block_output (nd_window_get_result (f->window), "streams.0.1",
                                                NULL) != NULL, 60);
  nd_inspector_set_cell (ND_INSPECTOR (inspector), mark.channel, mark.y, mark.x);
  frames (f, 3);
  assert_inspector_shows (inspector, nd_window_get_result (f->window), "streams.0.1", &mark);
}

int
main (int argc, char **argv)
{
  if (!ui_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add ("/ui/pixels/inspector", Fixture, NULL, pixels_setup, test_inspector_pixels,
              fixture_teardown);
  return g_test_run ();
}
