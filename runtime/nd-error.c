/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "nd-error.h"

G_DEFINE_QUARK (nd-runtime-error-quark, nd_runtime_error)
