/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* The presets. Block counts: ParNet per stream (yaml num_blocks 5,6,6 minus the init block
 * of each stream), RepVGG per stage (stage 0 is the single stem block), ResNet per layer.
 * VanillaNet and VGG take no block counts: the variant is the depth. */
typedef struct
{
  NdFamily    family;
  const char *variant;
  int         n_blocks;
  int         blocks[ND_MAX_STAGES];
} Preset;

static const Preset presets[] = {
  { ND_FAMILY_PARNET, "s", 3, { 4, 5, 5 } },
  { ND_FAMILY_PARNET, "m", 3, { 4, 5, 5 } },
  { ND_FAMILY_PARNET, "l", 3, { 4, 5, 5 } },
  { ND_FAMILY_PARNET, "xl", 3, { 4, 5, 5 } },
  { ND_FAMILY_REPVGG, "a0", 5, { 1, 2, 4, 14, 1 } },
  { ND_FAMILY_REPVGG, "a1", 5, { 1, 2, 4, 14, 1 } },
  { ND_FAMILY_REPVGG, "a2", 5, { 1, 2, 4, 14, 1 } },
  { ND_FAMILY_REPVGG, "b0", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b1", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b1g2", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b1g4", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b2", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b2g2", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b2g4", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b3", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b3g2", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_REPVGG, "b3g4", 5, { 1, 4, 6, 16, 1 } },
  { ND_FAMILY_VANILLANET, "5", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "6", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "7", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "8", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "9", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "10", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "11", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "12", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "13", 0, { 0 } },
  { ND_FAMILY_VANILLANET, "13-x1.5", 0, { 0 } },
  { ND_FAMILY_RESNET, "18", 4, { 2, 2, 2, 2 } },
  { ND_FAMILY_RESNET, "34", 4, { 3, 4, 6, 3 } },
  { ND_FAMILY_RESNET, "50", 4, { 3, 4, 6, 3 } },
  { ND_FAMILY_VGG, "16", 0, { 0 } },
  /* the zoo of classic and efficient backbones */
  { ND_FAMILY_VGG, "19", 0, { 0 } },
  { ND_FAMILY_RESNET, "101", 4, { 3, 4, 23, 3 } },
  { ND_FAMILY_RESNEXT, "50-32x4d", 4, { 3, 4, 6, 3 } },
  { ND_FAMILY_MOBILENET, "v2", 0, { 0 } },
  { ND_FAMILY_SHUFFLENET, "v2-1.0", 3, { 4, 8, 4 } },
  { ND_FAMILY_DENSENET, "121", 4, { 6, 12, 24, 16 } },
  { ND_FAMILY_INCEPTION, "v3", 0, { 0 } },
  /* timm's layouts */
  { ND_FAMILY_RESNETV2, "50", 4, { 3, 4, 6, 3 } },
  { ND_FAMILY_DARKNET, "53", 5, { 1, 2, 8, 8, 4 } },
  { ND_FAMILY_CSPDARKNET, "53", 5, { 1, 2, 8, 8, 4 } },
  { ND_FAMILY_VOVNET, "39", 4, { 1, 1, 2, 2 } },
  { ND_FAMILY_VOVNET, "57", 4, { 1, 1, 4, 3 } },
  { ND_FAMILY_ESE_VOVNET, "39", 4, { 1, 1, 2, 2 } },
};

static const char * const model_names[] = {
  "parnet-s", "parnet-m", "parnet-l", "parnet-xl",
  "repvgg-a0", "repvgg-a1", "repvgg-a2", "repvgg-b0", "repvgg-b1", "repvgg-b1g2",
  "repvgg-b1g4", "repvgg-b2", "repvgg-b2g2", "repvgg-b2g4", "repvgg-b3", "repvgg-b3g2",
  "repvgg-b3g4",
  "vanillanet-5", "vanillanet-6", "vanillanet-7", "vanillanet-8", "vanillanet-9",
  "vanillanet-10", "vanillanet-11", "vanillanet-12", "vanillanet-13", "vanillanet-13-x1.5",
  "resnet-18", "resnet-34", "resnet-50",
  "vgg-16",
  "vgg-19", "resnet-101", "resnext-50-32x4d",
  "mobilenet-v2", "shufflenet-v2-1.0", "densenet-121", "inception-v3",
  "resnet-v2-50", "darknet-53", "cspdarknet-53", "vovnet-39", "vovnet-57", "ese-vovnet-39",
  NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (model_names) == G_N_ELEMENTS (presets) + 1);

