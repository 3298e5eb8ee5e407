import numpy as np
import pandas as pd
import pytest
from PIL import Image

from galaxy_sklearn.datasets import (
    GALAXY_CLASSES,
    VOTE_COLUMNS,
    gz2_labels,
    load_galaxy_zoo2,
    make_galaxies,
)
from galaxy_sklearn.nn import GZ2DecisionTree

N = 12


def _votes(rng, n):
    """Tree-consistent Kaggle fractions from random logits."""
    import torch

    logits = torch.as_tensor(rng.normal(0, 3, size=(n, 37)), dtype=torch.float32)
    return GZ2DecisionTree()(logits).numpy().astype(np.float64)


@pytest.fixture
def kaggle(tmp_path):
    """A miniature Kaggle download: 424 px JPEGs, solutions and labels CSVs."""
    rng = np.random.default_rng(0)
    images, labels = make_galaxies(n_samples=N, image_size=424, random_state=0)
    ids = np.arange(100000, 100000 + N) * 7
    folder = tmp_path / "images_training_rev1"
    folder.mkdir()
    for galaxy_id, image in zip(ids, images):
        Image.fromarray(image).save(folder / f"{galaxy_id}.jpg", quality=95)
    votes = pd.DataFrame(_votes(rng, N), columns=list(VOTE_COLUMNS))
    votes.insert(0, "GalaxyID", ids)
    votes.to_csv(tmp_path / "training_solutions_rev1.csv", index=False)
    split = np.where(np.arange(N) < 9, "train", "val")
    pd.DataFrame(
        {
            "galaxy_id": ids,
            "label": labels,
            "label_name": [GALAXY_CLASSES[i] for i in labels],
            "split": split,
        }
    ).to_csv(tmp_path / "labels.csv", index=False)
    return tmp_path, images, labels, ids


def test_labels_csv_and_crop(kaggle):
    root, images, labels, ids = kaggle
    data = load_galaxy_zoo2(
        root / "images_training_rev1",
        labels_csv=root / "labels.csv",
        crop=212,
        image_size=32,
        n_jobs=2,
    )
    assert data.images.shape == (N, 32, 32, 3) and data.images.dtype == np.uint8
    np.testing.assert_array_equal(data.target, labels)
    np.testing.assert_array_equal(data.galaxy_ids, ids)
    assert data.target_names == list(GALAXY_CLASSES)
    # the same as cropping and resizing the original arrays (up to JPEG loss)
    reference = np.stack(
        [
            np.asarray(
                Image.fromarray(image[106:318, 106:318]).resize(
                    (32, 32), Image.Resampling.BILINEAR
                )
            )
            for image in images
        ]
    )
    diff = np.abs(data.images.astype(float) - reference)
    assert diff.mean() < 3, diff.mean()


def test_split_and_return_X_y(kaggle):
    root, _, labels, _ = kaggle
    X, y = load_galaxy_zoo2(
        root / "images_training_rev1",
        labels_csv=root / "labels.csv",
        split="val",
        image_size=16,
        return_X_y=True,
    )
    assert X.shape == (3, 16, 16, 3)
    np.testing.assert_array_equal(y, labels[9:])
    with pytest.raises(ValueError, match="split='test' is not in"):
        load_galaxy_zoo2(
            root / "images_training_rev1", labels_csv=root / "labels.csv", split="test"
        )


def test_solutions_give_vote_fractions_and_derived_labels(kaggle):
    root, _, _, ids = kaggle
    data = load_galaxy_zoo2(
        root / "images_training_rev1",
        root / "training_solutions_rev1.csv",
        image_size=24,
    )
    votes = data.vote_fractions
    assert list(votes.columns) == list(VOTE_COLUMNS) and len(votes) == N
    assert list(votes.index) == list(ids)
    np.testing.assert_array_equal(data.target, gz2_labels(votes))
    assert data.frame is None


