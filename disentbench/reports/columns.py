"""The results-table columns the analyses read, and the selections they share.

Every analysis is a function of the results table alone (docs/architecture.md, "Results table"):
one row per (trial, representation) with ``<metric>.<key>`` score columns and ``train.<key>``
training-time statistics. This module names the columns the paper's analyses use
(docs/reference/analyses.md §3) with their display labels, and provides the few selections every analysis
needs (completed trials, one representation, one row per model), so that a missing column or an empty
selection is handled in one place and reported, never a crash.

Rows of different data sources (the official files or a rendered stand-in) or of different
scikit-learn semantics are never pooled: :func:`with_cohorts` gives each (data set, source,
semantics) its own ``dataset`` label, e.g. ``shapes3d (stand-in)``, which every analysis then
treats as a data set of its own, so every figure, table and finding names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

#: The six disentanglement scores of the paper (docs/reference/analyses.md §3(a)), in the paper's order.
PAPER_SCORES: dict[str, str] = {
    "beta_vae.eval_accuracy": "BetaVAE",
    "factor_vae.eval_accuracy": "FactorVAE",
    "mig.discrete_mig": "MIG",
    "dci.disentanglement": "DCI Disentanglement",
    "modularity_explicitness.modularity_score": "Modularity",
    "sap.SAP_score": "SAP",
}

#: Further disentanglement scores used when present ("plus any others present", README.md).
EXTRA_SCORES: dict[str, str] = {
    "irs.IRS": "IRS",
    "dci.completeness": "DCI Completeness",
    "modularity_explicitness.explicitness_score_test": "Explicitness",
    "controllability.score": "Controllability",  # disentbench.inspection.controllability
}

#: Every disentanglement score an analysis may use, label by column.
DISENTANGLEMENT_SCORES: dict[str, str] = {**PAPER_SCORES, **EXTRA_SCORES}

#: Leaderboard presets (README.md; docs/reference/analyses.md §4 for the NeurIPS 2019 challenge's five
#: columns).
LEADERBOARD_PRESETS: dict[str, tuple[str, ...]] = {
    "paper": tuple(PAPER_SCORES),
    "neurips2019": (
        "factor_vae.eval_accuracy",
        "dci.disentanglement",
        "mig.discrete_mig",
        "sap.SAP_score",
        "irs.IRS",
    ),
}

#: The Gaussian total correlation of a representation (docs/reference/analyses.md §3(b)).
TC_COLUMN = "unsupervised.gaussian_total_correlation"

#: Training-time unsupervised scores (docs/reference/analyses.md §3(d); docs/reference/models.md: ``elbo`` is
#: stored as −(reconstruction + KL), the ELBO itself, so higher is better for it and lower for the others).
TRAIN_SCORES: dict[str, str] = {
    "train.reconstruction_loss": "Reconstruction",
    "train.kl_loss": "KL",
    "train.elbo": "ELBO",
}

#: Downstream sample sizes (docs/reference/analyses.md §1, downstream tasks).
DOWNSTREAM_SIZES: tuple[int, ...] = (10, 100, 1000, 10000)
DOWNSTREAM_PREDICTORS: dict[str, str] = {
    "downstream_logistic_regression": "LR",
    "downstream_boosted_trees": "GBT",
}

#: Methods in study order (architecture.md, Models), then the weakly-supervised ones, and their
#: display labels.
METHOD_LABELS: dict[str, str] = {
    "beta_vae": "β-VAE",
    "factor_vae": "FactorVAE",
    "dip_vae_i": "DIP-VAE-I",
    "dip_vae_ii": "DIP-VAE-II",
    "beta_tc_vae": "β-TCVAE",
    "annealed_vae": "AnnealedVAE",
    # The weakly-supervised methods (docs/reference/weak.md §2.1); which methods are weakly
    # supervised is the registry's to say (disentbench.models.methods), these are only labels.
    "gvae": "GVAE",
    "ml_vae": "ML-VAE",
    "ada_gvae": "Ada-GVAE",
    "ada_ml_vae": "Ada-ML-VAE",
}

#: Methods whose hyper-parameter *weakens* the regulariser as it grows: AnnealedVAE's capacity
#: ``c_max`` lets the KL term reach a larger target, so "regularisation strength" runs opposite.
REVERSED_STRENGTH: frozenset[str] = frozenset({"annealed_vae"})

#: Where a row's pixels came from (``official`` | ``rendered``) and which scikit-learn semantics
#: its scores used (``modern`` | ``2019``); older exported tables carry only ``meta.sklearn_semantics``.
SOURCE_COLUMN = "data_source"
SEMANTICS_COLUMNS = ("sklearn_semantics", "meta.sklearn_semantics")
#: The source value of the offline stand-ins, and how a data-set label says so.
STAND_IN_SOURCE = "rendered"
STAND_IN_SUFFIX = " (stand-in)"
#: What a table says when it does not record a row's source or semantics.
UNKNOWN = "unknown"

#: Fewest models for a rank correlation we are willing to interpret (a reporting choice: with
#: fewer, a Spearman ρ of ±0.5 is not distinguishable from chance at the 5 % level).
MIN_MODELS_FOR_CORRELATION = 16


def label(column: str) -> str:
    """Display label of a score column (the column itself when it has none)."""
    if column in DISENTANGLEMENT_SCORES:
        return DISENTANGLEMENT_SCORES[column]
    if column in TRAIN_SCORES:
        return TRAIN_SCORES[column]
    return column


def method_label(method: str) -> str:
    """Display label of a method name."""
    return METHOD_LABELS.get(method, str(method))


def present(df: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The columns of ``columns`` that exist in ``df`` and hold at least one finite value."""
    out = []
    for col in columns:
        if col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce")
            if np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)).any():
                out.append(col)
    return out


