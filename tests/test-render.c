/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-colormap.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-render-featuremap.h"
#include "nd-render-gates.h"
#include "nd-render-graph.h"
#include "nd-render-kernel.h"
#include "nd-render-latency.h"
#include "nd-render-rf.h"
#include "nd-test-utils.h"

/* Surfaces of failed checks are written to G_TEST_BUILDDIR for a look. */
static void
save_on_failure (cairo_surface_t *s, const char *name)
{
  g_autofree char *file = g_strdup_printf ("render-%s.png", name);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);

  cairo_surface_write_to_png (s, path);
}

static guint32
pixel (cairo_surface_t *s, int x, int y)
{
  guint8 *data = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);

  cairo_surface_flush (s);
  return ((guint32 *) (data + y * stride))[x] & 0xffffff;
}

static double
color_dist (guint32 a, guint32 b)
{
  int dr = (int) ((a >> 16) & 0xff) - (int) ((b >> 16) & 0xff);
  int dg = (int) ((a >> 8) & 0xff) - (int) ((b >> 8) & 0xff);
  int db = (int) (a & 0xff) - (int) (b & 0xff);

  return sqrt (dr * dr + dg * dg + db * db);
}

static guint32
rgba24 (const double *c)
{
  return ((guint32) lround (c[0] * 255) << 16) | ((guint32) lround (c[1] * 255) << 8)
         | (guint32) lround (c[2] * 255);
}

static NdGraph *
small_parnet (int streams, gboolean fused)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;

  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, &error));
  spec.width = 0.125;
  spec.resolution = 64;
  spec.streams = streams;
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (g, 7);
  if (fused)
    {
      NdGraph *f = nd_fuse_graph (g, &error);

      g_assert_no_error (error);
      return f;
    }
  return g_steal_pointer (&g);
}

static void
test_colormap (void)
{
  double r, g, b;

  nd_colormap_rgb (ND_COLORMAP_VIRIDIS, 0, &r, &g, &b);
  g_assert_cmpfloat_with_epsilon (r, 0.267, 1e-6);
  nd_colormap_rgb (ND_COLORMAP_VIRIDIS, 5, &r, &g, &b);   /* clamped to the top */
  g_assert_cmpfloat_with_epsilon (g, 0.906, 1e-6);
  nd_colormap_rgb (ND_COLORMAP_VIRIDIS, NAN, &r, &g, &b);
  g_assert_cmpfloat_with_epsilon (r, 0.267, 1e-6);
  nd_colormap_rgb (ND_COLORMAP_DIVERGING, 0.5, &r, &g, &b);
  g_assert_cmpfloat_with_epsilon (r, 0.969, 1e-6);
  g_assert_cmpuint (nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, 1), ==, 0xfde725);
}

/* Odd sizes, 5 channels of 7×3: the hottest cell has the colormap's top colour, the coldest its
 * bottom, and the probe goes through the hit-test so the two agree. */
/* The table the feature maps draw from is the colormap to ±1 per channel, exact at the ends. */
static void
test_colormap_table (void)
{
  const guint32 *table = nd_colormap_table (ND_COLORMAP_VIRIDIS);

  g_assert_cmpuint (table[nd_colormap_index (0)], ==, nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, 0));
  g_assert_cmpuint (table[nd_colormap_index (1)], ==, nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, 1));
  g_assert_cmpuint (table[nd_colormap_index (NAN)], ==, table[0]);
  g_assert_cmpuint (table[nd_colormap_index (7)], ==, table[ND_COLORMAP_TABLE_SIZE - 1]);
  for (int i = 0; i <= 10000; i++)
    {
      float t = i / 10000.0f;
      guint32 a = table[nd_colormap_index (t)], b = nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, t);

      for (int sh = 0; sh < 24; sh += 8)
        g_assert_cmpint (abs ((int) ((a >> sh) & 255) - (int) ((b >> sh) & 255)), <=, 1);
    }
}

/* Cells smaller than a pixel: each pixel shows the mean of the cells under it, not whichever
 * one a sampler hits. A one-cell checkerboard of 0 and 1 at half size is 0.5 everywhere. */
static void
test_featuremap_small_cells (void)
{
  g_autoptr(NdTensor) t = nd_tensor_new_4d (1, 1, 64, 64);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 32, 32);
  cairo_t *cr = cairo_create (s);
  guint32 mid = nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, 0.5);
  NdRenderStyle style;
  int wrong = 0;

  nd_render_style_init (&style, FALSE);
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++)
      t->data[y * 64 + x] = (x + y) % 2;
  nd_render_featuremap_channel (cr, t, 0, 32, 32, &style);
  cairo_destroy (cr);
  for (int y = 0; y < 32; y++)
    for (int x = 0; x < 32; x++)
      wrong += color_dist (pixel (s, x, y), mid) > 2;
  if (wrong)
    save_on_failure (s, "featuremap-small-cells");
  cairo_surface_destroy (s);
  g_assert_cmpint (wrong, ==, 0);
}