def test_gz2_labels_follow_thresholds():
    votes = pd.DataFrame(0.0, index=range(7), columns=list(VOTE_COLUMNS))
    votes.loc[0, ["Class1.1", "Class7.1"]] = [0.9, 0.6]  # round
    votes.loc[1, ["Class1.1", "Class7.2"]] = [0.8, 0.5]  # in-between, at threshold
    votes.loc[2, ["Class1.1", "Class7.3"]] = [0.5, 0.5]  # cigar
    votes.loc[3, ["Class1.2", "Class2.1"]] = [0.7, 0.65]  # edge-on
    votes.loc[4, ["Class1.2", "Class2.2", "Class4.1"]] = [0.9, 0.8, 0.7]  # spiral
    votes.loc[5, ["Class1.2", "Class2.2", "Class4.1"]] = [0.9, 0.8, 0.6]  # 4.1 low
    votes.loc[6, ["Class1.1", "Class7.1"]] = [0.46, 0.46]  # smooth below 0.469
    np.testing.assert_array_equal(gz2_labels(votes), [0, 1, 2, 3, 4, -1, -1])


def test_gz2_labels_on_consistent_fractions_are_exclusive():
    votes = pd.DataFrame(
        _votes(np.random.default_rng(1), 2000), columns=list(VOTE_COLUMNS)
    )
    labels = gz2_labels(votes)
    assert set(np.unique(labels)) == {-1, 0, 1, 2, 3, 4}
    # with tree-consistent fractions no galaxy passes two rules
    round_, inbetween, cigar = (votes[f"Class7.{a}"] >= 0.5 for a in (1, 2, 3))
    smooth_rules = round_.astype(int) + inbetween + cigar
    assert smooth_rules.max() <= 1
    smooth = votes["Class1.1"].to_numpy() >= 0.469
    assert np.all(smooth[np.isin(labels, [0, 1, 2])])
    assert not np.any(smooth[np.isin(labels, [3, 4])])


