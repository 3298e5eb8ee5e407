"""The model zoo on real Galaxy Zoo 2 galaxies at 1%, 10% and 100% labels.

Runs :func:`galaxy_sklearn.compare` on ``shared/data/gz2_5class`` (the first
argument, else ``GALAXY_SKLEARN_GZ2``, else ``../shared/data/gz2_5class``):
train on split ``train`` (7,158 galaxies), report on ``val`` (925), 207 px
centre crop resized to 64 px. Models: resnet18 (supervised), MoCo + LR,
CAE + LR, MorphologyFeatures + random forest and pixel PCA + LR; seeds 0 and
1; 8 epochs (supervised CNNs get up to 4x more on fewer labels). The whole
output (figures, report.html) goes to ``--output``; the summary, the
label-efficiency table, every run and the per-class report are copied to
``benchmarks/results/compare_gz2*``. About 50 minutes on 2 CPU cores; an
interrupted run resumes when started again with the same ``--output``.

    python benchmarks/compare_gz2.py ../shared/data/gz2_5class --output /tmp/gz2_zoo
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
from pathlib import Path

import torch

from galaxy_sklearn import compare

RESULTS = Path(__file__).resolve().parent / "results"


def default_data_dir() -> Path:
    env = os.environ.get("GALAXY_SKLEARN_GZ2")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "gz2_5class"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=default_data_dir())
    parser.add_argument("--output", type=Path, default=Path("gz2_zoo"))
    args = parser.parse_args(argv)
    compare(
        args.data,
        models=["resnet18", "moco", "cae", "morphology", "pca"],
        label_fractions=[0.01, 0.1, 1.0],
        seeds=[0, 1],
        max_epochs=8,
        output=args.output,
    )
    header = (
        f"Galaxy Zoo 2, 5 classes ({args.data.name}): `galaxy-sklearn compare` "
        "with resnet18, MoCo + LR, CAE + LR, morphology + RF and pixel PCA + LR, "
        "label fractions 0.01 / 0.1 / 1, seeds 0 and 1, 8 epochs, 64 px; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.machine()}. Fit seconds include the featurizer's pretraining "
        "(shared by the fractions of a seed).\n\n"
    )
    summary = (args.output / "summary.md").read_text().split("\n", 2)[2]
    (RESULTS / "compare_gz2.md").write_text(header + summary)
    for name in ("results.csv", "label_efficiency.csv", "per_class.csv"):
        shutil.copy(args.output / name, RESULTS / f"compare_gz2_{name}")
    shutil.copy(
        args.output / "figures" / "label_efficiency.png",
        RESULTS / "compare_gz2_label_efficiency.png",
    )
    print(f"wrote {RESULTS / 'compare_gz2.md'} and the tables beside it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