static void
test_featuremap (void)
{
  g_autoptr(NdTensor) t = nd_test_random_input (1, 5, 7, 3, 11);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 203, 131);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  int hot = 0, cold = 0, found_hot = 0, found_cold = 0, misses = 0;

  nd_render_style_init (&style, FALSE);
  for (int i = 0; i < t->numel; i++)
    {
      if (t->data[i] > t->data[hot])
        hot = i;
      if (t->data[i] < t->data[cold])
        cold = i;
    }
  nd_render_featuremap (cr, t, 203, 131, &style);
  for (int y = 0; y < 131; y++)
    for (int x = 0; x < 203; x++)
      {
        NdFeatureCell cell;
        int idx;

        if (!nd_render_featuremap_cell_at (t, 203, 131, &style, x + 0.5, y + 0.5, &cell))
          continue;
        idx = (cell.channel * 7 + cell.y) * 3 + cell.x;
        if (idx == hot)
          {
            found_hot++;
            if (pixel (s, x, y) != 0xfde725)
              misses++;
          }
        if (idx == cold)
          {
            found_cold++;
            if (pixel (s, x, y) != nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, 0))
              misses++;
          }
      }
  if (misses)
    save_on_failure (s, "featuremap");
  g_assert_cmpint (found_hot, >, 4);
  g_assert_cmpint (found_cold, >, 4);
  g_assert_cmpint (misses, ==, 0);
  /* A 1×1 map and a point outside. */
  {
    g_autoptr(NdTensor) one = nd_test_random_input (1, 1, 1, 1, 3);
    NdFeatureCell cell;

    nd_render_featuremap (cr, one, 203, 131, &style);
    g_assert_false (nd_render_featuremap_cell_at (one, 203, 131, &style, -3, 5, &cell));
    g_assert_true (nd_render_featuremap_cell_at (one, 203, 131, &style, 101, 65, &cell));
    g_assert_cmpint (cell.channel, ==, 0);
  }
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static gboolean
has_color_near (cairo_surface_t *s, int x0, int y0, int x1, int y1, guint32 c, double tol)
{
  for (int y = MAX (y0, 0); y <= MIN (y1, cairo_image_surface_get_height (s) - 1); y++)
    for (int x = MAX (x0, 0); x <= MIN (x1, cairo_image_surface_get_width (s) - 1); x++)
      if (color_dist (pixel (s, x, y), c) <= tol)
        return TRUE;
  return FALSE;
}

/* A lane per stream (ordered top to bottom), the longest path outlined in the highlight
 * colour, the slowest block filled with the latency colormap's top, hit-testing and zoom. */
static void
test_graph_lanes (gconstpointer data)
{
  int streams = GPOINTER_TO_INT (data);
  g_autoptr(NdGraph) g = small_parnet (streams, FALSE);
  g_autoptr(GPtrArray) path = nd_render_graph_longest_path (g);
  g_autofree double *op_ms = g_new0 (double, nd_graph_n_nodes (g));
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 1100, 420);
  cairo_t *cr = cairo_create (s);
  NdRenderGraphData d = { g, op_ms, NULL };
  NdRenderStyle style;
  double prev_y = -1, x, y, w, h;
  const char *off_path = NULL, *on_path = NULL;
  int top_pixels = 0, area = 0;
  gboolean ok = TRUE;
  char name[32];

  nd_render_style_init (&style, FALSE);
  g_assert_cmpint (nd_render_graph_n_lanes (g), ==, streams);
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    if (g_strcmp0 (nd_graph_node (g, i)->block, "streams.0.1") == 0)
      op_ms[i] = 5;   /* the slowest block */
    else
      op_ms[i] = 0.01;
  nd_render_graph (cr, &d, 1100, 420, &style);
  g_snprintf (name, sizeof name, "graph-%d", streams);
  save_on_failure (s, name);   /* always: the picture is handy to look at */

  for (int s_i = 0; s_i < streams; s_i++)
    {
      g_snprintf (name, sizeof name, "streams.%d.0", s_i);
      g_assert_true (nd_render_graph_block_rect (&d, 1100, 420, &style, name, &x, &y, &w, &h));
      if (s_i > 0)
        g_assert_cmpfloat (y, >, prev_y + h / 2);
      prev_y = y;
      g_assert_cmpstr (nd_render_graph_block_at (&d, 1100, 420, &style, x + w / 2, y + h / 2),
                       ==, name);
    }
  g_assert_null (nd_render_graph_block_at (&d, 1100, 420, &style, 2, 2));

  /* The path runs from the stem to the head, through the longest stream. */
  g_assert_cmpuint (path->len, >=, 6);
  g_assert_cmpstr (g_ptr_array_index (path, 0), ==, "inits.0.0");
  g_assert_cmpstr (g_ptr_array_index (path, path->len - 1), ==, "head");
  for (guint i = 0; i < path->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (path, i), "streams."))
      on_path = g_ptr_array_index (path, i);
  g_assert_nonnull (on_path);
  g_snprintf (name, sizeof name, "streams.%d.0", streams == 1 ? 0 : 0);
  for (guint i = 0; i < path->len && streams > 1; i++)
    g_assert_cmpstr (g_ptr_array_index (path, i), !=, "streams.0.0");
  off_path = streams > 1 ? "streams.0.0" : NULL;

  g_assert_true (nd_render_graph_block_rect (&d, 1100, 420, &style, on_path, &x, &y, &w, &h));
  ok &= has_color_near (s, x + 4, y - 1, x + w - 4, y + 1, rgba24 (style.highlight), 40);
  if (off_path)
    {
      g_assert_true (nd_render_graph_block_rect (&d, 1100, 420, &style, off_path, &x, &y, &w,
                                                 &h));
      ok &= !has_color_near (s, x + 4, y - 1, x + w - 4, y + 1, rgba24 (style.highlight), 40);
    }

  g_assert_true (nd_render_graph_block_rect (&d, 1100, 420, &style, "streams.0.1", &x, &y, &w,
                                             &h));
  for (int yy = (int) y + 2; yy < y + h - 2; yy++)
    for (int xx = (int) x + 2; xx < x + w - 2; xx++)
      {
        area++;
        top_pixels += pixel (s, xx, yy) == nd_colormap_rgb24 (ND_COLORMAP_LATENCY, 1);
      }
  ok &= top_pixels > area / 20;
  /* Only the slowest block has the top colour. */
  g_assert_true (nd_render_graph_block_rect (&d, 1100, 420, &style, "streams.0.2", &x, &y, &w,
                                             &h));
  ok &= !has_color_near (s, x, y, x + w, y + h, nd_colormap_rgb24 (ND_COLORMAP_LATENCY, 1), 0);
  if (!ok)
    save_on_failure (s, "graph");
  g_assert_true (ok);

  /* Zoom 2 about the origin: the same block is hit at twice the coordinates. */
  style.zoom = 2;
  style.pan_x = -10;
  {
    double x2, y2, w2, h2;

    style.zoom = 1;
    style.pan_x = 0;
    nd_render_graph_block_rect (&d, 1100, 420, &style, "inits.0.0", &x, &y, &w, &h);
    style.zoom = 2;
    style.pan_x = -10;
    nd_render_graph_block_rect (&d, 1100, 420, &style, "inits.0.0", &x2, &y2, &w2, &h2);
    g_assert_cmpfloat_with_epsilon (x2, 2 * x - 10, 1e-9);
    g_assert_cmpfloat_with_epsilon (w2, 2 * w, 1e-9);
    g_assert_cmpstr (nd_render_graph_block_at (&d, 1100, 420, &style, x2 + 1, y2 + 1), ==,
                     "inits.0.0");
  }
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* Runs of branch-strip pixels down a column near the box's right edge. */
static int
count_strips (cairo_surface_t *s, double x, double y, double w, double h)
{
  guint32 fill = pixel (s, (int) (x + w - 2), (int) (y + h / 2));
  gboolean in = FALSE;
  int runs = 0;

  for (int yy = (int) y + 2; yy < y + h - 2; yy++)
    {
      gboolean strip = color_dist (pixel (s, (int) (x + w - 5), yy), fill) > 20;

      runs += strip && !in;
      in = strip;
    }
  return runs;
}

