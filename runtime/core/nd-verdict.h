/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A timed choice as the user's cache files keep it (cpu-layout.ini, vulkan-kernels.ini):
 * "CHOICE;MS;MS", the choice's name and the two times it was made from (the baseline's,
 * the choice's). Parsing fails (FALSE, nothing set) on any other form, a time that is not a
 * number in [0, 1e9), or a choice not in @choices (NULL-terminated); else *@choice is its
 * index there. */
gboolean nd_verdict_parse  (const char         *value,
                            const char * const *choices,
                            int                *choice,
                            double              ms[2]);
char    *nd_verdict_format (const char         *choice,
                            const double        ms[2]);

G_END_DECLS
