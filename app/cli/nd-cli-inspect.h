/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* `nondeep-cli inspect FILE [--json]`: argv[0] is the subcommand name. Returns the exit code. */
int nd_cli_inspect (int argc, char **argv);