def test_missing_image_is_named(kaggle):
    root, _, _, ids = kaggle
    (root / "images_training_rev1" / f"{ids[3]}.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=str(ids[3])):
        load_galaxy_zoo2(root / "images_training_rev1", labels_csv=root / "labels.csv")


def test_corrupt_image_is_named(kaggle):
    root, _, _, ids = kaggle
    bad = root / "images_training_rev1" / f"{ids[5]}.jpg"
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(ValueError, match=f"{ids[5]}.jpg"):
        load_galaxy_zoo2(root / "images_training_rev1", labels_csv=root / "labels.csv")


def test_truncated_image_is_an_error(kaggle):
    root, _, _, ids = kaggle
    path = root / "images_training_rev1" / f"{ids[2]}.jpg"
    path.write_bytes(path.read_bytes()[:600])
    with pytest.raises(ValueError, match="Could not decode"):
        load_galaxy_zoo2(root / "images_training_rev1", labels_csv=root / "labels.csv")


def test_csv_without_columns(kaggle):
    root = kaggle[0]
    frame = pd.read_csv(root / "training_solutions_rev1.csv").drop(columns="Class7.2")
    frame.to_csv(root / "bad.csv", index=False)
    with pytest.raises(ValueError, match="Class7.2"):
        load_galaxy_zoo2(root / "images_training_rev1", root / "bad.csv")
    pd.DataFrame({"id": [1], "label": [0]}).to_csv(root / "bad_labels.csv")
    with pytest.raises(ValueError, match="galaxy_id"):
        load_galaxy_zoo2(
            root / "images_training_rev1", labels_csv=root / "bad_labels.csv"
        )


def test_ids_that_do_not_match(kaggle):
    root = kaggle[0]
    labels = pd.read_csv(root / "labels.csv")
    votes = pd.read_csv(root / "training_solutions_rev1.csv")
    votes.iloc[:-2].to_csv(root / "short.csv", index=False)
    with pytest.raises(ValueError, match="not in"):
        load_galaxy_zoo2(
            root / "images_training_rev1",
            root / "short.csv",
            labels_csv=root / "labels.csv",
        )
    with pytest.raises(ValueError, match=r"split='val'"):
        load_galaxy_zoo2(
            root / "images_training_rev1",
            labels_csv=root / "labels.csv",
            split="val",
            galaxy_ids=labels["galaxy_id"][:2],
        )


def test_duplicate_ids_are_refused(kaggle):
    root, _, _, ids = kaggle
    labels = pd.read_csv(root / "labels.csv")
    pd.concat([labels, labels.iloc[[3]]]).to_csv(root / "dup.csv", index=False)
    with pytest.raises(ValueError, match=rf"more than once, e.g. \[{ids[3]}\]"):
        load_galaxy_zoo2(root / "images_training_rev1", labels_csv=root / "dup.csv")
    votes = pd.read_csv(root / "training_solutions_rev1.csv")
    pd.concat([votes, votes.iloc[[0]]]).to_csv(root / "dupv.csv", index=False)
    with pytest.raises(ValueError, match="more than once"):
        load_galaxy_zoo2(root / "images_training_rev1", root / "dupv.csv")
    with pytest.raises(ValueError, match="repeats"):
        load_galaxy_zoo2(root / "images_training_rev1", galaxy_ids=ids[[1, 1]])


def test_non_numeric_votes_are_named(kaggle):
    root, _, _, ids = kaggle
    votes = pd.read_csv(root / "training_solutions_rev1.csv")
    votes["Class3.1"] = votes["Class3.1"].astype(object)
    votes.loc[4, "Class3.1"] = "n/a"
    votes.to_csv(root / "text.csv", index=False)
    with pytest.raises(ValueError, match=rf"non-numeric .*{ids[4]}"):
        load_galaxy_zoo2(root / "images_training_rev1", root / "text.csv")


def test_odd_crop_offsets_match_center_crop_resize(kaggle):
    from galaxy_sklearn.preprocessing import CenterCropResize

    root = kaggle[0]
    cropped = load_galaxy_zoo2(root / "images_training_rev1", crop=207, image_size=None)
    full = load_galaxy_zoo2(root / "images_training_rev1", crop=None, image_size=None)
    assert cropped.images.shape[1:] == (207, 207, 3)
    expected = CenterCropResize(crop=207, image_size=None).fit_transform(full.images)
    np.testing.assert_array_equal(cropped.images, expected)


def test_missing_paths(tmp_path, kaggle):
    root = kaggle[0]
    with pytest.raises(FileNotFoundError, match="images folder"):
        load_galaxy_zoo2(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="labels CSV"):
        load_galaxy_zoo2(root / "images_training_rev1", labels_csv=tmp_path / "x.csv")


def test_without_csv_reads_the_folder(kaggle):
    root, _, _, ids = kaggle
    data = load_galaxy_zoo2(root / "images_training_rev1", crop=None, image_size=None)
    assert data.images.shape == (N, 424, 424, 3)
    assert sorted(data.galaxy_ids) == sorted(ids) and data.target is None


def test_galaxy_ids_select_in_order(kaggle):
    root, _, labels, ids = kaggle
    data = load_galaxy_zoo2(
        root / "images_training_rev1",
        labels_csv=root / "labels.csv",
        galaxy_ids=ids[[4, 1]],
        image_size=8,
    )
    np.testing.assert_array_equal(data.target, labels[[4, 1]])


def test_crop_larger_than_image(kaggle):
    root = kaggle[0]
    with pytest.raises(ValueError, match="larger than the image"):
        load_galaxy_zoo2(root / "images_training_rev1", crop=500)


def test_string_labels_and_ids(tmp_path):
    images, labels = make_galaxies(n_samples=4, image_size=32, random_state=0)
    (tmp_path / "img").mkdir()
    names = ["a1", "b2", "c3", "d4"]
    for name, image in zip(names, images):
        Image.fromarray(image).save(tmp_path / "img" / f"{name}.jpg")
    pd.DataFrame(
        {"galaxy_id": names, "label": [GALAXY_CLASSES[i] for i in labels]}
    ).to_csv(tmp_path / "labels.csv", index=False)
    data = load_galaxy_zoo2(
        tmp_path / "img", labels_csv=tmp_path / "labels.csv", crop=None, image_size=16
    )
    assert list(data.target) == [GALAXY_CLASSES[i] for i in labels]
    assert data.target_names == sorted(set(data.target))
    assert list(load_galaxy_zoo2(tmp_path / "img", crop=None).galaxy_ids) == names


def test_file_names_with_leading_zeros_stay_strings(tmp_path):
    (tmp_path / "img").mkdir()
    for name in ("000123", "000045"):
        Image.new("RGB", (8, 8)).save(tmp_path / "img" / f"{name}.jpg")
    data = load_galaxy_zoo2(tmp_path / "img", crop=None, image_size=None)
    assert list(data.galaxy_ids) == ["000045", "000123"]
