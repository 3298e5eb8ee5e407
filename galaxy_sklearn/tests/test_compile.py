"""compile=: torch.compile in place, invisible to weights, pickles and files."""

import pickle

import numpy as np
import pytest
import torch

from galaxy_sklearn import CNNGalaxyClassifier, MoCoFeaturizer, load
from galaxy_sklearn.datasets import make_galaxies

# aot_eager traces forward and backward as inductor does, without generating
# C++ (seconds instead of a minute on a CPU); the wiring is the same
COMPILE = {"backend": "aot_eager"}
SMALL = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def galaxies():
    return make_galaxies(n_samples=32, image_size=16, random_state=0)


def test_a_compiled_fit_matches_the_plain_one_and_travels(galaxies, tmp_path):
    X, y = galaxies
    plain = CNNGalaxyClassifier("simple_cnn", **SMALL).fit(X, y)
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    compiled = CNNGalaxyClassifier("simple_cnn", compile=COMPILE, **SMALL).fit(X, y)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0
    assert compiled.module_._compiled_call_impl is not None
    assert list(compiled.module_.state_dict()) == list(plain.module_.state_dict())
    expected = plain.predict_proba(X)
    np.testing.assert_allclose(compiled.predict_proba(X), expected, atol=1e-5)

    copy = pickle.loads(pickle.dumps(compiled))
    assert copy.module_._compiled_call_impl is not None
    np.testing.assert_allclose(copy.predict_proba(X), expected, atol=1e-5)
    compiled.save(tmp_path / "clf.pt")
    np.testing.assert_allclose(
        load(tmp_path / "clf.pt").predict_proba(X), expected, atol=1e-5
    )


def test_compile_takes_part_in_checkpoints_without_changing_them(galaxies, tmp_path):
    X, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", queue_size=32, checkpoint_dir=tmp_path, **SMALL)
    moco.fit(X)
    # the same fit with compile= resumes from the plain fit's checkpoint
    resumed = MoCoFeaturizer(
        "simple_cnn",
        queue_size=32,
        checkpoint_dir=tmp_path,
        compile=COMPILE,
        **{**SMALL, "max_epochs": 2},
    ).fit(X)
    assert len(resumed.history_) == 2
    assert resumed.module_._compiled_call_impl is not None
    assert moco.module_._compiled_call_impl is None


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_compile_must_be_a_bool_or_a_dict(galaxies, bad):
    X, y = galaxies
    with pytest.raises(ValueError, match="compile must be True, False or a dict"):
        CNNGalaxyClassifier("simple_cnn", compile=bad, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match=r"torch.compile does not take: \['speed'\]"):
        CNNGalaxyClassifier("simple_cnn", compile={"speed": 1}, **SMALL).fit(X, y)
