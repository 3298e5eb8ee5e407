"""Speed of the estimators against plain PyTorch, and memory of transform.

Every speed figure is a ratio measured side by side in one process, rounds
alternating, since timings on shared machines drift:

* ``fit``: ``CNNGalaxyClassifier.fit`` images/s over a plain PyTorch loop that
  trains the same module (same initial weights), on the same images already
  converted to a float tensor, with the same batch size, shuffling and
  optimizer (AdamW, the estimator's default).
* ``predict_proba`` / ``transform``: the estimators' inference over raw
  ``torch.inference_mode`` forward passes of the same module on the same
  float tensor, batch by batch.
* ``memory``: peak resident memory of ``CAEFeaturizer.transform`` over 10k,
  50k and 100k 64-px RGB images, each in a fresh process that loads the
  fitted featurizer (:func:`galaxy_sklearn.load`): the peak during the call
  (``VmHWM``, reset just before it) against the input and output sizes; the
  images loaded into memory as a numpy array (from a ``.npy`` file), then
  read from an HDF5 file as a dask array (``load_galaxy10(chunks=2048)`` and
  :func:`galaxy_sklearn.parallel.map_blocks`), so that they never are.

Run::

    python benchmarks/throughput.py [--device cpu] [--output benchmarks/results]
    python benchmarks/throughput.py --quick        # small sizes, a minute

Prints the tables and writes them to ``throughput_speed_<device>.md`` and
``throughput_memory_<device>.md`` (``--only speed`` or ``--only memory`` runs
one of them).
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch

from galaxy_sklearn import CAEFeaturizer, CNNGalaxyClassifier, MoCoFeaturizer, load
from galaxy_sklearn._engine import autocast, resolve_device, resolve_seed, seeded
from galaxy_sklearn.datasets import load_galaxy10, make_galaxies
from galaxy_sklearn.parallel import map_blocks


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def galaxies(n: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``n`` synthetic RGB galaxies: 2,000 drawn, then repeated (cheap at 100k)."""
    X, y = make_galaxies(n_samples=min(n, 2000), image_size=size, random_state=0)
    reps = np.arange(n) % len(X)
    return np.asarray(X)[reps], np.asarray(y)[reps]


def as_float_tensor(X: np.ndarray, device) -> torch.Tensor:
    """What a plain PyTorch user would hold: channels-first floats in [0, 1]."""
    x = torch.as_tensor(X, dtype=torch.float32).permute(0, 3, 1, 2).contiguous()
    return (x / 255).to(device)


