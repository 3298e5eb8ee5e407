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
    compare = commands.add_parser(
        "compare",
        help="train the model zoo on one split; write the table, figures and report",
        description=(
            "Train supervised CNNs, CAE + LR, MoCo + LR, morphology + random "
            "forest and pixel PCA + LR on one train/test split, at several "
            "fractions of the training labels and several seeds. Writes "
            "results.csv, summary.csv/.md, label_efficiency.csv, per_class.csv, "
            "figures/*.png and report.html into --output; a finished run found "
            "there is not repeated. The defaults (synthetic galaxies) take a few "
            "minutes on 2 CPU cores; on a GPU try --max-epochs 50 --n-samples "
            "20000 --image-size 64."
        ),
    )
    # defaults live in compare() alone: options left out are not passed
    option = {"default": argparse.SUPPRESS}
    compare.add_argument(
        "--data",
        **option,
        help="'synthetic' (default), a Galaxy Zoo 2 folder (images/ + labels.csv, "
        "or the Kaggle layout) or a Galaxy10 .h5 file",
    )
    compare.add_argument(
        "--models",
        nargs="+",
        **option,
        help="model names, 'fast' (default: simple_cnn resnet18 cae moco "
        "morphology pca) or 'all' (adds resnet50 vgg16 inception_v3 xception)",
    )
    compare.add_argument(
        "--label-fractions",
        nargs="+",
        type=float,
        **option,
        help="fractions of the training labels kept (default 0.05 0.2 1)",
    )
    compare.add_argument("--seeds", nargs="+", type=int, **option, help="default 0 1")
    compare.add_argument(
        "--output",
        **option,
        help="results folder; give an existing one to resume it (default: a new "
        "galaxy_sklearn_compare_<time> folder)",
    )
    compare.add_argument(
        "--image-size", type=int, **option, help="default 24 synthetic, 64 real"
    )
    compare.add_argument(
        "--n-samples", type=int, **option, help="at most this many training images"
    )
    compare.add_argument("--max-epochs", type=int, **option, help="default 5")
    compare.add_argument("--batch-size", type=int, **option, help="default 64")
    compare.add_argument("--device", **option, help="auto (default), cpu, cuda, ...")
    compare.add_argument("--random-state", type=int, **option, help="default 0")
    compare.add_argument(
        "--quiet", action="store_true", help="no progress bar, only the table"
    )
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
    elif args.command == "compare":
        from .evaluation import compare

        options = {k: v for k, v in vars(args).items() if k not in ("command", "quiet")}
        data = options.pop("data", "synthetic")
        try:
            compare(data, verbose=0 if args.quiet else 1, **options)
        except (OSError, ValueError) as exc:
            print(f"galaxy-sklearn compare: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            print(f"galaxy-sklearn compare: interrupted. {exc}", file=sys.stderr)
            return 130
    elif args.command == "fetch-galaxy10":
        from .datasets import fetch_galaxy10

        try:
            print(fetch_galaxy10(args.variant, data_home=args.data_home))
        except (OSError, ValueError) as exc:
            print(f"galaxy-sklearn fetch-galaxy10: error: {exc}", file=sys.stderr)
            return 1
    return 0
