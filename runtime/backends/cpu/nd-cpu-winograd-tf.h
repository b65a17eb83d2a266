/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Winograd F(m, 3) transforms (m = 2, 4, 6) for nd-cpu-conv-winograd.c. @x16: the AVX-512 code.
 *
 * The padded input is stored phase-split: row Y of a channel's padded plane holds its
 * columns X ≡ q (mod m) for q = 0 … m−1 one after another, @PW floats each ("phases"), so
 * column c of tile tx lies at phase c mod m, index tx + c / m. The same column of 16 tiles
 * side by side is then one contiguous vector load; in the plain layout it is a stride-m
 * gather, which left the compilers' transforms scalar (a third of an F(4,3) layer's time at
 * 128 channels). @PW must be (⌈tiles a row / 16⌉) · 16 + 1: the vector loads read that far. */
#define ND_CPU_WINO_LANES 16

static inline const float *
nd_cpu_wino_col (const float *row, int m, int PW, int c)
{
  return row + (c % m) * PW + c / m;
}

/* Input row @in (@W floats) into its padded, phase-split row @row (zeroed before):
 * input column x is padded column x + 1. */
void nd_cpu_wino_pad_row (int m, gboolean x16, const float *in, int W, float *row, int PW);

/* Bᵀ d B of @L ≤ 16 tiles side by side, from the phase-split rows at @xp (@rs floats apart),
 * into V[pos · @ps + l]. */
void nd_cpu_wino_in (int m, gboolean x16, const float *xp, gint64 rs, int PW, int L, float *V,
                     gint64 ps);

/* Aᵀ M A of @L ≤ 16 tiles from M[pos · @ps + l], plus @b, into output rows @y (@ldy apart):
 * @rows rows of m·L columns, the first @cols of each written. */
void nd_cpu_wino_out (int m, gboolean x16, const float *M, gint64 ps, int L, float b, float *y,
                      gint64 ldy, int rows, int cols);

/* U = G g Gᵀ of one 3×3 kernel @k (row-major), computed in double: u[pos · @us] for the a²
 * positions (a = m + 2) */
void nd_cpu_wino_kernel (int m, const float *k, float *u, gint64 us);

G_END_DECLS