const char *
nd_family_name (NdFamily family)
{
  switch (family)
    {
    case ND_FAMILY_PARNET:
      return "parnet";
    case ND_FAMILY_REPVGG:
      return "repvgg";
    case ND_FAMILY_VANILLANET:
      return "vanillanet";
    case ND_FAMILY_RESNET:
      return "resnet";
    case ND_FAMILY_VGG:
      return "vgg";
    case ND_FAMILY_RESNEXT:
      return "resnext";
    case ND_FAMILY_MOBILENET:
      return "mobilenet";
    case ND_FAMILY_SHUFFLENET:
      return "shufflenet";
    case ND_FAMILY_DENSENET:
      return "densenet";
    case ND_FAMILY_INCEPTION:
      return "inception";
    case ND_FAMILY_RESNETV2:
      return "resnet-v2";
    case ND_FAMILY_DARKNET:
      return "darknet";
    case ND_FAMILY_CSPDARKNET:
      return "cspdarknet";
    case ND_FAMILY_VOVNET:
      return "vovnet";
    case ND_FAMILY_ESE_VOVNET:
      return "ese-vovnet";
    default:
      g_return_val_if_reached ("?");
    }
}

/* The family as users read it in messages. */
static const char *
family_title (NdFamily family)
{
  switch (family)
    {
    case ND_FAMILY_PARNET:
      return "ParNet";
    case ND_FAMILY_REPVGG:
      return "RepVGG";
    case ND_FAMILY_VANILLANET:
      return "VanillaNet";
    case ND_FAMILY_RESNET:
      return "ResNet";
    case ND_FAMILY_VGG:
      return "VGG";
    case ND_FAMILY_RESNEXT:
      return "ResNeXt";
    case ND_FAMILY_MOBILENET:
      return "MobileNet";
    case ND_FAMILY_SHUFFLENET:
      return "ShuffleNet";
    case ND_FAMILY_DENSENET:
      return "DenseNet";
    case ND_FAMILY_INCEPTION:
      return "Inception";
    case ND_FAMILY_RESNETV2:
      return "ResNetV2";
    case ND_FAMILY_DARKNET:
      return "Darknet";
    case ND_FAMILY_CSPDARKNET:
      return "CSPDarknet";
    case ND_FAMILY_VOVNET:
      return "VoVNet";
    case ND_FAMILY_ESE_VOVNET:
      return "ESE-VoVNet";
    default:
      g_return_val_if_reached ("?");
    }
}

const char * const *
nd_model_names (void)
{
  return model_names;
}

gboolean
nd_model_spec_parse (const char *name, NdModelSpec *spec, GError **error)
{
  g_return_val_if_fail (spec != NULL, FALSE);

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (presets); i++)
    {
      const Preset *p = &presets[i];

      if (g_ascii_strcasecmp (name, model_names[i]) != 0)
        continue;
      memset (spec, 0, sizeof *spec);
      spec->family = p->family;
      g_strlcpy (spec->name, model_names[i], sizeof spec->name);
      g_strlcpy (spec->variant, p->variant, sizeof spec->variant);
      spec->streams = p->family == ND_FAMILY_PARNET ? 3 : 0;
      spec->width = 1.0;
      spec->n_blocks = p->n_blocks;
      memcpy (spec->blocks, p->blocks, sizeof spec->blocks);
      /* timm evaluates its (CSP)Darknet-53 at 256 */
      spec->resolution = p->family == ND_FAMILY_INCEPTION ? 299
                         : p->family == ND_FAMILY_DARKNET || p->family == ND_FAMILY_CSPDARKNET
                         ? 256 : 224;
      spec->classes = 1000;
      spec->in_channels = 3;
      /* λ = 1 is VanillaNet's constructor default (merge-ready); the other families have no
       * λ, and 1 stands for "not set" there. */
      spec->lambda = 1.0;
      spec->act_num = p->family == ND_FAMILY_VANILLANET ? 3 : 0;
      return TRUE;
    }

  {
    g_autofree char *known = g_strjoinv (", ", (char **) model_names);

    g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                 _("Unknown model “%s”. Known models: %s"), name ? name : "", known);
  }
  return FALSE;
}

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL, message);
  return FALSE;
}

