/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-paths.h"
#include "nd-teach-page-private.h"
#include "nd-window-private.h"

/* The backbone the page teaches on: the shipped Fashion-MNIST ParNet, or the model the window
 * runs (any preset, knobs and weights), frozen and fused, with the input transform the window
 * gives that model. A source is what the main thread knows (cheap); building it (reading,
 * fusing, preparing the feature plan) may run on the training worker. */

/* Stored samples are kept at most this many pixels on their short side: enough for every
 * transform (ImageNet models resize to 256 then crop), a quarter of a 640×480 frame's bytes. */
#define SAMPLE_SHORT_SIDE 256

TeachImage *
_nd_teach_image_new (const guint8 *pixels, int width, int height, int stride,
                     NdPixelFormat format)
{
  int ch = format == ND_PIXEL_FORMAT_RGBA8 ? 4 : format == ND_PIXEL_FORMAT_RGB8 ? 3 : 1;
  int short_side = MIN (width, height), w = width, h = height;
  g_autofree guint8 *packed = g_malloc ((gsize) width * height * ch);
  TeachImage *img = g_new0 (TeachImage, 1);

  for (int y = 0; y < height; y++)
    memcpy (packed + (gsize) y * width * ch, pixels + (gsize) y * stride, (gsize) width * ch);
  if (short_side > SAMPLE_SHORT_SIDE)
    {
      guint8 *small;

      w = MAX (1, (int) ((gint64) width * SAMPLE_SHORT_SIDE / short_side));
      h = MAX (1, (int) ((gint64) height * SAMPLE_SHORT_SIDE / short_side));
      small = nd_preprocess_resample (packed, width, height, ch, w, h, ND_INTERPOLATION_BILINEAR);
      g_free (packed);
      packed = small;
    }
  img->bytes = g_bytes_new_take (g_steal_pointer (&packed), (gsize) w * h * ch);
  img->width = w;
  img->height = h;
  img->stride = w * ch;
  img->format = format;
  return img;
}

void
_nd_teach_image_free (TeachImage *img)
{
  g_bytes_unref (img->bytes);
  g_free (img);
}

void
_nd_teach_source_free (TeachSource *src)
{
  if (src == NULL)
    return;
  g_free (src->path);
  g_clear_pointer (&src->graph, nd_graph_unref);
  g_free (src->preprocess);
  g_free (src->identity);
  g_free (src->title);
  g_free (src);
}

TeachSource *
_nd_teach_source_shipped (void)
{
  TeachSource *src = g_new0 (TeachSource, 1);

  src->path = g_build_filename (nd_paths_assets_dir (), ND_DEFAULT_WEIGHTS, NULL);
  src->identity = g_path_get_basename (src->path);
  src->title = g_strdup (src->identity);
  return src;
}

/* "parnet-s streams=3 width=1 blocks=4,5,5 resolution=224 classes=1000 in_channels=3": the
 * knobs that decide the features. */
static char *
spec_knobs (const NdModelSpec *spec)
{
  GString *s = g_string_new (spec->name);
  char width[G_ASCII_DTOSTR_BUF_SIZE];

  if (spec->streams > 0)
    g_string_append_printf (s, " streams=%d", spec->streams);
  g_string_append_printf (s, " width=%s", g_ascii_formatd (width, sizeof width, "%g",
                                                            spec->width));
  for (int i = 0; i < spec->n_blocks; i++)
    g_string_append_printf (s, "%s%d", i == 0 ? " blocks=" : ",", spec->blocks[i]);
  g_string_append_printf (s, " resolution=%d classes=%d in_channels=%d", spec->resolution,
                          spec->classes, spec->in_channels);
  if (spec->family == ND_FAMILY_VANILLANET)
    g_string_append_printf (s, " lambda=%s", g_ascii_formatd (width, sizeof width, "%g",
                                                              spec->lambda));
  return g_string_free (s, FALSE);
}

