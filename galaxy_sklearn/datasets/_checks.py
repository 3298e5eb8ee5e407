"""Argument checks shared by the synthetic-data generators."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state


def check_int(value, name, *, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def make_rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    seed_source = check_random_state(random_state)
    return np.random.default_rng(seed_source.randint(0, 2**32, size=4, dtype=np.int64))