/* Fills the knobs left at 0 from the preset and checks every knob. 0 means "preset" for
 * streams, blocks, resolution, classes, in_channels and act_num. Width and λ are taken as
 * given: width 0 is an error, λ = 0 is a real setting (the start of VanillaNet's deep
 * training). nd_model_spec_parse() sets both. */
gboolean
_nd_model_resolve_spec (const NdModelSpec *spec, NdModelSpec *r, GError **error)
{
  NdModelSpec preset;
  const char *fam;

  if (!nd_model_spec_parse (spec->name, &preset, error))
    return FALSE;
  if (preset.family != spec->family)
    return invalid (error, _("The model “%s” is not a %s model"), spec->name,
                    family_title (spec->family));
  fam = family_title (preset.family);
  *r = *spec;
  g_strlcpy (r->name, preset.name, sizeof r->name);
  g_strlcpy (r->variant, preset.variant, sizeof r->variant);

  /* streams */
  if (preset.family != ND_FAMILY_PARNET)
    {
      if (r->streams != 0)
        return invalid (error, _("--streams applies to ParNet only"));
    }
  else
    {
      if (r->streams == 0)
        r->streams = preset.streams;
      if (r->streams < 1 || r->streams > 3)
        return invalid (error, _("ParNet has 1, 2 or 3 streams, not %d"), r->streams);
    }

  /* width: no "0 means preset" here, so that --width 0 is refused rather than ignored */
  if (!(r->width > 0 && r->width <= 8))
    return invalid (error, _("The width multiplier must be greater than 0 and at most 8, "
                             "not %g"), r->width);

  /* resolution */
  if (r->resolution == 0)
    r->resolution = preset.resolution;
  if (r->resolution < 32 || r->resolution > 4096)
    return invalid (error, _("The input side must be between 32 and 4096 pixels, not %d"),
                    r->resolution);
  if (preset.family == ND_FAMILY_PARNET && r->resolution % 32 != 0)
    return invalid (error, _("ParNet needs an input side that is a multiple of 32: five "
                             "stride-2 levels, each with a 2×2 average pool (not %d)"),
                    r->resolution);
  if (preset.family == ND_FAMILY_VANILLANET && r->resolution % 32 != 0)
    return invalid (error, _("VanillaNet needs an input side that is a multiple of 32: a "
                             "stride-4 stem and three 2×2 max pools (not %d)"),
                    r->resolution);

  if (preset.family == ND_FAMILY_INCEPTION && r->resolution < 75)
    return invalid (error, _("Inception-v3 needs an input side of at least 75 pixels: its stem "
                             "and reductions use unpadded convolutions and pools (not %d)"),
                    r->resolution);

  /* classes, channels */
  if (r->classes == 0)
    r->classes = preset.classes;
  if (r->classes < 1 || r->classes > 100000)
    return invalid (error, _("The number of classes must be between 1 and 100000, not %d"),
                    r->classes);
  if (r->in_channels == 0)
    r->in_channels = preset.in_channels;
  if (r->in_channels < 1 || r->in_channels > 64)
    return invalid (error, _("The number of input channels must be between 1 and 64, not %d"),
                    r->in_channels);

  /* λ and the series activation */
  if (!(r->lambda >= 0 && r->lambda <= 1))
    return invalid (error, _("λ must be between 0 and 1, not %g"), r->lambda);
  if (preset.family != ND_FAMILY_VANILLANET)
    {
      if (r->lambda != 1.0)
        return invalid (error, _("--lambda applies to VanillaNet only"));
      if (r->act_num != 0)
        return invalid (error, _("The series activation size applies to VanillaNet only"));
    }
  else
    {
      if (r->act_num == 0)
        r->act_num = preset.act_num;
      if (r->act_num < 1 || r->act_num > 8)
        return invalid (error, _("The series activation size must be between 1 and 8, not %d"),
                        r->act_num);
    }

  /* blocks */
  if (preset.n_blocks == 0)
    {
      if (r->n_blocks != 0)
        return invalid (error, _("--blocks does not apply to %s: the variant sets the depth"),
                        fam);
      return TRUE;
    }
  if (r->n_blocks == 0)
    {
      r->n_blocks = preset.n_blocks;
      memcpy (r->blocks, preset.blocks, sizeof r->blocks);
    }
  if (preset.family == ND_FAMILY_PARNET)
    {
      /* Fewer streams with the preset's counts still in the spec: keep the first streams'. */
      if (r->n_blocks == preset.n_blocks && r->streams < preset.n_blocks
          && memcmp (r->blocks, preset.blocks, sizeof r->blocks) == 0)
        {
          r->n_blocks = r->streams;
          for (int i = r->streams; i < ND_MAX_STAGES; i++)
            r->blocks[i] = 0;
        }
      if (r->n_blocks != r->streams)
        return invalid (error, _("ParNet with %d streams takes %d --blocks entries (one per "
                                 "stream), not %d"), r->streams, r->streams, r->n_blocks);
    }
  else if (r->n_blocks != preset.n_blocks)
    return invalid (error, _("%s takes %d --blocks entries (one per stage), not %d"), fam,
                    preset.n_blocks, r->n_blocks);
  for (int i = 0; i < r->n_blocks; i++)
    if (r->blocks[i] < 0 || r->blocks[i] > 64)
      return invalid (error, _("A block count must be between 0 and 64, not %d"), r->blocks[i]);
  return TRUE;
}