/* The training form shows branch rows (white strips) inside a block, the fused form does not
 * and has fewer nodes per block. */
static void
test_graph_fused (void)
{
  g_autoptr(NdGraph) train = small_parnet (3, FALSE);
  g_autoptr(NdGraph) fused = small_parnet (3, TRUE);
  NdRenderStyle style;
  NdRenderGraphData dt = { train, NULL, NULL }, df = { fused, NULL, NULL };
  g_autoptr(GPtrArray) st = nd_graph_block_stats (train);
  g_autoptr(GPtrArray) sf = nd_graph_block_stats (fused);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 1100, 420);
  cairo_t *cr = cairo_create (s);
  double x, y, w, h;
  int strips_t = 0, strips_f = 0;

  nd_render_style_init (&style, FALSE);
  g_assert_cmpuint (st->len, ==, sf->len);
  nd_render_graph (cr, &dt, 1100, 420, &style);
  g_assert_true (nd_render_graph_block_rect (&dt, 1100, 420, &style, "streams.1.1", &x, &y, &w,
                                             &h));
  /* The strips are white at 55 % over the grey fill. */
  strips_t = count_strips (s, x, y, w, h);
  nd_render_graph (cr, &df, 1100, 420, &style);
  g_assert_true (nd_render_graph_block_rect (&df, 1100, 420, &style, "streams.1.1", &x, &y, &w,
                                             &h));
  strips_f = count_strips (s, x, y, w, h);
  if (strips_t != 4 || strips_f != 3)
    save_on_failure (s, "graph-fused");
  /* 3×3, 1×1, identity BN, SE  →  fused 3×3, identity BN (gated, stays), SE. */
  g_assert_cmpint (strips_t, ==, 4);
  g_assert_cmpint (strips_f, ==, 3);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static void
test_gates (void)
{
  const float v[] = { 0.1f, 2.0f, 1.0f, NAN, -1 };
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 108, 60);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  guint32 accent;

  nd_render_style_init (&style, FALSE);
  accent = rgba24 (style.accent);
  nd_render_gates (cr, v, G_N_ELEMENTS (v), 2.0, 108, 60, &style);
  /* Bar 1 (2.0) reaches the top, bar 0 (0.1) does not; bar 2 (1.0) reaches half. */
  g_assert_cmpint (nd_render_gates_index_at (5, 108, 35), ==, 1);
  g_assert_cmpfloat (color_dist (pixel (s, 35, 6), accent), <=, 2);
  g_assert_cmpfloat (color_dist (pixel (s, 14, 6), accent), >, 2);
  g_assert_cmpfloat (color_dist (pixel (s, 14, 54), accent), <=, 2);
  g_assert_cmpfloat (color_dist (pixel (s, 55, 34), accent), <=, 2);
  g_assert_cmpfloat (color_dist (pixel (s, 55, 26), accent), >, 2);
  g_assert_cmpfloat (color_dist (pixel (s, 75, 54), accent), >, 2);   /* NaN draws nothing */
  g_assert_cmpint (nd_render_gates_index_at (5, 108, 200), ==, -1);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* The kernel steps sum to exactly what the fusion pass produced, for a stride-1 block with an
 * identity branch, a stride-2 block with the AvgPool branch, and the fusion module's block. */
