"""Synthetic results tables with planted structure, for tests, benchmarks and example reports.

The generated table has the results-table columns of docs/architecture.md (one row per (trial,
representation)) on the study's grid (docs/reference/analyses.md §1: data sets × 6 methods × 6 strengths ×
seeds, ``model_num`` by the reference formula; grid, data-set order and numbering are read from
``benchmark.study``). Scores are built from a latent "quality" per
model, ``q = method effect + strength effect + seed noise`` with the standard deviations given,
so a test knows the truth an analysis should recover:

* BetaVAE and FactorVAE scores, and MIG and DCI disentanglement, are two tightly coupled pairs
  (each pair shares a noise term the other lacks); SAP and IRS follow ``q`` more loosely;
  Modularity is independent of ``q`` (the paper's outlier).
* Gaussian total correlation of the sampled representation falls with regularisation strength;
  that of the mean representation rises, except for DIP-VAE-I (docs/reference/analyses.md §3(b)).
* Training losses depend on the strength, not on ``q``; downstream accuracies rise with the sample
  size and weakly with ``q``.
* ``best_setting`` makes one (method, strength index) the best on every data set and score.
* ``weak_methods`` adds the first weakly-supervised methods of the registry, one configuration per
  (strength, ``k``) with ``param.k`` set, whose quality is shifted by ``weak_shift`` and whose seed
  noise is scaled by ``weak_seed_scale`` (the follow-up study's claim, planted:
  docs/reference/weak.md §4).

Nothing here is a measured result; the generator exists so that analyses can be checked
against planted answers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from disentbench.benchmark.study import REFERENCE_DATASETS, method_infos, model_number


@dataclass(frozen=True)
class Effects:
    """Standard deviations of the latent quality's parts: method, strength within method, seed."""

    method: float = 0.5
    hyperparameter: float = 0.5
    seed: float = 0.7


def synthetic_table(
    *,
    datasets: int | tuple[str, ...] = 7,
    methods: int = 6,
    strengths: int = 6,
    seeds: int = 50,
    effects: Effects = Effects(),
    best_setting: tuple[str, int] | None = None,
    representations: tuple[str, ...] = ("mean", "sampled"),
    data_source: str = "rendered",
    sklearn_semantics: str = "modern",
    random_seed: int = 0,
    weak_methods: int = 0,
    weak_ks: tuple[int, ...] = (1, -1),
    weak_shift: float = 2.0,
    weak_seed_scale: float = 0.3,
) -> pd.DataFrame:
    """A results table on a (data set × method × strength × seed) grid with planted structure.

    ``datasets`` is a count (the study's first ``n``) or names; ``methods`` takes the study's
    first ``n`` methods and ``strengths`` the first ``n`` values of each grid. With
    ``best_setting=(method, strength_index)`` that setting's quality is raised far above every
    other on each data set. ``data_source`` and ``sklearn_semantics`` are what every row claims
    (they change no value). ``weak_methods`` takes the registry's first ``n`` weakly-supervised
    methods with ``strengths`` of their grid and every ``k`` of ``weak_ks`` (see the module
    docstring). All draws come from ``numpy.random.default_rng(random_seed)``.
    """
    from disentbench.models.methods import UNSUPERVISED_METHODS, WEAK_METHODS

    rng = np.random.default_rng(random_seed)
    names = REFERENCE_DATASETS[:datasets] if isinstance(datasets, int) else tuple(datasets)
    grid = method_infos()  # the study's methods, hyper-parameters and grids, in study order
    method_names = list(UNSUPERVISED_METHODS)[:methods] + list(WEAK_METHODS)[:weak_methods]
    if best_setting is not None and best_setting[0] not in method_names:
        raise ValueError(f"best_setting method {best_setting[0]!r} is not among {method_names}")

    rows: list[dict] = []
    for dataset in names:
        method_effect = rng.normal(0.0, effects.method, size=len(method_names))
        for m_idx, method in enumerate(method_names):
            info = grid[method]
            weak = method in WEAK_METHODS
            hp_effect = rng.normal(0.0, effects.hyperparameter, size=strengths)
            for h_idx, k in itertools.product(range(strengths), weak_ks if weak else (None,)):
                for seed in range(seeds):
                    if weak:
                        noise = rng.normal(0.0, effects.seed * weak_seed_scale)
                        quality = method_effect[m_idx] + hp_effect[h_idx] + weak_shift + noise
                    else:
                        quality = method_effect[m_idx] + hp_effect[h_idx] + rng.normal(0.0, effects.seed)
                    best = best_setting == (method, h_idx)
                    if best:
                        quality += 10.0
                    strength = info.reference_grid[h_idx]
                    rows.extend(
                        _model_rows(
                            rng,
                            dataset=dataset,
                            method=method,
                            hp_name=info.hyperparameter,
                            strength=strength,
                            h_idx=h_idx,
                            seed=seed,
                            model_num=model_number(dataset, info, strength, seed),
                            quality=quality,
                            best=best,
                            representations=representations,
                            provenance={"data_source": data_source, "sklearn_semantics": sklearn_semantics},
                            k=k,
                        )
                    )
    return pd.DataFrame(rows)


def _squash(x: np.ndarray | float, lo: float, hi: float) -> np.ndarray | float:
    """Map a real number monotonically into ``(lo, hi)``."""
    return lo + (hi - lo) / (1.0 + np.exp(-x))


