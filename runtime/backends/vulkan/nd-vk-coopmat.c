/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-model.h"
#include "nd-vk-coopmat.h"

/* Drivers whose cooperative matrices the float16 kernel may use (after the self-test): where
 * the extension is known to be complete and fast for float16 16×16×16 tiles. */
static const VkDriverId allow_list[] = { VK_DRIVER_ID_NVIDIA_PROPRIETARY };

/* A 16×16×16 float16 × float16 → float32 shape at subgroup scope among @phys's. */
static gboolean
has_shape (NdVkContext *ctx, VkPhysicalDevice phys)
{
  PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV get = (gpointer)
    ctx->vkGetInstanceProcAddr (ctx->instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
  g_autofree VkCooperativeMatrixPropertiesNV *shapes = NULL;
  guint32 n = 0;

  if (get == NULL || get (phys, &n, NULL) != VK_SUCCESS || n == 0)
    return FALSE;
  shapes = g_new0 (VkCooperativeMatrixPropertiesNV, n);
  for (guint32 i = 0; i < n; i++)
    shapes[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
  if (get (phys, &n, shapes) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (shapes[i].MSize == 16 && shapes[i].NSize == 16 && shapes[i].KSize == 16
        && shapes[i].AType == VK_COMPONENT_TYPE_FLOAT16_NV
        && shapes[i].BType == VK_COMPONENT_TYPE_FLOAT16_NV
        && shapes[i].CType == VK_COMPONENT_TYPE_FLOAT32_NV
        && shapes[i].DType == VK_COMPONENT_TYPE_FLOAT32_NV
        && shapes[i].scope == VK_SCOPE_SUBGROUP_NV)
      return TRUE;
  return FALSE;
}

void
nd_vk_coopmat_probe (NdVkContext *ctx, VkPhysicalDevice phys, gboolean fp16_storage,
                     NdVkCoopmatSupport *s)
{
  VkPhysicalDeviceDriverProperties driver = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
  };
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
    .pNext = &driver,
  };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &subgroup,
  };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
  };
  VkPhysicalDeviceProperties p;
  gboolean allowed = FALSE;

  memset (s, 0, sizeof *s);
  if (g_strcmp0 (g_getenv ("ND_VK_COOPMAT"), "0") == 0)
    {
      s->why = _("cooperative matrices turned off by ND_VK_COOPMAT=0");
      return;
    }
  s->coopmat.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
  s->coopmat.pNext = &s->f16;
  s->f16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
  s->extensions[s->n_extensions++] = "VK_NV_cooperative_matrix";
  features.pNext = &s->coopmat;
  if (!nd_vk_has_extension (ctx, phys, "VK_NV_cooperative_matrix"))
    {
      s->why = nd_vk_has_extension (ctx, phys, "VK_KHR_cooperative_matrix")
               ? _("VK_KHR_cooperative_matrix only, whose kernel needs glslang ≥ 13 at build time")
               : _("no VK_NV_cooperative_matrix or VK_KHR_cooperative_matrix");
      return;
    }
  ctx->vkGetPhysicalDeviceProperties (phys, &p);
  if (p.apiVersion < VK_API_VERSION_1_2 || ctx->vkGetPhysicalDeviceProperties2 == NULL
      || ctx->vkGetPhysicalDeviceFeatures2 == NULL)
    {
      s->why = _("cooperative matrices need Vulkan 1.2 here");
      return;
    }
  ctx->vkGetPhysicalDeviceProperties2 (phys, &props2);
  for (guint i = 0; i < G_N_ELEMENTS (allow_list); i++)
    allowed |= driver.driverID == allow_list[i];
  if (!allowed)
    {
      s->why = _("cooperative matrices, but the driver is not on the allow-list");
      return;
    }
  ctx->vkGetPhysicalDeviceFeatures2 (phys, &features);
  if (!s->coopmat.cooperativeMatrix || !s->f16.shaderFloat16 || !fp16_storage)
    s->why = _("cooperative matrices without the cooperativeMatrix, shaderFloat16 or 16-bit "
               "storage feature");
  else if (subgroup.subgroupSize != 32)
    s->why = _("cooperative matrices, but subgroups are not 32 wide");
  else if (!has_shape (ctx, phys))
    s->why = _("cooperative matrices without a 16×16×16 float16 → float32 shape");
  if (nd_vk_has_extension (ctx, phys, "VK_KHR_shader_float16_int8"))
    s->extensions[s->n_extensions++] = "VK_KHR_shader_float16_int8";
  /* enable only what the kernel uses */
  s->coopmat.pNext = &s->f16;
  s->coopmat.cooperativeMatrixRobustBufferAccess = VK_FALSE;
  s->f16.pNext = NULL;
  s->f16.shaderInt8 = VK_FALSE;
}

