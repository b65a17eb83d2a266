/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "nd-backend-cpu.h"
#include "nd-device.h"
#include "nd-error.h"

void
nd_device_info_free (NdDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->type);
  g_free (info->driver);
  g_free (info->api_version);
  g_free (info->description);
  g_free (info);
}

/* "model name : Intel(R) Xeon(R) …" from /proc/cpuinfo, or NULL. */
static char *
cpu_model_name (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');

        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return NULL;
}

/* The threads nd_cpu_backend_new (0, FALSE) starts: ND_CPU_THREADS, else one per core
 * (the rule of nd_cpu_pool_init, without starting the pool). */
static guint32
cpu_threads (void)
{
  const char *env = g_getenv ("ND_CPU_THREADS");
  int n = env != NULL ? atoi (env) : 0;

  if (n <= 0)
    n = (int) g_get_num_processors ();
  return (guint32) CLAMP (n, 1, 64);
}

NdDeviceInfo *
nd_device_describe_cpu (void)
{
  NdDeviceInfo *info = g_new0 (NdDeviceInfo, 1);
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
  char *model = cpu_model_name ();

  info->kind = ND_DEVICE_KIND_CPU;
  info->backend = "cpu";
  info->name = model != NULL ? model : g_strdup (_("CPU"));
  info->type = g_strdup ("cpu");
  info->driver = g_strdup_printf ("OpenBLAS %s", nd_cpu_blas_corename ());
  info->api_version = g_strdup ("");
  info->memory_mib = pages > 0 && page > 0 ? ((guint64) pages * (guint64) page) >> 20 : 0;
  info->threads = cpu_threads ();
  info->usable = TRUE;
  info->preferred = TRUE;
  info->description = g_strdup_printf (_("CPU, OpenBLAS %s, %d threads"),
                                       nd_cpu_blas_corename (), (int) info->threads);
  return info;
}

#if !ND_HAVE_VULKAN
GPtrArray *
nd_device_list_vulkan (GError **error)
{
  g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                       _("This build has no Vulkan backend"));
  return NULL;
}
#endif

GPtrArray *
nd_device_list (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_device_info_free);
  g_autoptr(GPtrArray) vulkan = nd_device_list_vulkan (NULL);

  g_ptr_array_add (list, nd_device_describe_cpu ());
  while (vulkan != NULL && vulkan->len > 0)
    g_ptr_array_add (list, g_ptr_array_steal_index (vulkan, 0));
  return list;
}

NdDeviceInfo *
nd_device_find_preferred (GPtrArray *devices, NdDeviceKind kind)
{
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      NdDeviceInfo *info = g_ptr_array_index (devices, i);

      if (info->kind == kind && info->preferred)
        return info;
    }
  return NULL;
}
