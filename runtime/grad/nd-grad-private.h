/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-grad.h"

G_BEGIN_DECLS

/* nd-grad-fast.c: a conv's input gradient as a transposed conv (sgemm, then col2im), added to
 * @dx. FALSE when the fast path does not pay (depthwise and other thin groups): the caller
 * then runs the reference loop. */
gboolean _nd_grad_conv2d_fast (const NdNode   *node,
                               const NdTensor *dy,
                               NdTensor       *dx);

/* nd-grad-maps.c: Grad-CAM's ReLU(Σ_c α_c·A_c) for image @n of @a (gradient @da) into @cam
 * [h × w]; the bilinear upsampling of a map to the input's size. */
void     _nd_grad_cam        (const NdTensor *a,
                              const NdTensor *da,
                              int             n,
                              float          *cam);
void     _nd_grad_upsample   (const float    *src,
                              int             h,
                              int             w,
                              float          *dst,
                              int             H,
                              int             W);

G_END_DECLS
