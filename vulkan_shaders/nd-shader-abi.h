/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* The one interface between the compute shaders and the Vulkan backend: both the GLSL
 * (through nd-common.glsl) and runtime/backends/vulkan include this file, so a binding, a
 * specialization-constant id or an op code has exactly one definition. Only #define lines:
 * the same text must parse as C and as GLSL. The shaders have no push constants; every shape
 * is a specialization constant (the compiler folds the index arithmetic).
 *
 * Specialization ids: 0 is every shader's workgroup size, 1–23 belong to each shader (its
 * block below), 24–27 to the shared epilogue (nd-epilogue.glsl). The host fills an array of
 * ND_N_SPEC values by these names; ids a shader does not declare are ignored. */
#ifndef ND_SHADER_ABI_H
#define ND_SHADER_ABI_H

/* Descriptor bindings (one set layout for every shader). */
#define ND_BIND_OUT        0
#define ND_BIND_IN0        1   /* 2–4: the other inputs, or the epilogue's residuals */
#define ND_BIND_IN1        2
#define ND_BIND_IN2        3
#define ND_BIND_IN3        4
#define ND_BIND_WEIGHT     5   /* weights, or BN scale */
#define ND_BIND_BIAS       6   /* bias, or BN shift */
#define ND_BIND_GATE       7   /* the epilogue's gate input */
#define ND_BIND_FLAGS      8   /* float16 variants: word 0 set when a stored value overflowed */
#define ND_N_BINDINGS      9

#define ND_N_SPEC          28
#define ND_SPEC_WG         0

/* Activation codes (ACT constants). */
#define ND_ACT_NONE        0
#define ND_ACT_RELU        1
#define ND_ACT_SILU        2
#define ND_ACT_SIGMOID     3
#define ND_ACT_LEAKY       4
#define ND_ACT_RELU6       5

/* conv2d.comp (implicit GEMM) and gemm.comp share the tile ids 1–3, the bias/activation ids
 * 14–16, split-K's 18–19 and the register block's 22–23 (nd-gemm-tile.glsl reads those). */
#define ND_TILE_BM         1
#define ND_TILE_BN         2
#define ND_TILE_BK         3
#define ND_TILE_HAS_BIAS   14
#define ND_TILE_ACT        15
#define ND_TILE_ACT_ALPHA  16
#define ND_TILE_SPLIT_K    18
#define ND_TILE_ZN         19   /* z = image · groups, with SPLIT_K > 1 */
#define ND_TILE_RM         22   /* rows of C per invocation: 4 or 8 (a register block RM×RN) */
#define ND_TILE_RN         23   /* columns of C per invocation: 4 or 8 */

#define ND_CONV_CIN        4    /* per group */
#define ND_CONV_H          5
#define ND_CONV_W          6
#define ND_CONV_COUT       7    /* per group */
#define ND_CONV_OH         8
#define ND_CONV_OW         9
#define ND_CONV_KS         10
#define ND_CONV_S          11
#define ND_CONV_P          12
#define ND_CONV_G          13
#define ND_CONV_KW         20   /* kernel width, column padding (KS, P: the height's; */
#define ND_CONV_PW         21   /* equal for a square kernel) */

#define ND_GEMM_M          4
#define ND_GEMM_N          5
#define ND_GEMM_K          6
#define ND_GEMM_G          7
#define ND_GEMM_SBK        8
#define ND_GEMM_SBN        9
#define ND_GEMM_B_BATCH    10
#define ND_GEMM_SCM        11
#define ND_GEMM_SCN        12
#define ND_GEMM_C_BATCH    13
#define ND_GEMM_GEMV       17   /* 1: a workgroup per output (m, n) */

/* dwconv.comp */
#define ND_DW_TOTAL        1    /* N·C·OH·OW */
#define ND_DW_C            2
#define ND_DW_H            3
#define ND_DW_W            4
#define ND_DW_OH           5
#define ND_DW_OW           6
#define ND_DW_K            7
#define ND_DW_S            8
#define ND_DW_P            9
#define ND_DW_HAS_BIAS     10
#define ND_DW_ACT          11
#define ND_DW_ACT_ALPHA    12

/* eltwise.comp and its ops */
#define ND_ELT_TOTAL       1    /* N·C·H·W */
#define ND_ELT_C           2
#define ND_ELT_HW          3
#define ND_ELT_OP          4
#define ND_ELT_N_IN        5
#define ND_ELT_OP_ALPHA    6
#define ND_ELT_ACT         7
#define ND_ELT_ACT_ALPHA   8
#define ND_ELT_BN          0
#define ND_ELT_ACT_ONLY    1    /* the activation alone: ACT says which */
#define ND_ELT_ADD         2
#define ND_ELT_GATE        3
#define ND_ELT_HGATE       4    /* gate in0 × alpha·relu6(in1 + 3)/6 (effective SE) */

