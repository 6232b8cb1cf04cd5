"""The numpy-only softmax model predicts what scikit-learn's LogisticRegression predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from addons.linear_model import SoftmaxModel, sentence_features, sentence_rows


def _rows(features: scipy.sparse.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(features[i].indices, features[i].data) for i in range(features.shape[0])]


def _data(classes: int, rows: int = 120, columns: int = 30) -> tuple[scipy.sparse.csr_matrix, list[str]]:
    rng = np.random.default_rng(7)
    labels = [f"intent_{i % classes}" for i in range(rows)]
    dense = rng.random((rows, columns)) * (rng.random((rows, columns)) > 0.7)
    for row, label in enumerate(labels):  # make the classes separable enough to matter
        dense[row, int(label.rsplit("_", 1)[1])] += 2.0
    return scipy.sparse.csr_matrix(dense), labels


@pytest.mark.parametrize("classes", [2, 3, 7])
def test_probabilities_equal_sklearn(classes: int) -> None:
    features, labels = _data(classes)
    ours = SoftmaxModel.fit(features, labels, max_iter=500, random_state=42)
    reference = LogisticRegression(class_weight="balanced", max_iter=500, random_state=42).fit(features, labels)
    assert ours.labels == list(reference.classes_)
    np.testing.assert_allclose(ours.predict_proba(features), reference.predict_proba(features), atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba_rows(_rows(features)), reference.predict_proba(features), atol=1e-9)


def test_single_label_is_always_predicted() -> None:
    features, _ = _data(2, rows=4)
    model = SoftmaxModel.fit(features, ["only"] * 4)
    assert [r[0]["name"] for r in model.ranking(_rows(features), 10)] == ["only"] * 4


def test_ranking_is_sorted_and_cut(tmp_path: Path) -> None:
    features, labels = _data(7)
    model = SoftmaxModel.fit(features, labels, max_iter=500)
    ranking = model.ranking(_rows(features[:1]), 3)[0]
    assert len(ranking) == 3
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)


def test_save_and_load_round_trip_without_pickle(tmp_path: Path) -> None:
    features, labels = _data(3)
    model = SoftmaxModel.fit(features, labels, max_iter=500)
    model.save(tmp_path, "m")
    loaded = SoftmaxModel.load(tmp_path, "m")
    assert loaded.labels == model.labels
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))


def test_sentence_features_put_sparse_then_dense_columns_side_by_side() -> None:
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message

    def message(sparse: list[float], dense: list[float]) -> Message:
        return Message({TEXT: "x"}, features=[
            Features(np.array([dense]), FEATURE_TYPE_SENTENCE, TEXT, "dense"),
            Features(scipy.sparse.coo_matrix([[9.0, 9.0]]), FEATURE_TYPE_SEQUENCE, TEXT, "tokens"),  # not used
            Features(scipy.sparse.coo_matrix([sparse]), FEATURE_TYPE_SENTENCE, TEXT, "sparse"),
        ])

    messages = [message([0, 3, 0], [0.5, 0]), message([1, 0, 2], [0, 0.25])]
    assert sentence_features(messages).toarray().tolist() == [[0, 3, 0, 0.5, 0], [1, 0, 2, 0, 0.25]]
    rows = [(c.tolist(), v.tolist()) for c, v in sentence_rows(messages)]
    assert rows == [([1, 3], [3, 0.5]), ([0, 2, 4], [1, 2, 0.25])]


def test_row_predictions_sum_a_column_listed_twice() -> None:
    features, labels = _data(3)
    model = SoftmaxModel.fit(features, labels, max_iter=500)
    columns, values = _rows(features[:1])[0]
    doubled = (np.concatenate([columns, columns[:1]]), np.concatenate([values, values[:1]]))
    summed = features[:1].toarray()
    summed[0, columns[0]] += values[0]
    expected = model.predict_proba(scipy.sparse.csr_matrix(summed))
    np.testing.assert_allclose(model.predict_proba_rows([doubled]), expected)


@pytest.mark.parametrize("options", [{"solver": "liblinear"}, {"multi_class": "ovr"}])
def test_a_fit_whose_probabilities_are_not_a_softmax_is_refused(options: dict[str, str]) -> None:
    features, labels = _data(3)
    with pytest.raises(ValueError, match="lbfgs"):
        SoftmaxModel.fit(features, labels, **options)


def test_the_classifier_refuses_another_solver(tmp_path: Path) -> None:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.exceptions import InvalidConfigException

    from addons.linear_classifiers import LinearIntentClassifier

    with pytest.raises(InvalidConfigException, match="lbfgs"):
        LinearIntentClassifier({"solver": "liblinear"}, LocalModelStorage(tmp_path), Resource("intents"))
