"""Wall time of the test suite (the README's test command) on this machine.

Run::

    python benchmarks/test_suite_time.py [--output benchmarks/results]

Runs ``python -m pytest -q`` from the repository root, then prints and writes
a table with the wall time, pytest's own summary line and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default="benchmarks/results")
    parser.add_argument(
        "--durations", type=int, default=0, help="also list the N slowest tests"
    )
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q"]
    if args.durations:
        command.append(f"--durations={args.durations}")
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = next(
        (line for line in reversed(lines) if re.search(r"\d+ (passed|failed)", line)),
        lines[-1] if lines else "",
    )
    table = pd.DataFrame(
        [
            {
                "command": "python -m pytest -q",
                "wall seconds": round(seconds, 1),
                "exit code": result.returncode,
                "pytest summary": summary.strip("= "),
                "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, "
                f"torch {torch.__version__}, CUDA: {torch.cuda.is_available()}",
            }
        ]
    ).to_markdown(index=False)
    if result.returncode or args.durations:
        # the failures, or the slowest tests, and the summary
        print("\n".join(lines[-(args.durations + 40) :]))
    print(table)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "test_suite_time.md").write_text(table + "\n")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
