import subprocess
import sys

import pandas as pd

from galaxy_sklearn._cli import main


def test_demo_writes_table_and_confusion_matrix(tmp_path, capsys):
    code = main(
        [
            "demo",
            "--n-samples", "150",
            "--image-size", "16",
            "--max-epochs", "1",
            "--label-fraction", "0.3",
            "--backbone", "simple_cnn",
            "--device", "cpu",
            "--output", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "CAE + LR" in printed and "MoCo + LR" in printed and "macro_f1" in printed
    table = pd.read_csv(tmp_path / "results.csv")
    assert len(table) == 3 and table["accuracy"].between(0, 1).all()
    assert (table["labels"] == 36).all()  # 30% of 120 training galaxies
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 10_000


def test_bad_option_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "--label-fraction", "2", "--output", str(tmp_path)]) == 2
    assert "label_fraction must be in (0, 1]" in capsys.readouterr().err


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "galaxy_sklearn", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "demo" in out.stdout


def test_fetch_galaxy10_prints_the_path(tmp_path, capsys, monkeypatch):
    import pooch

    def retrieve(url, known_hash, fname, path, progressbar):
        assert known_hash.startswith("sha256:") and url.endswith(fname)
        (path / fname).write_bytes(b"hdf5")
        return str(path / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    assert main(["fetch-galaxy10", "sdss", "--data-home", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "Galaxy10.h5")

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(pooch, "retrieve", offline)
    assert main(["fetch-galaxy10", "decals", "--data-home", str(tmp_path)]) == 1
    assert "no network" in capsys.readouterr().err


def test_compare_writes_the_report(tmp_path, capsys):
    code = main(
        [
            "compare",
            "--models", "pca", "morphology",
            "--label-fractions", "0.5", "1",
            "--seeds", "0",
            "--n-samples", "40",
            "--image-size", "16",
            "--output", str(tmp_path),
            "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "morphology + RF" in printed and "macro_f1" in printed
    results = pd.read_csv(tmp_path / "results.csv")
    assert len(results) == 4 and set(results["label_fraction"]) == {0.5, 1.0}
    summary = (tmp_path / "summary.md").read_text()
    assert "morphology + RF" in summary and "pixel PCA + LR" in summary
    report = (tmp_path / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 5


def test_compare_bad_option(tmp_path, capsys):
    assert main(["compare", "--models", "nope", "--output", str(tmp_path)]) == 2
    assert "Unknown models" in capsys.readouterr().err
