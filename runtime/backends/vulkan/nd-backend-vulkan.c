/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-backend-vulkan.h"
#include "nd-device.h"
#include "nd-error.h"
#include "nd-vk-context.h"
#include "nd-vk-coopmat.h"
#include "nd-vk-ops.h"
#include "nd-vk-peak.h"
#include "nd-vk-plan.h"
#include "nd-vk-tune.h"

typedef struct
{
  NdBackend    parent;
  NdVkContext *ctx;
} NdVkBackend;

GPtrArray *
nd_vulkan_list_devices (GError **error)
{
  return nd_device_list_vulkan (error);
}

static NdPlan *
vk_prepare (NdBackend *backend, NdGraph *graph, const NdPlanOptions *options, GError **error)
{
  return nd_vk_tune_prepare (backend, ((NdVkBackend *) backend)->ctx, graph, options, error);
}

static gboolean
vk_supports_op (NdBackend *backend, const NdGraph *graph, const NdNode *node, int batch)
{
  return nd_vk_op_supported (node, batch);
}

static gboolean
vk_measure_peak (NdBackend *backend, NdBackendPeak *peak, GError **error)
{
  return nd_vk_measure_peak (((NdVkBackend *) backend)->ctx, peak, error);
}

static void
vk_free (NdBackend *backend)
{
  NdVkBackend *self = (NdVkBackend *) backend;

  nd_vk_context_free (self->ctx);
  g_free (self);
}

static const NdBackendClass vk_class = {
  .name = "vulkan",
  .prepare = vk_prepare,
  .run = nd_vk_plan_run,
  .plan_free = nd_vk_plan_free,
  .free = vk_free,
  .supports_op = vk_supports_op,
  .measure_peak = vk_measure_peak,
};

NdBackend *
nd_vulkan_backend_new (int device, GError **error)
{
  NdVkContext *ctx = nd_vk_context_new_instance (error);
  NdVkBackend *self;

  if (ctx == NULL)
    return NULL;
  if (!nd_vk_context_open_device (ctx, device, error))
    {
      nd_vk_context_free (ctx);
      return NULL;
    }
  self = g_new0 (NdVkBackend, 1);
  self->ctx = ctx;
  self->parent.klass = &vk_class;
  self->parent.name = g_strdup ("vulkan");
  self->parent.kind = ND_DEVICE_KIND_VULKAN;
  self->parent.gpu = ctx->props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
  self->parent.timings_serialize = TRUE;
  self->parent.fp16_storage = ctx->fp16_storage;
  self->parent.description = nd_vk_context_describe (ctx);
  self->parent.matmul = nd_vk_coopmat_status (ctx);
  return &self->parent;
}