def missing(df: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The columns of ``columns`` that are absent from ``df`` or hold no finite value."""
    have = set(present(df, columns))
    return [c for c in columns if c not in have]


#: The columns that say which setting a model belongs to (what most analyses group by).
SETTING_COLUMNS = ("dataset", "method", "strength")


def lacking(df: pd.DataFrame, columns: Sequence[str], consequence: str) -> str | None:
    """A note naming the columns of ``columns`` absent from ``df`` and what that prevents
    (``consequence``), or ``None`` when all are there: the one wording every analysis uses."""
    absent = [c for c in columns if c not in df.columns]
    if not absent:
        return None
    return f"The table lacks the column(s) {', '.join(absent)}: {consequence}."


def disentanglement_scores(df: pd.DataFrame) -> list[str]:
    """The disentanglement-score columns present in ``df``, the paper's six first."""
    return present(df, DISENTANGLEMENT_SCORES)


def completed(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of completed trials (all rows when the table has no ``status`` column)."""
    if "status" not in df.columns:
        return df
    return df[df["status"].astype(str) == "completed"]


def representation(df: pd.DataFrame, kind: str = "mean") -> pd.DataFrame:
    """Completed rows of one representation (``mean`` or ``sampled``).

    The paper's disentanglement-score analyses use the mean representation (docs/reference/analyses.md §6.2);
    a table without a ``representation`` column is taken as one representation.
    """
    rows = completed(df)
    if "representation" not in rows.columns:
        return rows
    return rows[rows["representation"].astype(str) == kind]


def datasets(df: pd.DataFrame) -> list[str]:
    """Data-set names in the table, in first-appearance order."""
    if "dataset" not in df.columns:
        return []
    return list(dict.fromkeys(df["dataset"].dropna().astype(str)))


def methods(df: pd.DataFrame) -> list[str]:
    """Method names in the table: the study order first, then any others in appearance order."""
    if "method" not in df.columns:
        return []
    seen = list(dict.fromkeys(df["method"].dropna().astype(str)))
    known = [m for m in METHOD_LABELS if m in seen]
    return known + [m for m in seen if m not in METHOD_LABELS]


def numeric(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``df[columns]`` as floats, with infinities turned into missing values."""
    out = df[list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    return out.replace([np.inf, -np.inf], np.nan)


def spearman(frame: pd.DataFrame, min_models: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Spearman rank correlations between the columns of ``frame`` over pairwise-complete rows.

    Returns ``(rho, n)``: the correlation matrix (NaN where fewer than ``min_models`` rows or a
    constant column) and the number of rows behind each entry. Ranks use average ranks for ties,
    as ``scipy.stats.spearmanr`` does.
    """
    values = frame.astype(float)
    rho = values.corr(method="spearman", min_periods=max(2, min_models))
    mask = values.notna().astype(float)
    n = mask.T @ mask
    return rho, n.astype(int)


def tidy_matrix(rho: pd.DataFrame, n: pd.DataFrame, row_name: str, col_name: str) -> pd.DataFrame:
    """A correlation matrix as a long table with columns ``row_name, col_name, rho, n_models``."""
    out = rho.stack(future_stack=True).rename("rho").reset_index()
    out.columns = [row_name, col_name, "rho"]
    counts = n.stack(future_stack=True).rename("n_models").reset_index()
    counts.columns = [row_name, col_name, "n_models"]
    return out.merge(counts, on=[row_name, col_name], how="left")


def model_key(df: pd.DataFrame) -> list[str]:
    """Columns identifying one model: ``trial_id`` (else the setting and seed), with the data set,
    so that the same trial id from tables of different sources or semantics stays apart."""
    if "trial_id" in df.columns:
        return [c for c in ("trial_id", "dataset") if c in df.columns]
    return [c for c in ("dataset", "method", "strength", "seed") if c in df.columns]


def data_sources(df: pd.DataFrame) -> pd.Series:
    """Each row's data source (``official``, ``rendered``, or ``unknown`` when not recorded)."""
    if SOURCE_COLUMN not in df.columns:
        return pd.Series(UNKNOWN, index=df.index, dtype=object)
    return df[SOURCE_COLUMN].astype(object).where(df[SOURCE_COLUMN].notna(), UNKNOWN).astype(str)


def sklearn_semantics(df: pd.DataFrame) -> pd.Series:
    """Each row's scikit-learn semantics (``modern``, ``2019``, or ``unknown`` when not recorded)."""
    out = pd.Series(UNKNOWN, index=df.index, dtype=object)
    for column in reversed(SEMANTICS_COLUMNS):  # the first column wins where it has a value
        if column in df.columns:
            out = df[column].astype(object).where(df[column].notna(), out)
    return out.astype(str)


def cohort_label(
    dataset: str, source: str, semantics: str | None = None, unknown_source: bool = False
) -> str:
    """``dataset`` as reports name it: ``shapes3d (stand-in)`` for a rendered stand-in,
    ``… (source unknown)`` when ``unknown_source`` and the source is not recorded, and
    ``… · sklearn 2019`` when ``semantics`` is given (tables that mix semantics)."""
    label = str(dataset)
    if source == STAND_IN_SOURCE:
        label += STAND_IN_SUFFIX
    elif source == UNKNOWN and unknown_source:
        label += " (source unknown)"
    return f"{label} · sklearn {semantics}" if semantics is not None else label


def is_stand_in(label: str) -> bool:
    """Whether a data-set label (:func:`cohort_label`) names a rendered stand-in."""
    return STAND_IN_SUFFIX in str(label)


def with_cohorts(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its ``dataset`` column replaced by cohort labels (see the module docstring).

    The data set's own name moves to ``dataset_name``; ``data_source`` and ``sklearn_semantics``
    are filled in (``unknown`` where not recorded). The semantics enter the label only when the
    table holds more than one, so a table of one semantics keeps short labels; likewise a missing
    source is named only when other rows of the table record theirs.
    """
    if "dataset" not in df.columns:
        return df
    out = df.copy()
    if "dataset_name" not in out.columns:  # not yet labelled (labelling twice changes nothing)
        out["dataset_name"] = df["dataset"]
    out[SOURCE_COLUMN] = data_sources(df)
    out["sklearn_semantics"] = sklearn_semantics(df)
    mixed = out["sklearn_semantics"].nunique() > 1
    unknown = bool((out[SOURCE_COLUMN] == UNKNOWN).any()) and out[SOURCE_COLUMN].nunique() > 1
    keys = list(zip(out["dataset_name"], out[SOURCE_COLUMN], out["sklearn_semantics"], strict=True))
    labels = {key: cohort_label(str(key[0]), key[1], key[2] if mixed else None, unknown) for key in set(keys)}
    out["dataset"] = [labels[key] if pd.notna(key[0]) else key[0] for key in keys]
    return out
