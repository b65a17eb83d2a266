/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The built-in default both front ends start on: a 3-stream ParNet trained by the project on
 * Fashion-MNIST (tools/train_fashion_mnist.py), relative to the assets directory. */
#define ND_DEFAULT_WEIGHTS "weights/parnet-fashion-mnist.safetensors"
#define ND_DEFAULT_SAMPLES_DIR "samples"
