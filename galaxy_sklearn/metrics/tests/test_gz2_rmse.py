import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import root_mean_squared_error

from galaxy_sklearn.metrics import gz2_rmse, neg_gz2_rmse_scorer


def test_rmse_over_all_outputs():
    rng = np.random.default_rng(0)
    y, p = rng.random((50, 37)), rng.random((50, 37))
    assert gz2_rmse(y, p) == pytest.approx(np.sqrt(np.mean((y - p) ** 2)))
    # not the mean of per-output RMSEs that scikit-learn reports
    y[:, 0] += 5
    assert gz2_rmse(y, p) != pytest.approx(root_mean_squared_error(y, p))
    assert gz2_rmse(y, y) == 0


def test_weights_and_errors():
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    p = np.zeros_like(y)
    assert gz2_rmse(y, p, sample_weight=[1, 0]) == 0
    assert gz2_rmse(y, p, sample_weight=[0, 1]) == 1
    with pytest.raises(ValueError, match="shape"):
        gz2_rmse(y, p[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        gz2_rmse([[np.nan]], [[0.0]])


def test_scorer_is_negative():
    class Constant(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.full((len(X), 2), 0.5)

    score = neg_gz2_rmse_scorer(Constant(), np.zeros((4, 1)), np.ones((4, 2)))
    assert score == pytest.approx(-0.5)
