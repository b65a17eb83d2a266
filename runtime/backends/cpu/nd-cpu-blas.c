/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>

#include "nd-backend-cpu.h"

/* OpenBLAS (DYNAMIC_ARCH builds, as Debian's) picks its kernels once, in a constructor that
 * runs when libopenblas is loaded, from its own CPU table. 0.3.21 does not know recent AMD
 * cores with AVX-512 (Zen 4) and falls back to "Prescott" (SSE3), a 4–5× slower sgemm.
 * The only supported override is the OPENBLAS_CORETYPE environment variable, read in that
 * same constructor — before main() — so we cannot fix the choice in-process. We chose a
 * re-exec of the running binary over dlopen()ing libopenblas ourselves: the whole program
 * keeps linking OpenBLAS normally (cblas headers, pkg-config, static analysis all unchanged),
 * the cost is one exec at start-up (a few ms) and only on machines where the table is wrong. */

#define ND_BLAS_REEXEC_MARKER "ND_BLAS_CORE_REEXEC"

typedef enum
{
  LEVEL_UNKNOWN,
  LEVEL_SSE,
  LEVEL_AVX,
  LEVEL_AVX2,
  LEVEL_AVX512,
} SimdLevel;

static SimdLevel
cpu_level (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512bw") && __builtin_cpu_supports ("avx512dq"))
    return LEVEL_AVX512;
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return LEVEL_AVX2;
  if (__builtin_cpu_supports ("avx"))
    return LEVEL_AVX;
  return LEVEL_SSE;
#else
  return LEVEL_UNKNOWN;
#endif
}

/* The SIMD level of the kernels behind an OpenBLAS core name. */
static SimdLevel
core_level (const char *core)
{
  static const struct { const char *name; SimdLevel level; } cores[] = {
    { "skylakex", LEVEL_AVX512 }, { "cooperlake", LEVEL_AVX512 },
    { "sapphirerapids", LEVEL_AVX512 }, { "haswell", LEVEL_AVX2 }, { "zen", LEVEL_AVX2 },
    { "sandybridge", LEVEL_AVX }, { "bulldozer", LEVEL_AVX }, { "piledriver", LEVEL_AVX },
    { "steamroller", LEVEL_AVX }, { "excavator", LEVEL_AVX },
  };

  if (core == NULL)
    return LEVEL_UNKNOWN;
  for (guint i = 0; i < G_N_ELEMENTS (cores); i++)
    if (g_ascii_strcasecmp (core, cores[i].name) == 0)
      return cores[i].level;
  return LEVEL_SSE;
}

const char *
nd_cpu_blas_wanted_core (void)
{
  const char *forced = g_getenv ("ND_BLAS_CORETYPE");

  if (forced != NULL && *forced != '\0')
    return forced;
  switch (cpu_level ())
    {
    case LEVEL_AVX512:
      return "SkylakeX";
    case LEVEL_AVX2:
      return "Haswell";
    case LEVEL_AVX:
      return "Sandybridge";
    case LEVEL_SSE:
    case LEVEL_UNKNOWN:
    default:
      return NULL;
    }
}

const char *
nd_cpu_blas_corename (void)
{
  return openblas_get_corename ();
}

gboolean
nd_cpu_ensure_blas_core (char **argv)
{
  const char *wanted = nd_cpu_blas_wanted_core ();
  const char *core = openblas_get_corename ();

  if (wanted == NULL || core_level (core) >= core_level (wanted))
    return TRUE;
  /* A weaker OPENBLAS_CORETYPE already in the environment is overridden too (this machine's
   * shell exports Haswell); ND_BLAS_CORETYPE pins a core on purpose. The marker stops a
   * second re-exec when OpenBLAS ignores the variable (a build without DYNAMIC_ARCH). */
  if (g_getenv (ND_BLAS_REEXEC_MARKER) != NULL)
    return FALSE;
  if (argv == NULL || argv[0] == NULL)
    return FALSE;
  g_setenv ("OPENBLAS_CORETYPE", wanted, TRUE);
  g_setenv (ND_BLAS_REEXEC_MARKER, "1", TRUE);
  execv ("/proc/self/exe", argv);
  /* exec failed (no /proc): carry on with the kernels we have. */
  return FALSE;
}
