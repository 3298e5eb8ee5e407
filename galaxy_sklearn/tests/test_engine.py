import numpy as np
import pytest
import torch

from galaxy_sklearn import CNNGalaxyClassifier
from galaxy_sklearn._engine import ImageDataset, predict_batches, resolve_device
from galaxy_sklearn.datasets import make_galaxies


def test_fit_leaves_the_callers_random_state_alone():
    X, y = make_galaxies(n_samples=20, image_size=16, random_state=0)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("pending_limit", [None, 20, 10**9])
def test_predict_batches_feeds_fixed_size_batches_and_keeps_order(pending_limit):
    # a limit of 20 bytes gathers outputs two batches at a time, 10**9 keeps
    # them all until the end: the CUDA path, where outputs wait on the device
    X = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    seen = []

    def fn(batch):
        seen.append((len(batch), batch.dtype, batch.shape[1:]))
        return batch.reshape(len(batch), 1) * 2

    out = predict_batches(
        fn, X, batch_size=4, device="cpu", pending_limit=pending_limit
    )
    assert seen == [(4, torch.float32, (1, 1, 1))] * 3
    np.testing.assert_allclose(out[:, 0], np.arange(10) * 2 / 255, rtol=1e-6)
    assert out.dtype == np.float32
    rows = predict_batches(
        lambda z: z + 1,
        np.arange(6, dtype=np.float32).reshape(3, 2),
        batch_size=2,
        device="cpu",
        images=False,
        pending_limit=pending_limit,
    )
    np.testing.assert_array_equal(rows, np.arange(6).reshape(3, 2) + 1)


def test_dataset_serves_whole_batches_from_read_only_arrays():
    X = np.arange(24, dtype=np.uint8).reshape(6, 2, 2, 1)
    X.flags.writeable = False
    xb, yb = ImageDataset(X, np.arange(6)).__getitems__([5, 0])
    assert xb.dtype == torch.uint8 and xb.shape == (2, 2, 2, 1)
    assert yb.tolist() == [5, 0]


def test_auto_device_is_cuda_only_when_present():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


def test_verbose_shows_a_progress_bar_and_epoch_log(capsys):
    X, y = make_galaxies(n_samples=20, image_size=16, random_state=0)
    CNNGalaxyClassifier("simple_cnn", max_epochs=2, verbose=1, random_state=0).fit(X, y)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out  # skorch's per-epoch table
    assert "it/s" in captured.err or "%" in captured.err  # tqdm's bar


def test_channel_stats_match_numpy_and_survive_constant_bands():
    from galaxy_sklearn._base import channel_stats

    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(700, 5, 5, 2)).astype(np.uint8)
    images[..., 1] = 7  # a constant band
    mean, std = channel_stats(images)
    scaled = images / 255.0
    np.testing.assert_allclose(mean, scaled.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(std[0], scaled[..., 0].std(), rtol=1e-4)
    assert std[1] == 1.0


def test_accuracy_history_under_bfloat16_mixed_precision(monkeypatch):
    # what a bf16-capable GPU does, on the CPU: outputs come back as bfloat16
    import torch

    from galaxy_sklearn import CNNGalaxyClassifier, _engine
    from galaxy_sklearn.datasets import make_galaxies

    monkeypatch.setattr(
        _engine, "autocast", lambda device: torch.autocast("cpu", dtype=torch.bfloat16)
    )
    X, y = make_galaxies(n_samples=40, image_size=16, random_state=0)
    clf = CNNGalaxyClassifier(
        "simple_cnn", max_epochs=2, validation_fraction=0.25, random_state=0
    ).fit(X, y)
    assert clf.predict(X).shape == (40,)
    for key in ("train_acc", "valid_acc"):
        assert all(0 <= value <= 1 for value in clf.history_[:, key])


def _peak_rss_growth(fn) -> int:
    """Bytes by which the peak resident memory exceeds the start during ``fn``."""
    import gc
    import re

    def status(field):
        text = open("/proc/self/status").read()
        return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1)) * 1024

    gc.collect()
    start = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current size
    fn()
    return status("VmHWM") - start


def test_inference_memory_does_not_grow_with_the_number_of_images():
    import os

    if not os.access("/proc/self/clear_refs", os.W_OK):
        import pytest

        pytest.skip("needs Linux's /proc/self/clear_refs to reset the peak")
    from galaxy_sklearn import CAEFeaturizer

    X, y = make_galaxies(n_samples=40, image_size=16, random_state=0)
    X = np.concatenate([X] * 4, axis=-1)  # 12 bands: 3 kB an image
    cae = CAEFeaturizer(latent_dim=4, max_epochs=1, random_state=0).fit(X)
    clf = CNNGalaxyClassifier("simple_cnn", max_epochs=1, random_state=0).fit(X, y)
    small = np.ascontiguousarray(np.resize(X, (2_000, *X.shape[1:])))
    large = np.ascontiguousarray(np.resize(X, (20_000, *X.shape[1:])))
    for method in (cae.transform, clf.predict_proba):
        method(small)  # warm up the allocator and the kernels
        growth = {
            len(x): _peak_rss_growth(lambda x=x, m=method: m(x)) for x in (small, large)
        }
        output_growth = (len(large) - len(small)) * method(X[:1]).nbytes
        # a copy of the extra 18,000 input images would be 55 MB even as uint8
        assert growth[len(large)] - growth[len(small)] < output_growth + 16 * 2**20, (
            method,
            growth,
        )
