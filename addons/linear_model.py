"""A multinomial logistic regression that predicts with numpy alone.

Trained by scikit-learn, stored as plain arrays (`.npz` + label list in JSON), predicted as
softmax(X·Wᵀ + b). Loading needs neither scikit-learn nor skops: Rasa's own
LogisticRegressionClassifier loads through skops, whose import alone took 8 s of start-up here,
and a pickle would execute code on load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message

# predict_proba below is a softmax over all classes: what LogisticRegression fits with lbfgs and
# multi_class "auto" (multinomial for three or more classes, a plain sigmoid for two). liblinear or
# "ovr" fit one-vs-rest models whose probabilities are normalised differently, so they are refused.
SOLVER = "lbfgs"
MULTI_CLASS = "auto"


def sentence_rows(messages: list[Message]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per message: the column indices and values of its sparse, then dense, sentence features side
    by side (the same columns, in the same order, as Rasa's LogisticRegressionClassifier builds, but
    without `Message.get_sparse_features`, which also deep-copies and stacks the per-token features).
    A column may appear twice; sums treat that as scipy's `sum_duplicates` does."""
    rows = []
    for message in messages:
        sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        width = 0
        for feature in [f for f in sentence if f.is_sparse()] + [f for f in sentence if f.is_dense()]:
            columns, data, size = _row_entries(feature.features)
            indices.append(columns + width)
            values.append(data)
            width += size
        rows.append((np.concatenate(indices) if indices else np.zeros(0, np.int64),
                     np.concatenate(values) if values else np.zeros(0)))
    return rows


def sentence_features(messages: list[Message]) -> scipy.sparse.csr_matrix:
    """The rows of `sentence_rows` as one CSR matrix (for training), built without hstack/vstack."""
    rows = sentence_rows(messages)
    indptr = np.cumsum([0] + [len(columns) for columns, _ in rows])
    width = max((_width(m) for m in messages), default=0)
    matrix = scipy.sparse.csr_matrix(
        (np.concatenate([v for _, v in rows]) if rows else np.zeros(0),
         np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, int), indptr),
        shape=(len(messages), width),
    )
    matrix.sum_duplicates()  # a coo feature may list a column twice; sums them, as tocsr() did
    return matrix


def _width(message: Message) -> int:
    return sum(f.features.shape[-1] for f in message.features
               if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE)


def _row_entries(features: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """(column indices, values, width) of a one-row feature matrix, sparse or dense."""
    if scipy.sparse.issparse(features):
        row = features.tocoo()
        return row.col.astype(np.int64), row.data, row.shape[1]
    row = np.asarray(features).ravel()
    columns = np.flatnonzero(row)
    return columns, row[columns], row.size


@dataclass
class SoftmaxModel:
    labels: list[str]
    weights: np.ndarray  # (labels, features)
    bias: np.ndarray  # (labels,)
    # (features, labels), C-ordered: sparse @ dense needs the dense side C-contiguous, and
    # `weights.T` is not, so scipy copied all of it (15,000 × 20) for every message: 0.24 vs 0.007 ms.
    _weights_t: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._weights_t = np.ascontiguousarray(self.weights.T)

    @classmethod
    def fit(cls, features: scipy.sparse.csr_matrix, labels: list[str], **options: Any) -> SoftmaxModel:
        from sklearn.linear_model import LogisticRegression

        if options.pop("solver", SOLVER) != SOLVER or options.pop("multi_class", MULTI_CLASS) != MULTI_CLASS:
            raise ValueError(f"SoftmaxModel's softmax is the model of solver={SOLVER!r}, multi_class={MULTI_CLASS!r}")
        classes = sorted(set(labels))
        if len(classes) == 1:  # nothing to choose between: always that label
            return cls(classes, np.zeros((1, features.shape[1])), np.zeros(1))
        model = LogisticRegression(class_weight="balanced", solver=SOLVER, multi_class=MULTI_CLASS, **options)
        model.fit(features, labels)
        weights, bias = model.coef_, model.intercept_
        if len(classes) == 2:  # sklearn keeps one row for two classes: softmax over (-z/2, z/2) is the same sigmoid
            weights, bias = np.vstack([-weights / 2, weights / 2]), np.array([-bias[0] / 2, bias[0] / 2])
        return cls(list(model.classes_), np.asarray(weights), np.asarray(bias))

    def predict_proba(self, features: scipy.sparse.csr_matrix) -> np.ndarray:
        scores = features @ self._weights_t + self.bias
        scores = np.asarray(scores) - np.max(scores, axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict_proba_rows(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """`predict_proba` for `sentence_rows`: each row's scores are its values times the gathered weight
        rows, without building a scipy matrix (two constructions and a product cost more than the sums)."""
        scores = np.empty((len(rows), len(self.labels)))
        for i, (columns, values) in enumerate(rows):
            scores[i] = values @ self._weights_t[columns] + self.bias
        scores -= np.max(scores, axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def ranking(self, rows: list[tuple[np.ndarray, np.ndarray]], length: int) -> list[list[dict[str, Any]]]:
        """Per row of `sentence_rows`, labels by falling confidence (`length` ≤ 0 keeps all)."""
        result = []
        for probabilities in self.predict_proba_rows(rows):
            order = np.argsort(-probabilities, kind="stable")
            if length > 0:
                order = order[:length]
            result.append([{"name": self.labels[i], "confidence": float(probabilities[i])} for i in order])
        return result

    def save(self, directory: Path, name: str) -> None:
        np.savez(directory / f"{name}.npz", weights=self.weights, bias=self.bias)
        (directory / f"{name}.labels.json").write_text(json.dumps(self.labels, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, name: str) -> SoftmaxModel:
        arrays = np.load(directory / f"{name}.npz", allow_pickle=False)
        labels = json.loads((directory / f"{name}.labels.json").read_text(encoding="utf-8"))
        return cls(labels, arrays["weights"], arrays["bias"])
