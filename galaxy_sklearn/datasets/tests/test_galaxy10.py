import h5py
import numpy as np
import pytest

from galaxy_sklearn.datasets import (
    GALAXY10_VARIANTS,
    fetch_galaxy10,
    get_data_home,
    load_galaxy10,
)


def _write(path, n=12, size=20, metadata=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    labels = (np.arange(n) * 3) % 10
    with h5py.File(path, "w") as f:
        f["images"] = images
        f["ans"] = labels.astype(np.uint8)
        if metadata:
            for key in ("ra", "dec", "redshift", "pxscale"):
                f[key] = rng.random(n)
    return images, labels


def test_decals_file_in_data_home_is_read_without_download(tmp_path):
    images, labels = _write(tmp_path / "Galaxy10_DECals.h5")
    data = load_galaxy10("decals", data_home=tmp_path)
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.target, labels)
    assert data.target.dtype == np.int64
    assert data.target_names[3] == "In-between Round Smooth Galaxies"
    assert data.target_names[4] == "Cigar Shaped Smooth Galaxies"
    assert data.ra.shape == (12,) and data.pxscale.shape == (12,)


def test_sdss_names_and_return_X_y(tmp_path):
    images, labels = _write(tmp_path / "Galaxy10.h5", metadata=False)
    X, y = load_galaxy10("sdss", data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, images)
    np.testing.assert_array_equal(y, labels)
    names = load_galaxy10("sdss", data_home=tmp_path).target_names
    assert names[1] == "Smooth, Completely round" and len(names) == 10


@pytest.mark.parametrize(
    "indices",
    [[5, 1, 1, 9], slice(2, 8, 3), slice(None, None, -2), np.arange(12) % 2 == 0, [-1]],
)
def test_subset_reads_those_rows_in_order(tmp_path, indices):
    images, labels = _write(tmp_path / "Galaxy10_DECals.h5")
    data = load_galaxy10(data_home=tmp_path, indices=indices)
    np.testing.assert_array_equal(data.images, images[indices])
    np.testing.assert_array_equal(data.target, labels[indices])
    np.testing.assert_array_equal(data.redshift.shape, labels[indices].shape)


def test_environment_variable_sets_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GALAXY_SKLEARN_DATA", str(tmp_path / "home"))
    assert get_data_home() == tmp_path / "home"
    _write(tmp_path / "home" / "Galaxy10.h5")
    assert load_galaxy10("sdss").images.shape == (12, 20, 20, 3)


def test_missing_file_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_galaxy10("sdss", data_home=tmp_path)


def test_download_goes_through_pooch_with_the_pinned_hash(tmp_path, monkeypatch):
    import pooch

    calls = {}

    def retrieve(url, known_hash, fname, path, progressbar):
        calls.update(url=url, known_hash=known_hash, fname=fname, path=path)
        _write(path / fname)
        return str(path / fname)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    path = fetch_galaxy10("sdss", data_home=tmp_path, progress=False)
    spec = GALAXY10_VARIANTS["sdss"]
    assert calls["url"].startswith("https://zenodo.org/records/10844811/")
    assert calls["known_hash"] == "sha256:" + spec.sha256
    assert path == tmp_path / "Galaxy10.h5"


def test_corrupt_or_foreign_files(tmp_path):
    (tmp_path / "Galaxy10_DECals.h5").write_bytes(b"garbage" * 100)
    with pytest.raises(ValueError, match="not a readable HDF5"):
        load_galaxy10(data_home=tmp_path)
    with h5py.File(tmp_path / "Galaxy10.h5", "w") as f:
        f["pictures"] = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match=r"lacks the datasets \['images', 'ans'\]"):
        load_galaxy10("sdss", data_home=tmp_path)


def test_mismatched_labels(tmp_path):
    with h5py.File(tmp_path / "Galaxy10.h5", "w") as f:
        f["images"] = np.zeros((3, 4, 4, 3), np.uint8)
        f["ans"] = np.zeros(2, np.uint8)
    with pytest.raises(ValueError, match="'ans' has shape"):
        load_galaxy10("sdss", data_home=tmp_path)


def test_bad_variant_and_indices(tmp_path):
    with pytest.raises(ValueError, match="variant must be one of"):
        load_galaxy10("hubble", data_home=tmp_path)
    _write(tmp_path / "Galaxy10.h5")
    with pytest.raises(IndexError, match="out of range"):
        load_galaxy10("sdss", data_home=tmp_path, indices=[12])


def test_resize_while_reading(tmp_path):
    images, _ = _write(tmp_path / "Galaxy10_DECals.h5", n=12, size=40)
    data = load_galaxy10(data_home=tmp_path, crop=20, image_size=10, indices=[7, 2])
    assert data.images.shape == (2, 10, 10, 3) and data.images.dtype == np.uint8
    centre = images[[7, 2], 10:30, 10:30].astype(float).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(data.images.mean(axis=(1, 2, 3)), centre, atol=1)


def test_empty_subset_and_bad_sizes(tmp_path):
    _write(tmp_path / "Galaxy10.h5")
    data = load_galaxy10("sdss", data_home=tmp_path, indices=[])
    assert data.images.shape == (0, 20, 20, 3) and data.target.shape == (0,)
    with pytest.raises(ValueError, match="image_size must be"):
        load_galaxy10("sdss", data_home=tmp_path, image_size=0)


@pytest.mark.parametrize("indices", [None, [9, 2, 2, 5, 0], slice(3, 11), []])
def test_chunks_give_a_lazy_dask_array_read_a_chunk_at_a_time(tmp_path, indices):
    da = pytest.importorskip("dask.array")
    path = tmp_path / "Galaxy10_DECals.h5"
    _write(path, n=12, size=40)
    kwargs = dict(data_home=tmp_path, indices=indices, crop=20, image_size=10)
    eager = load_galaxy10(**kwargs)
    lazy = load_galaxy10(chunks=4, **kwargs)
    assert isinstance(lazy.images, da.Array)
    assert lazy.images.shape == eager.images.shape
    n = len(eager.target)
    assert lazy.images.chunks[0] == (
        tuple(min(4, n - start) for start in range(0, n, 4)) or (0,)
    )
    np.testing.assert_array_equal(lazy.target, eager.target)
    np.testing.assert_array_equal(lazy.images.compute(), eager.images)
    with pytest.raises(ValueError, match="chunks must be >= 1"):
        load_galaxy10(data_home=tmp_path, chunks=0)
    if n == 0:
        return
    # nothing is read until compute: a file rewritten now is what it sees
    lazy = load_galaxy10(chunks=4, **kwargs)
    with h5py.File(path, "r+") as f:
        f["images"][...] = 255 - f["images"][...]
    np.testing.assert_array_equal(lazy.images.compute(), load_galaxy10(**kwargs).images)
    assert not np.array_equal(lazy.images.compute(), eager.images)
