"""Saving and loading, moving between devices, and refusing untrusted code."""

import functools
import hashlib
import http.server
import io
import pathlib
import pickle
import re
import threading

import joblib
import numpy as np
import pytest
import torch

import galaxy_sklearn
from galaxy_sklearn import (
    CAEFeaturizer,
    CNNGalaxyClassifier,
    CNNGalaxyRegressor,
    MoCoFeaturizer,
    load,
)
from galaxy_sklearn.datasets import make_galaxies
from galaxy_sklearn.nn import build_backbone, read_state_dict

SMALL = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}
ESTIMATORS = {
    "cae": lambda: CAEFeaturizer(latent_dim=4, **SMALL),
    "moco": lambda: MoCoFeaturizer("simple_cnn", queue_size=32, **SMALL),
    "classifier": lambda: CNNGalaxyClassifier(
        "simple_cnn", class_weight="balanced", augmentation="geometric", **SMALL
    ),
    "regressor": lambda: CNNGalaxyRegressor("simple_cnn", **SMALL),
    "resnet_flat_rows": lambda: CNNGalaxyClassifier(
        "resnet18", image_shape=(16, 16, 3), **SMALL
    ),
}


@pytest.fixture(scope="module")
def galaxies():
    return make_galaxies(n_samples=40, image_size=16, random_state=0)


def _fit(name, X, y):
    estimator = ESTIMATORS[name]()
    if name == "regressor":
        y = np.c_[y / 4, 1 - y / 4]
    if name == "resnet_flat_rows":
        X = X.reshape(len(X), -1)
    return estimator.fit(X, y), X


def _output(estimator, X):
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_save_and_load_give_identical_output(galaxies, tmp_path, name):
    estimator, X = _fit(name, *galaxies)
    estimator.save(tmp_path / "model.pt")
    loaded = load(tmp_path / "model.pt", device="cpu")
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    np.testing.assert_array_equal(_output(loaded, X), _output(estimator, X))
    assert loaded.history_[-1, "train_loss"] == estimator.history_[-1, "train_loss"]
    if hasattr(estimator, "classes_"):
        np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_string_labels_and_a_pretrained_featurizer(galaxies, tmp_path):
    X, y = galaxies
    moco = MoCoFeaturizer("simple_cnn", queue_size=32, **SMALL).fit(X)
    names = np.array(["spiral", "elliptical", "edge-on", "merger", "irregular"])[y]
    clf = CNNGalaxyClassifier("simple_cnn", pretrained=moco, **SMALL).fit(X, names)
    with pytest.warns(UserWarning, match="pretrained"):
        clf.save(tmp_path / "clf.pt")
    loaded = load(tmp_path / "clf.pt")
    assert loaded.pretrained is None
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.classes_.dtype == clf.classes_.dtype


@pytest.mark.parametrize(
    "name, missing",
    [("cae", "align"), ("moco", "align"), ("classifier", "lr_schedule")],
)
def test_files_from_before_a_parameter_load_as_they_were_trained(
    galaxies, tmp_path, name, missing
):
    # a file written before ``align`` / ``lr_schedule`` existed was trained
    # without alignment / at a constant rate: it must not load with the new
    # defaults, which would change its output
    old_value = {"align": None, "lr_schedule": "constant"}[missing]
    X, y = galaxies
    estimator = ESTIMATORS[name]().set_params(**{missing: old_value}).fit(X, y)
    estimator.save(tmp_path / "model.pt")
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    del state["params"][missing]
    torch.save(state, tmp_path / "old.pt")
    loaded = load(tmp_path / "old.pt", device="cpu")
    assert getattr(loaded, missing) == old_value
    np.testing.assert_array_equal(_output(loaded, X), _output(estimator, X))


def _as_if_on_a_gpu(monkeypatch):
    """torch.save records every tensor as stored on cuda:0, as on a GPU."""
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")


