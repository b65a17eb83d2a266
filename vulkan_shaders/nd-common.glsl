/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by every compute shader. Bindings, specialization-constant ids and op codes come
 * from nd-shader-abi.h, which the Vulkan backend includes too.
 *
 * Storage precision: every buffer element is ND_T, read with LD and written with ST. The
 * build compiles each shader twice, as is (float) and with ND_F16 (float16_t storage,
 * VK_KHR_16bit_storage): half the memory traffic, arithmetic still in fp32. */

#include "nd-shader-abi.h"

#ifdef ND_F16
#extension GL_EXT_shader_16bit_storage : require
#define ND_T float16_t
#define LD(v) float (v)
#define ST(v) nd_st16 (v)

/* Word 0 becomes 1 when a value to store is beyond float16's ±65504 (or NaN): the plan
 * clears it before a run and fails the run when it is set, since an intermediate overflow
 * can leave finite but wrong logits (a ReLU turns −inf into 0). */
layout (std430, binding = ND_BIND_FLAGS) buffer Flags { uint nd_flags[]; };

float16_t
nd_st16 (float v)
{
  if (!(abs (v) <= 65504.0))
    nd_flags[0] = 1u;
  return float16_t (v);
}
#else
#define ND_T float
#define LD(v) (v)
#define ST(v) (v)
#endif

float
nd_sigmoid (float v)
{
  return 1.0 / (1.0 + exp (-v));
}

float
nd_act (float v, int act, float alpha)
{
  if (act == ND_ACT_RELU)
    return max (v, 0.0);
  if (act == ND_ACT_SILU)
    return v * nd_sigmoid (v);
  if (act == ND_ACT_SIGMOID)
    return nd_sigmoid (v);
  if (act == ND_ACT_LEAKY)
    return v >= 0.0 ? v : alpha * v;
  if (act == ND_ACT_RELU6)
    return clamp (v, 0.0, 6.0);
  return v;
}

/* 1-D element index over a 2-D grid (dispatch x is capped at 65535 groups). */
uint
nd_index ()
{
  return gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
}
