"""Exact gradient boosting, fast: scikit-learn's ``GradientBoostingClassifier`` re-implemented.

The study's DCI and boosted-trees downstream scores fit ``GradientBoostingClassifier()`` (100
stages, depth 3, learning rate 0.1, log-loss; one tree per class and stage) on 10,000 points, and
DCI reads its impurity ``feature_importances_`` (docs/reference/metrics.md §5, §10). scikit-learn re-sorts
every node's samples for every feature; with dSprites' factors (3 + 6 + 40 + 32 + 32 classes) that is
11,300 trees per score and minutes of CPU. :class:`ExactGradientBoostingClassifier` grows the
*same* trees from one sort per feature (see :mod:`disentbench.metrics._boosting_kernels`):
same split search, same random feature-visiting order drawn from the same ``random_state``
stream, same leaf values, same importances, bit for bit (``tests/metrics/test_boosting.py``
compares every tree with sklearn's).

One choice is left to the caller. When a feature has *tied* values inside a node, sklearn's
sums over the tie run in the order its introsort happened to leave the tied samples in.
``exact_ties=True`` replays that introsort, so the model is bit-identical to sklearn's in every
case, at up to 5x the cost on float32 codes (where a few ties per feature are common).
``exact_ties=False`` (the default) takes the tied samples in index order: the trees can then
differ from sklearn's only where two candidate splits are equally good up to rounding, which a
summation-order change can flip — the kind of difference a change of sklearn version or BLAS
also makes. On the benchmark's representation both settings, and sklearn itself, give the same
DCI and downstream values to all ten printed digits (``benchmarks/bench_metrics.py
--exact-ties-check``, ``docs/metrics_performance.md``).

Supported: the parameters the study varies (``n_estimators``, ``learning_rate``, ``max_depth``,
``min_samples_split``, ``min_samples_leaf``, ``random_state``) with every other sklearn parameter
at its default (log-loss, ``subsample=1``, all features, unit sample weights, no missing values).
"""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state

from disentbench.metrics import _boosting_kernels as kernels


class ExactGradientBoostingClassifier(ClassifierMixin, BaseEstimator):
    """``sklearn.ensemble.GradientBoostingClassifier`` with default loss, grown from presorted
    features. ``random_state`` is consumed like sklearn's: one ``randint(0, 2**31 - 1)`` per tree,
    stage by stage, class by class."""

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int = 3,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        random_state: int | np.random.RandomState | None = None,
        exact_ties: bool = False,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.exact_ties = exact_ties

    def _check_params(self) -> None:
        for name in ("n_estimators", "max_depth", "min_samples_leaf"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
        if not isinstance(self.min_samples_split, int | np.integer) or self.min_samples_split < 2:
            raise ValueError(f"min_samples_split must be an integer >= 2; got {self.min_samples_split!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate!r}")

    @staticmethod
    def _check_X(X: np.ndarray, n_features: int | None = None) -> np.ndarray:
        x = np.ascontiguousarray(X, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"X must be 2-d (n_samples, n_features); got shape {np.shape(X)}")
        if not np.all(np.isfinite(x)):
            raise ValueError("X contains NaN or infinity (as float32)")
        if n_features is not None and x.shape[1] != n_features:
            raise ValueError(f"X has {x.shape[1]} features; the model was fitted with {n_features}")
        return x

    def fit(self, X: np.ndarray, y: np.ndarray) -> ExactGradientBoostingClassifier:
        self._check_params()
        x = self._check_X(X)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(f"y must be 1-d with {x.shape[0]} labels; got shape {y.shape}")
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        n_classes = self.classes_.size
        if n_classes < 2:
            raise ValueError(f"y contains {n_classes} class; a classifier needs at least 2")
        n, d = x.shape
        self.n_features_in_ = d
        self.n_classes_ = n_classes
        n_trees = 1 if n_classes == 2 else n_classes

        # Initial raw predictions: DummyClassifier(strategy="prior") through the loss's link.
        eps = np.finfo(np.float64).eps
        prior = np.clip(np.bincount(y_enc, minlength=n_classes) / n, eps, 1 - eps)
        if n_trees == 1:
            init = np.array([scipy.special.logit(prior[1])])
        else:
            init = np.log(prior / scipy.stats.gmean(prior))
        self.init_raw_ = init

        rs = check_random_state(self.random_state)
        seeds = rs.randint(0, kernels.RAND_R_MAX, size=(self.n_estimators, n_trees)).astype(np.int64)
        order = np.argsort(x, axis=0, kind="stable")  # (n, d): each feature ascending, ties by index
        root_idx = np.ascontiguousarray(order.T, dtype=np.int32)
        root_val = np.ascontiguousarray(np.take_along_axis(x, order, axis=0).T)

        max_nodes = min(2 ** (self.max_depth + 1) - 1, 2 * n - 1)
        shape = (self.n_estimators, n_trees, max_nodes)
        self.node_feature_ = np.full(shape, -2, dtype=np.int64)
        self.node_threshold_ = np.zeros(shape)
        self.node_left_ = np.full(shape, -1, dtype=np.int64)
        self.node_right_ = np.full(shape, -1, dtype=np.int64)
        self.node_value_ = np.zeros(shape)
        self.node_count_ = np.zeros((self.n_estimators, n_trees), dtype=np.int64)
        self.tree_importances_ = np.zeros((self.n_estimators, n_trees, d))
        raw = np.tile(init, (n, 1))
        kernels.fit_stages(
            np.ascontiguousarray(x.T),
            y_enc.astype(np.int64),
            n_classes,
            raw,
            root_idx,
            root_val,
            seeds,
            float(self.learning_rate),
            int(self.max_depth),
            int(self.min_samples_split),
            int(self.min_samples_leaf),
            bool(self.exact_ties),
            self.node_feature_,
            self.node_threshold_,
            self.node_left_,
            self.node_right_,
            self.node_value_,
            self.node_count_,
            self.tree_importances_,
        )
        return self

    @property
    def feature_importances_(self) -> np.ndarray:
        """Mean of the trees' unnormalised impurity importances over trees with a split,
        normalised to sum 1 (zeros if no tree split), as sklearn computes it."""
        relevant = self.tree_importances_[self.node_count_ > 1]
        if relevant.shape[0] == 0:
            return np.zeros(self.n_features_in_)
        avg = np.mean(relevant, axis=0, dtype=np.float64)
        return avg / np.sum(avg)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        x = self._check_X(X, self.n_features_in_)
        raw = np.tile(self.init_raw_, (x.shape[0], 1))
        kernels.predict_raw(
            x,
            raw,
            float(self.learning_rate),
            self.node_feature_,
            self.node_threshold_,
            self.node_left_,
            self.node_right_,
            self.node_value_,
        )
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def predict(self, X: np.ndarray) -> np.ndarray:
        raw = self.decision_function(X)
        encoded = (raw >= 0).astype(int) if raw.ndim == 1 else np.argmax(raw, axis=1)
        return self.classes_[encoded]
