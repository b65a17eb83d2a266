/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `nondeep-cli devices [--json]`: lists the Vulkan devices (index, name, type; with --json
 * also driver, API version, memory_mib, max_workgroup_invocations, shared_memory_kib,
 * timestamps and fp16_storage). argv[0] is the subcommand name. Returns the exit status. */
int nd_cli_devices (int argc, char **argv);