def _model_rows(
    rng: np.random.Generator,
    *,
    dataset: str,
    method: str,
    hp_name: str,
    strength: float,
    h_idx: int,
    seed: int,
    model_num: int | None,
    quality: float,
    best: bool,
    representations: tuple[str, ...],
    provenance: dict[str, str],
    k: int | None = None,
) -> list[dict]:
    """The rows of one model: shared identity, training statistics and per-representation scores.

    ``k`` is a weakly-supervised model's number of changed factors (``param.k``), else None.
    """
    trial_id = (
        f"synthetic-{model_num:05d}"
        if model_num is not None
        else f"synthetic-{dataset}-{method}-{h_idx}-{seed}" + (f"-k{k}" if k is not None else "")
    )
    reg = h_idx if method != "annealed_vae" else 5 - h_idx  # regularisation order (c_max reversed)
    recon = 30.0 + 4.0 * reg + rng.normal(0.0, 2.0)
    kl = 25.0 - 3.0 * reg + rng.normal(0.0, 1.5)
    train = {
        "train.reconstruction_loss": recon,
        "train.kl_loss": kl,
        "train.elbo": -(recon + kl),
        "train.regularizer": kl * (1.0 + reg),
        "train.loss": recon + kl * (1.0 + reg),
    }
    base = {
        "trial_id": trial_id,
        "model_num": model_num,
        "study": "synthetic",
        "status": "completed",
        "dataset": dataset,
        "method": method,
        "hyperparameter": hp_name,
        "strength": strength,
        "seed": seed,
        **provenance,
        "preset": "paper",
        **train,
        "train_seconds": float(rng.uniform(50, 70)),
        **({"param.k": k} if k is not None else {}),
    }
    out = []
    for kind in representations:
        noise = 0.3 if kind == "mean" else 0.6
        q = quality + rng.normal(0.0, noise)
        pair_a = q + rng.normal(0.0, 0.6)  # BetaVAE & FactorVAE share this part
        pair_b = q + rng.normal(0.0, 0.6)  # MIG & DCI share this part
        betavae = _squash(pair_a + 1.0, 0.6, 1.0)
        mig = _squash(pair_b - 1.0, 0.0, 0.6)
        tc_trend = 0.35 * reg
        if kind == "sampled":
            tc = 1.5 - 0.2 * reg + rng.normal(0.0, 0.1)
        elif method == "dip_vae_i":
            tc = 3.0 - tc_trend + rng.normal(0.0, 0.2)
        else:
            tc = 2.0 + tc_trend + rng.normal(0.0, 0.2)
        row = {
            **base,
            "representation": kind,
            "meta.sklearn_semantics": provenance["sklearn_semantics"],
            "beta_vae.train_accuracy": betavae,
            "beta_vae.eval_accuracy": betavae - abs(rng.normal(0.0, 0.002)),
            "factor_vae.train_accuracy": _squash(pair_a + 0.5, 0.5, 1.0),
            "factor_vae.eval_accuracy": _squash(pair_a + 0.5 + rng.normal(0.0, 0.15), 0.5, 1.0),
            "factor_vae.num_active_dims": float(rng.integers(3, 11)),
            "mig.discrete_mig": mig,
            "dci.disentanglement": _squash(pair_b - 0.8 + rng.normal(0.0, 0.15), 0.0, 0.9),
            "dci.completeness": _squash(pair_b - 0.8 + rng.normal(0.0, 0.5), 0.0, 0.9),
            "dci.informativeness_train": _squash(q + rng.normal(0.0, 0.5), 0.5, 1.0),
            "dci.informativeness_test": _squash(q + rng.normal(0.0, 0.5), 0.5, 1.0),
            "sap.SAP_score": _squash(q + rng.normal(0.0, 0.8), 0.0, 0.3),
            "modularity_explicitness.modularity_score": float(
                rng.uniform(*((0.96, 0.99) if best else (0.7, 0.95)))
            ),
            "modularity_explicitness.explicitness_score_train": _squash(q + rng.normal(0.0, 0.5), 0.7, 1.0),
            "modularity_explicitness.explicitness_score_test": _squash(q + rng.normal(0.0, 0.5), 0.7, 1.0),
            "irs.IRS": _squash(q + rng.normal(0.0, 0.8), 0.3, 0.9),
            "irs.num_active_dims": float(rng.integers(3, 11)),
            "unsupervised.gaussian_total_correlation": tc,
            "unsupervised.gaussian_wasserstein_correlation": abs(tc) * 0.1,
            "unsupervised.gaussian_wasserstein_correlation_norm": abs(tc) * 0.01,
            "unsupervised.mutual_info_score": abs(tc) * 0.05,
            "eval_seconds": float(rng.uniform(20, 40)),
        }
        for predictor, gain in (("downstream_logistic_regression", 0.03), ("downstream_boosted_trees", 0.04)):
            for n_idx, n in enumerate((10, 100, 1000, 10000)):
                acc = 0.2 + 0.15 * n_idx + gain * q + rng.normal(0.0, 0.03)
                row[f"{predictor}.{n}:mean_test_accuracy"] = float(np.clip(acc, 0.0, 1.0))
        row["wall_seconds"] = row["train_seconds"] + row["eval_seconds"] + 1.0
        out.append(row)
    return out
