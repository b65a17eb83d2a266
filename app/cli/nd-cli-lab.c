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

/* @v, or null where @have is FALSE (a probe this backend does not run). */
static void
add_double_or_null (JsonBuilder *b, const char *key, gboolean have, double v)
{
  json_builder_set_member_name (b, key);
  if (have)
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* The machine-peak probes of the roof (nd-backend.h: NdBackendPeak). */
static void
add_machine_peak (JsonBuilder *b, const NdLabRoof *roof)
{
  const NdBackendPeak *m = &roof->machine;
  gboolean cpu = roof->has_machine && m->gemm_size > 0;
  gboolean shader = roof->has_machine && m->fma_invocations > 0;

  json_builder_set_member_name (b, "peak_source");
  json_builder_add_string_value (b, roof->peak_source ? roof->peak_source : "conv-probe");
  add_double_or_null (b, "sgemm_gflops", cpu, m->sgemm_gflops);
  add_double_or_null (b, "nd_gemm_gflops", cpu && m->gemm_gflops > 0, m->gemm_gflops);
  json_builder_set_member_name (b, "gemm_size");
  if (cpu)
    json_builder_add_int_value (b, m->gemm_size);
  else
    json_builder_add_null_value (b);
  add_double_or_null (b, "shader_fma_gflops", shader, m->fma_gflops);
  json_builder_set_member_name (b, "shader_fma_invocations");
  if (shader)
    json_builder_add_int_value (b, m->fma_invocations);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "shader_fma_timer");
  if (shader)
    json_builder_add_string_value (b, m->fma_timestamps ? "gpu-timestamps" : "host-clock");
  else
    json_builder_add_null_value (b);
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
  add_machine_peak (b, roof);
  json_builder_end_object (b);
}