static void
test_kernel_steps (void)
{
  g_autoptr(NdGraph) train = small_parnet (3, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) fused = nd_fuse_graph (train, &error);
  const char *blocks[] = { "streams.0.1", "inits.0.0", "streams.1.0", "downsamples_2.1" };
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 400, 160);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;

  g_assert_no_error (error);
  nd_render_style_init (&style, FALSE);
  for (guint b = 0; b < G_N_ELEMENTS (blocks); b++)
    {
      g_autofree char *key = g_strdup_printf ("%s.block.rbr_dense.weight", blocks[b]);
      g_autofree char *bkey = g_strdup_printf ("%s.block.rbr_dense.bias", blocks[b]);
      NdTensor *fw = nd_graph_lookup_weight (fused, key);
      NdTensor *fb = nd_graph_lookup_weight (fused, bkey);
      NdKernelSteps steps;
      int o = 1, i = 0;

      if (fw == NULL)
        {
          /* Fusion modules name their block F.2.block. */
          g_free (key);
          g_free (bkey);
          key = g_strdup_printf ("%s.2.block.rbr_dense.weight", blocks[b]);
          bkey = g_strdup_printf ("%s.2.block.rbr_dense.bias", blocks[b]);
          fw = nd_graph_lookup_weight (fused, key);
          fb = nd_graph_lookup_weight (fused, bkey);
        }
      g_assert_nonnull (fw);
      g_assert_nonnull (fb);
      g_assert_true (nd_kernel_steps_compute (train, blocks[b], o, i, &steps, &error));
      g_assert_no_error (error);
      for (int k = 0; k < 9; k++)
        g_assert_cmpfloat_with_epsilon (steps.fused[k],
                                        fw->data[(o * fw->shape[1] + i) * 9 + k], 1e-5);
      g_assert_cmpfloat_with_epsilon (steps.fused_bias, fb->data[o], 1e-5);
      nd_render_kernel (cr, &steps, 400, 160, &style);
    }
  g_assert_false (nd_kernel_steps_compute (train, "head", 0, 0, &(NdKernelSteps) { 0 },
                                           &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (nd_kernel_steps_compute (train, "streams.0.1", 100000, 0,
                                           &(NdKernelSteps) { 0 }, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static void
test_latency (void)
{
  g_autoptr(NdGraph) g = small_parnet (3, TRUE);
  g_autofree double *op_ms = g_new0 (double, nd_graph_n_nodes (g));
  NdLatencySample hist[] = { { 10, FALSE, 30 }, { 7, TRUE, 0 }, { 12, FALSE, 0 }, { 8, TRUE, 0 } };
  NdRenderLatencyData d = { g, op_ms, 0, 3, hist, G_N_ELEMENTS (hist) };
  double totals[5], sum = 0;
  int n;
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 400, 90);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;

  nd_render_style_init (&style, FALSE);
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    {
      op_ms[i] = 0.1 * (i % 7);
      d.total_ms += op_ms[i];
    }
  n = nd_latency_stream_totals (g, op_ms, totals, 5);
  g_assert_cmpint (n, ==, 4);
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpfloat (totals[i], >, 0);
      sum += totals[i];
    }
  g_assert_cmpfloat_with_epsilon (sum, d.total_ms, 1e-9);

  /* Timeline rows: stream 0's row has stream 0's colour somewhere, the shared row grey. */
  nd_render_latency_timeline (cr, &d, 400, 88, &style);
  g_assert_true (has_color_near (s, 70, 2, 399, 22, 0x3685e3, 2));
  g_assert_true (has_color_near (s, 70, 68, 399, 86, rgba24 (style.muted), 2));
  /* History: both series present. */
  nd_render_latency_history (cr, &d, 400, 90, &style);
  g_assert_true (has_color_near (s, 40, 0, 399, 70, rgba24 (style.fused), 2));
  g_assert_true (has_color_near (s, 40, 0, 399, 70, rgba24 (style.unfused), 2));
  /* The one cold run (30 ms, the maximum) is a ring near the top; warm points are lower. */
  g_assert_true (has_color_near (s, 40, 0, 120, 16, rgba24 (style.unfused), 40));
  g_assert_false (has_color_near (s, 200, 0, 399, 16, rgba24 (style.unfused), 40));
  nd_render_latency (cr, &d, 400, 90, &style);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static void
test_rf_overlay (void)
{
  NdReceptiveField rf = { .x0 = 0, .y0 = 10, .x1 = 19, .y1 = 29, .width = 25, .height = 20 };
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 100, 120);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  guint32 inside, outside;

  nd_render_style_init (&style, FALSE);
  /* 50×50 input at scale 2 (100 px wide). */
  nd_render_rf (cr, NULL, 50, 50, &rf, 100, 120, &style);
  inside = pixel (s, 20, 40);
  outside = pixel (s, 70, 80);
  g_assert_cmpuint (inside, !=, outside);
  /* The fill is the accent colour at 30 % over the checkerboard: bluer than outside. */
  g_assert_cmpuint (inside & 0xff, >, (inside >> 16) & 0xff);
  g_assert_true (has_color_near (s, 38, 18, 42, 22, rgba24 (style.accent), 30));
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static int count_ink (cairo_surface_t *s, int x0, int y0, int x1, int y1, guint32 bg);

static NdGraph *
build (const char *name, int resolution, const int *blocks, int n_blocks)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  NdGraph *g;

  g_assert_true (nd_model_spec_parse (name, &spec, &error));
  spec.resolution = resolution;
  spec.width = 0.25;
  for (int i = 0; i < n_blocks; i++)
    spec.blocks[i] = blocks[i];
  if (n_blocks > 0)
    spec.n_blocks = n_blocks;
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  return g;
}

/* ResNet's residual blocks carry an arc over their box (the skip connection): ink of the
 * foreground colour in the band just above the box, where nothing else is drawn; the stem
 * (no shortcut) has none. */
static void
test_graph_resnet_skips (void)
{
  g_autoptr(NdGraph) g = build ("resnet-18", 64, NULL, 0);
  NdRenderGraphData data = { g, NULL, NULL };
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 900, 300);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  const char *blocks[] = { "layer1.0", "layer2.0", "stem" };

  nd_render_style_init (&style, FALSE);
  nd_render_graph (cr, &data, 900, 300, &style);
  save_on_failure (s, "resnet-skips");
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      double x, y, w, h;
      int ink;

      g_assert_true (nd_render_graph_block_rect (&data, 900, 300, &style, blocks[i], &x, &y, &w,
                                                 &h));
      ink = count_ink (s, (int) x + 4, (int) y - 14, (int) (x + w) - 4, (int) y - 2,
                       rgba24 (style.bg));
      g_test_message ("%s: %d px of arc above the box", blocks[i], ink);
      /* The tooltip text: name, the convs' kernels (not the shortcut's 1×1), the shape. */
      if (i == 1)
        {
          g_autofree char *label = nd_render_graph_block_label (&data, blocks[i]);

          g_assert_true (g_str_has_prefix (label, "layer2.0 · conv 3·3 · "));
        }
      if (i < 2)
        g_assert_cmpint (ink, >, 10);
      else
        g_assert_cmpint (ink, ==, 0);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* With blocks 2,3,3 the depth axis ends at the model's depth: the head box sits in the last
 * column, at the right edge, not where ParNet-S's 12th layer would be. */
static void
test_graph_axis_follows_blocks (void)
{
  const int blocks[] = { 2, 3, 3 };
  g_autoptr(NdGraph) g = build ("parnet-s", 64, blocks, 3);
  NdRenderGraphData data = { g, NULL, NULL };
  NdRenderStyle style;
  double x, y, w, h;
  int depth = 0;

  nd_render_style_init (&style, FALSE);
  nd_graph_count (g, NULL, NULL, &depth);
  g_assert_cmpint (depth, <, 12);
  g_assert_true (nd_render_graph_block_rect (&data, 800, 300, &style, "head", &x, &y, &w, &h));
  /* 96 px of lane labels, 12 px right margin; the last column's box ends 17 % of a column
   * before the margin. */
  g_assert_cmpfloat (fabs (x + w - (800 - 12 - 0.17 * (800 - 96 - 12) / depth)), <, 1);
}

/* One channel enlarged: its hottest cell has the top colour at the cell the hit-test gives,
 * on the same scale as the grid (so the grid's coldest channel does not reach the top); the
 * hovered cell's mark is black and white around it. */
static void
test_featuremap_enlarged (void)
{
  g_autoptr(NdTensor) t = nd_test_random_input (1, 4, 6, 5, 21);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 160, 120);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  NdFeatureCell cell, hot = { 2, 0, 0 };
  int plane = 6 * 5, found = 0;

  nd_render_style_init (&style, FALSE);
  /* Channel 2 holds the global maximum. */
  t->data[2 * plane + 3 * 5 + 4] = 50;
  hot.y = 3, hot.x = 4;
  nd_render_featuremap_channel (cr, t, 2, 160, 120, &style);
  for (int y = 0; y < 120; y++)
    for (int x = 0; x < 160; x++)
      if (nd_render_featuremap_channel_cell_at (t, 2, 160, 120, &style, x + 0.5, y + 0.5, &cell)
          && cell.y == hot.y && cell.x == hot.x)
        {
          g_assert_cmpint (cell.channel, ==, 2);
          g_assert_cmpuint (pixel (s, x, y), ==, 0xfde725);
          found++;
        }
  /* 6×5 cells in 160×120: 20 px cells, so the hot cell covers 400 pixels. */
  g_assert_cmpint (found, ==, 400);
  g_assert_false (nd_render_featuremap_channel_cell_at (t, 2, 160, 120, &style, 2, 2, &cell));
  nd_render_featuremap_mark_cell (cr, t, 2, &hot, 160, 120, &style);
  /* The cell spans x 110..130, y 60..80 (centred grid: ox = 30, oy = 0): a white ring just
   * outside it, a black one outside that, the cell's colour inside. */
  g_assert_cmpuint (pixel (s, 108, 70), ==, 0x000000);
  g_assert_cmpuint (pixel (s, 109, 70), ==, 0xffffff);
  g_assert_cmpuint (pixel (s, 120, 70), ==, 0xfde725);
  save_on_failure (s, "featuremap-enlarged");
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* A chart wide enough for axes: value ticks on the left, bars right of them, the hovered bar
 * in the highlight colour, and its readout at the top. In the dark style the background
 * is dark. */
static void
test_gates_axes (void)
{
  float v[8];
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 320, 140);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  int i_hover;

  for (int i = 0; i < 8; i++)
    v[i] = 0.25f * (i + 1) / 2;   /* 0.125 … 1 */
  nd_render_style_init (&style, TRUE);
  nd_render_gates_hover (cr, v, 8, 1.0, 5, 320, 140, &style);
  save_on_failure (s, "gates-axes");   /* always: a look at the chart */
  /* Above the lowest bar: the dark background. */
  g_assert_cmpfloat (color_dist (pixel (s, 55, 40), rgba24 (style.bg)), <=, 2);
  g_assert_cmpuint ((pixel (s, 55, 40) >> 16) & 0xff, <, 60);
  /* The axes leave the first 38 px to the value labels: no bar there, ink of the labels. */
  i_hover = nd_render_gates_index_at_full (8, 320, 140, 38 + 5.5 * (320 - 4 - 38) / 8);
  g_assert_cmpint (i_hover, ==, 5);
  g_assert_cmpint (nd_render_gates_index_at_full (8, 320, 140, 20), ==, -1);
  g_assert_cmpint (count_ink (s, 0, 10, 34, 130, rgba24 (style.bg)), >, 20);
  g_assert_true (has_color_near (s, 38 + 5 * 34.75 + 5, 100, 38 + 5 * 34.75 + 30, 120,
                                 rgba24 (style.highlight), 30));
  g_assert_true (has_color_near (s, 38 + 4 * 34.75 + 5, 100, 38 + 4 * 34.75 + 30, 120,
                                 rgba24 (style.accent), 30));
  /* The readout "channel 5 · gate 0.7500" in the top strip, right-aligned. */
  g_assert_cmpint (count_ink (s, 200, 0, 316, 15, rgba24 (style.bg)), >, 30);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

/* The kernel view's value under the pointer is the value of the matrix cell drawn there:
 * probed over a grid of points, every hit names a matrix and a cell whose value matches, the
 * fused matrix's centre among them; a point off the matrices gives none. */
static void
test_kernel_value_at (void)
{
  g_autoptr(NdGraph) train = small_parnet (3, FALSE);
  g_autoptr(GError) error = NULL;
  NdKernelSteps steps;
  NdRenderStyle style;
  char want[64];
  gboolean found_centre = FALSE;
  int hits = 0;

  nd_render_style_init (&style, FALSE);
  g_assert_true (nd_kernel_steps_compute (train, "streams.0.1", 1, 0, &steps, &error));
  g_assert_no_error (error);
  g_snprintf (want, sizeof want, "fused 3×3 · row 1, column 1 · %.4g", steps.fused[4]);
  for (int y = 0; y < 160; y += 2)
    for (int x = 0; x < 400; x += 2)
      {
        g_autofree char *text = nd_render_kernel_value_at (&steps, 400, 160, &style, x, y);

        if (text == NULL)
          continue;
        hits++;
        found_centre |= g_strcmp0 (text, want) == 0;
      }
  g_assert_true (found_centre);
  g_assert_cmpint (hits, >, 100);
  g_assert_null (nd_render_kernel_value_at (&steps, 400, 160, &style, 1, 1));
  g_assert_null (nd_render_kernel_value_at (NULL, 400, 160, &style, 200, 80));
}

/* Pixels of @s in the rectangle that differ from @bg by more than 40. */
static int
count_ink (cairo_surface_t *s, int x0, int y0, int x1, int y1, guint32 bg)
{
  int n = 0;

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      n += color_dist (pixel (s, x, y), bg) > 40;
  return n;
}

/* The graph of a 3-stream ParNet drawn in English and in Chinese (the build folder's
 * zh_CN.mo): the lane labels become "流 0" …, every CJK glyph has a font (no tofu boxes,
 * Pango's unknown-glyph count is 0), and the label area has ink that differs from the English
 * drawing. The Chinese drawing is kept as render-zh_CN.png for a look. */
static void
test_text_zh_cn (void)
{
  g_autoptr(NdGraph) g = small_parnet (3, FALSE);
  g_autofree char *podir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "render-zh_CN.png", NULL);
  NdRenderGraphData data = { g, NULL, NULL };
  cairo_surface_t *s[2];
  NdRenderStyle style;
  char *old_locale = g_strdup (setlocale (LC_ALL, NULL));
  int ink[2], differ = 0;

  nd_render_style_init (&style, FALSE);
  bindtextdomain (GETTEXT_PACKAGE, podir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  for (int lang = 0; lang < 2; lang++)
    {
      cairo_t *cr;

      /* LANGUAGE counts in any locale but plain C; C.UTF-8 needs no generated locale. */
      g_setenv ("LANGUAGE", lang ? "zh_CN" : "en", TRUE);
      g_assert_nonnull (setlocale (LC_ALL, "C.UTF-8"));
      s[lang] = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 640, 300);
      cr = cairo_create (s[lang]);
      nd_render_graph (cr, &data, 640, 300, &style);
      if (lang == 1)
        {
          g_assert_cmpstr (_("stream %d"), ==, "流 %d");
          g_assert_cmpstr (_("depth"), ==, "深度");
          cairo_set_font_size (cr, style.font_size);
          g_assert_cmpint (nd_render_text_unknown (cr, "流 0 深度"), ==, 0);
          g_assert_cmpint (nd_render_text_unknown (cr, _("channel %d · gate %.4f")), ==, 0);
          cairo_surface_write_to_png (s[lang], png);
        }
      cairo_destroy (cr);
      /* The lane labels sit left of the graph (x < 96), in the middle of each lane. */
      ink[lang] = count_ink (s[lang], 0, 10, 90, 256, rgba24 (style.bg));
    }
  for (int y = 10; y < 256; y++)
    for (int x = 0; x < 90; x++)
      differ += pixel (s[0], x, y) != pixel (s[1], x, y);
  g_test_message ("label ink: English %d px, Chinese %d px; %d px differ", ink[0], ink[1],
                  differ);
  g_assert_cmpint (ink[1], >, 100);
  g_assert_cmpint (differ, >, 50);
  setlocale (LC_ALL, old_locale);
  g_free (old_locale);
  cairo_surface_destroy (s[0]);
  cairo_surface_destroy (s[1]);
}

/* The zoo's layouts: a non-square kernel is labelled k_h×k_w (Inception's 1×7 used to read
 * "1×1"); DenseNet's dense blocks get a bus over their layers (ink above a dense layer, none
 * above the stem). */
static void
test_graph_zoo (void)
{
  g_autoptr(NdGraph) inc = build ("inception-v3", 80, NULL, 0);
  g_autoptr(NdGraph) dense = build ("densenet-121", 64, NULL, 0);
  NdRenderGraphData data = { inc, NULL, NULL }, ddata = { dense, NULL, NULL };
  g_autofree char *label = nd_render_graph_block_label (&data, "Mixed_6b");
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 1600, 400);
  cairo_t *cr = cairo_create (s);
  NdRenderStyle style;
  const char *blocks[] = { "features.denseblock1.denselayer3", "features.conv0" };

  g_test_message ("%s", label);
  g_assert_nonnull (strstr (label, "·1×7·7×1·"));
  nd_render_style_init (&style, FALSE);
  nd_render_graph (cr, &ddata, 1600, 400, &style);
  save_on_failure (s, "densenet-bus");
  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      double x, y, w, h;
      int ink;

      g_assert_true (nd_render_graph_block_rect (&ddata, 1600, 400, &style, blocks[i], &x, &y,
                                                 &w, &h));
      ink = count_ink (s, (int) x + 3, (int) y - 8, (int) (x + w) - 3, (int) y - 3,
                       rgba24 (style.bg));
      g_test_message ("%s: %d px above the box", blocks[i], ink);
      if (i == 0)
        g_assert_cmpint (ink, >, 0);
      else
        g_assert_cmpint (ink, ==, 0);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (s);

  /* a collapsed dense block is one box, wider than its layers' boxes together, that a click
   * resolves to its first layer; the stem has no group to collapse into */
  {
    const char * const collapsed[] = { "features.denseblock1", NULL };
    NdRenderGraphData cdata = { dense, NULL, NULL, collapsed };
    g_autofree char *group = nd_render_graph_block_group (dense,
                                                          "features.denseblock1.denselayer3");
    g_autofree char *none = nd_render_graph_block_group (dense, "features.conv0");
    double x, y, w, h, lx, ly, lw, lh;

    g_assert_cmpstr (group, ==, "features.denseblock1");
    g_assert_null (none);
    g_assert_true (nd_render_graph_block_rect (&ddata, 1600, 400, &style,
                                               "features.denseblock1.denselayer1", &lx, &ly,
                                               &lw, &lh));
    g_assert_true (nd_render_graph_block_rect (&cdata, 1600, 400, &style,
                                               "features.denseblock1", &x, &y, &w, &h));
    g_assert_false (nd_render_graph_block_rect (&cdata, 1600, 400, &style,
                                                "features.denseblock1.denselayer2", &lx, &ly,
                                                &lw, &lh));
    g_assert_cmpfloat (w, >, 5 * lw);
    g_assert_cmpstr (nd_render_graph_block_at (&cdata, 1600, 400, &style, x + w / 2,
                                               y + h / 2), ==,
                     "features.denseblock1.denselayer1");
  }
}

