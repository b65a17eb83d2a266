/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-colormap.h"
#include "nd-preview.h"

struct _NdPreview
{
  GObject     parent_instance;
  GBytes     *rgba;
  int         width, height, stride;
  int         scale;
  GdkTexture *texture;   /* the last one drawn, at tex_w × tex_h device pixels */
  int         tex_w, tex_h;
  GdkTexture *overlay;   /* the heat map at its own size, coloured once */
  double      overlay_rect[4];
};

static void nd_preview_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NdPreview, nd_preview, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      nd_preview_paintable_init))

/* Straight RGBA8 → the renderer's native premultiplied 32-bit pixel (cairo's ARGB32). */
static inline guint32
premultiply (guint r, guint g, guint b, guint a)
{
  if (a != 255)
    {
      r = (r * a + 127) / 255;
      g = (g * a + 127) / 255;
      b = (b * a + 127) / 255;
    }
  return (guint32) a << 24 | r << 16 | g << 8 | b;
}

/* Each output pixel is the mean of the source pixels it covers: every source pixel is read
 * once, and nothing aliases however small the box. */
static GdkTexture *
downscale (NdPreview *self, int out_w, int out_h)
{
  const guint8 *src = g_bytes_get_data (self->rgba, NULL);
  g_autofree int *x0 = g_new (int, out_w + 1);
  guint32 *dst = g_new (guint32, (gsize) out_w * out_h);
  g_autofree guint32 *sum = g_new (guint32, (gsize) out_w * 4);
  g_autoptr(GBytes) bytes = NULL;

  for (int x = 0; x <= out_w; x++)
    x0[x] = (int) ((gint64) x * self->width / out_w);
  for (int y = 0; y < out_h; y++)
    {
      int y0 = (int) ((gint64) y * self->height / out_h);
      int y1 = MAX ((int) ((gint64) (y + 1) * self->height / out_h), y0 + 1);

      memset (sum, 0, (gsize) out_w * 4 * sizeof (guint32));
      for (int sy = y0; sy < y1; sy++)
        {
          const guint8 *row = src + (gsize) sy * self->stride;

          for (int x = 0; x < out_w; x++)
            {
              guint32 *s = sum + 4 * x;
              int x1 = MAX (x0[x + 1], x0[x] + 1);

              for (int sx = x0[x]; sx < x1; sx++)
                {
                  s[0] += row[4 * sx];
                  s[1] += row[4 * sx + 1];
                  s[2] += row[4 * sx + 2];
                  s[3] += row[4 * sx + 3];
                }
            }
        }
      for (int x = 0; x < out_w; x++)
        {
          guint32 *s = sum + 4 * x;
          guint n = (guint) ((y1 - y0) * MAX (x0[x + 1] - x0[x], 1));

          dst[(gsize) y * out_w + x] = premultiply ((s[0] + n / 2) / n, (s[1] + n / 2) / n,
                                                    (s[2] + n / 2) / n, (s[3] + n / 2) / n);
        }
    }
  bytes = g_bytes_new_take (dst, (gsize) out_w * out_h * 4);
  return gdk_memory_texture_new (out_w, out_h, GDK_MEMORY_DEFAULT, bytes, (gsize) out_w * 4);
}

static void
nd_preview_snapshot (GdkPaintable *paintable, GdkSnapshot *snapshot, double width,
                     double height)
{
  NdPreview *self = ND_PREVIEW (paintable);
  int w = MAX ((int) ceil (width * self->scale), 1);
  int h = MAX ((int) ceil (height * self->scale), 1);

  if (self->rgba == NULL)
    return;
  /* Shown at or above its size: the frame itself, the renderer scales it up. */
  if (w >= self->width || h >= self->height)
    {
      w = self->width;
      h = self->height;
    }
  if (self->texture == NULL || self->tex_w != w || self->tex_h != h)
    {
      g_clear_object (&self->texture);
      self->texture = w == self->width && h == self->height
        ? gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8A8, self->rgba, self->stride)
        : downscale (self, w, h);
      self->tex_w = w;
      self->tex_h = h;
    }
  gtk_snapshot_append_texture (GTK_SNAPSHOT (snapshot), self->texture,
                               &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->overlay != NULL)
    {
      double sx = width / self->width, sy = height / self->height;
      const double *r = self->overlay_rect;

      /* a padded input reaches past the picture: only the part on it is drawn */
      gtk_snapshot_push_clip (GTK_SNAPSHOT (snapshot), &GRAPHENE_RECT_INIT (0, 0, width, height));
      gtk_snapshot_append_texture (GTK_SNAPSHOT (snapshot), self->overlay,
                                   &GRAPHENE_RECT_INIT (r[0] * sx, r[1] * sy, r[2] * sx,
                                                        r[3] * sy));
      gtk_snapshot_pop (GTK_SNAPSHOT (snapshot));
    }
}

