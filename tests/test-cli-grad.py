#!/usr/bin/python3
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""nondeep-cli saliency and erf end to end (TAP): the input gradient against a finite
difference of `run`'s logits, Grad-CAM and PNG output, the effective receptive field growing
with depth and staying inside the theoretical one, and clear errors for bad requests. Small
models (32–64 px, random init) so it stays well under a minute."""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from nd_tap import require, test, run_all

CLI = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="nd-cli-grad-")
SRC = os.path.dirname(os.path.abspath(__file__))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FMNIST = "/usr/share/datasets/fashion-mnist"
SHIPPED = os.path.join(SRC, "..", "assets", "weights", "parnet-fashion-mnist.safetensors")
SAMPLES = os.path.join(SRC, "..", "assets", "samples")


def cli(*args, expect=0):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=300)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{' '.join(map(str, args))}: exit {p.returncode}, expected {expect}"
                             f"\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def tmp(name):
    return os.path.join(TMP, name)


def write_input(name, shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape).astype("<f4")
    np.save(tmp(name), x)
    return tmp(name), x


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_MAGIC


MODEL = ["--model", "resnet-18", "--resolution", "32", "--classes", "10", "--width", "0.5"]


@test("saliency --method grad: d logit/d input equals a finite difference of run's logits")
def t_grad_vs_fd():
    path, x = write_input("x.npy", (1, 3, 32, 32), 1)
    out = json.loads(cli("saliency", *MODEL, "--input", path, "--method", "grad",
                         "--dump-grad", tmp("g.npy"), "--png", tmp("s.png"), "--json").stdout)
    r = out["results"][0]
    assert out["method"] == "grad" and 0 <= r["class"] < 10, out
    g = np.load(tmp("g.npy"))
    assert g.shape == x.shape and np.all(np.isfinite(g)), g.shape
    assert abs(np.abs(g).max() - r["grad_abs_max"]) <= 1e-6 * r["grad_abs_max"], r
    assert is_png(tmp("s.png"))
    # the three pixels with the largest |gradient|: central differences of the logit
    h = 1e-2
    for i in np.argsort(np.abs(g).ravel())[-3:]:
        fd = []
        for s in (h, -h):
            xp = x.copy()
            xp.ravel()[i] += s
            np.save(tmp("xp.npy"), xp)
            cli("run", *MODEL, "--input", tmp("xp.npy"), "--dump-logits", tmp("y.npy"),
                "--json")
            fd.append(float(np.load(tmp("y.npy")).ravel()[r["class"]]))
        fd = (fd[0] - fd[1]) / (2 * h)
        an = float(g.ravel()[i])
        assert abs(fd - an) <= 0.05 * abs(an) + 1e-3, f"pixel {i}: analytic {an}, fd {fd}"


@test("saliency --class and --method gradcam on a sample image; PNG written")
def t_gradcam():
    img = os.path.join(SRC, "..", "assets", "samples", "0008-sandal.png")
    out = json.loads(cli("saliency", "--model", "parnet-s", "--resolution", "64", "--classes",
                         "10", "--width", "0.25", "--image", img, "--method", "gradcam",
                         "--class", "3", "--png", tmp("cam.png"), "--json").stdout)
    assert out["method"] == "gradcam" and out["cam_node"], out
    assert out["results"][0]["class"] == 3, out
    assert is_png(tmp("cam.png"))


@test("saliency --image with no model: the shipped ParNet explains its (right) answer")
def t_default_model():
    img = os.path.join(SRC, "..", "assets", "samples", "0008-sandal.png")
    out = json.loads(cli("saliency", "--image", img, "--json").stdout)
    r = out["results"][0]
    assert out["model"] == "parnet-s" and r["label"] == "Sandal", out
    assert r["grad_abs_max"] > 0, out


@test("saliency: bad requests are clear errors")
def t_saliency_errors():
    path, _ = write_input("e.npy", (1, 3, 32, 32), 2)
    p = cli("saliency", *MODEL, "--input", path, "--class", "10", expect=1)
    assert "class 10" in p.stderr, p.stderr
    p = cli("saliency", *MODEL, "--input", path, "--method", "deconv", expect=1)
    assert "grad or gradcam" in p.stderr, p.stderr
    p = cli("saliency", *MODEL, expect=1)
    assert "--image" in p.stderr, p.stderr


def erf(block, *extra):
    return json.loads(cli("erf", "--model", "resnet-18", "--resolution", "64", "--width",
                          "0.25", "--block", block, "--samples", "3", "--json", *extra).stdout)


@test("erf: radii grow with depth and the mass stays in the theoretical field")
def t_erf():
    shallow, deep = erf("layer1"), erf("layer3", "--png", tmp("erf.png"))
    for e in (shallow, deep):
        assert 0 < e["radius_50"] <= e["radius_95"], e
        assert not e["theoretical_rf"]["global"], e
        # no global path: every pixel with mass lies in the box, so the 95 % disc reaches at
        # most the box's corner
        half = e["theoretical_rf"]["width"] / 2
        assert e["radius_95"] <= half * 2 ** 0.5 + 1, e
        assert e["mass_outside_rf"] == 0, e
    assert shallow["radius_50"] < deep["radius_50"], (shallow, deep)
    assert shallow["theoretical_rf"]["width"] < deep["theoretical_rf"]["width"]
    assert deep["samples"] == 3 and deep["block"] == "layer3"
    assert is_png(tmp("erf.png"))


def erf_shipped(*extra):
    return json.loads(cli("erf", "--weights", SHIPPED, "--block", "streams.1", "--samples", "8",
                          "--json", *extra).stdout)


@test("erf --dataset fashion-mnist: the shipped ParNet over test images, not random ones")
def t_erf_dataset():
    require("dataset", os.path.isdir(FMNIST), f"{FMNIST} is missing (dataset-fashion-mnist)")
    real, rand = erf_shipped("--dataset", "fashion-mnist"), erf_shipped()
    assert real["inputs"] == "dataset" and real["dataset"] == "fashion-mnist", real
    assert rand["inputs"] == "random" and rand["dataset"] is None, rand
    for e in (real, rand):
        assert e["samples"] == 8 and 0 < e["radius_50"] <= e["radius_95"], e
    # other inputs, another map: the radii of real images are not those of noise
    assert (real["radius_50"], real["radius_95"]) != (rand["radius_50"], rand["radius_95"])
    # the same seed picks the same images
    again = erf_shipped("--dataset", "fashion-mnist")
    assert (again["radius_50"], again["radius_95"]) == (real["radius_50"], real["radius_95"])


@test("erf --dataset DIR: a folder's images, as many as it holds")
def t_erf_folder():
    n = len([f for f in os.listdir(SAMPLES) if f.endswith(".png")])
    assert n >= 2, SAMPLES
    e = erf_shipped("--dataset", SAMPLES, "--samples", str(n + 5))
    assert e["inputs"] == "dataset" and e["samples"] == n, e
    assert e["dataset"] == SAMPLES and 0 < e["radius_50"] <= e["radius_95"], e
    # an RGB model takes the folder too, preprocessed as `run --image` does
    e = erf("layer2", "--dataset", SAMPLES)
    assert e["inputs"] == "dataset" and e["samples"] == 3, e


@test("erf --dataset: a model Fashion-MNIST does not fit, an empty folder")
def t_erf_dataset_errors():
    p = cli("erf", "--model", "resnet-18", "--resolution", "32", "--block", "layer1",
            "--dataset", "fashion-mnist", expect=1)
    assert "Fashion-MNIST" in p.stderr and "1-channel" in p.stderr, p.stderr
    os.makedirs(tmp("empty"), exist_ok=True)
    p = cli("erf", "--model", "resnet-18", "--resolution", "32", "--block", "layer1",
            "--dataset", tmp("empty"), expect=1)
    assert "no PNG" in p.stderr, p.stderr


@test("erf: unknown or missing block, bad sample count")
def t_erf_errors():
    p = cli("erf", "--model", "resnet-18", "--resolution", "32", "--block", "layer9", expect=1)
    assert "layer9" in p.stderr, p.stderr
    cli("erf", "--model", "resnet-18", "--resolution", "32", expect=1)
    cli("erf", "--model", "resnet-18", "--resolution", "32", "--block", "layer1",
        "--samples", "0", expect=1)


run_all()