/* Set while nd_model_measure() builds a shapes-only graph on this thread. */
static GPrivate shapes_only_build;

static NdGraph *
build_resolved (const NdModelSpec *r, GError **error)
{
  NdGraph *graph = NULL;

  switch (r->family)
    {
    case ND_FAMILY_PARNET:
      graph = nd_model_build_parnet (r, error);
      break;
    case ND_FAMILY_REPVGG:
      graph = nd_model_build_repvgg (r, error);
      break;
    case ND_FAMILY_VANILLANET:
      graph = nd_model_build_vanillanet (r, error);
      break;
    case ND_FAMILY_RESNET:
    case ND_FAMILY_RESNEXT:
      graph = nd_model_build_resnet (r, error);
      break;
    case ND_FAMILY_VGG:
      graph = nd_model_build_vgg (r, error);
      break;
    case ND_FAMILY_MOBILENET:
      graph = nd_model_build_mobilenet (r, error);
      break;
    case ND_FAMILY_SHUFFLENET:
      graph = nd_model_build_shufflenet (r, error);
      break;
    case ND_FAMILY_DENSENET:
      graph = nd_model_build_densenet (r, error);
      break;
    case ND_FAMILY_INCEPTION:
      graph = nd_model_build_inception (r, error);
      break;
    case ND_FAMILY_RESNETV2:
      graph = nd_model_build_resnetv2 (r, error);
      break;
    case ND_FAMILY_DARKNET:
    case ND_FAMILY_CSPDARKNET:
      graph = nd_model_build_darknet (r, error);
      break;
    case ND_FAMILY_VOVNET:
    case ND_FAMILY_ESE_VOVNET:
      graph = nd_model_build_vovnet (r, error);
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  if (graph == NULL)
    return NULL;
  g_free (graph->model_name);
  graph->model_name = g_strdup (r->name);
  g_free (graph->family);
  graph->family = g_strdup (nd_family_name (r->family));
  return graph;
}

gboolean
nd_model_measure (const NdModelSpec *spec, guint64 *weight_bytes, guint64 *activation_bytes,
                  GError **error)
{
  g_autoptr(NdGraph) graph = NULL;
  NdModelSpec r;

  g_return_val_if_fail (spec != NULL, FALSE);
  if (!_nd_model_resolve_spec (spec, &r, error))
    return FALSE;
  g_private_set (&shapes_only_build, GINT_TO_POINTER (1));
  graph = build_resolved (&r, error);
  g_private_set (&shapes_only_build, NULL);
  if (graph == NULL)
    return FALSE;
  nd_graph_memory (graph, weight_bytes, activation_bytes);
  return TRUE;
}

NdGraph *
nd_model_build (const NdModelSpec *spec, GError **error)
{
  NdModelSpec r;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_nd_model_resolve_spec (spec, &r, error))
    return NULL;
  /* sized from shapes first: a request over the budget allocates nothing */
  if (!nd_model_check_budget (&r, 1, error))
    return NULL;
  return build_resolved (&r, error);
}

