#!/usr/bin/env node
// Copyright 2026 The Nondeep Explorer authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// ONNX Runtime (npm's onnxruntime-node, CPU / MLAS) timing for tools/bench.py. Benchmark only:
// nothing of it is in the product, its tests or CI.
//
//   node tools/bench_ort.mjs --ort-dir build/bench-ort --model M.onnx [--iters 20] [--warmup 3]
//        [--threads 2] [--input in.bin --dump out.bin] [--profile PREFIX]
//
// --ort-dir: the folder holding node_modules/onnxruntime-node (installed with
//   `npm install --ignore-scripts onnxruntime-node@VERSION` there).
// Times session.run on one input (random, or --input: raw float32 of the model's input shape);
// with --dump writes the first output as raw float32; with --profile ORT's session profiling is
// on and its trace (per-node kernel times, one entry a node a run) goes to PREFIX*.json, its
// path in "profile" (profiling slows ORT: tools/bench.py times without it). Prints one JSON
// object:
//   {"median_ms", "min_ms", "max_ms", "samples_ms", "load_ms", "ort_version", "threads"}
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

function parseArgs(argv) {
  const a = { iters: 20, warmup: 3, threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    a[k] = argv[++i];
  }
  for (const k of ['iters', 'warmup', 'threads']) a[k] = parseInt(a[k], 10);
  if (!a.model || !a.ortDir) throw new Error('--model and --ort-dir are required');
  return a;
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const require = createRequire(resolve(a.ortDir) + '/');
  const ort = require('onnxruntime-node');
  const opts = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
  };
  if (a.profile) {
    opts.enableProfiling = true;
    opts.profileFilePrefix = a.profile;
  }
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(resolve(a.model), opts);
  const loadMs = performance.now() - t0;
  const inName = session.inputNames[0];
  const meta = session.inputMetadata?.[0];
  const shape = (meta && meta.shape) ? meta.shape.map(Number) : [1, 3, 224, 224];
  const n = shape.reduce((x, y) => x * y, 1);
  let data;
  if (a.input) {
    const buf = readFileSync(a.input);
    if (buf.length !== n * 4) throw new Error(`${a.input}: ${buf.length} bytes, want ${n * 4}`);
    data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  } else {
    data = new Float32Array(n);
    let s = 12345;  // fixed LCG: the same input every run
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      data[i] = s / 4294967296 - 0.5;
    }
  }
  const feeds = { [inName]: new ort.Tensor('float32', data, shape) };
  let out;
  for (let i = 0; i < a.warmup; i++) out = await session.run(feeds);
  const ts = [];
  for (let i = 0; i < a.iters; i++) {
    const t = performance.now();
    out = await session.run(feeds);
    ts.push(performance.now() - t);
  }
  if (a.dump) {
    if (!out) out = await session.run(feeds);
    const y = out[session.outputNames[0]].data;
    writeFileSync(a.dump, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  }
  const r = {
    median_ms: ts.length ? median(ts) : null,
    min_ms: ts.length ? Math.min(...ts) : null,
    max_ms: ts.length ? Math.max(...ts) : null,
    samples_ms: ts,
    load_ms: loadMs,
    ort_version: ort.env.versions?.common ?? '?',
    threads: a.threads,
  };
  if (a.profile) {
    // the trace is written when profiling ends (or the session is released)
    const f = await session.endProfiling?.();
    r.profile = typeof f === 'string' ? f : null;
    await session.release?.();
  }
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench_ort: ${e.message || e}\n`);
  process.exit(1);
});