static int
nd_preview_get_intrinsic_width (GdkPaintable *paintable)
{
  return ND_PREVIEW (paintable)->width;
}

static int
nd_preview_get_intrinsic_height (GdkPaintable *paintable)
{
  return ND_PREVIEW (paintable)->height;
}

static void
nd_preview_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = nd_preview_snapshot;
  iface->get_intrinsic_width = nd_preview_get_intrinsic_width;
  iface->get_intrinsic_height = nd_preview_get_intrinsic_height;
}

static void
nd_preview_finalize (GObject *object)
{
  NdPreview *self = ND_PREVIEW (object);

  g_clear_pointer (&self->rgba, g_bytes_unref);
  g_clear_object (&self->texture);
  g_clear_object (&self->overlay);
  G_OBJECT_CLASS (nd_preview_parent_class)->finalize (object);
}

static void
nd_preview_class_init (NdPreviewClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nd_preview_finalize;
}

static void
nd_preview_init (NdPreview *self)
{
  self->scale = 1;
}

NdPreview *
nd_preview_new (void)
{
  return g_object_new (ND_TYPE_PREVIEW, NULL);
}

void
nd_preview_set_image (NdPreview *self, GBytes *rgba, int width, int height, int stride)
{
  gboolean resized;

  g_return_if_fail (ND_IS_PREVIEW (self));
  g_return_if_fail (rgba != NULL && width > 0 && height > 0 && stride >= 4 * width);
  g_return_if_fail (g_bytes_get_size (rgba) >= (gsize) stride * (height - 1) + 4 * width);

  /* the same picture again (a still image's next result): the texture drawn stays */
  if (rgba == self->rgba && width == self->width && height == self->height
      && stride == self->stride)
    return;
  resized = width != self->width || height != self->height;
  g_bytes_ref (rgba);
  g_clear_pointer (&self->rgba, g_bytes_unref);
  self->rgba = rgba;
  self->width = width;
  self->height = height;
  self->stride = stride;
  g_clear_object (&self->texture);
  if (resized)
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

void
nd_preview_set_scale (NdPreview *self, int scale)
{
  g_return_if_fail (ND_IS_PREVIEW (self));
  scale = MAX (scale, 1);
  if (scale == self->scale)
    return;
  self->scale = scale;
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

void
nd_preview_overlay_rgba (double t, double *rgba)
{
  t = CLAMP (t, 0, 1);
  nd_colormap_rgb (ND_COLORMAP_LATENCY, t, &rgba[0], &rgba[1], &rgba[2]);
  /* where the map is low the picture shows through */
  rgba[3] = 0.1 + 0.7 * t;
}

void
nd_preview_set_overlay (NdPreview *self, const float *map, int h, int w, const double *rect)
{
  g_autoptr(GBytes) bytes = NULL;
  guint32 lut[256];
  guint32 *px;
  float max = 0;

  g_return_if_fail (ND_IS_PREVIEW (self));
  g_clear_object (&self->overlay);
  if (map == NULL)
    {
      gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
      return;
    }
  g_return_if_fail (h > 0 && w > 0 && rect != NULL);
  for (int i = 0; i < 256; i++)
    {
      double c[4];

      nd_preview_overlay_rgba (i / 255.0, c);
      lut[i] = (guint32) lround (255 * c[3]) << 24 | (guint32) lround (255 * c[0] * c[3]) << 16
               | (guint32) lround (255 * c[1] * c[3]) << 8 | (guint32) lround (255 * c[2] * c[3]);
    }
  for (gsize i = 0; i < (gsize) h * w; i++)
    max = MAX (max, map[i]);
  px = g_new (guint32, (gsize) h * w);
  for (gsize i = 0; i < (gsize) h * w; i++)
    px[i] = lut[max > 0 ? (int) lroundf (255 * CLAMP (map[i] / max, 0, 1)) : 0];
  bytes = g_bytes_new_take (px, (gsize) h * w * 4);
  /* premultiplied, as the picture's own texture: the renderer's native format */
  self->overlay = gdk_memory_texture_new (w, h, GDK_MEMORY_DEFAULT, bytes, (gsize) w * 4);
  memcpy (self->overlay_rect, rect, sizeof self->overlay_rect);
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

gboolean
nd_preview_has_overlay (NdPreview *self)
{
  g_return_val_if_fail (ND_IS_PREVIEW (self), FALSE);
  return self->overlay != NULL;
}

GBytes *
nd_preview_get_image (NdPreview *self)
{
  g_return_val_if_fail (ND_IS_PREVIEW (self), NULL);
  return self->rgba;
}