int
nd_model_scale_width (int c, double w)
{
  if (w == 1.0)
    return c;
  return MAX (2, 2 * (int) lround (c * w / 2));
}

/* ---- builder helpers ---------------------------------------------------------------------- */

void
nd_build_init (NdBuild *b, int in_c, int side)
{
  memset (b, 0, sizeof *b);
  b->graph = g_private_get (&shapes_only_build) != NULL
               ? nd_graph_new_shapes_only (in_c, side, side)
               : nd_graph_new (in_c, side, side);
  b->stream = -1;
}

NdGraph *
nd_build_finish (NdBuild *b, GError **error)
{
  g_clear_pointer (&b->block, g_free);
  if (b->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&b->error));
      g_clear_pointer (&b->graph, nd_graph_unref);
      return NULL;
    }
  return g_steal_pointer (&b->graph);
}

void
nd_build_tags (NdBuild *b, int stream, const char *block, int depth)
{
  b->stream = stream;
  g_free (b->block);
  b->block = g_strdup (block);
  b->depth = depth;
}

gboolean
nd_build_failed (const NdBuild *b)
{
  return b->error != NULL;
}

static int
build_node (NdBuild *b, NdOp op, const NdOpParams *p, const int *in, int n_in, NdRole role,
            const char *prefix, const char *suffix)
{
  g_autofree char *name = NULL;
  int id;

  if (b->error != NULL)
    return -1;
  if (prefix != NULL || suffix != NULL)
    name = g_strconcat (prefix ? prefix : "", suffix ? suffix : "", NULL);
  id = nd_graph_add (b->graph, op, p, in, n_in, name, &b->error);
  if (id >= 0)
    nd_graph_tag (b->graph, id, b->stream, b->block, role, b->depth);
  return id;
}

static NdOpParams
params_default (void)
{
  NdOpParams p = { .stride = 1, .groups = 1, .eps = 1e-5f, .alpha = 1.0f };

  return p;
}

int
nd_build_conv (NdBuild *b, int in, int out_c, int k, int stride, int pad, int groups,
               gboolean bias, NdRole role, const char *prefix, const char *suffix)
{
  NdOpParams p = params_default ();

  p.out_c = out_c;
  p.kernel = k;
  p.stride = stride;
  p.pad = pad;
  p.groups = groups;
  p.has_bias = bias ? 1 : 0;
  return build_node (b, ND_OP_CONV2D, &p, &in, 1, role, prefix, suffix);
}

int
nd_build_conv_rect (NdBuild *b, int in, int out_c, int kh, int kw, int stride, int pad_h,
                    int pad_w, NdRole role, const char *prefix, const char *suffix)
{
  NdOpParams p = params_default ();

  p.out_c = out_c;
  p.kernel = kh;
  p.pad = pad_h;
  p.kernel_w = kw;
  p.pad_w = pad_w;
  p.stride = stride;
  return build_node (b, ND_OP_CONV2D, &p, &in, 1, role, prefix, suffix);
}

