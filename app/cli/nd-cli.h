/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-cli-common.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* One function per subcommand; each parses its own argv (argv[0] is the subcommand) and
 * returns the process exit status. */
int nd_cli_info    (int argc, char **argv);
int nd_cli_run     (int argc, char **argv);
int nd_cli_bench   (int argc, char **argv);
int nd_cli_verify  (int argc, char **argv);
int nd_cli_fuse    (int argc, char **argv);
int nd_cli_models  (int argc, char **argv);
int nd_cli_eval    (int argc, char **argv);
int nd_cli_camera  (int argc, char **argv);   /* only with ND_HAVE_CAPTURE */
int nd_cli_inspect (int argc, char **argv);
int nd_cli_lesson  (int argc, char **argv);
int nd_cli_roofline  (int argc, char **argv);   /* the architecture lab */
int nd_cli_compare   (int argc, char **argv);
int nd_cli_guideline (int argc, char **argv);
int nd_cli_teach     (int argc, char **argv);   /* a new classifier head (nd-teach.h) */
int nd_cli_erf       (int argc, char **argv);   /* effective receptive field */
int nd_cli_saliency  (int argc, char **argv);

/* An image file as the model's input tensor [1, C, R, R], preprocessed as the model's family
 * (or its weights' metadata) asks. */
NdTensor *nd_cli_load_image (const char  *path,
                             NdCliModel  *model,
                             GError     **error);

/* A PNG of @map [h × w] (≥ 0, scaled to its maximum) as a heat ramp, blended over @under
 * ([1, C, h, w], shown grey; NULL: none), enlarged to about 256 px, with the inclusive box
 * (@box_x0 … @box_y1, in map cells; @box_x0 < 0: none) outlined. */
gboolean nd_cli_write_heatmap (const char     *path,
                               const float    *map,
                               int             h,
                               int             w,
                               const NdTensor *under,
                               int             box_x0,
                               int             box_y0,
                               int             box_x1,
                               int             box_y1,
                               GError        **error);

G_END_DECLS
