/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cairo-pdf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "nd-error.h"
#include "nd-render-lesson.h"

#define CARD_W 168.0
#define CARD_H 150.0
#define GAP 10.0

/* Draws @text wrapped to @width from (@x, @y) (first baseline); returns the next baseline. */
static double
wrap_text (cairo_t *cr, const char *text, double x, double y, double width, double line)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  GString *cur = g_string_new (NULL);

  for (int i = 0; words[i] != NULL; i++)
    {
      g_autofree char *probe = cur->len ? g_strconcat (cur->str, " ", words[i], NULL)
                                        : g_strdup (words[i]);
      cairo_text_extents_t ext;

      cairo_text_extents (cr, probe, &ext);
      if (ext.x_advance > width && cur->len > 0)
        {
          nd_render_text (cr, cur->str, x, y, 0);
          y += line;
          g_string_assign (cur, words[i]);
        }
      else
        g_string_assign (cur, probe);
    }
  if (cur->len > 0)
    {
      nd_render_text (cr, cur->str, x, y, 0);
      y += line;
    }
  g_string_free (cur, TRUE);
  return y;
}

/* Blue for negative, red for positive, white at 0, scaled by @range. */
static void
diverging (cairo_t *cr, double v, double range)
{
  double t = range > 0 ? CLAMP (v / range, -1, 1) : 0;

  if (t >= 0)
    cairo_set_source_rgb (cr, 1, 1 - 0.75 * t, 1 - 0.8 * t);
  else
    cairo_set_source_rgb (cr, 1 + 0.8 * t, 1 + 0.6 * t, 1);
}

/* The font size at most @size that fits @text in @width. */
static void
fit_font (cairo_t *cr, const char *text, double width, double size)
{
  cairo_text_extents_t ext;

  cairo_set_font_size (cr, size);
  cairo_text_extents (cr, text, &ext);
  if (ext.x_advance > width)
    cairo_set_font_size (cr, size * width / ext.x_advance);
}

static void
draw_kernel (cairo_t *cr, const float *v, int side, double x, double y, double size,
             const NdRenderStyle *style)
{
  double cell = size / side, range = 0;
  char buf[32];

  for (int i = 0; i < side * side; i++)
    range = MAX (range, fabs (v[i]));
  for (int r = 0; r < side; r++)
    for (int c = 0; c < side; c++)
      {
        double cx = x + c * cell, cy = y + r * cell;

        diverging (cr, v[r * side + c], range);
        cairo_rectangle (cr, cx, cy, cell, cell);
        cairo_fill_preserve (cr);
        nd_render_set_rgba (cr, style->muted);
        cairo_set_line_width (cr, 0.5);
        cairo_stroke (cr);
        nd_render_set_rgba (cr, style->fg);
        g_snprintf (buf, sizeof buf, "%.3g", v[r * side + c]);
        fit_font (cr, buf, cell * 0.9, MIN (style->font_size * 0.8, cell * 0.3));
        nd_render_text (cr, buf, cx + cell / 2, cy + cell / 2 + cell * 0.1, 0.5);
      }
  cairo_set_font_size (cr, style->font_size);
}

/* A per-channel vector as bars, channel @mark outlined. */
static void
draw_bars (cairo_t *cr, const NdTensor *t, int mark, double x, double y, double w, double h,
           const NdRenderStyle *style)
{
  int n = (int) MIN (t->numel, 96);
  double lo = 0, hi = 0, bw = w / MAX (n, 1), zero;

  for (int i = 0; i < n; i++)
    {
      lo = MIN (lo, t->data[i]);
      hi = MAX (hi, t->data[i]);
    }
  if (hi - lo <= 0)
    hi = lo + 1;
  zero = y + h * hi / (hi - lo);
  for (int i = 0; i < n; i++)
    {
      double top = y + h * (hi - MAX (t->data[i], 0)) / (hi - lo);
      double bottom = y + h * (hi - MIN (t->data[i], 0)) / (hi - lo);

      nd_render_set_rgba (cr, i == mark ? style->highlight : style->accent);
      cairo_rectangle (cr, x + i * bw, top, MAX (bw - 0.5, 0.5), MAX (bottom - top, 0.5));
      cairo_fill (cr);
    }
  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 0.5);
  cairo_move_to (cr, x, zero);
  cairo_line_to (cr, x + w, zero);
  cairo_stroke (cr);
}