/* A folded (collapsed) group's tooltip is offered where its box is drawn: its name, its
 * blocks, the ops, convs, parameters and MACs they hold, and how to unfold it; an unfolded
 * box keeps its block label, and empty space has none. */
static void
test_graph_folded_tooltip (void)
{
  g_autoptr(NdGraph) dense = build ("densenet-121", 64, NULL, 0);
  g_autoptr(GPtrArray) stats = nd_graph_block_stats (dense);
  const char * const collapsed[] = { "features.denseblock1", NULL };
  const char *group = "features.denseblock1";
  NdRenderGraphData data = { dense, NULL, NULL, collapsed };
  g_autofree char *tip = NULL, *plain = NULL, *label = NULL, *blocks = NULL, *counts = NULL;
  g_autofree char *params_text = NULL, *macs_text = NULL;
  double *op_ms = g_new0 (double, nd_graph_n_nodes (dense));
  gint64 params = 0, macs = 0;
  int n_blocks = 0, n_ops = 0, n_convs = 0;
  NdRenderStyle style;
  double x, y, w, h;

  for (guint i = 0; i < stats->len; i++)
    {
      const NdBlockStats *st = g_ptr_array_index (stats, i);

      if (g_str_has_prefix (st->block, "features.denseblock1."))
        n_blocks++, params += st->params, macs += st->macs;
    }
  for (int i = 1; i < nd_graph_n_nodes (dense); i++)
    {
      const NdNode *node = nd_graph_node (dense, i);

      if (node->block != NULL && g_str_has_prefix (node->block, "features.denseblock1."))
        {
          n_ops++, n_convs += node->op == ND_OP_CONV2D;
          op_ms[i] = 0.25;
        }
    }
  g_assert_cmpint (n_blocks, ==, 6);   /* DenseNet-121's first dense block: 6 layers */
  g_assert_cmpint (n_convs, ==, 12);   /* a 1×1 and a 3×3 each */
  nd_render_style_init (&style, FALSE);
  g_assert_true (nd_render_graph_block_rect (&data, 1600, 400, &style, group, &x, &y, &w, &h));
  tip = nd_render_graph_tooltip_at (&data, 1600, 400, &style, x + w / 2, y + h / 2);
  g_test_message ("%s", tip);
  g_assert_nonnull (tip);
  blocks = g_strdup_printf ("%s (folded): 6 blocks, %s.denselayer1 … %s.denselayer6", group,
                            group, group);
  /* at width 0.25 and 64 px: 21.6 k parameters, 5.31 M MACs (the tooltip's k and M forms) */
  g_assert_cmpint (params, >=, 1000);
  g_assert_cmpint (params, <, 1000000);
  g_assert_cmpint (macs, >=, 1000000);
  params_text = g_strdup_printf ("%.1f k parameters", params / 1e3);
  macs_text = g_strdup_printf ("%.2f M MACs", macs / 1e6);
  counts = g_strdup_printf ("%d ops, 12 convs · %s · %s · output ", n_ops, params_text,
                            macs_text);
  g_assert_true (g_str_has_prefix (tip, blocks));
  g_assert_nonnull (strstr (tip, counts));
  g_assert_true (g_str_has_suffix (tip, "\nDouble-click to unfold"));
  /* the times of its ops summed, when there are times */
  data.op_ms = op_ms;
  g_clear_pointer (&tip, g_free);
  tip = nd_render_graph_tooltip_at (&data, 1600, 400, &style, x + w / 2, y + h / 2);
  label = g_strdup_printf (" · %.2f ms\n", 0.25 * n_ops);
  g_assert_nonnull (strstr (tip, label));
  g_clear_pointer (&label, g_free);
  data.op_ms = NULL;
  /* an unfolded block: its label, as before */
  g_assert_true (nd_render_graph_block_rect (&data, 1600, 400, &style, "features.conv0", &x, &y,
                                             &w, &h));
  plain = nd_render_graph_tooltip_at (&data, 1600, 400, &style, x + w / 2, y + h / 2);
  label = nd_render_graph_block_label (&data, "features.conv0");
  g_assert_cmpstr (plain, ==, label);
  g_assert_null (strstr (plain, "unfold"));
  /* nothing at the top-left corner (the lane labels' margin) */
  g_assert_null (nd_render_graph_tooltip_at (&data, 1600, 400, &style, 2, 2));
  g_free (op_ms);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/colormap", test_colormap);
  g_test_add_func ("/render/colormap/table", test_colormap_table);
  g_test_add_func ("/render/featuremap/hottest-cell", test_featuremap);
  g_test_add_func ("/render/featuremap/small-cells", test_featuremap_small_cells);
  g_test_add_data_func ("/render/graph/lanes-1", GINT_TO_POINTER (1), test_graph_lanes);
  g_test_add_data_func ("/render/graph/lanes-2", GINT_TO_POINTER (2), test_graph_lanes);
  g_test_add_data_func ("/render/graph/lanes-3", GINT_TO_POINTER (3), test_graph_lanes);
  g_test_add_func ("/render/graph/fused-boxes", test_graph_fused);
  g_test_add_func ("/render/graph/resnet-skips", test_graph_resnet_skips);
  g_test_add_func ("/render/graph/axis-follows-blocks", test_graph_axis_follows_blocks);
  g_test_add_func ("/render/graph/zoo", test_graph_zoo);
  g_test_add_func ("/render/gates", test_gates);
  g_test_add_func ("/render/gates/axes-hover", test_gates_axes);
  g_test_add_func ("/render/featuremap/enlarged", test_featuremap_enlarged);
  g_test_add_func ("/render/kernel-steps", test_kernel_steps);
  g_test_add_func ("/render/kernel-value-at", test_kernel_value_at);
  g_test_add_func ("/render/latency", test_latency);
  g_test_add_func ("/render/rf-overlay", test_rf_overlay);
  g_test_add_func ("/render/text/zh-CN", test_text_zh_cn);
  g_test_add_func ("/render/graph/folded-tooltip", test_graph_folded_tooltip);
  return g_test_run ();
}
