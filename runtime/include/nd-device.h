/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The device layer: what each backend could run on, described without opening anything (no
 * Vulkan logical device, no CPU thread pool), so a front end can list devices and probe
 * backends cheaply and on any thread. nd_backend_new() opens one. */

typedef enum
{
  ND_DEVICE_KIND_CPU,
  ND_DEVICE_KIND_VULKAN,
} NdDeviceKind;

typedef struct
{
  NdDeviceKind kind;
  const char  *backend;      /* the nd_backend_new() name: "cpu", "vulkan" */
  int          index;        /* the backend's device index (Vulkan physical device; CPU 0) */
  char        *name;
  char        *type;         /* "discrete", "integrated", "virtual", "cpu", "other" */
  char        *driver;
  char        *api_version;
  char        *description;  /* what the opened backend's description says */
  /* Limits and features the backends use. */
  guint64      memory_mib;   /* largest device-local heap; the CPU: physical memory */
  guint32      max_workgroup_invocations;
  guint32      shared_memory_kib;
  guint32      threads;      /* CPU: worker threads a backend would start; Vulkan: 0 */
  gboolean     timestamps;   /* on a compute queue */
  gboolean     fp16_storage; /* 16-bit storage buffers: NdPlanOptions.fp16 */
  gboolean     coopmat;      /* Vulkan: VK_KHR_cooperative_matrix is there */
  const char  *matmul;       /* Vulkan: what the GEMMs compute in and why, e.g. "float32 (no
                              * VK_KHR_cooperative_matrix)" (static); CPU: NULL */
  gboolean     gpu;          /* a GPU (lavapipe is a Vulkan device of type "cpu") */
  gboolean     usable;       /* the backend can open it (Vulkan 1.1 with a compute queue) */
  gboolean     preferred;    /* the one nd_backend_new (backend, -1) opens */
} NdDeviceInfo;

void          nd_device_info_free    (NdDeviceInfo *info);

/* The CPU as the "cpu" backend would run on it. Never fails. */
NdDeviceInfo *nd_device_describe_cpu (void);
/* Every Vulkan physical device (element type NdDeviceInfo*), in the loader's order; NULL +
 * DEVICE_UNAVAILABLE when there is no loader or no device, or the build has no Vulkan. */
GPtrArray    *nd_device_list_vulkan  (GError **error);
/* The CPU, then every Vulkan device (none where there is no Vulkan: not an error). */
GPtrArray    *nd_device_list         (void);
/* The device of @devices with preferred set, or NULL (borrowed). */
NdDeviceInfo *nd_device_find_preferred (GPtrArray *devices,
                                        NdDeviceKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdDeviceInfo, nd_device_info_free)

G_END_DECLS