static void
draw_curve (cairo_t *cr, const NdTensor *t, double x, double y, double w, double h,
            const NdRenderStyle *style)
{
  int n = (int) (t->numel / 2);
  const float *xs = t->data, *ys = t->data + n;
  double x0 = xs[0], x1 = xs[n - 1], y0 = ys[0], y1 = ys[n - 1];

  for (int i = 0; i < n; i++)
    {
      y0 = MIN (y0, ys[i]);
      y1 = MAX (y1, ys[i]);
    }
  y0 = MIN (y0, x0);
  y1 = MAX (y1, x1);
#define PX(v) (x + w * ((v) - x0) / (x1 - x0))
#define PY(v) (y + h * (y1 - (v)) / (y1 - y0))
  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 0.6);
  cairo_move_to (cr, PX (x0), PY (0));
  cairo_line_to (cr, PX (x1), PY (0));
  cairo_move_to (cr, PX (0), PY (y0));
  cairo_line_to (cr, PX (0), PY (y1));
  cairo_stroke (cr);
  /* the identity, which the curve becomes at λ = 1 */
  cairo_set_dash (cr, (double[]) { 3, 3 }, 2, 0);
  cairo_move_to (cr, PX (x0), PY (x0));
  cairo_line_to (cr, PX (x1), PY (x1));
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  nd_render_set_rgba (cr, style->accent);
  cairo_set_line_width (cr, 1.8);
  for (int i = 0; i < n; i++)
    (i ? cairo_line_to : cairo_move_to) (cr, PX (xs[i]), PY (ys[i]));
  cairo_stroke (cr);
#undef PX
#undef PY
}

static void
draw_card (cairo_t *cr, const NdLessonTensor *lt, int out_c, int in_c, double x, double y,
           const NdRenderStyle *style)
{
  g_autofree char *shape = nd_tensor_shape_string (lt->tensor);
  const char *name = lt->name;
  float v[49];
  int n = 0;
  double body = y + 2.6 * style->font_size, bh = CARD_H - 3.4 * style->font_size;
  char buf[96];

  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 0.6);
  cairo_rectangle (cr, x, y, CARD_W, CARD_H);
  cairo_stroke (cr);
  /* the tail of a long module path is what tells the tensors apart */
  if (strlen (name) > 30)
    name += strlen (name) - 30;
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, style->font_size * 0.8);
  nd_render_text (cr, name, x + 4, y + style->font_size, 0);
  nd_render_set_rgba (cr, style->muted);
  nd_render_text (cr, shape, x + 4, y + 2 * style->font_size, 0);
  cairo_set_font_size (cr, style->font_size);

  if (g_str_equal (lt->name, "activation_curve"))
    {
      draw_curve (cr, lt->tensor, x + 8, body, CARD_W - 16, bh - 8, style);
      return;
    }
  if (!nd_lesson_tensor_slice (lt->tensor, out_c, in_c, lt->groups, v, &n))
    {
      nd_render_set_rgba (cr, style->muted);
      g_snprintf (buf, sizeof buf, _("in %d is not in out %d's group"), in_c, out_c);
      wrap_text (cr, buf, x + 6, body + style->font_size, CARD_W - 12, style->font_size * 1.2);
      return;
    }
  if (lt->tensor->ndim == 4)
    {
      int side = (int) lt->tensor->shape[3];
      double size = MIN (CARD_W - 16, bh - 18) * (side == 1 ? 0.4 : 1.0);

      draw_kernel (cr, v, side, x + (CARD_W - size) / 2, body, size, style);
      g_snprintf (buf, sizeof buf, _("out %d ← in %d"), out_c, in_c);
      nd_render_set_rgba (cr, style->muted);
      nd_render_text (cr, buf, x + CARD_W / 2, y + CARD_H - 5, 0.5);
      return;
    }
  if (lt->tensor->numel > 1)
    draw_bars (cr, lt->tensor, out_c, x + 6, body, CARD_W - 12, bh - 22, style);
  if (lt->tensor->numel == 1)
    {
      /* a scalar (λ, ε): the value is the picture */
      g_snprintf (buf, sizeof buf, "%.6g", v[0]);
      nd_render_set_rgba (cr, style->fg);
      cairo_set_font_size (cr, style->font_size * 2.4);
      nd_render_text (cr, buf, x + CARD_W / 2, body + bh / 2, 0.5);
      cairo_set_font_size (cr, style->font_size);
      return;
    }
  g_snprintf (buf, sizeof buf, _("[%d] = %.5g"), out_c, v[0]);
  nd_render_set_rgba (cr, style->fg);
  nd_render_text (cr, buf, x + CARD_W / 2, y + CARD_H - 6, 0.5);
}

/* In the fused step the addends come first, then the fused weight under the dense conv's
 * name (the first addend's): the count of addends, or 0 in any other step. */