const char *
nd_vk_matmul_status (NdVkContext *ctx, VkPhysicalDevice phys, gboolean *coopmat)
{
  VkPhysicalDevice16BitStorageFeatures f16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
  };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
    .pNext = &f16,
  };
  NdVkCoopmatSupport s;
  g_autofree char *text = NULL;

  *coopmat = nd_vk_has_extension (ctx, phys, "VK_NV_cooperative_matrix")
             || nd_vk_has_extension (ctx, phys, "VK_KHR_cooperative_matrix");
  if (ctx->vkGetPhysicalDeviceFeatures2 != NULL)
    ctx->vkGetPhysicalDeviceFeatures2 (phys, &features);
  nd_vk_coopmat_probe (ctx, phys, f16.storageBuffer16BitAccess, &s);
  if (s.why == NULL)
    return _("float32; float16 cooperative matrices in --fp16 plans once a self-test passes");
  text = g_strdup_printf (_("float32 (%s)"), s.why);
  return g_intern_string (text);
}

/* The float16 plan of @g on @backend, with the kernel or without; its captured layer and
 * output after running @input, or NULL with *@why set. */
static NdPlan *
run_plan (NdBackend *backend, NdGraph *g, int layer, const NdTensor *input, char **why)
{
  NdPlanOptions o = { .batch = 1, .fp16 = TRUE, .capture = &layer, .n_capture = 1 };
  g_autoptr(GError) error = NULL;
  NdPlan *plan = nd_backend_prepare (backend, g, &o, &error);

  if (plan == NULL || !nd_plan_run (plan, input, &error))
    {
      *why = g_strdup (error->message);
      g_clear_pointer (&plan, nd_plan_free);
    }
  return plan;
}

/* max |a − b| over max |b|. */
static double
rel_diff (const NdTensor *a, const NdTensor *b)
{
  double diff = 0, ref = 0;

  for (gint64 i = 0; i < b->numel; i++)
    {
      diff = MAX (diff, fabs (a->data[i] - b->data[i]));
      ref = MAX (ref, fabs (b->data[i]));
    }
  return diff / MAX (ref, 1e-30);
}

static void self_test (NdBackend *backend, NdVkContext *ctx);

/* Self-test results, process-wide: the window opens a backend for every plan it builds, and
 * a device and driver pass or fail the same way each time. Key "vendor:device:driver" →
 * the why (NULL: passed). */
static GMutex tested_lock;
static GHashTable *tested;

/* The kernel against the float16 plan without it, which the backend table and the model
 * tests check: both read the same float16 operands and accumulate in float32, so they differ
 * by the order of the sums only. Sizes off the tile grid (M 80, K 72, N 100) take the edges. */
void
nd_vk_coopmat_self_test (NdBackend *backend, NdVkContext *ctx)
{
  g_autofree char *key = g_strdup_printf ("%u:%u:%u", ctx->props.vendorID,
                                          ctx->props.deviceID, ctx->props.driverVersion);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&tested_lock);
  gpointer known;

  if (tested == NULL)
    tested = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_hash_table_lookup_extended (tested, key, NULL, &known))
    {
      g_free (ctx->coopmat_why);
      ctx->coopmat_why = g_strdup (known);
      ctx->coopmat = known == NULL ? ND_VK_COOPMAT_ON : ND_VK_COOPMAT_FAILED;
    }
  else
    {
      self_test (backend, ctx);
      g_hash_table_insert (tested, g_steal_pointer (&key), g_strdup (ctx->coopmat_why));
    }
  /* what the backend says it computes in, from now on */
  backend->matmul = nd_vk_coopmat_status (ctx);
  g_free (backend->description);
  backend->description = nd_vk_context_describe (ctx);
}

