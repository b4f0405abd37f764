"""Modularity and Explicitness (Ridgeway & Mozer, NeurIPS 2018), as the reference (docs/reference/metrics.md
§7).

Modularity (training sample): per latent i, ``1 - (sum_j M_ij^2 - max_j M_ij^2) / (max_j M_ij^2 (K-1))``
with ``M`` the plug-in MI between the 20-bin-discretised latent and each factor; latents with no
information count 0; averaged over all latents. Explicitness: per factor a ``LogisticRegression``
on the standardised codes, macro one-vs-rest ROC-AUC of its class probabilities, averaged.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import metrics, preprocessing

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics import estimators, utils
from disentbench.metrics.utils import DegenerateRepresentationWarning, RepresentationFunction


def modularity(mutual_information: np.ndarray) -> float:
    """Modularity score of a ``(latents, factors)`` MI matrix (§7 steps 1-3).

    Deviation: with a single factor the reference divides by ``K - 1 = 0``; we define the leak to
    other factors as 0 there (modularity 1 for an informative latent, 0 otherwise).
    """
    squared_mi = np.square(np.asarray(mutual_information, dtype=np.float64))
    if squared_mi.ndim != 2 or squared_mi.shape[0] < 1 or squared_mi.shape[1] < 1:
        raise ValueError(f"modularity needs a (latents, factors) matrix, got shape {squared_mi.shape}")
    max_squared_mi = np.max(squared_mi, axis=1)
    numerator = np.sum(squared_mi, axis=1) - max_squared_mi
    informative = max_squared_mi != 0.0
    if squared_mi.shape[1] == 1:
        delta = np.zeros_like(max_squared_mi)
    else:
        denominator = max_squared_mi * (squared_mi.shape[1] - 1.0)
        delta = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=informative)
    score = 1.0 - delta
    score[~informative] = 0.0
    return float(np.mean(score))


def _onehot_auc(clf_classes: np.ndarray, y: np.ndarray, proba: np.ndarray) -> float:
    """The reference's macro ROC-AUC; aligned on the classifier's classes when the label sets differ."""
    labels = np.unique(y)
    if labels.shape == clf_classes.shape and np.array_equal(labels, clf_classes):
        mlb = preprocessing.MultiLabelBinarizer()
        return float(metrics.roc_auc_score(mlb.fit_transform(np.expand_dims(y, 1)), proba))
    # Deviation: the reference fails (shape mismatch) when a sample misses a class of the other.
    onehot = (y[:, None] == clf_classes[None, :]).astype(int)
    usable = (onehot.min(axis=0) == 0) & (onehot.max(axis=0) == 1)
    warnings.warn(
        "explicitness: the evaluated sample and the training sample have different class sets "
        f"({labels.size} vs {clf_classes.size} classes); AUC averaged over the {int(usable.sum())} "
        "classes with positives and negatives",
        DegenerateRepresentationWarning,
        stacklevel=3,
    )
    if not usable.any():
        return float("nan")
    return float(metrics.roc_auc_score(onehot[:, usable], proba[:, usable], average="macro"))


def explicitness_per_factor(
    mus_train: np.ndarray,
    y_train: np.ndarray,
    mus_test: np.ndarray,
    y_test: np.ndarray,
    sklearn_semantics: str = "modern",
) -> tuple[float, float]:
    """Train / test ROC-AUC of a logistic regression predicting one factor (transposed codes)."""
    if np.unique(y_train).size < 2:
        warnings.warn(
            "explicitness: a factor is constant in the training sample, no classifier can be fitted; "
            "its AUCs are NaN and left out of the mean",
            DegenerateRepresentationWarning,
            stacklevel=2,
        )
        return float("nan"), float("nan")
    x_train, x_test = np.transpose(mus_train), np.transpose(mus_test)
    clf = estimators.logistic_regression(sklearn_semantics).fit(x_train, y_train)
    classes = np.asarray(clf.classes_)
    return (
        _onehot_auc(classes, y_train, clf.predict_proba(x_train)),
        _onehot_auc(classes, y_test, clf.predict_proba(x_test)),
    )


def _standardise(
    mus_train: np.ndarray, mus_test: np.ndarray, dtype: type[np.floating]
) -> tuple[np.ndarray, np.ndarray]:
    """Train-statistics standardisation (ddof=0) in the codes' own ``dtype``, as the reference does:
    numpy keeps the dtype for the mean, the std and the division, and the study's TensorFlow
    encoders return float32 (docs/reference/metrics.md §7), so the classifier sees float32-rounded
    features there. Deviation: a latent constant in the training sample has std 0 and the
    reference crashes (NaN features); we divide it by 1 instead, as scikit-learn's
    ``StandardScaler`` does, so it becomes an uninformative zero feature."""
    mus_train = np.asarray(mus_train, dtype=dtype)
    mus_test = np.asarray(mus_test, dtype=dtype)
    mean = np.mean(mus_train, axis=1)
    std = np.std(mus_train, axis=1)
    constant = std == 0
    if constant.any():
        warnings.warn(
            f"explicitness: latent(s) {np.flatnonzero(constant).tolist()} are constant in the training "
            "sample; the reference crashes here, they are kept as all-zero features",
            DegenerateRepresentationWarning,
            stacklevel=3,
        )
        std = np.where(constant, dtype(1.0), std)
    train_norm, _, _ = utils.normalize_data(mus_train, mean, std)
    test_norm, _, _ = utils.normalize_data(mus_test, mean, std)
    return train_norm, test_norm


def modularity_explicitness(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    num_bins: int = 20,
    sklearn_semantics: str = "modern",
) -> dict[str, float]:
    """Modularity (training sample) and explicitness (train / test) of ``(n, d)`` codes (§7).

    Float32 codes (a torch encoder's) are standardised in float32, others in float64.
    """
    estimators.check_sklearn_semantics(sklearn_semantics)
    float32 = np.asarray(codes_train).dtype == np.float32 and np.asarray(codes_test).dtype == np.float32
    ztr, ytr, zte, yte = utils.check_train_test(codes_train, factors_train, codes_test, factors_test)
    mus_train, ys_train, mus_test, ys_test = ztr.T, ytr.T, zte.T, yte.T
    discretized = utils.histogram_discretize(mus_train, num_bins)
    mutual_information = utils.discrete_mutual_info(discretized, ys_train)
    scores = {"modularity_score": modularity(mutual_information)}
    train_norm, test_norm = _standardise(mus_train, mus_test, np.float32 if float32 else np.float64)
    with utils.single_threaded_blas():
        auc = np.array(
            [
                explicitness_per_factor(train_norm, ys_train[j], test_norm, ys_test[j], sklearn_semantics)
                for j in range(ys_train.shape[0])
            ]
        )
    if np.isnan(auc).all():
        scores["explicitness_score_train"] = scores["explicitness_score_test"] = float("nan")
    else:
        scores["explicitness_score_train"] = float(np.nanmean(auc[:, 0]))
        scores["explicitness_score_test"] = float(np.nanmean(auc[:, 1]))
    return scores


def compute_modularity_explicitness(
    ground_truth_data: GroundTruthData,
    representation_function: RepresentationFunction,
    random_state: np.random.RandomState,
    num_train: int = 10000,
    num_test: int = 5000,
    batch_size: int = 16,
    num_bins: int = 20,
    sklearn_semantics: str = "modern",
) -> dict[str, float]:
    """The study's ``modularity_explicitness`` config: a training then a test sample."""
    estimators.check_sklearn_semantics(sklearn_semantics)
    rs = utils.as_random_state(random_state)
    split = utils.sample_train_test(
        ground_truth_data, representation_function, num_train, num_test, rs, batch_size
    )
    return modularity_explicitness(*split, num_bins, sklearn_semantics)
