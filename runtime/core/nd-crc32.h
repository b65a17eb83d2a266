/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

/* CRC-32 as zip and PNG use it (ISO-HDLC, reflected, init and final xor 0xffffffff).
 * Private to the runtime: the zip reader and the image loader check their files with it. */
guint32 nd_crc32 (const guint8 *data,
                  guint64       n);