/* pool.comp and its modes */
#define ND_POOL_TOTAL      1    /* N·C·OH·OW */
#define ND_POOL_H          2
#define ND_POOL_W          3
#define ND_POOL_OH         4
#define ND_POOL_OW         5
#define ND_POOL_K          6
#define ND_POOL_S          7
#define ND_POOL_P          8
#define ND_POOL_MODE       9
#define ND_POOL_AVG          0
#define ND_POOL_MAX          1
#define ND_POOL_ADAPTIVE_AVG 2
#define ND_POOL_ADAPTIVE_MAX 3
#define ND_POOL_GLOBAL_AVG   4  /* adaptive to 1×1: one workgroup per plane, a tree reduction */
#define ND_POOL_GLOBAL_MAX   5

/* layout.comp and its modes */
#define ND_LAYOUT_TOTAL    1    /* output elements */
#define ND_LAYOUT_C        2    /* output channels */
#define ND_LAYOUT_HW       3
#define ND_LAYOUT_G        4
#define ND_LAYOUT_MODE     5
#define ND_LAYOUT_C0       6    /* CONCAT: channels of inputs 0, 1, 2 (3: the rest) */
#define ND_LAYOUT_C1       7
#define ND_LAYOUT_C2       8
#define ND_LAYOUT_OFFSET   9    /* SLICE: first channel taken, of CIN */
#define ND_LAYOUT_CIN      10
#define ND_LAYOUT_AFFINE   11   /* 1: y = v·w[c] + b[c] per output channel (folded BNs) */
#define ND_LAYOUT_CONCAT_INTERLEAVE 0
#define ND_LAYOUT_SHUFFLE           1
#define ND_LAYOUT_CONCAT            2
#define ND_LAYOUT_SLICE             3

/* softmax.comp */
#define ND_SOFTMAX_TOTAL   1    /* N·H·W */
#define ND_SOFTMAX_C       2
#define ND_SOFTMAX_HW      3

/* splitk.comp (the reduction pass) */
#define ND_SPLITK_TOTAL    1    /* images · channels · pixels */
#define ND_SPLITK_SLICES   2
#define ND_SPLITK_C        3    /* channels per image */
#define ND_SPLITK_HW       4
#define ND_SPLITK_HAS_BIAS 5
#define ND_SPLITK_ACT      6
#define ND_SPLITK_ACT_ALPHA 7

/* winograd.comp (MODE 0: input transform, 1: output transform) */
#define ND_WINO_TOTAL      1    /* channels · tiles */
#define ND_WINO_C          2    /* MODE 0: C_in; MODE 1: C_out */
#define ND_WINO_H          3    /* input = output size */
#define ND_WINO_W          4
#define ND_WINO_TH         5
#define ND_WINO_TW         6
#define ND_WINO_MODE       7
#define ND_WINO_HAS_BIAS   8
#define ND_WINO_ACT        9
#define ND_WINO_ACT_ALPHA  10

/* se.comp (a squeeze-excitation gate's pool and 1×1 convolution) */
#define ND_SE_N            1    /* images */
#define ND_SE_CIN          2    /* input channels, all groups */
#define ND_SE_HW           3    /* pixels pooled per plane */
#define ND_SE_COUT         4
#define ND_SE_G            5
#define ND_SE_MODE         6
#define ND_SE_OUT_PAIRS    7    /* 1: (α·σ(z)·s, α·σ(z)·t) pairs for GATE_FIRST 3 */
#define ND_SE_COUNTER      8    /* FUSED: the word of the flags buffer counting workgroups */
#define ND_SE_ALPHA        9
#define ND_SE_ACT          10
#define ND_SE_ACT_ALPHA    11
#define ND_SE_TEAM         12   /* FUSED: invocations per output in the product (a power of
                                 * two); weights [i][o] below 8, [o][i] from 8 */
#define ND_SE_POOL_TEAM    13   /* FUSED: invocations per pooled plane (a power of two) */
#define ND_SE_FUSED        0    /* pool and product in one dispatch */
#define ND_SE_GEMV         1    /* the product alone, from the pool's output */

/* fma.comp (the lab's compute-peak probe): per invocation ITERS loop trips of UNROLL steps
 * over CHAINS independent vec4 FMA chains, so ITERS · UNROLL · CHAINS · 4 FMAs */
#define ND_FMA_ITERS       1
#define ND_FMA_CHAINS      8
#define ND_FMA_UNROLL      4

/* The shared epilogue (nd-epilogue.glsl). */
#define ND_EPI_N_RES       24
#define ND_EPI_HAS_GATE    25
#define ND_EPI_GATE_FIRST  26
#define ND_EPI_GATE_ALPHA  27

#endif /* ND_SHADER_ABI_H */