static guint
n_addends (const NdLessonStep *step)
{
  const NdLessonTensor *first;

  if (strcmp (step->id, "fused") != 0 || step->tensors->len < 2)
    return 0;
  first = g_ptr_array_index (step->tensors, 0);
  for (guint i = 1; i < step->tensors->len; i++)
    if (strcmp (((NdLessonTensor *) g_ptr_array_index (step->tensors, i))->name,
                first->name) == 0)
      return i;
  return 0;
}

/* The tensors as cards in rows. While @merge < 1 in the fused step, the result cards fade in
 * and a copy of each addend slides from its place onto the fused kernel's, fading out. */
static void
draw_cards (cairo_t *cr, const NdLessonStep *step, int out_c, int in_c, double m, double y,
            double width, double height, double merge, const NdRenderStyle *style)
{
  guint n = step->tensors->len, addends = merge < 1.0 ? n_addends (step) : 0;
  g_autofree double *xs = g_new (double, n);
  g_autofree double *ys = g_new (double, n);
  double x = m;
  guint shown = 0;

  for (guint i = 0; i < n; i++, shown++)
    {
      if (x + CARD_W > width - m + 1 && x > m)
        {
          x = m;
          y += CARD_H + GAP;
        }
      if (y + CARD_H > height)
        break;
      xs[i] = x;
      ys[i] = y;
      x += CARD_W + GAP;
    }
  for (guint i = 0; i < shown; i++)
    {
      const NdLessonTensor *t = g_ptr_array_index (step->tensors, i);

      if (addends == 0 || i < addends)
        {
          draw_card (cr, t, out_c, in_c, xs[i], ys[i], style);
          continue;
        }
      cairo_push_group (cr);
      draw_card (cr, t, out_c, in_c, xs[i], ys[i], style);
      cairo_pop_group_to_source (cr);
      cairo_paint_with_alpha (cr, merge);
    }
  if (addends == 0 || addends >= shown)
    return;
  /* smoothstep, so the copies start and land gently */
  merge = merge * merge * (3 - 2 * merge);
  for (guint i = 0; i < addends; i++)
    {
      const NdLessonTensor *t = g_ptr_array_index (step->tensors, i);
      double size = MIN (CARD_W - 16, CARD_H - 3.4 * style->font_size - 18);
      float v[49];
      int nv;

      /* only the moving kernel, so the copies read as values flowing into the sum */
      if (t->tensor->ndim != 4
          || !nd_lesson_tensor_slice (t->tensor, out_c, in_c, t->groups, v, &nv))
        continue;
      cairo_push_group (cr);
      draw_kernel (cr, v, (int) t->tensor->shape[3],
                   xs[i] + (xs[addends] - xs[i]) * merge + (CARD_W - size) / 2,
                   ys[i] + (ys[addends] - ys[i]) * merge + 2.6 * style->font_size, size, style);
      cairo_pop_group_to_source (cr);
      cairo_paint_with_alpha (cr, 0.9 * (1 - merge));
    }
}

void
nd_render_lesson_step_merge (cairo_t *cr, const NdLesson *lesson, guint index, int out_c,
                             int in_c, double merge, double width, double height,
                             const NdRenderStyle *style)
{
  const NdLessonStep *step;
  double fs = style->font_size, m = fs * 1.5, y;
  char buf[256];

  g_return_if_fail (lesson != NULL && index < lesson->steps->len);
  step = g_ptr_array_index (lesson->steps, index);
  nd_render_fill_bg (cr, style, width, height);
  cairo_save (cr);
  /* a large view shows the same page larger, not more empty space */
  {
    double zoom = CLAMP (MIN (width / 900.0, height / 640.0), 1.0, 2.5);

    cairo_scale (cr, zoom, zoom);
    width /= zoom;
    height /= zoom;
  }
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, fs * 1.5);
  nd_render_set_rgba (cr, style->fg);
  g_snprintf (buf, sizeof buf, _("Step %u of %u · %s"), index, lesson->steps->len - 1,
              _(step->title));
  y = m + fs;
  nd_render_text (cr, buf, m, y, 0);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, fs);
  y += fs * 1.8;
  nd_render_set_rgba (cr, step->valid ? style->fused : style->highlight);
  g_snprintf (buf, sizeof buf,
              _("block %s: output vs training form, max |Δ| %.3g, relative %.3g (float32)%s"),
              lesson->block, step->max_abs, step->max_rel,
              step->valid ? "" : _(" — not an equivalence"));
  y = wrap_text (cr, buf, m, y, width - 2 * m, fs * 1.3);
  nd_render_set_rgba (cr, style->fg);
  y = wrap_text (cr, _(step->explanation), m, y + fs * 0.4, width - 2 * m, fs * 1.3);
  nd_render_set_rgba (cr, style->muted);
  g_snprintf (buf, sizeof buf, "%s — %s", _(step->reference), step->url);
  y = wrap_text (cr, buf, m, y, width - 2 * m, fs * 1.3) + fs * 0.2;

  draw_cards (cr, step, out_c, in_c, m, y, width, height, merge, style);
  cairo_restore (cr);
}

