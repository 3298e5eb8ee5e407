"""The ``galaxy-sklearn`` command line."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="galaxy-sklearn",
        description="scikit-learn-compatible galaxy morphology classification.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="semi-supervised classification of synthetic galaxies (no download)",
        description=(
            "Keep a fraction of the training labels, train CAE + LR, MoCo + LR and "
            "a supervised CNN, print accuracy, macro-F1 and fit seconds on a "
            "held-out split, and write results.csv and confusion_matrix.png. "
            "The defaults take a few minutes on 2 CPU cores; on a GPU try "
            "--n-samples 20000 --image-size 64 --max-epochs 50."
        ),
    )
    demo.add_argument("--n-samples", type=int, default=2000)
    demo.add_argument("--image-size", type=int, default=24)
    demo.add_argument("--label-fraction", type=float, default=0.1)
    demo.add_argument("--max-epochs", type=int, default=5)
    demo.add_argument("--backbone", default="resnet18")
    demo.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, ...")
    demo.add_argument("--output", default="galaxy_sklearn_demo")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--verbose", type=int, default=0)
    fetch = commands.add_parser(
        "fetch-galaxy10",
        help="download a Galaxy10 HDF5 file into the data home",
        description=(
            "Download Galaxy10_DECals.h5 (2.7 GB) or Galaxy10.h5 (SDSS, 200 MB) "
            "from Zenodo into the data home (GALAXY_SKLEARN_DATA or "
            "~/galaxy_sklearn_data), checked against its pinned SHA-256; a file "
            "already there is kept. Prints the path."
        ),
    )
    fetch.add_argument("variant", choices=["decals", "sdss"])
    fetch.add_argument("--data-home", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``galaxy-sklearn`` command."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        try:
            run_demo(
                n_samples=args.n_samples,
                image_size=args.image_size,
                label_fraction=args.label_fraction,
                max_epochs=args.max_epochs,
                backbone=args.backbone,
                device=args.device,
                output=args.output,
                random_state=args.random_state,
                verbose=args.verbose,
            )
        except ValueError as exc:
            print(f"galaxy-sklearn demo: error: {exc}", file=sys.stderr)
            return 2
    elif args.command == "fetch-galaxy10":
        from .datasets import fetch_galaxy10

        try:
            print(fetch_galaxy10(args.variant, data_home=args.data_home))
        except (OSError, ValueError) as exc:
            print(f"galaxy-sklearn fetch-galaxy10: error: {exc}", file=sys.stderr)
            return 1
    return 0
