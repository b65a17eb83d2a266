/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-file.h"
#include "nd-fuse.h"
#include "nd-test-input.h"
#include "nd-weights-file.h"
#include "nd-weights.h"

static void
add_weight (const char *key, NdTensor *tensor, gboolean is_param, gpointer user_data)
{
  nd_weight_set_insert (user_data, key, tensor);
}

/* `fuse`: training-form weights in, deploy-form safetensors out (official deploy keys). */
int
nd_cli_fuse (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *output = NULL;
  g_autofree char *training_output = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Fused safetensors to write"),
      N_("OUT.safetensors") },
    { "training-output", 0, 0, G_OPTION_ARG_FILENAME, &training_output,
      N_("Also write the training-form weights used (e.g. the random ones)"),
      N_("FILE.safetensors") },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdWeightSet) set = nd_weight_set_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!nd_cli_parse ("fuse", NULL, _("Re-parameterize weights into the fused (deploy) form."),
                     model_entries, entries, &argc, &argv))
    return 2;
  if (output == NULL)
    {
      status = nd_cli_failf (_("fuse needs --output OUT.safetensors"));
      goto out;
    }
  o.fused = TRUE;
  model = nd_cli_model_load (&o, 0, &error);
  if (model == NULL)
    goto fail;
  if (training_output != NULL)
    {
      g_autoptr(NdWeightSet) train = nd_weight_set_new ();

      nd_graph_foreach_weight (model->train, add_weight, train);
      if (!nd_weights_save (training_output, train, &model->spec, ND_WEIGHTS_FORM_TRAINING,
                            model->preprocess, &error))
        goto fail;
    }
  nd_graph_foreach_weight (model->graph, add_weight, set);
  if (!nd_weights_save (output, set, &model->spec, ND_WEIGHTS_FORM_DEPLOY, model->preprocess,
                        &error))
    goto fail;
  if (!o.json)
    {
      g_autofree char *shown = nd_escape_for_terminal (output);

      printf (_("wrote %u fused tensors of %s to %s\n"), nd_weight_set_size (set),
              model->spec.name, shown);
    }
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
