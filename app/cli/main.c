/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-backend-cpu.h"
#include "nd-paths.h"
#include "nd-cli.h"
#if ND_HAVE_VULKAN
#include "nd-cli-devices.h"
#endif

typedef int (*NdCliCommand) (int argc, char **argv);

typedef struct
{
  const char   *name;
  NdCliCommand  func;
  const char   *summary;
} Command;

static const Command commands[] = {
  { "info", nd_cli_info, N_("parameters, MACs, depth and per-block table of a model") },
  { "run", nd_cli_run, N_("classify an image or a .npy input; top-K with labels") },
  { "bench", nd_cli_bench, N_("median latency and a per-op table") },
  { "verify", nd_cli_verify, N_("fused vs training form on the same input") },
  { "fuse", nd_cli_fuse, N_("write re-parameterized (deploy-form) weights") },
  { "models", nd_cli_models, N_("list the model presets") },
  { "inspect", nd_cli_inspect, N_("list the state dicts and tensors of a weights file") },
  { "roofline", nd_cli_roofline, N_("this machine's roof and every op of a model under it") },
  { "compare", nd_cli_compare, N_("models side by side: counts, latency, quoted top-1") },
  { "guideline", nd_cli_guideline, N_("design-guideline experiments on synthetic networks; ParNet's table") },
#if ND_HAVE_VULKAN
  { "devices", nd_cli_devices, N_("list Vulkan devices") },
#endif
#if ND_HAVE_CAPTURE
  { "camera", nd_cli_camera, N_("classify camera (or test-pattern) frames; report fps") },
#endif
  { "eval", nd_cli_eval, N_("accuracy on the Fashion-MNIST test set") },
  { "lesson", nd_cli_lesson, N_("a block's re-parameterization, step by step, measured") },
  { "teach", nd_cli_teach, N_("teach new classes: a classifier head on the pooled features") },
  { "erf", nd_cli_erf, N_("a block's effective receptive field: input-gradient mass radii") },
  { "saliency", nd_cli_saliency, N_("input gradient or Grad-CAM of a class score") },
};

static void
usage (FILE *out)
{
  fprintf (out, _("Usage: nondeep-cli COMMAND [OPTIONS…]\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, _("\nRun “nondeep-cli COMMAND --help” for a command's options.\n"));
}

int
main (int argc, char **argv)
{
  /* first: may re-exec us with the right OpenBLAS kernels (see nd-cpu-blas.c) */
  nd_cpu_ensure_blas_core (argv);
  nd_paths_init_i18n ();
  /* stdout is the commands' output (--json is parsed by scripts): G_MESSAGES_DEBUG's messages
   * go to stderr with the warnings */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("nondeep-cli %s\n", ND_VERSION);
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].func (argc - 1, argv + 1);

  fprintf (stderr, _("nondeep-cli: unknown command “%s”\n\n"), argv[1]);
  usage (stderr);
  return 2;
}