static void
self_test (NdBackend *backend, NdVkContext *ctx)
{
  g_autoptr(NdGraph) g = nd_graph_new (72, 10, 10);
  g_autoptr(NdTensor) input = nd_tensor_new_4d (1, 72, 10, 10);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  NdOpParams p1 = { .out_c = 80, .kernel = 1, .stride = 1, .groups = 1, .has_bias = TRUE };
  NdOpParams p2 = { .out_c = 48, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                    .has_bias = TRUE };
  NdPlan *with = NULL, *without = NULL;
  char *why = NULL;
  int in = 0, c1, c2;
  gint64 t0 = g_get_monotonic_time ();

  c1 = nd_graph_add (g, ND_OP_CONV2D, &p1, &in, 1, "coopmat.1x1", NULL);
  c2 = nd_graph_add (g, ND_OP_CONV2D, &p2, &c1, 1, "coopmat.3x3", NULL);
  g->output = c2;
  nd_model_init_random (g, 7);
  nd_tensor_fill_normal (input, rand, 0, 1);
  ctx->coopmat = ND_VK_COOPMAT_TESTING;
  with = run_plan (backend, g, c1, input, &why);
  ctx->coopmat = ND_VK_COOPMAT_OFF;
  if (with != NULL)
    without = run_plan (backend, g, c1, input, &why);
  if (with != NULL && without != NULL)
    {
      double d1 = rel_diff (nd_plan_get_captured (with, c1), nd_plan_get_captured (without, c1));
      double d2 = rel_diff (with->output, without->output);

      if (strstr (with->op_algo[c1], "coopmat") == NULL
          || strstr (with->op_algo[c2], "coopmat") == NULL)
        why = g_strdup_printf (_("its plan ran %s and %s, not the kernel"), with->op_algo[c1],
                               with->op_algo[c2]);
      else if (!(d1 <= 1e-3 && d2 <= 1e-3))
        why = g_strdup_printf (_("max |difference| %.3g (1×1) and %.3g (Winograd) of the "
                                 "largest value against the float16 plan without them"),
                               d1, d2);
      g_debug ("cooperative-matrix self-test: %.2g, %.2g in %.0f ms", d1, d2,
               (g_get_monotonic_time () - t0) / 1000.0);
    }
  g_clear_pointer (&with, nd_plan_free);
  g_clear_pointer (&without, nd_plan_free);
  g_free (ctx->coopmat_why);
  ctx->coopmat_why = why;
  ctx->coopmat = why == NULL ? ND_VK_COOPMAT_ON : ND_VK_COOPMAT_FAILED;
}

const char *
nd_vk_coopmat_status (NdVkContext *ctx)
{
  g_autofree char *text = NULL;

  switch (ctx->coopmat)
    {
    case ND_VK_COOPMAT_ON:
      return _("float16 cooperative matrices in --fp16 plans (1×1 convolutions, Winograd and "
               "linear products; self-test passed), float32 otherwise");
    case ND_VK_COOPMAT_UNTESTED:
      return _("float32; float16 cooperative matrices in --fp16 plans once a self-test passes "
               "(the first such plan runs it)");
    case ND_VK_COOPMAT_FAILED:
      text = g_strdup_printf (_("float32 (the cooperative-matrix self-test failed: %s)"),
                              ctx->coopmat_why);
      break;
    default:
      text = g_strdup_printf (_("float32 (%s)"), ctx->coopmat_why ? ctx->coopmat_why : "?");
      break;
    }
  return g_intern_string (text);
}

gboolean
nd_vk_coopmat_in_plans (NdVkContext *ctx)
{
  return ctx->coopmat == ND_VK_COOPMAT_ON || ctx->coopmat == ND_VK_COOPMAT_TESTING;
}
