"""Time make_galaxies: galaxies per second at several sizes.

Run: python benchmarks/synthetic_galaxies.py [--output benchmarks/results]
Prints a table and writes it as markdown.
"""

import argparse
import time
from pathlib import Path

import pandas as pd

from galaxy_sklearn.datasets import make_galaxies


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for n_samples, image_size in [(10_000, 32), (10_000, 64), (2_000, 128)]:
        times = []
        for repeat in range(args.repeats):
            start = time.perf_counter()
            make_galaxies(n_samples, image_size, random_state=repeat)
            times.append(time.perf_counter() - start)
        best = min(times)
        rows.append(
            {
                "n_samples": n_samples,
                "image_size": image_size,
                "best_seconds": round(best, 2),
                "median_seconds": round(sorted(times)[len(times) // 2], 2),
                "galaxies_per_second": round(n_samples / best),
            }
        )
    table = pd.DataFrame(rows).to_markdown(index=False)
    print(table)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "synthetic_galaxies.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
