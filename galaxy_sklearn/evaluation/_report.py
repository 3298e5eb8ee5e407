"""The comparison's tables, summary figures and report."""

from __future__ import annotations

import base64
import html
import json

import numpy as np
import pandas as pd

from ..metrics import classification_report_frame
from ..plotting._figures import class_names

_METRICS = (
    "accuracy",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "fit_seconds",
    "predict_images_per_s",
)

_CAPTIONS = {
    "label_efficiency": "Accuracy against the fraction of training labels kept: mean "
    "over seeds, band from the lowest to the highest seed.",
    "label_efficiency_macro_f1": "Macro-F1 against the fraction of training labels.",
    "confusion_matrices": "Confusion matrices on the test galaxies, normalised over "
    "the true classes (largest label fraction, first seed).",
    "roc_curves": "One-vs-rest ROC curves with AUC per class (largest label "
    "fraction, first seed).",
    "galaxy_grid": "Test galaxies per true class, titled with the best model's "
    "prediction (green right, red wrong).",
}


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub markdown table (no tabulate needed)."""

    def cell(value):
        if isinstance(value, (float, np.floating)):
            return format(value, floatfmt)
        return str(value)

    lines = [
        "| " + " | ".join(map(str, frame.columns)) + " |",
        "|" + "|".join("---" for _ in frame.columns) + "|",
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.to_numpy()
    ]
    return "\n".join(lines)


def _order(frame, specs):
    order = {spec.label: i for i, spec in enumerate(specs)}
    return frame.sort_values(
        ["model", "label_fraction"],
        key=lambda c: c.map(order) if c.name == "model" else c,
    ).reset_index(drop=True)


def scored_labels(y_test, classes) -> np.ndarray:
    """The classes every score is averaged over: the test set's and the model's."""
    return np.union1d(y_test, classes)


def _predictions(run, spec, seed, fraction):
    with np.load(run.result_path(spec, seed, fraction).with_suffix(".npz")) as stored:
        return stored["y_pred"], stored["proba"], stored["classes"]


def write_tables(results, run, specs, fractions, seeds) -> dict:
    output = run.output
    results.drop(columns=["history"]).to_csv(output / "results.csv", index=False)
    grouped = results.groupby(["model", "label_fraction"], sort=False)
    summary = grouped[list(_METRICS)].mean()
    summary.insert(0, "n_labels", grouped["n_labels"].mean().round().astype(int))
    summary.insert(2, "accuracy_std", grouped["accuracy"].std(ddof=0))
    summary = _order(summary.reset_index(), specs)
    summary.to_csv(output / "summary.csv", index=False)
    shown = summary.copy()
    shown["fit_seconds"] = shown["fit_seconds"].map(lambda v: f"{v:.1f}")
    shown["predict_images_per_s"] = shown["predict_images_per_s"].map(
        lambda v: f"{v:,.0f}"
    )
    summary_md = markdown_table(shown)
    (output / "summary.md").write_text(
        f"# Comparison ({run.data.description})\n\nMeans over seeds {seeds}.\n\n"
        + summary_md
        + "\n"
    )

    efficiency = grouped.agg(
        n_labels=("n_labels", "mean"),
        accuracy_mean=("accuracy", "mean"),
        accuracy_std=("accuracy", lambda v: v.std(ddof=0)),
        macro_f1_mean=("macro_f1", "mean"),
        macro_f1_std=("macro_f1", lambda v: v.std(ddof=0)),
        seeds=("seed", "nunique"),
    )
    efficiency = _order(efficiency.reset_index(), specs)
    efficiency.to_csv(output / "label_efficiency.csv", index=False)
    efficiency["cell"] = [
        f"{m:.3f} ± {s:.3f}"
        for m, s in zip(efficiency["accuracy_mean"], efficiency["accuracy_std"])
    ]
    text = efficiency.pivot(index="model", columns="label_fraction", values="cell")
    text = text.loc[[s.label for s in specs]]
    text.columns = [f"{c:g} of labels" for c in text.columns]
    efficiency_md = markdown_table(text.reset_index())

    reports = []
    for spec in specs:
        y_pred, _, classes = _predictions(run, spec, seeds[0], fractions[-1])
        labels = scored_labels(run.data.y_test, classes)
        report = classification_report_frame(
            run.data.y_test,
            y_pred,
            labels=labels,
            target_names=class_names(labels, run.data.names),
        )
        reports.append(report.assign(model=spec.label).reset_index())
    per_class = pd.concat(reports, ignore_index=True)
    per_class.to_csv(output / "per_class.csv", index=False)
    recall = per_class[~per_class["class"].str.endswith(" avg")].pivot(
        index="model", columns="class", values="recall"
    )
    recall = recall.loc[[s.label for s in specs], per_class["class"].unique()[:-2]]
    summary_text = summary.to_string(
        index=False, float_format=lambda v: f"{v:.3f}", max_colwidth=24
    )
    return {
        "summary": summary,
        "summary_md": summary_md,
        "summary_text": summary_text,
        "efficiency_md": efficiency_md,
        "recall_md": markdown_table(recall.reset_index()),
    }


def write_figures(results, run, specs, fractions, seeds) -> list[tuple[str, str]]:
    from ..plotting import (
        plot_confusion_matrix,
        plot_galaxy_grid,
        plot_label_efficiency,
        plot_roc_curves,
    )
    from ..plotting._figures import grid_axes

    data = run.data
    names = data.names
    ncols = min(3, len(specs))
    nrows = int(np.ceil(len(specs) / ncols))

    def grid(draw, size):
        def make():
            fig, axes = grid_axes(nrows, ncols, figsize=(size * ncols, size * nrows))
            for ax, spec in zip(axes.ravel(), specs):
                draw(ax, spec, *_predictions(run, spec, seeds[0], fractions[-1]))
            for ax in axes.ravel()[len(specs) :]:
                ax.axis("off")
            fig.tight_layout()
            return fig

        return make

    def confusion(ax, spec, y_pred, proba, classes):
        plot_confusion_matrix(data.y_test, y_pred, names=names, title=spec.label, ax=ax)

    def roc(ax, spec, y_pred, proba, classes):
        plot_roc_curves(
            data.y_test, proba, classes=classes, names=names, title=spec.label, ax=ax
        )

    summary = results[results["label_fraction"] == fractions[-1]]
    best = summary.groupby("model")["accuracy"].mean().idxmax()
    best_spec = next(spec for spec in specs if spec.label == best)
    best_pred = _predictions(run, best_spec, seeds[0], fractions[-1])[0]
    figures = [
        ("label_efficiency.png", lambda: plot_label_efficiency(results)),
        (
            "label_efficiency_macro_f1.png",
            lambda: plot_label_efficiency(
                results, metric="macro_f1", title="label efficiency (macro-F1)"
            ),
        ),
        ("confusion_matrices.png", grid(confusion, 4.2)),
        ("roc_curves.png", grid(roc, 4.2)),
        (
            "galaxy_grid.png",
            lambda: plot_galaxy_grid(
                data.X_test,
                data.y_test,
                best_pred,
                names=names,
                title=f"test galaxies per true class; titles: {best}'s prediction",
            ),
        ),
    ]
    run.save_figures(figures)
    # the figures of this comparison's models only, not of earlier runs
    model_names = {spec.name for spec in specs}
    made = {
        path.name
        for path in run.figures.glob("*_*.png")
        if path.stem.partition("_")[2] in model_names
    }
    ordered = [name for name, _ in figures] + sorted(made)
    return [(name, _caption(name, specs)) for name in ordered]


def _caption(filename, specs) -> str:
    stem = filename.removesuffix(".png")
    if stem in _CAPTIONS:
        return _CAPTIONS[stem]
    kind, _, model = stem.partition("_")
    label = next((spec.label for spec in specs if spec.name == model), model)
    return {
        "history": f"{label}: loss (and accuracy) per epoch, first seed, largest "
        "label fraction for the CNNs.",
        "embedding": f"{label}: t-SNE map of the test galaxies' features, by class.",
        "reconstructions": f"{label}: test galaxies above their reconstructions.",
        "saliency": f"{label}: Grad-CAM over the last convolutional block.",
    }.get(kind, stem)


def write_report(run, tables, figures, fingerprint) -> None:
    output = run.output
    title = f"galaxy-sklearn comparison: {run.data.description}"
    settings = json.dumps(fingerprint, indent=1)
    md = [
        f"# {title}",
        "",
        "## Models, all label fractions (means over seeds)",
        "",
        tables["summary_md"],
        "",
        "## Label efficiency (accuracy, mean ± standard deviation over seeds)",
        "",
        tables["efficiency_md"],
        "",
        "## Recall per class (largest label fraction, first seed)",
        "",
        tables["recall_md"],
        "",
        "## Figures",
        "",
    ]
    for name, caption in figures:
        md += [f"![{caption}](figures/{name})", "", f"*{caption}*", ""]
    md += ["## Settings", "", "```json", settings, "```", ""]
    (output / "report.md").write_text("\n".join(md))

    def table_html(markdown):
        rows = [line.strip("|").split("|") for line in markdown.splitlines()]
        head, body = rows[0], rows[2:]
        cells = "".join(f"<th>{html.escape(c.strip())}</th>" for c in head)
        out = [f"<table><tr>{cells}</tr>"]
        for row in body:
            out.append(
                "<tr>"
                + "".join(f"<td>{html.escape(c.strip())}</td>" for c in row)
                + "</tr>"
            )
        return "".join(out) + "</table>"

    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}",
        "table{border-collapse:collapse;margin:1em 0;font-size:90%}",
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}",
        "th{background:#eee}figure{margin:2em 0}img{max-width:100%}",
        "figcaption{color:#444;font-style:italic}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Models, all label fractions (means over seeds)</h2>",
        table_html(tables["summary_md"]),
        "<h2>Label efficiency (accuracy, mean ± standard deviation over seeds)</h2>",
        table_html(tables["efficiency_md"]),
        "<h2>Recall per class (largest label fraction, first seed)</h2>",
        table_html(tables["recall_md"]),
        "<h2>Figures</h2>",
    ]
    for name, caption in figures:
        encoded = base64.b64encode((run.figures / name).read_bytes()).decode()
        parts.append(
            f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,"
            f"{encoded}'><figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    parts += [f"<h2>Settings</h2><pre>{html.escape(settings)}</pre></body></html>"]
    (output / "report.html").write_text("\n".join(parts), encoding="utf-8")