int
nd_build_bn (NdBuild *b, int in, float eps, NdRole role, const char *prefix, const char *suffix)
{
  NdOpParams p = params_default ();

  p.eps = eps;
  return build_node (b, ND_OP_BATCHNORM, &p, &in, 1, role, prefix, suffix);
}

int
nd_build_unary (NdBuild *b, NdOp op, int in, float alpha, NdRole role)
{
  NdOpParams p = params_default ();

  if (op == ND_OP_CHANNEL_SHUFFLE)
    p.groups = (int) alpha;
  else
    p.alpha = alpha;
  return build_node (b, op, &p, &in, 1, role, NULL, NULL);
}

int
nd_build_pool (NdBuild *b, NdOp op, int in, int k, int stride, int pad, NdRole role)
{
  NdOpParams p = params_default ();

  p.kernel = k;
  p.stride = stride;
  p.pad = pad;
  return build_node (b, op, &p, &in, 1, role, NULL, NULL);
}

/* PyTorch's MaxPool2d (k, stride, ceil_mode=True) without padding (VoVNet's stages). */
int
nd_build_maxpool_ceil (NdBuild *b, int in, int k, int stride, NdRole role)
{
  NdOpParams p = params_default ();

  p.kernel = k;
  p.stride = stride;
  p.ceil_mode = 1;
  return build_node (b, ND_OP_MAXPOOL, &p, &in, 1, role, NULL, NULL);
}

int
nd_build_adaptive (NdBuild *b, NdOp op, int in, int out_side, NdRole role, const char *name)
{
  NdOpParams p = params_default ();

  p.out_h = p.out_w = out_side;
  return build_node (b, op, &p, &in, 1, role, name, NULL);
}

int
nd_build_linear (NdBuild *b, int in, int out_c, NdRole role, const char *name)
{
  NdOpParams p = params_default ();

  p.out_c = out_c;
  p.has_bias = 1;
  return build_node (b, ND_OP_LINEAR, &p, &in, 1, role, name, NULL);
}

int
nd_build_add (NdBuild *b, const int *in, int n_in, NdRole role)
{
  NdOpParams p = params_default ();

  return build_node (b, ND_OP_ADD, &p, in, n_in, role, NULL, NULL);
}

int
nd_build_gate (NdBuild *b, int x, int gate, float alpha, NdRole role)
{
  NdOpParams p = params_default ();
  int in[2] = { x, gate };

  p.alpha = alpha;
  return build_node (b, ND_OP_GATE, &p, in, 2, role, NULL, NULL);
}

int
nd_build_hard_gate (NdBuild *b, int x, int gate, NdRole role)
{
  NdOpParams p = params_default ();
  int in[2] = { x, gate };

  p.hard_gate = 1;
  return build_node (b, ND_OP_GATE, &p, in, 2, role, NULL, NULL);
}

int
nd_build_concat (NdBuild *b, int x, int y, NdRole role)
{
  NdOpParams p = params_default ();
  int in[2] = { x, y };

  return build_node (b, ND_OP_CONCAT_INTERLEAVE, &p, in, 2, role, NULL, NULL);
}

int
nd_build_cat (NdBuild *b, const int *in, int n_in, NdRole role)
{
  NdOpParams p = params_default ();

  return build_node (b, ND_OP_CONCAT, &p, in, n_in, role, NULL, NULL);
}

int
nd_build_slice (NdBuild *b, int in, int offset, int count, NdRole role)
{
  NdOpParams p = params_default ();

  p.offset = offset;
  p.out_c = count;
  return build_node (b, ND_OP_SLICE, &p, &in, 1, role, NULL, NULL);
}

int
nd_build_node_out_c (const NdBuild *b, int id)
{
  if (b->error != NULL || id < 0)
    return 0;
  return nd_graph_node (b->graph, id)->out_c;
}
