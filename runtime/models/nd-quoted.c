/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-quoted.h"

/* Published ImageNet-1k top-1 (single 224 crop unless the source says otherwise): quoted,
 * never measured here. Sources as docs/reference/networks.md records them; "verified" is
 * FALSE where that file says the number could not be checked against the paper. */
#define REPVGG_T4 "Ding et al., RepVGG, CVPR 2021, Table 4 (120 epochs)"
#define REPVGG_T5 "Ding et al., RepVGG, CVPR 2021, Table 5 (200 epochs, AutoAugment, mixup)"
#define VANILLA "Chen et al., VanillaNet, NeurIPS 2023, main table (= the official README)"
#define TORCHVISION "torchvision IMAGENET1K_V1 weights, as the torchvision model docs list them"
#define PARNET "Goyal et al., Non-deep Networks, arXiv 2110.07641 v1, ImageNet table; " \
               "not checked against the paper (docs/reference/networks.md §5)"

static const NdQuotedTop1 quoted[] = {
  { "parnet-s", 75.19, PARNET, FALSE },
  { "parnet-m", 76.60, PARNET, FALSE },
  { "parnet-l", 77.66, PARNET, FALSE },
  { "parnet-xl", 78.55, PARNET, FALSE },
  { "repvgg-a0", 72.41, REPVGG_T4, TRUE },
  { "repvgg-a1", 74.46, REPVGG_T4, TRUE },
  { "repvgg-a2", 76.48, REPVGG_T4, TRUE },
  { "repvgg-b0", 75.14, REPVGG_T4, TRUE },
  { "repvgg-b1", 78.37, REPVGG_T4, TRUE },
  { "repvgg-b1g2", 77.78, REPVGG_T4, TRUE },
  { "repvgg-b1g4", 77.58, REPVGG_T4, TRUE },
  { "repvgg-b2", 78.78, REPVGG_T4, TRUE },
  { "repvgg-b2g4", 78.50, REPVGG_T4, TRUE },
  { "repvgg-b3", 80.52, REPVGG_T5, TRUE },
  { "repvgg-b3g4", 80.21, REPVGG_T5, TRUE },
  { "vanillanet-5", 72.49, VANILLA, TRUE },
  { "vanillanet-6", 76.36, VANILLA, TRUE },
  { "vanillanet-7", 77.98, VANILLA, TRUE },
  { "vanillanet-8", 79.13, VANILLA, TRUE },
  { "vanillanet-9", 79.87, VANILLA, TRUE },
  { "vanillanet-10", 80.57, VANILLA, TRUE },
  { "vanillanet-11", 81.08, VANILLA, TRUE },
  { "vanillanet-12", 81.55, VANILLA, TRUE },
  { "vanillanet-13", 82.05, VANILLA, TRUE },
  { "vanillanet-13-x1.5", 82.53, VANILLA, TRUE },
  { "resnet-18", 69.758, TORCHVISION, TRUE },
  { "resnet-34", 73.314, TORCHVISION, TRUE },
  { "resnet-50", 76.130, TORCHVISION, TRUE },
  { "vgg-16", 71.592, TORCHVISION, TRUE },
};

const NdQuotedTop1 *
nd_quoted_top1 (const char *model)
{
  for (guint i = 0; i < G_N_ELEMENTS (quoted); i++)
    if (g_str_equal (quoted[i].model, model))
      return &quoted[i];
  return NULL;
}