TeachSource *
_nd_teach_source_window (NdTeachPage *self, GError **error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  NdInferenceResult *result = ND_IS_WINDOW (root) ? nd_window_get_result (ND_WINDOW (root))
                                                  : NULL;
  NdWindow *win = ND_IS_WINDOW (root) ? ND_WINDOW (root) : NULL;
  g_autofree char *knobs = NULL, *file = NULL, *base = NULL;
  TeachSource *src;

  if (result == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("The window has not run a model yet"));
      return NULL;
    }
  src = g_new0 (TeachSource, 1);
  src->graph = nd_graph_ref (result->graph);
  src->spec = result->spec;
  src->preprocess = g_strdup (win->config.preprocess);
  knobs = spec_knobs (&result->spec);
  if (win->config.weights_path != NULL)
    {
      base = g_path_get_basename (win->config.weights_path);
      file = win->config.weights_entry != NULL && *win->config.weights_entry != '\0'
             ? g_strdup_printf ("%s#%s", base, win->config.weights_entry)
             : g_strdup (base);
    }
  /* the knobs always: the same file at another resolution or width gives other features */
  if (file != NULL && result->weights_status == ND_WEIGHTS_LOADED)
    src->identity = g_strdup_printf ("%s · %s", knobs, file);
  else if (file != NULL && result->weights_status == ND_WEIGHTS_SUBSET)
    src->identity = g_strdup_printf ("%s · %s (subset)", knobs, file);
  else
    src->identity = g_strdup_printf ("%s · random weights", knobs);
  /* the drop-down says whose it is; the line under it what it is */
  src->title = g_strdup (src->identity);
  return src;
}

static void
backbone_free (TeachBackbone *bb)
{
  g_clear_pointer (&bb->feature_plan, nd_plan_free);
  g_clear_pointer (&bb->backend, nd_backend_free);
  g_clear_pointer (&bb->graph, nd_graph_unref);
  g_clear_pointer (&bb->source_graph, nd_graph_unref);
  g_free (bb->identity);
  g_free (bb->title);
}

TeachBackbone *
_nd_teach_backbone_ref (TeachBackbone *bb)
{
  return g_atomic_rc_box_acquire (bb);
}

void
_nd_teach_backbone_unref (TeachBackbone *bb)
{
  g_atomic_rc_box_release_full (bb, (GDestroyNotify) backbone_free);
}

gboolean
_nd_teach_backbone_is (const TeachBackbone *bb, const TeachSource *src)
{
  return bb != NULL && g_str_equal (bb->identity, src->identity)
         && bb->source_graph == src->graph;
}

TeachBackbone *
_nd_teach_backbone_build (const TeachSource *src, GError **error)
{
  g_autoptr(NdGraph) graph = NULL;
  g_autofree char *preprocess = NULL;
  TeachBackbone *bb;
  NdPlanOptions popts = { .batch = 1, .n_capture = 1 };
  int node;

  if (src->path != NULL)
    graph = nd_teach_open_backbone (src->path, &preprocess, error);
  else if (src->graph->fused)
    graph = nd_graph_ref (src->graph);
  else
    graph = nd_fuse_graph (src->graph, error);
  if (graph == NULL || (node = nd_teach_feature_node (graph, error)) < 0)
    return NULL;
  bb = g_atomic_rc_box_new0 (TeachBackbone);
  bb->identity = g_strdup (src->identity);
  bb->title = g_strdup (src->title);
  bb->source_graph = src->graph != NULL ? nd_graph_ref (src->graph) : NULL;
  bb->graph = g_steal_pointer (&graph);
  bb->feature_node = node;
  bb->channels = bb->graph->in_c;
  bb->side = bb->graph->in_h;
  if (bb->channels == 1)
    {
      if (!nd_gray_preprocess_parse (src->path != NULL ? preprocess : src->preprocess,
                                     &bb->gray, error))
        goto fail;
      bb->gray.size = bb->side;
    }
  else
    nd_preprocess_for_family (src->path != NULL ? ND_FAMILY_PARNET : src->spec.family,
                              bb->side, &bb->color);
  popts.capture = &bb->feature_node;
  if ((bb->backend = nd_backend_new ("cpu", -1, error)) == NULL
      || (bb->feature_plan = nd_backend_prepare (bb->backend, bb->graph, &popts, error)) == NULL)
    goto fail;
  return bb;
fail:
  _nd_teach_backbone_unref (bb);
  return NULL;
}

gboolean
_nd_teach_backbone_input (const TeachBackbone *bb, const guint8 *pixels, int width, int height,
                          int stride, NdPixelFormat format, NdTensor *out, int index,
                          GError **error)
{
  if (bb->channels == 1)
    return nd_preprocess_gray_input (pixels, width, height, stride, format, &bb->gray,
                                     out->data + (gsize) index * bb->side * bb->side, error);
  return nd_preprocess_image_into (pixels, width, height, stride, format, &bb->color, out, index,
                                   error);
}
