import numpy as np
import pandas as pd
import pytest
import torch

from galaxy_sklearn import CNNGalaxyRegressor, MoCoFeaturizer
from galaxy_sklearn.datasets import VOTE_COLUMNS, make_galaxies
from galaxy_sklearn.metrics import gz2_rmse
from galaxy_sklearn.nn import GZ2_TREE, GZ2DecisionTree


@pytest.fixture(scope="module")
def galaxies():
    X, labels = make_galaxies(n_samples=60, image_size=16, random_state=0)
    # vote fractions that depend on the class, consistent with the tree
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 0.5, size=(60, 37)) + 3 * (labels[:, None] == 0)
    votes = GZ2DecisionTree()(torch.as_tensor(logits, dtype=torch.float32)).numpy()
    return X, votes.astype(np.float64), labels


def test_gz2_output_respects_the_tree(galaxies):
    X, votes, _ = galaxies
    reg = CNNGalaxyRegressor("simple_cnn", max_epochs=2, random_state=0)
    pred = reg.fit(X, votes).predict(X)
    assert reg.output_ == "gz2" and reg.n_outputs_ == 37
    assert pred.shape == (60, 37) and pred.dtype == np.float64
    # the default cosine schedule: full rate in epoch 1, half in epoch 2
    assert reg.history_[:, "lr"] == [reg.lr, reg.lr / 2]
    assert pred.min() >= 0 and pred.max() <= 1
    np.testing.assert_allclose(pred[:, :3].sum(1), 1, atol=1e-5)  # Q1
    np.testing.assert_allclose(pred[:, 3:5].sum(1), pred[:, 1], atol=1e-5)  # Q2|1.2
    np.testing.assert_allclose(pred[:, 15:18].sum(1), pred[:, 0], atol=1e-5)  # Q7|1.1


def test_training_lowers_the_kaggle_rmse(galaxies):
    X, votes, _ = galaxies
    one = CNNGalaxyRegressor("simple_cnn", max_epochs=1, lr=3e-3, random_state=0)
    many = CNNGalaxyRegressor("simple_cnn", max_epochs=15, lr=3e-3, random_state=0)
    before = gz2_rmse(votes, one.fit(X, votes).predict(X))
    after = gz2_rmse(votes, many.fit(X, votes).predict(X))
    assert after < before
    assert many.history_[-1, "train_loss"] < many.history_[0, "train_loss"]


def test_dataframe_targets_and_single_output(galaxies):
    X, votes, labels = galaxies
    frame = pd.DataFrame(votes, columns=list(VOTE_COLUMNS))
    reg = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0)
    assert reg.fit(X, frame).predict(X).shape == (60, 37)
    single = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0)
    single.fit(X, votes[:, 0])
    assert single.output_ == "sigmoid" and single.predict(X).shape == (60,)
    linear = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0)
    assert linear.fit(X, labels * 10.0).output_ == "linear"


def test_output_errors(galaxies):
    X, votes, _ = galaxies
    with pytest.raises(ValueError, match="needs the 37"):
        CNNGalaxyRegressor("simple_cnn", output="gz2").fit(X, votes[:, :5])
    with pytest.raises(ValueError, match="use output='linear'"):
        CNNGalaxyRegressor("simple_cnn", output="sigmoid").fit(X, votes * 3)
    with pytest.raises(ValueError, match="output must be one of"):
        CNNGalaxyRegressor("simple_cnn", output="softmax").fit(X, votes)
    bad = votes.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CNNGalaxyRegressor("simple_cnn").fit(X, bad)


def test_failed_refit_keeps_the_fit(galaxies):
    X, votes, _ = galaxies
    reg = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0).fit(X, votes)
    before = reg.predict(X[:3])
    with pytest.raises(ValueError):
        reg.set_params(output="gz2").fit(X, votes[:, :5])
    assert reg.output_ == "gz2"
    np.testing.assert_array_equal(reg.predict(X[:3]), before)


def test_fine_tunes_a_moco_encoder(galaxies):
    X, votes, _ = galaxies
    moco = MoCoFeaturizer("simple_cnn", max_epochs=1, batch_size=16, random_state=0)
    moco.fit(X)
    reg = CNNGalaxyRegressor(
        "simple_cnn", pretrained=moco, freeze=True, max_epochs=1, random_state=0
    ).fit(X, votes)
    source = moco.module_.backbone.state_dict()
    for name, value in reg.module_.backbone.state_dict().items():
        torch.testing.assert_close(value, source[name])


