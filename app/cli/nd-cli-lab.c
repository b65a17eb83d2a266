/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-cli-lab.h"

int
nd_lab_backend_threads (NdBackend *backend)
{
  const char *d = backend->description ? strstr (backend->description, " threads") : NULL;
  const char *p = d;

  /* the CPU backend's description ends in "N threads"; a GPU has none to report */
  if (d == NULL)
    return 0;
  while (p > backend->description && g_ascii_isdigit (p[-1]))
    p--;
  return p < d ? atoi (p) : 0;
}

void
nd_lab_json_context (JsonBuilder *b, NdBackend *backend)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format_iso8601 (now);

  json_builder_set_member_name (b, "backend");
  json_builder_add_string_value (b, backend->name);
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, backend->description ? backend->description : "");
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, nd_lab_backend_threads (backend));
  json_builder_set_member_name (b, "precision");
  json_builder_add_string_value (b, "float32");
  json_builder_set_member_name (b, "date");
  json_builder_add_string_value (b, date);
}

void
nd_lab_json_roof (JsonBuilder *b, const NdLabRoof *roof)
{
  json_builder_set_member_name (b, "roof");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "peak_gflops");
  json_builder_add_double_value (b, roof->peak_gflops);
  json_builder_set_member_name (b, "bandwidth_gbs");
  json_builder_add_double_value (b, roof->bandwidth_gbs);
  json_builder_set_member_name (b, "ridge_intensity");
  json_builder_add_double_value (b, roof->bandwidth_gbs > 0
                                    ? roof->peak_gflops / roof->bandwidth_gbs : 0);
  json_builder_set_member_name (b, "conv_probes_gflops");
  json_builder_begin_array (b);
  for (int i = 0; i < roof->n_conv; i++)
    json_builder_add_double_value (b, roof->probe_gflops[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "copy_probes");
  json_builder_begin_array (b);
  for (int i = 0; i < roof->n_copy; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, roof->probe_bytes[i]);
      json_builder_set_member_name (b, "gbs");
      json_builder_add_double_value (b, roof->probe_gbs[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "memcpy_gbs");
  json_builder_add_double_value (b, roof->memcpy_gbs);
  json_builder_end_object (b);
}