@pytest.mark.parametrize("name", ["resnet_flat_rows", "moco"])
def test_a_pickle_is_the_size_of_the_weights_and_can_train_again(galaxies, name):
    """Adam's moments are not pickled: they doubled what Dask had to ship."""
    X, y = galaxies
    estimator, X = _fit(name, X, y)
    assert len(estimator.net_.optimizer_.state) > 0
    weights = sum(
        t.numel() * t.element_size() for t in estimator.module_.state_dict().values()
    )
    blob = pickle.dumps(estimator)
    assert len(blob) < 1.1 * weights + 2**20
    # pickling leaves the live optimizer as it was
    assert len(estimator.net_.optimizer_.state) > 0
    copy = pickle.loads(blob)
    np.testing.assert_array_equal(_output(copy, X), _output(estimator, X))
    assert len(copy.net_.optimizer_.state) == 0
    assert copy.net_.optimizer_.param_groups[0]["lr"] == estimator.lr
    refit = copy.fit(X) if name == "moco" else copy.fit(X, y)
    np.testing.assert_allclose(_output(refit, X), _output(estimator, X), atol=1e-5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a CPU-only machine")
def test_a_network_saved_on_a_gpu_loads_on_the_cpu(galaxies, tmp_path, monkeypatch):
    clf, X = _fit("classifier", *galaxies)
    with monkeypatch.context() as patch:
        _as_if_on_a_gpu(patch)
        clf.save(tmp_path / "gpu.pt")
    with pytest.raises(RuntimeError, match="CUDA"):  # what a plain load would do
        torch.load(tmp_path / "gpu.pt", weights_only=True)
    loaded = load(tmp_path / "gpu.pt")  # device="auto" is the CPU here
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a CPU-only machine")
def test_a_pickle_made_on_a_gpu_loads_on_the_cpu(galaxies, monkeypatch):
    clf, X = _fit("classifier", *galaxies)
    expected = clf.predict_proba(X)
    buffer = io.BytesIO()
    with monkeypatch.context() as patch:
        _as_if_on_a_gpu(patch)
        clf.net_.device = "cuda"
        joblib.dump(clf, buffer)
    buffer.seek(0)
    with pytest.warns(UserWarning, match="no CUDA devices"):
        loaded = joblib.load(buffer)
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


class _RunsCode:
    """A pickle that creates a file when it is unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def _code_file(path, marker):
    with open(path, "wb") as f:
        pickle.dump(
            {"format": "x", "weights": torch.zeros(1), "x": _RunsCode(marker)}, f
        )


def test_files_with_code_are_refused_without_running_it(galaxies, tmp_path):
    X, y = galaxies
    marker = tmp_path / "code-ran"
    _code_file(tmp_path / "evil.pt", marker)
    with pytest.raises(ValueError, match="weights_only=True"):
        load(tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="weights_only=True"):
        read_state_dict(tmp_path / "evil.pt")
    clf = CNNGalaxyClassifier("simple_cnn", pretrained=tmp_path / "evil.pt", **SMALL)
    with pytest.raises(ValueError, match="weights_only=True"):
        clf.fit(X, y)
    _code_file(tmp_path / "checkpoint.pt", marker)
    with pytest.raises(ValueError, match="weights_only=True"):
        CNNGalaxyClassifier("simple_cnn", checkpoint_dir=tmp_path, **SMALL).fit(X, y)
    assert not marker.exists()


def test_load_refuses_files_it_did_not_write(tmp_path):
    torch.save(build_backbone("simple_cnn", 3, 16).state_dict(), tmp_path / "w.pt")
    with pytest.raises(ValueError, match="not an estimator written by"):
        load(tmp_path / "w.pt")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load(tmp_path / "missing.pt")


def test_load_refuses_names_the_estimator_does_not_have(galaxies, tmp_path):
    estimator, X = _fit("cae", *galaxies)
    estimator.set_params(checkpoint_dir=tmp_path / "run").save(tmp_path / "cae.pt")
    assert load(tmp_path / "cae.pt").checkpoint_dir is None  # a training folder
    state = torch.load(tmp_path / "cae.pt", weights_only=True)
    for where, key in (
        ("fitted", "transform"),
        ("fitted", "__class__"),
        ("params", "x"),
    ):
        edited = {**state, where: {**state[where], key: 1}}
        torch.save(edited, tmp_path / "edited.pt")
        with pytest.raises(ValueError, match=f"sets \\['{key}'\\]"):
            load(tmp_path / "edited.pt")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_gpu_fit_saves_checkpoints_and_loads_on_the_cpu(galaxies, tmp_path):
    X, y = galaxies
    gpu = {**SMALL, "device": "cuda"}
    clf = CNNGalaxyClassifier("simple_cnn", checkpoint_dir=tmp_path, **gpu).fit(X, y)
    clf.save(tmp_path / "gpu.pt")
    loaded = load(tmp_path / "gpu.pt", device="cpu")
    # bf16 autocast on the GPU, float32 on the CPU
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=0.05)
    resumed = CNNGalaxyClassifier(
        "simple_cnn", checkpoint_dir=tmp_path, **{**SMALL, "max_epochs": 2}
    ).fit(X, y)
    assert len(resumed.history_) == 2


def test_save_needs_a_fitted_estimator_with_plain_parameters(galaxies, tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CAEFeaturizer().save(tmp_path / "unfitted.pt")
    X, y = galaxies
    clf = CNNGalaxyClassifier(
        "simple_cnn", augmentation=torch.nn.Identity(), **SMALL
    ).fit(X, y)
    with pytest.raises(ValueError, match="use joblib.dump"):
        clf.save(tmp_path / "module-param.pt")
    assert not (tmp_path / "module-param.pt").exists()


def test_every_torch_load_in_the_package_is_weights_only():
    package = pathlib.Path(galaxy_sklearn.__file__).parent
    calls = [
        (path.name, match.group(1))
        for path in package.rglob("*.py")
        if "tests" not in path.parts
        for match in re.finditer(r"torch\.load\(([^)]*)\)", path.read_text())
    ]
    assert len(calls) >= 4  # weights, checkpoints, saved estimators
    assert all("weights_only=True" in args for _, args in calls), calls


@pytest.fixture
def weights_server(tmp_path):
    """A local HTTP server for a weights file (no network leaves the machine)."""
    served = tmp_path / "served"
    served.mkdir()
    torch.save(build_backbone("simple_cnn", 3, 16).state_dict(), served / "w.pt")
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(served)
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    digest = hashlib.sha256((served / "w.pt").read_bytes()).hexdigest()
    yield f"http://127.0.0.1:{server.server_port}/w.pt", digest
    server.shutdown()


def test_remote_weights_need_a_pinned_hash(weights_server, tmp_path, monkeypatch):
    monkeypatch.setenv("GALAXY_SKLEARN_DATA", str(tmp_path / "home"))
    url, digest = weights_server
    with pytest.raises(ValueError, match="pinned checksum"):
        read_state_dict(url)
    wrong = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(ValueError, match="(?i)hash"):
        read_state_dict(f"{url}#sha256={wrong}")
    assert not (tmp_path / "home" / "weights" / "w.pt").exists()
    state = read_state_dict(f"{url}#sha256={digest}")
    assert "features.0.weight" in state
    assert len(list((tmp_path / "home" / "weights").iterdir())) == 1