# The Kaggle challenge's questions: answer columns and the answer they follow
# (None: asked of every galaxy). Written out here, independently of GZ2_TREE.
KAGGLE_QUESTIONS = {
    1: (3, None),
    2: (2, "Class1.2"),
    3: (2, "Class2.2"),
    4: (2, "Class2.2"),
    5: (4, "Class2.2"),
    6: (2, None),
    7: (3, "Class1.1"),
    8: (7, "Class6.1"),
    9: (3, "Class2.1"),
    10: (3, "Class4.1"),
    11: (6, "Class4.1"),
}


def test_tree_layout_matches_the_kaggle_questions():
    assert [n for _, n, _ in GZ2_TREE] == [n for n, _ in KAGGLE_QUESTIONS.values()]
    out = pd.DataFrame(
        GZ2DecisionTree()(torch.randn(50, 37) * 3).numpy(), columns=list(VOTE_COLUMNS)
    )
    for question, (n_answers, parent) in KAGGLE_QUESTIONS.items():
        answers = [f"Class{question}.{a}" for a in range(1, n_answers + 1)]
        total = out[answers].sum(axis=1)
        expected = 1.0 if parent is None else out[parent]
        np.testing.assert_allclose(total, expected, atol=1e-5, err_msg=str(question))


def test_dataframe_columns_are_put_in_kaggle_order(galaxies):
    X, votes, _ = galaxies
    frame = pd.DataFrame(votes, columns=list(VOTE_COLUMNS))
    shuffled = frame[sorted(VOTE_COLUMNS)]  # Class10.1 before Class2.1
    a = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0)
    b = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0)
    np.testing.assert_allclose(
        a.fit(X, frame).predict(X[:5]), b.fit(X, shuffled).predict(X[:5])
    )
    renamed = frame.set_axis([f"q{i}" for i in range(37)], axis=1)
    with pytest.raises(ValueError, match="vote fractions"):
        CNNGalaxyRegressor("simple_cnn", output="gz2").fit(X, renamed)
    auto = CNNGalaxyRegressor("simple_cnn", max_epochs=1, random_state=0)
    assert auto.fit(X, renamed).output_ == "sigmoid"


def test_from_kaggle_files_to_the_kaggle_metric(tmp_path, galaxies):
    """Smoke test: written JPEGs and a solutions CSV, loaded, fitted, scored."""
    from PIL import Image

    from galaxy_sklearn.datasets import load_galaxy_zoo2

    X, votes, _ = galaxies
    ids = np.arange(200000, 200000 + len(X))
    (tmp_path / "images").mkdir()
    for galaxy_id, image in zip(ids, X):
        Image.fromarray(image).resize((64, 64)).save(
            tmp_path / "images" / f"{galaxy_id}.jpg"
        )
    solutions = pd.DataFrame(votes, columns=list(VOTE_COLUMNS))
    solutions.insert(0, "GalaxyID", ids)
    solutions.to_csv(tmp_path / "training_solutions_rev1.csv", index=False)

    data = load_galaxy_zoo2(
        tmp_path / "images",
        tmp_path / "training_solutions_rev1.csv",
        crop=48,
        image_size=16,
    )
    reg = CNNGalaxyRegressor("simple_cnn", max_epochs=2, random_state=0)
    reg.fit(data.images[:40], data.vote_fractions.iloc[:40])
    pred = reg.predict(data.images[40:])
    score = gz2_rmse(data.vote_fractions.iloc[40:], pred)
    assert reg.output_ == "gz2" and pred.shape == (20, 37)
    assert 0 < score < 0.5 and 0 <= pred.min() and pred.max() <= 1
    np.testing.assert_allclose(data.vote_fractions.to_numpy(), votes, atol=1e-6)


def test_validation_fraction_records_valid_loss(galaxies):
    X, votes, _ = galaxies
    reg = CNNGalaxyRegressor(
        "simple_cnn", max_epochs=2, batch_size=16, validation_fraction=0.25,
        random_state=0,
    ).fit(X, votes)  # fmt: skip
    assert reg.history_[:, "valid_batch_count"] == [1, 1]  # 15 of 60 held out
    assert all(np.isfinite(reg.history_[:, "valid_loss"]))
    assert "train_acc" not in reg.history_[-1]
