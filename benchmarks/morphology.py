"""MorphologyFeatures against statmorph: speed and rank agreement.

Both measure the same galaxies: the first ``--n`` galaxies of
``shared/data/gz2_5class`` (207 px centre crop, resized to ``--image-size``,
mean of the bands, as ``check_morphology.py`` prepares them) and synthetic
Sersic profiles whose concentration is known analytically.

statmorph needs a segmentation; it gets photutils' ``detect_sources`` at
2 sigma after a 1.5 px Gaussian, 10 px minimum, the central source (the
same detection MorphologyFeatures makes), in two ways, each beside the
MorphologyFeatures setting that measures the same way:

* ``central only``: a segmap holding only the central source, so the
  neighbours stay in the image and in statmorph's sky box (the way
  ``shared/acceptance/check_morphology.py`` calls it), against
  MorphologyFeatures' default;
* ``full segmap``: every source labelled, so statmorph masks the
  neighbours, against ``MorphologyFeatures(mask_neighbours=True)``.

The Spearman table also crosses the pairs, to show what the choice moves.

Prints per-galaxy time for both (MorphologyFeatures on one thread and on all
cores, best of 3) and the Spearman rank correlation per statistic, and
writes the tables to ``benchmarks/results/morphology.{md,csv}``.
statmorph and photutils are optional dependencies:
``pip install -e .[benchmarks]``.

Run from the project root::

    python benchmarks/morphology.py ../shared/data/gz2_5class --n 300
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from galaxy_sklearn import MorphologyFeatures
from galaxy_sklearn.datasets import load_galaxy_zoo2, make_sersic_profiles
from galaxy_sklearn.datasets._sersic import petrosian_concentration
from galaxy_sklearn.morphology._reference import STATMORPH_NAMES, run_statmorph

RESULTS = Path(__file__).parent / "results"
# statmorph's segmap -> the MorphologyFeatures(mask_neighbours=...) that
# measures the same way
PAIRS = {"central only": False, "full segmap": True}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=None)
    parser.add_argument("--n", type=int, default=300, help="real galaxies")
    parser.add_argument("--image-size", type=int, default=104)
    parser.add_argument("--n-synthetic", type=int, default=100)
    parser.add_argument("--out", type=Path, default=RESULTS / "morphology")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(
        os.environ.get("GALAXY_SKLEARN_GZ2", "../shared/data/gz2_5class")
    )
    import statmorph  # noqa: F401  (fail early when missing)

    real = load_galaxy_zoo2(
        data_dir / "images", labels_csv=data_dir / "labels.csv",
        crop=207, image_size=args.image_size,
    ).images[: args.n]  # fmt: skip
    synthetic = _sersic_sample(args.n_synthetic, args.image_size)
    print(
        f"{len(real)} GZ2 galaxies and {len(synthetic[0])} Sersic profiles at "
        f"{args.image_size} px; {platform.machine()}, {os.cpu_count()} cores."
    )

    rows, speed, known = [], [], []
    for name, images in (("GZ2", real), ("Sersic", synthetic[0])):
        gray = images.mean(axis=-1) if images.ndim == 4 else images
        ours = {mask: _ours(images, mask) for mask in (False, True)}
        for config, paired in PAIRS.items():
            reference, seconds = run_statmorph(
                gray, central_only=config == "central only"
            )
            _, ours_1, ours_all = ours[paired]
            speed.append({
                "galaxies": name, "statmorph": config,
                "MorphologyFeatures": _setting(paired),
                "statmorph_ms": 1e3 * seconds,
                "ours_ms_1_thread": 1e3 * ours_1,
                "ours_ms_all_cores": 1e3 * ours_all,
                "ratio_1_thread": seconds / ours_1,
                "ratio_all_cores": seconds / ours_all,
            })  # fmt: skip
            for mask in (paired, not paired):
                row = {
                    "galaxies": name, "statmorph": config,
                    "MorphologyFeatures": _setting(mask),
                }  # fmt: skip
                for ours_name, theirs in STATMORPH_NAMES.items():
                    a, b = ours[mask][0][ours_name], reference[theirs]
                    ok = np.isfinite(a) & np.isfinite(b)
                    row[ours_name] = spearmanr(a[ok], b[ok]).statistic
                row["n"] = int(ok.sum())
                rows.append(row)
            if name == "Sersic":
                known.append({
                    "measure": f"statmorph ({config})",
                    "C_mean_abs_error": np.nanmean(
                        np.abs(reference["concentration"] - synthetic[1])
                    ),
                })  # fmt: skip
        if name == "Sersic":
            known.insert(0, {
                "measure": "MorphologyFeatures",
                "C_mean_abs_error": np.nanmean(
                    np.abs(ours[False][0]["concentration"] - synthetic[1])
                ),
            })  # fmt: skip
    known = pd.DataFrame(known)

    spearman = pd.DataFrame(rows)
    timing = pd.DataFrame(speed)
    text = "\n\n".join([
        "## Spearman rank correlation with statmorph",
        spearman.to_markdown(index=False, floatfmt=".3f"),
        "## Time per galaxy",
        timing.to_markdown(index=False, floatfmt=".3f"),
        "## Concentration of Sersic profiles against the analytic value",
        known.to_markdown(index=False, floatfmt=".3f"),
    ])  # fmt: skip
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(_header(args, real) + text + "\n")
    pd.concat([spearman.assign(table="spearman"), timing.assign(table="time")]).to_csv(
        args.out.with_suffix(".csv"), index=False
    )
    print(f"\nwritten: {args.out.with_suffix('.md')} and .csv")


def _header(args, real):
    return (
        f"# MorphologyFeatures against statmorph\n\n"
        f"`python benchmarks/morphology.py {args.data_dir or ''} --n {args.n} "
        f"--image-size {args.image_size}`: {len(real)} GZ2 galaxies at "
        f"{args.image_size} px, {args.n_synthetic} Sersic profiles; "
        f"{platform.machine()}, {os.cpu_count()} cores.\n\n"
    )


def _sersic_sample(n, image_size):
    """Sersic profiles with random index, size, shape and noise, and their
    analytic concentration."""
    rng = np.random.default_rng(0)
    index = rng.uniform(0.5, 4.0, n)
    radius = rng.uniform(0.03, 0.08, n) * image_size
    images = make_sersic_profiles(
        index, radius, image_size=image_size, axis_ratio=rng.uniform(0.4, 1, n),
        position_angle=rng.uniform(0, 180, n), offset=rng.uniform(-2, 2, (n, 2)),
        flux=rng.uniform(2e3, 2e4, n), noise=0.2, random_state=1,
    )  # fmt: skip
    truth = np.array([petrosian_concentration(i, r)[0] for i, r in zip(index, radius)])
    return images, truth


def _setting(mask_neighbours):
    return "mask_neighbours=True" if mask_neighbours else "default"


def _ours(images, mask_neighbours):
    features = MorphologyFeatures(mask_neighbours=mask_neighbours).fit(images)
    names = list(features.get_feature_names_out())
    values = features.transform(images)
    times = []
    for n_jobs in (1, None):
        features.set_params(n_jobs=n_jobs)
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            features.transform(images)
            best = min(best, time.perf_counter() - start)
        times.append(best / len(images))
    return {n: values[:, i] for i, n in enumerate(names)}, *times


if __name__ == "__main__":
    main()