void
nd_render_lesson_step (cairo_t *cr, const NdLesson *lesson, guint index, int out_c, int in_c,
                       double width, double height, const NdRenderStyle *style)
{
  nd_render_lesson_step_merge (cr, lesson, index, out_c, in_c, 1.0, width, height, style);
}

static void
draw_histogram (cairo_t *cr, const guint *bins, const double *rgba, double x, double y,
                double w, double h)
{
  guint top = 1;
  double bw = w / ND_LESSON_HIST_BINS;

  for (int i = 0; i < ND_LESSON_HIST_BINS; i++)
    top = MAX (top, bins[i]);
  nd_render_set_rgba (cr, rgba);
  for (int i = 0; i < ND_LESSON_HIST_BINS; i++)
    {
      /* square root, so that the few large fused values stay visible beside the bulk */
      double bh = h * sqrt ((double) bins[i] / top);

      cairo_rectangle (cr, x + i * bw + 1, y + h - bh, bw - 2, bh);
      cairo_fill (cr);
    }
}

void
nd_render_lesson_pitfall (cairo_t *cr, const NdLessonPitfallResult *r, double width,
                          double height, const NdRenderStyle *style)
{
  double fs = style->font_size, m = fs * 1.5, y = m + fs;
  char buf[256];
  static const char *titles[] = {
    N_("Pitfall: forgot .eval() (BN on the batch statistics of this input)"),
    N_("Pitfall: int8 after fusion (per-tensor symmetric fake quantization)"),
    N_("Pitfall: float16 storage (weights and activations rounded)"),
  };

  nd_render_fill_bg (cr, style, width, height);
  cairo_save (cr);
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, fs * 1.4);
  nd_render_text (cr, _(titles[r->kind]), m, y, 0);
  cairo_set_font_size (cr, fs);
  y += fs * 2;
  g_snprintf (buf, sizeof buf, _("block output, training form: max |Δ| %.3g, relative %.3g"),
              r->block_unfused_max_abs, r->block_unfused_max_rel);
  nd_render_text (cr, buf, m, y, 0);
  y += fs * 1.4;
  g_snprintf (buf, sizeof buf, _("logits, training form: max |Δ| %.3g, relative %.3g, %d of "
                                 "the top-5 classes changed"),
              r->logits_unfused_max_abs, r->logits_unfused_max_rel, r->top5_changed_unfused);
  nd_render_text (cr, buf, m, y, 0);
  if (r->kind != ND_LESSON_PITFALL_EVAL)
    {
      y += fs * 1.4;
      g_snprintf (buf, sizeof buf, _("block output, fused: max |Δ| %.3g, relative %.3g"),
                  r->block_fused_max_abs, r->block_fused_max_rel);
      nd_render_text (cr, buf, m, y, 0);
      y += fs * 1.4;
      g_snprintf (buf, sizeof buf, _("logits, fused: max |Δ| %.3g, relative %.3g, %d of the "
                                     "top-5 classes changed"),
                  r->logits_fused_max_abs, r->logits_fused_max_rel, r->top5_changed_fused);
      nd_render_text (cr, buf, m, y, 0);
    }
  if (r->kind == ND_LESSON_PITFALL_INT8)
    {
      double hw = MIN ((width - 3 * m) / 2, 260), hh = MIN (height - y - 6 * fs, 160);

      y += fs * 1.4;
      g_snprintf (buf, sizeof buf, _("int8 step max|W|/127: branches %.3g, fused %.3g; "
                                     "weights that round to 0: %.1f %% → %.1f %%"),
                  r->scale_branches_max, r->scale_fused, 100 * r->zero_fraction_branches,
                  100 * r->zero_fraction_fused);
      nd_render_text (cr, buf, m, y, 0);
      y += fs * 2.4;
      nd_render_text (cr, _("kernels before fusion"), m, y, 0);
      nd_render_text (cr, _("after fusion"), 2 * m + hw, y, 0);
      draw_histogram (cr, r->hist_branches, style->unfused, m, y + fs * 0.6, hw, hh);
      draw_histogram (cr, r->hist_fused, style->fused, 2 * m + hw, y + fs * 0.6, hw, hh);
      nd_render_set_rgba (cr, style->muted);
      g_snprintf (buf, sizeof buf, _("values from −%.3g to %.3g, bar height √count"),
                  r->hist_range, r->hist_range);
      nd_render_text (cr, buf, m, y + hh + fs * 2, 0);
    }
  cairo_restore (cr);
}

