/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-vk-context.h"

G_BEGIN_DECLS

/* float16 cooperative-matrix GEMMs (issue 18): gemm-coopmat-nv runs the 1×1 convolutions and
 * Winograd products of float16 plans on the matrix units, where the device has them, its
 * driver is on the allow-list and a self-test passed; float32 plans never use them. */

/* ctx->coopmat */
typedef enum
{
  ND_VK_COOPMAT_OFF,       /* not enabled on the device (ctx->coopmat_why says why) */
  ND_VK_COOPMAT_UNTESTED,  /* enabled at vkCreateDevice, self-test not yet run */
  ND_VK_COOPMAT_TESTING,   /* the self-test's own plan: use them without asking */
  ND_VK_COOPMAT_ON,        /* the self-test passed: float16 plans use them */
  ND_VK_COOPMAT_FAILED,    /* the self-test failed (ctx->coopmat_why says how) */
} NdVkCoopmatState;

/* What vkCreateDevice must enable for the kernel, when @why is NULL. */
typedef struct
{
  VkPhysicalDeviceCooperativeMatrixFeaturesNV coopmat;   /* chains to f16 */
  VkPhysicalDeviceShaderFloat16Int8Features   f16;
  const char                                 *extensions[2]; /* the NV extension, and
                                                              * VK_KHR_shader_float16_int8
                                                              * where listed (our instance is
                                                              * Vulkan 1.1) */
  guint32                                     n_extensions;
  const char                                 *why;       /* translated, static; or NULL */
} NdVkCoopmatSupport;

/* Whether @phys can run the kernel: VK_NV_cooperative_matrix with a 16×16×16 float16 →
 * float32 subgroup shape, shaderFloat16, 16-bit storage (@fp16_storage), 32-wide subgroups
 * and a driver on the allow-list. */
void         nd_vk_coopmat_probe      (NdVkContext        *ctx,
                                       VkPhysicalDevice    phys,
                                       gboolean            fp16_storage,
                                       NdVkCoopmatSupport *support);
/* On a device opened with the kernel enabled, at its first float16 plan: a float16 plan of a
 * 1×1 and a Winograd 3×3 convolution on @backend with the kernel and without it (once per
 * device and driver in a process); sets ctx->coopmat to ON or FAILED (then
 * ctx->coopmat_why) and @backend's matmul and description to say so. ND_VK_COOPMAT=0 keeps
 * the kernel off altogether (nd_vk_coopmat_probe). */
void         nd_vk_coopmat_self_test  (NdBackend   *backend,
                                       NdVkContext *ctx);
/* The backend's `matmul`: what the GEMMs compute in and why (interned). */
const char  *nd_vk_coopmat_status     (NdVkContext *ctx);
/* Whether the plans of @ctx with float16 storage run the kernel. */
gboolean     nd_vk_coopmat_in_plans   (NdVkContext *ctx);

G_END_DECLS
