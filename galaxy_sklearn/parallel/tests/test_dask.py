"""Blockwise inference and grid search on a real dask.distributed cluster."""

import h5py
import joblib
import numpy as np
import pytest
import torch
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import NotFittedError

from galaxy_sklearn import CAEFeaturizer, CNNGalaxyClassifier, MorphologyFeatures
from galaxy_sklearn.datasets import GALAXY_CLASSES, load_galaxy10, make_galaxies
from galaxy_sklearn.parallel import map_blocks

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

SMALL = {"max_epochs": 1, "batch_size": 16, "random_state": 0, "device": "cpu"}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def galaxies():
    X, y = make_galaxies(n_samples=60, image_size=16, random_state=0)
    return np.asarray(X), np.asarray(GALAXY_CLASSES)[y]


def test_blockwise_inference_from_an_hdf5_file_on_workers(client, galaxies, tmp_path):
    X, labels = galaxies
    with h5py.File(tmp_path / "Galaxy10_DECals.h5", "w") as f:
        f["images"] = X
        f["ans"] = np.arange(len(X)) % 10
    lazy = load_galaxy10(data_home=tmp_path, chunks=16).images
    cae = CAEFeaturizer(latent_dim=6, **SMALL).fit(X)
    Z = map_blocks(cae, lazy)
    assert Z.shape == (60, 6) and Z.chunks[0] == (16, 16, 16, 12)
    with distributed.get_task_stream(client) as stream:
        result = Z.compute()
    np.testing.assert_allclose(result, cae.transform(X), rtol=1e-5, atol=1e-6)
    # the four chunks were read and transformed by the worker processes
    ran = [task for task in stream.data if "_apply" in str(task["key"])]
    assert len(ran) == 4


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_blockwise_classifier_and_pipeline_match_local(client, galaxies, method):
    X, labels = galaxies
    clf = CNNGalaxyClassifier("simple_cnn", **SMALL).fit(X, labels)
    flat = da.from_array(X.reshape(len(X), -1), chunks=(25, -1))
    out = map_blocks(clf, flat, method=method)
    expected = getattr(clf, method)(X)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    result = client.compute(out).result()
    if method == "predict":
        np.testing.assert_array_equal(result, expected)
    else:
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)
    pipe = make_pipeline(
        MorphologyFeatures(), SimpleImputer(), LogisticRegression(max_iter=200)
    )
    pipe.fit(X, labels)
    images = da.from_array(X, chunks=(20, 8, 16, 3))  # rechunked to whole images
    np.testing.assert_array_equal(
        map_blocks(pipe, images, method="predict").compute(), pipe.predict(X)
    )


def test_grid_search_through_the_joblib_dask_backend(client, galaxies):
    X, labels = galaxies
    grid = {"latent_dim": [4, 8], "lr": [1e-3, 3e-3]}
    pipe_grid = {f"caefeaturizer__{k}": v for k, v in grid.items()}
    pipe = make_pipeline(CAEFeaturizer(**SMALL), LogisticRegression(max_iter=200))
    # the workers train with one thread each; so does the reference, since
    # float sums in another order give other weights
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = GridSearchCV(pipe, pipe_grid, cv=2, n_jobs=1).fit(X, labels)
    finally:
        torch.set_num_threads(threads)
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask"):
            spread = GridSearchCV(pipe, pipe_grid, cv=2, n_jobs=-1).fit(X, labels)
    assert spread.best_params_ == local.best_params_
    np.testing.assert_allclose(
        spread.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    # the 4 candidates x 2 folds were fitted as tasks of the cluster (a local
    # joblib backend would leave the task stream empty)
    assert len(stream.data) >= 8


def test_map_blocks_refuses_what_it_cannot_run(galaxies):
    X, labels = galaxies
    cae = CAEFeaturizer(latent_dim=4, **SMALL)
    with pytest.raises(NotFittedError):
        map_blocks(cae, X)
    cae.fit(X[:20])
    with pytest.raises(ValueError, match="has no method 'predict'"):
        map_blocks(cae, X, method="predict")
    with pytest.raises(ValueError, match="method must be one of"):
        map_blocks(cae, X, method="fit")
    with pytest.raises(ValueError, match="Expected images"):
        map_blocks(cae, da.zeros(5))
    with pytest.raises(ValueError, match="0 sample"):
        map_blocks(cae, X[:0])
    filtered = da.from_array(X, chunks=(10, 16, 16, 3))
    filtered = filtered[filtered.mean(axis=(1, 2, 3)) > 0]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        map_blocks(cae, filtered)
    np.testing.assert_allclose(
        map_blocks(cae, filtered.compute_chunk_sizes()).compute(),
        cae.transform(X[X.mean(axis=(1, 2, 3)) > 0]),
        rtol=1e-5,
        atol=1e-6,
    )
    # a numpy array is wrapped and gives the same result
    np.testing.assert_allclose(
        map_blocks(cae, X).compute(), cae.transform(X), rtol=1e-5, atol=1e-6
    )