def plain_fit(module, x, y, *, batch_size, lr, device, seed) -> float:
    """One epoch of a hand-written training loop; returns seconds.

    On a GPU it uses what the estimators use there (bfloat16 autocast, the
    channels-last layout), so that the ratio measures the wrapper, not AMP.
    """
    module = copy.deepcopy(module).to(device).train()
    if device.type == "cuda":
        module = module.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    synchronize(device)
    start = time.perf_counter()
    order = torch.randperm(len(x), generator=generator)
    for i in range(0, len(x), batch_size):
        idx = order[i : i + batch_size].to(device)
        optimizer.zero_grad(set_to_none=True)
        with autocast(device):
            loss = torch.nn.functional.cross_entropy(module(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
    synchronize(device)
    return time.perf_counter() - start


def plain_inference(fn, x, *, batch_size, device) -> float:
    synchronize(device)
    start = time.perf_counter()
    outputs = []
    if device.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), autocast(device):
        for i in range(0, len(x), batch_size):
            outputs.append(fn(x[i : i + batch_size]).float().cpu())
    torch.cat(outputs).numpy()
    synchronize(device)
    return time.perf_counter() - start


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def ratio_row(name, n, ours, plain) -> dict:
    """Images/s of both, and the median over rounds of plain time / our time."""
    ratios = np.array(plain) / np.array(ours)
    return {
        "what": name,
        "images": n,
        "ours img/s": round(n / float(np.median(ours)), 1),
        "plain img/s": round(n / float(np.median(plain)), 1),
        "ratio": round(float(np.median(ratios)), 3),
        "ratio range": f"{ratios.min():.3f}-{ratios.max():.3f}",
    }


def speed(args, device) -> pd.DataFrame:
    torch.manual_seed(0)
    X, y = galaxies(args.n_fit)
    batch = args.batch_size
    settings = dict(batch_size=batch, device=str(device), verbose=0, random_state=0)
    rows = []
    for backbone in args.backbones:
        # the module as fit builds it, before any step, for the plain loop
        clf = CNNGalaxyClassifier(backbone, max_epochs=1, **settings)
        clf.fit(X[: 2 * batch], y[: 2 * batch])
        with seeded(resolve_seed(0), device):
            start_module = clf._build_module(X, clf._fit_targets(X, y))
        x, yt = as_float_tensor(X, device), torch.as_tensor(y).to(device)
        ours, plain = [], []
        for round_ in range(args.rounds):
            plain.append(
                plain_fit(
                    start_module,
                    x,
                    yt,
                    batch_size=batch,
                    lr=clf.lr,
                    device=device,
                    seed=round_,
                )
            )
            ours.append(timed(clf.fit, X, y))
        rows.append(ratio_row(f"{backbone} fit", len(X), ours, plain))

        X_pred = np.concatenate([X] * max(1, args.n_predict // len(X)))
        x = as_float_tensor(X_pred, device)
        proba = clf.module_.eval().proba
        ours, plain = [], []
        for _ in range(args.rounds):
            plain.append(
                plain_inference(
                    proba,
                    x,
                    batch_size=batch,
                    device=device,
                )
            )
            ours.append(timed(clf.predict_proba, X_pred))
        rows.append(ratio_row(f"{backbone} predict_proba", len(X_pred), ours, plain))

        moco = MoCoFeaturizer(backbone, max_epochs=1, **settings)
        moco.fit(X[: 2 * batch])
        features = moco.module_.eval().features
        ours, plain = [], []
        for _ in range(args.rounds):
            plain.append(plain_inference(features, x, batch_size=batch, device=device))
            ours.append(timed(moco.transform, X_pred))
        rows.append(ratio_row(f"{backbone} MoCo transform", len(X_pred), ours, plain))
    return pd.DataFrame(rows)


def status_mib(field: str) -> float:
    """A memory field of /proc/self/status (``VmHWM``: peak, ``VmRSS``: now)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(n: int, model: str, source: str, folder: str) -> None:
    """In a fresh process: load a fitted CAE, then transform the first ``n``
    images of ``folder``: loaded into memory from ``images.npy``
    (``source="array"``), or read from ``Galaxy10_DECals.h5`` in dask chunks."""
    cae = load(model)
    if source == "array":
        X = np.array(np.load(Path(folder) / "images.npy", mmap_mode="r")[:n])
        cae.transform(X[:256])  # warm up kernels and allocator caches
        input_mib = X.nbytes / 2**20
    else:
        import dask.array as da

        X = load_galaxy10(data_home=folder, chunks=2048).images[:n]
        cae.transform(X[:256].compute())
        input_mib = 0.0
    before = status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to VmRSS
    start = time.perf_counter()
    if source == "array":
        Z = cae.transform(X)
    else:
        Z = map_blocks(cae, X).compute(scheduler="synchronous")
        assert isinstance(X, da.Array)
    seconds = time.perf_counter() - start
    peak = status_mib("VmHWM")
    output = Z.nbytes / 2**20
    row = {
        "input": "numpy array" if source == "array" else "HDF5 file, dask chunks",
        "images": n,
        "input in memory MiB": round(input_mib, 1),
        "output MiB": round(output, 1),
        "RSS before MiB": round(before, 1),
        "peak RSS MiB": round(peak, 1),
        "peak - before - output MiB": round(peak - before - output, 1),
        "img/s": round(n / seconds, 1),
    }
    print(json.dumps(row))


def memory(args) -> pd.DataFrame:
    X, _ = galaxies(512)
    cae = CAEFeaturizer(max_epochs=1, batch_size=64, device=args.device)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = str(Path(tmp) / "cae.pt")
        cae.set_params(random_state=0).fit(X).save(model)
        X, y = galaxies(max(args.memory_sizes))
        np.save(Path(tmp) / "images.npy", X)
        with h5py.File(Path(tmp) / "Galaxy10_DECals.h5", "w") as f:
            f["images"], f["ans"] = X, y
        del X, y
        for source in ("array", "hdf5"):
            for n in args.memory_sizes:
                command = [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    str(n),
                    model,
                    source,
                    tmp,
                ]
                result = subprocess.run(
                    command, check=True, capture_output=True, text=True
                )
                rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["speed", "memory"])
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(int(args.memory_child[0]), *args.memory_child[1:])
        return
    device = resolve_device(args.device)
    args.device = str(device)
    args.batch_size = 128
    args.backbones = ["resnet18", "simple_cnn"]
    args.rounds, args.n_fit, args.n_predict = 5, 2048, 4096
    args.memory_sizes = [10_000, 50_000, 100_000]
    if args.quick:
        args.backbones, args.rounds, args.n_fit, args.n_predict = (
            ["simple_cnn"],
            2,
            512,
            1024,
        )
        args.memory_sizes = [2_000, 10_000]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    header = (
        f"device: {name}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, 64-px RGB, batch {args.batch_size}"
    )
    print(header)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    suffix = f"{device.type}{'_quick' if args.quick else ''}"
    if args.only != "memory":
        table = speed(args, device).to_markdown(index=False)
        print(table)
        path = out / f"throughput_speed_{suffix}.md"
        path.write_text(
            f"{header}\n\nratio = plain seconds / ours, median over {args.rounds} "
            f"alternating rounds (range: lowest and highest round); the goal is "
            f">= 0.95\n\n{table}\n"
        )
        print(f"written to {path}")
    if args.only != "speed":
        table = memory(args).to_markdown(index=False)
        print(table)
        path = out / f"throughput_memory_{suffix}.md"
        path.write_text(
            f"{header}\n\nPeak resident memory of CAEFeaturizer.transform, a fresh "
            f"process for each row (VmHWM reset just before the call)\n\n{table}\n"
        )
        print(f"written to {path}")


if __name__ == "__main__":
    main()
