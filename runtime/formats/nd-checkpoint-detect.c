/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nd-checkpoint-private.h"

/* Model detection from key names and shapes alone (docs/reference/networks.md §1.4, §2.4, §3.6). */

typedef struct
{
  GHashTable        *by_key;   /* key → NdKeyShape* */
  const NdKeyShape  *ks;
  guint              n;
} Keys;

static const NdKeyShape *
find (const Keys *k, const char *key)
{
  return g_hash_table_lookup (k->by_key, key);
}

static int64_t
dim (const Keys *k, const char *key, int d)
{
  const NdKeyShape *s = find (k, key);

  return s != NULL && d < s->ndim ? s->shape[d] : -1;
}

static int64_t
dimf (const Keys *k, int d, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static int64_t
dimf (const Keys *k, int d, const char *fmt, ...)
{
  g_autofree char *key = NULL;
  va_list ap;

  va_start (ap, fmt);
  key = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return dim (k, key, d);
}

/* Number of distinct integers i such that some key starts with "<prefix>i." */
static int
count_children (const Keys *k, const char *prefix)
{
  gsize plen = strlen (prefix);
  int max = -1;

  for (guint i = 0; i < k->n; i++)
    {
      const char *key = k->ks[i].key;
      char *end;
      guint64 v;

      if (strncmp (key, prefix, plen) != 0 || !g_ascii_isdigit (key[plen]))
        continue;
      v = g_ascii_strtoull (key + plen, &end, 10);
      if (*end == '.' && v < 1000 && (int) v > max)
        max = (int) v;
    }
  return max + 1;
}

static void
knob (NdCheckpointModel *m, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
knob (NdCheckpointModel *m, const char *fmt, ...)
{
  g_autofree char *s = NULL;
  va_list ap;

  va_start (ap, fmt);
  s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (m->knobs[0] != '\0')
    g_strlcat (m->knobs, " ", sizeof m->knobs);
  g_strlcat (m->knobs, s, sizeof m->knobs);
}

static int
scale_width (int c, double w)
{
  int v = 2 * (int) lround (c * w / 2);

  return w == 1.0 ? c : MAX (v, 2);
}

/* The widths preset @row gives at width multiplier @w; RepVGG's stage 0 is min(64, stage 1)
 * of the scaled widths (nd-model-repvgg.c), not a scaled constant. */
static gboolean
widths_match (const int *row, int n_w, double w, gboolean repvgg_stage0, const int *have)
{
  for (int i = 0; i < n_w; i++)
    {
      int want = scale_width (row[i], w);

      if (i == 0 && repvgg_stage0)
        want = MIN (64, scale_width (row[1], w));
      if (want != have[i])
        return FALSE;
    }
  return TRUE;
}

/* Finds a preset among @n whose widths, scaled by one width knob, give @have. */
static int
match_widths (const int (*table)[5], int n, int n_w, const int *have, gboolean repvgg_stage0,
              double *width)
{
  for (int p = 0; p < n; p++)
    if (widths_match (table[p], n_w, 1.0, repvgg_stage0, have))
      {
        *width = 1.0;
        return p;
      }
  for (int p = 0; p < n; p++)
    {
      double w = round ((double) have[n_w - 1] / table[p][n_w - 1] * 1000) / 1000;

      if (w > 0 && widths_match (table[p], n_w, w, repvgg_stage0, have))
        {
          *width = w;
          return p;
        }
    }
  return -1;
}

static void
common_knobs (NdCheckpointModel *m, double width)
{
  if (width != 1.0)
    {
      /* nd_knobs_parse() reads a C-locale number, whatever the user's locale */
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      knob (m, "--width %s", g_ascii_formatd (buf, sizeof buf, "%g", width));
    }
  if (m->classes != 1000 && m->classes > 0)
    knob (m, "--classes %d", m->classes);
  if (m->in_channels != 3 && m->in_channels > 0)
    knob (m, "--in-channels %d", m->in_channels);
}

/* ---- ParNet ---- */

static gboolean
detect_parnet (const Keys *k, NdCheckpointModel *m)
{
  static const int planes[4][5] = {
    { 92, 192, 384, 1280 }, { 128, 256, 512, 2048 }, { 160, 320, 640, 2560 },
    { 200, 400, 800, 3200 },
  };
  static const char *names[4] = { "parnet-s", "parnet-m", "parnet-l", "parnet-xl" };
  const char *w = m->deploy ? "rbr_dense.weight" : "rbr_dense.conv.weight";
  int c[4], streams, blocks[3], p;
  double width = 1.0;
  gboolean official_blocks = TRUE;

  /* The widths from modules every stream count keeps (nd-model-parnet.c): c1 is the output
   * of downsamples_2.0, c2 that of downsamples_2.1 (a fusion with 2-3 streams, a plain block
   * with 1), c_last that of combine.3. The stream count follows inits.1 / inits.2. */
  c[0] = dimf (k, 0, "inits.0.1.block.%s", w);
  c[1] = dimf (k, 0, "downsamples_2.0.block.%s", w);
  c[2] = dimf (k, 0, "downsamples_2.1.2.block.%s", w);
  if (c[2] < 0)
    c[2] = dimf (k, 0, "downsamples_2.1.block.%s", w);
  c[3] = dimf (k, 0, "combine.3.block.%s", w);
  m->in_channels = dimf (k, 1, "inits.0.0.block.%s", w);
  m->classes = dim (k, "head.fc.weight", 0);
  streams = 1 + (dimf (k, 0, "inits.1.block.%s", w) > 0) + (dimf (k, 0, "inits.2.block.%s", w) > 0);
  for (int s = 0; s < 3; s++)
    {
      g_autofree char *prefix = g_strdup_printf ("streams.%d.", s);

      blocks[s] = s < streams ? count_children (k, prefix) : 0;
    }

  if (c[0] <= 0 || c[1] <= 0 || c[2] <= 0 || c[3] <= 0)
    {
      g_snprintf (m->reason, sizeof m->reason,
                  "ParNet keys without inits.0.1, downsamples_2.0, downsamples_2.1 or combine.3");
      return FALSE;
    }
  p = match_widths (planes, 4, 4, c, FALSE, &width);
  if (p < 0)
    {
      g_snprintf (m->reason, sizeof m->reason,
                  "ParNet widths %d/%d/%d/%d match no variant at any width multiplier",
                  c[0], c[1], c[2], c[3]);
      return FALSE;
    }
  g_strlcpy (m->preset, names[p], sizeof m->preset);
  official_blocks = blocks[0] == 4 && (streams < 2 || blocks[1] == 5)
                    && (streams < 3 || blocks[2] == 5);
  common_knobs (m, width);
  if (streams != 3)
    knob (m, "--streams %d", streams);
  if (!official_blocks)
    {
      if (streams == 1)
        knob (m, "--blocks %d", blocks[0]);
      else if (streams == 2)
        knob (m, "--blocks %d,%d", blocks[0], blocks[1]);
      else
        knob (m, "--blocks %d,%d,%d", blocks[0], blocks[1], blocks[2]);
    }
  return TRUE;
}

/* ---- RepVGG ---- */

static gboolean
detect_repvgg (const Keys *k, NdCheckpointModel *m)
{
  static const int widths[7][5] = {
    { 48, 48, 96, 192, 1280 }, { 64, 64, 128, 256, 1280 }, { 64, 96, 192, 384, 1408 },
    { 64, 64, 128, 256, 1280 }, { 64, 128, 256, 512, 2048 }, { 64, 160, 320, 640, 2560 },
    { 64, 192, 384, 768, 2560 },
  };
  static const char *names[7] = { "a0", "a1", "a2", "b0", "b1", "b2", "b3" };
  static const int blocks_a[4] = { 2, 4, 14, 1 }, blocks_b[4] = { 4, 6, 16, 1 };
  const char *w = m->deploy ? "rbr_reparam.weight" : "rbr_dense.conv.weight";
  int c[5], blocks[4], p = -1, groups = 1;
  double width = 1.0;
  gboolean is_b, official = TRUE;
  char name[32];

  c[0] = dimf (k, 0, "stage0.%s", w);
  m->in_channels = dimf (k, 1, "stage0.%s", w);
  for (int s = 1; s <= 4; s++)
    {
      g_autofree char *prefix = g_strdup_printf ("stage%d.", s);

      c[s] = dimf (k, 0, "stage%d.0.%s", s, w);
      blocks[s - 1] = count_children (k, prefix);
    }
  m->classes = dim (k, "linear.weight", 0);
  for (int s = 0; s < 5; s++)
    if (c[s] <= 0)
      {
        g_snprintf (m->reason, sizeof m->reason, "RepVGG keys without stage%d", s);
        return FALSE;
      }
  /* gN: the second block of stage 1 is grouped (odd index within its stage) */
  if (blocks[0] >= 2)
    {
      int64_t in_per_group = dimf (k, 1, "stage1.1.%s", w);

      if (in_per_group > 0 && c[1] % in_per_group == 0)
        groups = c[1] / in_per_group;
    }
  is_b = blocks[0] == 4 && blocks[1] == 6 && blocks[2] == 16 && blocks[3] == 1;
  /* A and B share widths (A1 = B0): the block counts decide */
  for (int i = 0; i < 7 && p < 0; i++)
    {
      gboolean ok = TRUE;

      if ((i >= 3) != is_b)
        continue;
      for (int s = 0; s < 5 && ok; s++)
        ok = widths[i][s] == c[s];
      if (ok)
        p = i;
    }
  if (p < 0)
    {
      /* width knob on the nearest block pattern */
      const int (*tab)[5] = is_b ? widths + 3 : widths;
      int q = match_widths (tab, is_b ? 4 : 3, 5, c, TRUE, &width);

      if (q < 0)
        {
          g_snprintf (m->reason, sizeof m->reason,
                      "RepVGG widths %d/%d/%d/%d/%d match no variant", c[0], c[1], c[2], c[3],
                      c[4]);
          return FALSE;
        }
      p = is_b ? q + 3 : q;
    }
  if (groups > 1 && p < 4)
    {
      g_snprintf (m->reason, sizeof m->reason, "grouped RepVGG-%s is not a published variant",
                  names[p]);
      return FALSE;
    }
  if (groups > 1)
    g_snprintf (name, sizeof name, "repvgg-%sg%d", names[p], groups);
  else
    g_snprintf (name, sizeof name, "repvgg-%s", names[p]);
  g_strlcpy (m->preset, name, sizeof m->preset);
  for (int s = 0; s < 4; s++)
    official = official && blocks[s] == (p >= 3 ? blocks_b : blocks_a)[s];
  common_knobs (m, width);
  if (!official)
    knob (m, "--blocks 1,%d,%d,%d,%d", blocks[0], blocks[1], blocks[2], blocks[3]);
  return TRUE;
}

/* ---- VanillaNet ---- */

static gboolean
detect_vanillanet (const Keys *k, NdCheckpointModel *m)
{
  int n_stages = count_children (k, "stages."), c0, act_k;
  int c[16];
  gboolean x15;
  double f = 1.0, width = 1.0;
  int depth = n_stages + 2;

  if (m->deploy)
    {
      c0 = dim (k, "stem.0.weight", 0);
      m->in_channels = dim (k, "stem.0.weight", 1);
      m->classes = dim (k, "cls.2.weight", 0);
      act_k = dim (k, "stem.1.weight", 2);
    }
  else
    {
      c0 = dim (k, "stem1.0.weight", 0);
      m->in_channels = dim (k, "stem1.0.weight", 1);
      m->classes = dim (k, "cls2.0.weight", 0);
      act_k = dim (k, "stem2.2.weight", 2);
    }
  if (c0 <= 0 || n_stages < 3 || n_stages > 11)
    {
      g_snprintf (m->reason, sizeof m->reason, "VanillaNet keys with %d stages", n_stages);
      return FALSE;
    }
  for (int i = 0; i < n_stages; i++)
    c[i] = m->deploy ? dimf (k, 0, "stages.%d.conv.weight", i)
                     : dimf (k, 0, "stages.%d.conv2.0.weight", i);
  /* the stage widths of VanillaNet-depth (§3.4), then a width multiplier on every one of
   * them (nd-model-vanillanet.c scales the stem and each stage) */
  {
    int want[16], nw = 0;
    double w = 1.0;
    gboolean found = FALSE;

    if (depth == 5 || depth == 6)
      {
        want[nw++] = 1024;
        want[nw++] = 2048;
        want[nw++] = 4096;
        if (depth == 6)
          want[nw++] = 4096;
      }
    else
      {
        want[nw++] = 512;
        want[nw++] = 1024;
        want[nw++] = 2048;
        for (int i = 0; i < depth - 7; i++)
          want[nw++] = 2048;
        want[nw++] = 4096;
        want[nw++] = 4096;
      }
    /* the 1.5× variant exists at depth 13 only; try it first there */
    for (int pass = depth == 13 ? 0 : 1; pass < 2 && !found; pass++)
      {
        f = pass == 0 ? 1.5 : 1.0;
        w = round (c0 / (512 * f) * 1000) / 1000;
        found = w > 0 && scale_width ((int) (512 * f), w) == c0 && nw == n_stages;
        for (int i = 0; i < nw && found; i++)
          found = c[i] == scale_width ((int) (want[i] * f), w);
      }
    if (!found)
      {
        g_snprintf (m->reason, sizeof m->reason,
                    "VanillaNet widths (stem %d, %d stages) match no variant", c0, n_stages);
        return FALSE;
      }
    x15 = f == 1.5;
    width = w;
  }
  if (x15)
    {
      g_strlcpy (m->preset, "vanillanet-13-x1.5", sizeof m->preset);
      /* the ada_pool variant differs only in stem stride and pools, not in weights */
      g_strlcpy (m->reason, "vanillanet_13_x1_5 and its ada_pool variant have the same keys",
                 sizeof m->reason);
    }
  else
    g_snprintf (m->preset, sizeof m->preset, "vanillanet-%d", depth);
  common_knobs (m, width);
  /* act_num is a spec field but no nondeep-cli option: say so rather than load it wrongly */
  if (act_k > 0 && act_k != 7)
    g_snprintf (m->reason, sizeof m->reason, "series activation kernel %d (act_num %d, not the "
                "default 3)", act_k, (act_k - 1) / 2);
  return TRUE;
}

/* ---- ResNet, VGG ---- */

static gboolean
detect_resnet (const Keys *k, NdCheckpointModel *m)
{
  int b[4];
  gboolean bottleneck = find (k, "layer1.0.conv3.weight") != NULL;

  for (int l = 0; l < 4; l++)
    {
      g_autofree char *prefix = g_strdup_printf ("layer%d.", l + 1);

      b[l] = count_children (k, prefix);
    }
  m->deploy = find (k, "bn1.weight") == NULL;
  m->in_channels = dim (k, "conv1.weight", 1);
  m->classes = dim (k, "fc.weight", 0);
  /* ResNeXt 32×4d: layer1's grouped 3×3 is [128, 4, 3, 3] */
  if (bottleneck && dim (k, "layer1.0.conv2.weight", 0) == 128
      && dim (k, "layer1.0.conv2.weight", 1) == 4)
    {
      g_strlcpy (m->family, "resnext", sizeof m->family);
      g_strlcpy (m->preset, "resnext-50-32x4d", sizeof m->preset);
      if (b[0] != 3 || b[1] != 4 || b[2] != 6 || b[3] != 3)
        knob (m, "--blocks %d,%d,%d,%d", b[0], b[1], b[2], b[3]);
    }
  else if (bottleneck && b[0] == 3 && b[1] == 4 && b[2] == 23 && b[3] == 3)
    g_strlcpy (m->preset, "resnet-101", sizeof m->preset);
  else if (!bottleneck && b[0] == 2 && b[1] == 2 && b[2] == 2 && b[3] == 2)
    g_strlcpy (m->preset, "resnet-18", sizeof m->preset);
  else if (b[0] == 3 && b[1] == 4 && b[2] == 6 && b[3] == 3)
    g_strlcpy (m->preset, bottleneck ? "resnet-50" : "resnet-34", sizeof m->preset);
  else
    {
      g_strlcpy (m->preset, bottleneck ? "resnet-50" : "resnet-18", sizeof m->preset);
      knob (m, "--blocks %d,%d,%d,%d", b[0], b[1], b[2], b[3]);
    }
  common_knobs (m, 1.0);
  return TRUE;
}

static gboolean
detect_vgg (const Keys *k, NdCheckpointModel *m)
{
  int convs = 0;

  for (guint i = 0; i < k->n; i++)
    if (g_str_has_prefix (k->ks[i].key, "features.") && g_str_has_suffix (k->ks[i].key, ".weight")
        && k->ks[i].ndim == 4)
      convs++;
  m->in_channels = dim (k, "features.0.weight", 1);
  m->classes = dim (k, "classifier.6.weight", 0);
  if (convs != 13 && convs != 16)
    {
      g_snprintf (m->reason, sizeof m->reason, "VGG with %d convs (VGG-16 and VGG-19 are built)",
                  convs);
      return FALSE;
    }
  g_strlcpy (m->preset, convs == 13 ? "vgg-16" : "vgg-19", sizeof m->preset);
  common_knobs (m, 1.0);
  return TRUE;
}

/* ---- the torchvision zoo: MobileNetV2, ShuffleNetV2, DenseNet (full width only) ---- */

static gboolean
detect_mobilenet (const Keys *k, NdCheckpointModel *m)
{
  m->in_channels = dim (k, "features.0.0.weight", 1);
  m->classes = dim (k, "classifier.1.weight", 0);
  if (dim (k, "features.0.0.weight", 0) != 32 || count_children (k, "features.") != 19)
    {
      g_strlcpy (m->reason, "a MobileNetV2 other than width 1.0 (only mobilenet_v2 is built)",
                 sizeof m->reason);
      return FALSE;
    }
  g_strlcpy (m->preset, "mobilenet-v2", sizeof m->preset);
  common_knobs (m, 1.0);
  return TRUE;
}

static gboolean
detect_shufflenet (const Keys *k, NdCheckpointModel *m)
{
  int b[3];

  for (int s = 0; s < 3; s++)
    {
      g_autofree char *prefix = g_strdup_printf ("stage%d.", s + 2);

      b[s] = count_children (k, prefix);
    }
  m->in_channels = dim (k, "conv1.0.weight", 1);
  m->classes = dim (k, "fc.weight", 0);
  if (dim (k, "conv1.0.weight", 0) != 24 || dim (k, "stage2.0.branch1.2.weight", 0) != 58
      || dim (k, "conv5.0.weight", 0) != 1024)
    {
      g_strlcpy (m->reason, "a ShuffleNetV2 other than ×1.0 (only shufflenet_v2_x1_0 is built)",
                 sizeof m->reason);
      return FALSE;
    }
  g_strlcpy (m->preset, "shufflenet-v2-1.0", sizeof m->preset);
  if (b[0] != 4 || b[1] != 8 || b[2] != 4)
    knob (m, "--blocks %d,%d,%d", b[0], b[1], b[2]);
  common_knobs (m, 1.0);
  return TRUE;
}

static gboolean
detect_densenet (const Keys *k, NdCheckpointModel *m)
{
  int b[4], n = 0;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("features.denseblock%d.denselayer", i + 1);

      /* layers are numbered from 1: the highest index + 1 less one */
      b[i] = MAX (0, count_children (k, prefix) - 1);
      n += b[i] > 0;
    }
  m->in_channels = dim (k, "features.conv0.weight", 1);
  m->classes = dim (k, "classifier.weight", 0);
  if (n != 4 || dim (k, "features.conv0.weight", 0) != 64
      || dim (k, "features.denseblock1.denselayer1.conv2.weight", 0) != 32)
    {
      g_strlcpy (m->reason, "a DenseNet other than growth 32 from 64 stem features in four "
                 "blocks (densenet121's structure)", sizeof m->reason);
      return FALSE;
    }
  g_strlcpy (m->preset, "densenet-121", sizeof m->preset);
  if (b[0] != 6 || b[1] != 12 || b[2] != 24 || b[3] != 16)
    knob (m, "--blocks %d,%d,%d,%d", b[0], b[1], b[2], b[3]);
  common_knobs (m, 1.0);
  return TRUE;
}

static gboolean
detect_inception (const Keys *k, NdCheckpointModel *m)
{
  m->in_channels = dim (k, "Conv2d_1a_3x3.conv.weight", 1);
  m->classes = dim (k, "fc.weight", 0);
  if (dim (k, "Conv2d_1a_3x3.conv.weight", 0) != 32 || dim (k, "fc.weight", 1) != 2048)
    {
      g_strlcpy (m->reason, "an Inception other than torchvision's inception_v3",
                 sizeof m->reason);
      return FALSE;
    }
  g_strlcpy (m->preset, "inception-v3", sizeof m->preset);
  common_knobs (m, 1.0);
  return TRUE;
}

/* ---- timm's layouts: ResNetV2-50, (CSP)Darknet-53, VoVNet (full width only) ---- */

/* Blocks per stage from timm's "stages.N.blocks.M." keys into @b; returns the stage count. */
static int
stage_blocks (const Keys *k, int n_max, int *b)
{
  int n = 0;

  for (int s = 0; s < n_max; s++)
    {
      g_autofree char *prefix = g_strdup_printf ("stages.%d.blocks.", s);

      b[s] = count_children (k, prefix);
      if (b[s] > 0)
        n = s + 1;
    }
  return n;
}

static gboolean
detect_resnetv2 (const Keys *k, NdCheckpointModel *m)
{
  int b[4];

  m->in_channels = dim (k, "stem.conv.weight", 1);
  m->classes = dim (k, "head.fc.weight", 0);
  if (stage_blocks (k, 4, b) != 4 || dim (k, "stem.conv.weight", 0) != 64
      || dim (k, "stages.0.blocks.0.conv3.weight", 0) != 256 || dim (k, "norm.weight", 0) != 2048)
    {
      g_strlcpy (m->reason, "a ResNetV2 other than timm's resnetv2_50 structure (64-channel "
                 "7×7 stem, BatchNorm, bottlenecks of 256…2048)", sizeof m->reason);
      return FALSE;
    }
  g_strlcpy (m->preset, "resnet-v2-50", sizeof m->preset);
  if (b[0] != 3 || b[1] != 4 || b[2] != 6 || b[3] != 3)
    knob (m, "--blocks %d,%d,%d,%d", b[0], b[1], b[2], b[3]);
  common_knobs (m, 1.0);
  return TRUE;
}

static gboolean
detect_darknet (const Keys *k, NdCheckpointModel *m, gboolean csp)
{
  int b[5];

  m->in_channels = dim (k, "stem.conv1.conv.weight", 1);
  m->classes = dim (k, "head.fc.weight", 0);
  stage_blocks (k, 5, b);
  if (dim (k, "stem.conv1.conv.weight", 0) != 32
      || dim (k, "stages.4.conv_down.conv.weight", 0) != 1024
      || dim (k, "stages.0.conv_down.conv.weight", 0) != 64)
    {
      g_strlcpy (m->reason, csp ? "a CSPDarknet other than timm's cspdarknet53 structure"
                                : "a Darknet other than timm's darknet53 structure",
                 sizeof m->reason);
      return FALSE;
    }
  g_strlcpy (m->preset, csp ? "cspdarknet-53" : "darknet-53", sizeof m->preset);
  if (b[0] != 1 || b[1] != 2 || b[2] != 8 || b[3] != 8 || b[4] != 4)
    knob (m, "--blocks %d,%d,%d,%d,%d", b[0], b[1], b[2], b[3], b[4]);
  common_knobs (m, 1.0);
  return TRUE;
}

static gboolean
detect_vovnet (const Keys *k, NdCheckpointModel *m)
{
  gboolean ese = FALSE;
  int b[4];

  for (guint i = 0; i < k->n && !ese; i++)
    ese = strstr (k->ks[i].key, ".attn.fc.weight") != NULL;
  m->in_channels = dim (k, "stem.0.conv.weight", 1);
  m->classes = dim (k, "head.fc.weight", 0);
  if (stage_blocks (k, 4, b) != 4 || dim (k, "stem.2.conv.weight", 0) != 128
      || dim (k, "stages.0.blocks.0.conv_mid.0.conv.weight", 0) != 128
      || find (k, "stages.0.blocks.0.conv_mid.4.conv.weight") == NULL
      || dim (k, "head.fc.weight", 1) != 1024)
    {
      g_strlcpy (m->reason, "a VoVNet other than timm's vovnet39a, vovnet57a and ese_vovnet39b "
                 "structure (five 3×3 convs per OSA module, widths 128…224 → 256…1024)",
                 sizeof m->reason);
      return FALSE;
    }
  if (ese)
    {
      g_strlcpy (m->family, "ese-vovnet", sizeof m->family);
      g_strlcpy (m->preset, "ese-vovnet-39", sizeof m->preset);
    }
  else
    g_strlcpy (m->preset, b[2] == 4 && b[3] == 3 ? "vovnet-57" : "vovnet-39", sizeof m->preset);
  if (b[0] != 1 || b[1] != 1 || !((b[2] == 2 && b[3] == 2) || (!ese && b[2] == 4 && b[3] == 3)))
    knob (m, "--blocks %d,%d,%d,%d", b[0], b[1], b[2], b[3]);
  common_knobs (m, 1.0);
  return TRUE;
}

gboolean
nd_checkpoint_detect_shapes (const NdKeyShape *ks, guint n, NdCheckpointModel *out)
{
  g_autoptr(GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
  Keys k = { by_key, ks, n };

  memset (out, 0, sizeof *out);
  for (guint i = 0; i < n; i++)
    g_hash_table_insert (by_key, (gpointer) ks[i].key, (gpointer) &ks[i]);

  if (find (&k, "inits.0.0.block.rbr_dense.conv.weight")
      || find (&k, "inits.0.0.block.rbr_dense.weight"))
    {
      g_strlcpy (out->family, "parnet", sizeof out->family);
      out->deploy = find (&k, "inits.0.0.block.rbr_dense.weight") != NULL;
      return detect_parnet (&k, out);
    }
  if (find (&k, "stage0.rbr_dense.conv.weight") || find (&k, "stage0.rbr_reparam.weight"))
    {
      g_strlcpy (out->family, "repvgg", sizeof out->family);
      out->deploy = find (&k, "stage0.rbr_reparam.weight") != NULL;
      return detect_repvgg (&k, out);
    }
  if (find (&k, "stem.conv_kxk.conv.weight") || find (&k, "stem.reparam_conv.weight"))
    {
      /* timm byobnet (v0.1-repvgg-weights): recognised, not mapped onto the official names */
      g_strlcpy (out->family, "repvgg", sizeof out->family);
      out->timm_keys = TRUE;
      out->classes = dim (&k, "head.fc.weight", 0);
      g_strlcpy (out->reason, "timm's RepVGG key scheme (stem.conv_kxk…, stages.N.M…) is "
                 "recognised but not converted to the official names", sizeof out->reason);
      return FALSE;
    }
  if (find (&k, "stem.conv.weight") && find (&k, "stages.0.blocks.0.norm1.weight"))
    {
      g_strlcpy (out->family, "resnet-v2", sizeof out->family);
      return detect_resnetv2 (&k, out);
    }
  if (find (&k, "stem.conv1.conv.weight") && find (&k, "stages.0.conv_down.conv.weight"))
    {
      gboolean csp = find (&k, "stages.0.conv_exp.conv.weight") != NULL;

      g_strlcpy (out->family, csp ? "cspdarknet" : "darknet", sizeof out->family);
      return detect_darknet (&k, out, csp);
    }
  if (find (&k, "stem.0.conv.weight") && find (&k, "stages.0.blocks.0.conv_mid.0.conv.weight"))
    {
      g_strlcpy (out->family, "vovnet", sizeof out->family);
      return detect_vovnet (&k, out);
    }
  if (find (&k, "stem1.0.weight") || find (&k, "stem.0.weight"))
    {
      g_strlcpy (out->family, "vanillanet", sizeof out->family);
      out->deploy = find (&k, "stem1.0.weight") == NULL;
      return detect_vanillanet (&k, out);
    }
  if (find (&k, "features.0.0.weight") && find (&k, "features.1.conv.0.0.weight")
      && find (&k, "classifier.1.weight"))
    {
      g_strlcpy (out->family, "mobilenet", sizeof out->family);
      return detect_mobilenet (&k, out);
    }
  if (find (&k, "conv1.0.weight") && find (&k, "stage2.0.branch1.0.weight"))
    {
      g_strlcpy (out->family, "shufflenet", sizeof out->family);
      return detect_shufflenet (&k, out);
    }
  if (find (&k, "features.conv0.weight")
      && find (&k, "features.denseblock1.denselayer1.conv1.weight"))
    {
      g_strlcpy (out->family, "densenet", sizeof out->family);
      return detect_densenet (&k, out);
    }
  if (find (&k, "Conv2d_1a_3x3.conv.weight") && find (&k, "Mixed_5b.branch1x1.conv.weight"))
    {
      g_strlcpy (out->family, "inception", sizeof out->family);
      return detect_inception (&k, out);
    }
  if (find (&k, "conv1.weight") && find (&k, "layer1.0.conv1.weight"))
    {
      g_strlcpy (out->family, "resnet", sizeof out->family);
      return detect_resnet (&k, out);
    }
  if (find (&k, "features.0.weight") && find (&k, "classifier.6.weight"))
    {
      g_strlcpy (out->family, "vgg", sizeof out->family);
      return detect_vgg (&k, out);
    }
  g_strlcpy (out->reason, "the keys match no known model (ParNet, RepVGG, VanillaNet, ResNet, "
             "ResNeXt, VGG, MobileNetV2, ShuffleNetV2, DenseNet, Inception, ResNetV2, Darknet, "
             "CSPDarknet, VoVNet)", sizeof out->reason);
  return FALSE;
}
