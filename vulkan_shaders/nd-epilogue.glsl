/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* The fused epilogue of the conv, GEMM, depthwise and batch-norm shaders: the plan folds a
 * following ADD (up to three other summands, bindings 2–4) and a GATE multiply
 * alpha·σ(se[n, c]) (binding 7) into the producer, so a ParNet or ResNet block tail is one
 * dispatch instead of three. GATE_FIRST: 1, the gate applies before the add (ParNet's identity
 * branch) rather than after it; 2, to the first other summand only (a ParNet block's SSE-gated
 * identity branch, added to the dense conv in its epilogue); 3, the first other summand is
 * that branch's input x before its BN, and se holds (A, B) pairs from se.comp's OUT_PAIRS
 * (the BN and α·σ already applied): x·A + B, so the BN's own pass over the map is gone.
 * Specialization ids 24–27 are reserved for this. */

layout (constant_id = ND_EPI_N_RES) const int N_RES = 0;
layout (constant_id = ND_EPI_HAS_GATE) const int HAS_GATE = 0;
layout (constant_id = ND_EPI_GATE_FIRST) const int GATE_FIRST = 0;
layout (constant_id = ND_EPI_GATE_ALPHA) const float GATE_ALPHA = 1.0;

layout (std430, binding = ND_BIND_IN1) readonly buffer Res1 { ND_T r1[]; };
layout (std430, binding = ND_BIND_IN2) readonly buffer Res2 { ND_T r2[]; };
layout (std430, binding = ND_BIND_IN3) readonly buffer Res3 { ND_T r3[]; };
layout (std430, binding = ND_BIND_GATE) readonly buffer Gate { ND_T se[]; };

/* @idx: the output element; @nc: its image·channels + channel index. */
float
nd_epilogue (float v, uint idx, uint nc)
{
  if (HAS_GATE != 0 && GATE_FIRST == 1)
    v *= GATE_ALPHA * nd_sigmoid (LD (se[nc]));
  if (N_RES > 0 && HAS_GATE != 0 && GATE_FIRST == 3)
    v += fma (LD (r1[idx]), LD (se[2u * nc]), LD (se[2u * nc + 1u]));
  else if (N_RES > 0 && HAS_GATE != 0 && GATE_FIRST == 2)
    v += LD (r1[idx]) * (GATE_ALPHA * nd_sigmoid (LD (se[nc])));
  else if (N_RES > 0)
    v += LD (r1[idx]);
  if (N_RES > 1)
    v += LD (r2[idx]);
  if (N_RES > 2)
    v += LD (r3[idx]);
  if (HAS_GATE != 0 && GATE_FIRST == 0)
    v *= GATE_ALPHA * nd_sigmoid (LD (se[nc]));
  return v;
}
