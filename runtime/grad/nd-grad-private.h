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

G_END_DECLS