static void
overview_page (cairo_t *cr, const NdLesson *lesson, double w, double h,
               const NdRenderStyle *style)
{
  double fs = style->font_size, m = 48, y = m + fs;
  char buf[256];

  nd_render_fill_bg (cr, style, w, h);
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, fs * 1.8);
  nd_render_text (cr, _("Structural re-parameterization, step by step"), m, y, 0);
  cairo_set_font_size (cr, fs);
  y += fs * 2.2;
  g_snprintf (buf, sizeof buf, _("Model %s (%s), block %s, input %d×%d×%d. Each step's "
                                 "block output is computed from that step's weights with "
                                 "the naive reference ops in float32 and compared with the "
                                 "training form."),
              lesson->train->model_name ? lesson->train->model_name : "?", lesson->family,
              lesson->block, (int) lesson->input->shape[1], (int) lesson->input->shape[2],
              (int) lesson->input->shape[3]);
  y = wrap_text (cr, buf, m, y, w - 2 * m, fs * 1.3) + fs;
  for (guint i = 0; i < lesson->steps->len; i++)
    {
      const NdLessonStep *s = g_ptr_array_index (lesson->steps, i);

      nd_render_set_rgba (cr, s->valid ? style->fg : style->highlight);
      g_snprintf (buf, sizeof buf, "%u. %s", i, _(s->title));
      nd_render_text (cr, buf, m, y, 0);
      g_snprintf (buf, sizeof buf, _("max |Δ| %.2g   rel %.2g"), s->max_abs, s->max_rel);
      nd_render_text (cr, buf, w - m, y, 1);
      y += fs * 1.6;
    }
}

gboolean
nd_render_lesson_pdf (const NdLesson *lesson, int out_c, int in_c,
                      const NdLessonPitfallResult *pitfall, const char *path, GError **error)
{
  const double w = 595, h = 842;   /* A4 in points */
  cairo_surface_t *surface;
  cairo_t *cr;
  NdRenderStyle style;
  cairo_status_t status;

  g_return_val_if_fail (lesson != NULL && path != NULL, FALSE);
  nd_render_style_init (&style, FALSE);
  style.bg[3] = 0;   /* paper */
  style.font_size = 10;
  surface = cairo_pdf_surface_create (path, w, h);
  cr = cairo_create (surface);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  overview_page (cr, lesson, w, h, &style);
  cairo_show_page (cr);
  for (guint i = 0; i < lesson->steps->len; i++)
    {
      nd_render_lesson_step (cr, lesson, i, out_c, in_c, w, h, &style);
      cairo_show_page (cr);
    }
  if (pitfall != NULL)
    {
      nd_render_lesson_pitfall (cr, pitfall, w, h, &style);
      cairo_show_page (cr);
    }
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("Could not write %s: %s"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

gboolean
nd_render_lesson_merge_frames (const NdLesson *lesson, int out_c, int in_c, const char *dir,
                               int n_frames, GError **error)
{
  const int w = 900, h = 640;
  NdRenderStyle style;
  guint fused = G_MAXUINT;

  g_return_val_if_fail (lesson != NULL && dir != NULL && n_frames >= 2, FALSE);
  for (guint i = 0; i < lesson->steps->len; i++)
    if (strcmp (((NdLessonStep *) g_ptr_array_index (lesson->steps, i))->id, "fused") == 0)
      fused = i;
  if (fused == G_MAXUINT)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Block %s has no branches to merge, so there is no merge to animate"),
                   lesson->block);
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _("Could not create %s: %s"), dir, g_strerror (errno));
      return FALSE;
    }
  nd_render_style_init (&style, FALSE);
  for (int f = 0; f < n_frames; f++)
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
      cairo_t *cr = cairo_create (surface);
      g_autofree char *name = g_strdup_printf ("merge-%03d.png", f);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      cairo_status_t status;

      nd_render_lesson_step_merge (cr, lesson, fused, out_c, in_c, (double) f / (n_frames - 1),
                                   w, h, &style);
      cairo_destroy (cr);
      status = cairo_surface_write_to_png (surface, path);
      cairo_surface_destroy (surface);
      if (status != CAIRO_STATUS_SUCCESS)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("Could not write %s: %s"),
                       path, cairo_status_to_string (status));
          return FALSE;
        }
    }
  return TRUE;
}
