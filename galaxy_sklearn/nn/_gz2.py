"""The Galaxy Zoo 2 decision tree as an output layer."""

from __future__ import annotations

import torch
from torch import nn

# (question, number of answers, index of the parent answer or None), in the
# order of the Kaggle columns Class1.1 ... Class11.6. The Kaggle fractions of
# a question sum to the fraction of its parent answer (Q1 and Q6 sum to 1).
GZ2_TREE = (
    (1, 3, None),
    (2, 2, "1.2"),
    (3, 2, "2.2"),
    (4, 2, "2.2"),
    (5, 4, "2.2"),
    (6, 2, None),
    (7, 3, "1.1"),
    (8, 7, "6.1"),
    (9, 3, "2.1"),
    (10, 3, "4.1"),
    (11, 6, "4.1"),
)


def _layout():
    """(start, stop, parent question, parent answer's index in it) per question."""
    spans, columns = [], {}
    for question, n_answers, _ in GZ2_TREE:
        start = len(columns)
        for answer in range(1, n_answers + 1):
            columns[f"{question}.{answer}"] = len(columns)
        spans.append((start, len(columns)))
    layout = []
    for (start, stop), (_, _, parent) in zip(spans, GZ2_TREE):
        if parent is None:
            layout.append((start, stop, None, None))
            continue
        column = columns[parent]
        parent_q = next(q for q, (a, b) in enumerate(spans) if a <= column < b)
        layout.append((start, stop, parent_q, column - spans[parent_q][0]))
    return layout


class GZ2DecisionTree(nn.Module):
    """37 logits to Galaxy Zoo 2 vote fractions that obey the decision tree.

    A softmax over each question's answers, multiplied by the fraction of the
    answer that leads to the question (Dieleman, Willett & Dambre 2015), so
    outputs lie in [0, 1] and each question's answers sum to its parent's
    fraction, as in the Kaggle ``training_solutions_rev1.csv``.

    Examples
    --------
    >>> import torch
    >>> out = GZ2DecisionTree()(torch.zeros(1, 37))
    >>> round(float(out[0, :3].sum()), 6), round(float(out[0, 3:5].sum()), 6)
    (1.0, 0.333333)
    """

    n_outputs = 37

    def __init__(self):
        super().__init__()
        self.layout = _layout()

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        if logits.shape[-1] != self.n_outputs:
            raise ValueError(
                f"GZ2DecisionTree expects {self.n_outputs} logits, got "
                f"{logits.shape[-1]}."
            )
        logits = logits.float()
        out = []
        # every parent question comes before its children in GZ2_TREE
        for start, stop, parent_q, answer in self.layout:
            answers = torch.softmax(logits[:, start:stop], dim=1)
            if parent_q is not None:
                answers = answers * out[parent_q][:, answer, None]
            out.append(answers)
        return torch.cat(out, dim=1)
