"""Findings: for each claim of the paper, what *these* results show (docs/reference/analyses.md §3 and §7).

Each finding restates the paper's claim, gives the numbers computed from the results table and
the number of models behind them, and a verdict: ``consistent`` or ``not consistent`` with the
claim, ``too few models`` when the evidence is too thin to conclude, or ``not computed`` when a
needed column is missing. The checks are the qualitative pass criteria of docs/reference/analyses.md §3; the
thresholds used (a "strong" |ρ| of 0.5, chance ± 5 percentage points, ...) are stated in the text.
A verdict reached on rendered stand-ins of the paper's data sets says so (``Finding.caveat``): it
compares the claim with data the paper never used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from disentbench.reports import columns as C
from disentbench.reports.section import Section

CONSISTENT = "consistent"
INCONSISTENT = "not consistent"
TOO_FEW = "too few models"
NOT_COMPUTED = "not computed"

#: Fewest seeds per data set and settings for the transfer protocol's numbers to be read.
MIN_SEEDS_FOR_TRANSFER = 5
MIN_SETTINGS_FOR_TRANSFER = 4

#: Methods that penalise the total correlation of the sampled aggregate posterior (docs/reference/analyses.md
#: §3(b)).
TC_PENALISING = ("factor_vae", "beta_tc_vae")


@dataclass
class Finding:
    """One claim of the paper and what the results table says about it."""

    claim: str
    paper: str
    result: str
    verdict: str
    n_models: int
    #: What limits the comparison with the paper (stand-in data), or empty; the report shows it
    #: in the verdict's cell.
    caveat: str = ""


def findings(sections: dict[str, Section], n_models: int, datasets: list[str] | None = None) -> list[Finding]:
    """One :class:`Finding` per claim (a)–(f), from the sections of the report.

    ``datasets`` are the data-set labels of the analysed table (``columns.with_cohorts``); when
    some are rendered stand-ins, every reached verdict says so.
    """
    items = [
        _agreement(sections.get("agreement")),
        _tc(sections.get("mean_vs_sampled")),
        _drivers(sections.get("drivers")),
        _unsupervised(sections.get("unsupervised_selection")),
        _transfer(sections.get("transfer"), n_models),
        _downstream(sections.get("downstream")),
    ]
    caveat = stand_in_caveat(datasets or [])
    for item in items:
        if caveat and item.verdict != NOT_COMPUTED:
            item.caveat = caveat
    return items


def stand_in_caveat(datasets: list[str]) -> str:
    """What a paper comparison on these data sets must say: nothing, or that it used stand-ins."""
    stand_ins = [d for d in datasets if C.is_stand_in(d)]
    if not stand_ins:
        return ""
    if len(stand_ins) == len(datasets):
        return "on stand-in data, not the paper's data sets"
    return "partly on stand-in data: " + ", ".join(stand_ins)


def _agreement(section: Section | None) -> Finding:
    claim = "(a) Metric agreement (Fig. 2, §5.2)"
    paper = (
        "All scores except Modularity are correlated; BetaVAE–FactorVAE and MIG–DCI are the most "
        "strongly correlated pairs; the degree differs by data set."
    )
    matrices = {} if section is None else section.data.get("matrices", {})
    mean = {d: (rho, n) for (d, kind), (rho, n) in matrices.items() if kind == "mean"}
    if not mean:
        return Finding(
            claim, paper, "No score correlations could be computed: " + _notes(section), NOT_COMPUTED, 0
        )
    n_models = sum(n for _, n in mean.values())
    parts, checks, thin = [], [], []
    for dataset, (rho, n) in mean.items():
        if n < C.MIN_MODELS_FOR_CORRELATION:
            thin.append(f"{dataset} ({n})")
            continue
        off = rho.where(~np.eye(len(rho), dtype=bool))
        avg = off.abs().mean(axis=1)
        text = [f"{dataset} ({n} models): mean |ρ| with the others {avg.min():.2f}–{avg.max():.2f}"]
        if "Modularity" in avg.index and avg.notna().sum() > 2:
            outlier = avg.idxmin() == "Modularity"
            checks.append(outlier)
            text.append(f"Modularity {'is' if outlier else 'is not'} the outlier ({avg['Modularity']:.2f})")
        names = [C.PAPER_SCORES[c] for c in C.PAPER_SCORES if C.PAPER_SCORES[c] in off.index]
        six = off.loc[names, names]  # the top pairs are judged among the paper's six scores
        upper = six.where(np.triu(np.ones(six.shape, dtype=bool), k=1)).stack()
        top = set(upper.sort_values(ascending=False).index[:3])
        for a, b in (("BetaVAE", "FactorVAE"), ("MIG", "DCI Disentanglement")):
            if a in rho.index and b in rho.index and np.isfinite(rho.loc[a, b]):
                among = (a, b) in top or (b, a) in top
                checks.append(among)
                rank = "a top-3 pair" if among else "not a top-3 pair"
                text.append(f"ρ({a}, {b}) = {rho.loc[a, b]:.2f} ({rank})")
        parts.append("; ".join(text))
    if thin:
        parts.append("Too few models to conclude on: " + ", ".join(thin) + ".")
    if not checks:
        verdict = TOO_FEW if thin else NOT_COMPUTED
    else:
        verdict = CONSISTENT if np.mean(checks) >= 0.75 else INCONSISTENT
        parts.append(f"{sum(checks)} of {len(checks)} checks (outlier, top pairs) hold.")
    return Finding(
        claim, paper, " ".join(p if p.endswith(".") else p + "." for p in parts), verdict, n_models
    )


def _tc(section: Section | None) -> Finding:
    claim = "(b) Mean vs sampled total correlation (Fig. 1, §5.1)"
    paper = (
        "Regularisation lowers the total correlation of the sampled representation but not of the mean "
        "one, whose TC generally rises with regularisation (DIP-VAE-I the exception)."
    )
    trend = None if section is None else section.data.get("trend")
    if trend is None or trend.empty:
        return Finding(claim, paper, "Not computed: " + _notes(section), NOT_COMPUTED, 0)
    trend = trend[trend["n_strengths"] >= 2]
    kinds = set(trend["representation"])
    n_models = int(trend.loc[trend["representation"] == "mean", "n_models"].sum()) if "mean" in kinds else 0
    if not {"mean", "sampled"} <= kinds or trend.empty:
        return Finding(
            claim, paper, "Needs both representations and ≥ 2 strengths per method.", NOT_COMPUTED, n_models
        )
    per_method = trend.groupby(["method", "representation"])["rho_strength_tc"].median().unstack()
    parts, checks = [], []
    for method, row in per_method.iterrows():
        s, m = row.get("sampled", np.nan), row.get("mean", np.nan)
        parts.append(f"{C.method_label(str(method))}: median ρ(strength, TC) sampled {s:+.2f}, mean {m:+.2f}")
        if method in TC_PENALISING and np.isfinite(s):
            checks.append(s < 0)
        if np.isfinite(m):
            checks.append(m < 0 if method == "dip_vae_i" else m > 0)
    weakest = trend["n_models"].min() / max(1, trend["n_strengths"].max())
    verdict = CONSISTENT if checks and np.mean(checks) >= 0.75 else INCONSISTENT
    if weakest < 3:
        verdict = TOO_FEW
        parts.append("Fewer than 3 models per setting: too few models to conclude")
    text = "; ".join(parts) + (
        f". {sum(checks)} of {len(checks)} expected trend signs hold" if checks else ""
    )
    return Finding(
        claim,
        paper,
        text + " (ρ < 0: TC falls as regularisation rises; medians over data sets).",
        verdict,
        n_models,
    )


def _drivers(section: Section | None) -> Finding:
    claim = "(c) Method vs hyper-parameter vs seed (Fig. 3, §5.3)"
    paper = "The hyper-parameter and the random seed matter more than the choice of objective."
    dec = None if section is None else section.data.get("decomposition")
    if dec is None or dec.empty:
        return Finding(claim, paper, "Not computed: " + _notes(section), NOT_COMPUTED, 0)
    n_models = int(dec.groupby("dataset")["n_models"].max().sum())
    med = dec[["share_method", "share_hyperparameter", "share_seed"]].median()
    text = (
        f"Median share of a score's variance over {len(dec)} (data set, score) pairs: method "
        f"{med['share_method']:.0%}, hyper-parameter within method {med['share_hyperparameter']:.0%}, "
        f"seed within setting {med['share_seed']:.0%}. Median within-setting IQR "
        f"{dec['median_within_setting_iqr'].median():.3f} vs range of method medians "
        f"{dec['range_of_method_medians'].median():.3f}."
    )
    enough = (
        (dec["n_methods"] >= 2)
        & (dec["n_settings"] > dec["n_methods"])
        & (dec["n_models"] > dec["n_settings"])
    )
    if not enough.any():
        return Finding(
            claim,
            paper,
            text + " Needs ≥ 2 methods, strengths and seeds: too few models to conclude.",
            TOO_FEW,
            n_models,
        )
    verdict = (
        CONSISTENT if med["share_method"] < med["share_hyperparameter"] + med["share_seed"] else INCONSISTENT
    )
    return Finding(claim, paper, text, verdict, n_models)


def _unsupervised(section: Section | None) -> Finding:
    claim = "(d) Unsupervised model selection (§5.4)"
    paper = "No unsupervised score correlates consistently with the disentanglement scores across data sets."
    summary = None if section is None else section.data.get("summary")
    if summary is None or summary.empty:
        return Finding(claim, paper, "Not computed: " + _notes(section), NOT_COMPUTED, 0)
    tidy = section.data["tidy"]
    n_models = int(tidy.groupby("dataset")["n_models"].max().sum())
    n_datasets = int(summary["n_datasets"].max())
    strong = summary[summary["consistent_strong"]]
    text = (
        f"{len(strong)} of {len(summary)} (unsupervised score, disentanglement score) pairs have |ρ| ≥ 0.5 "
        f"with one sign on all {n_datasets} data set(s)"
    )
    if len(strong):
        text += " (" + ", ".join(f"{r.unsupervised_score}–{r.score}" for r in strong.itertuples()) + ")"
    text += f"; median |ρ| overall {tidy['rho'].abs().median():.2f}."
    per_dataset = tidy.groupby("dataset")["n_models"].max()
    if n_datasets < 2 or (per_dataset < C.MIN_MODELS_FOR_CORRELATION).any():
        return Finding(
            claim,
            paper,
            text + " Fewer than two data sets or too few models per data set to conclude.",
            TOO_FEW,
            n_models,
        )
    return Finding(claim, paper, text, CONSISTENT if strong.empty else INCONSISTENT, n_models)


def _transfer(section: Section | None, n_models: int) -> Finding:
    claim = "(e) Transfer vs random model selection (Table 1, §5.4)"
    paper = (
        "Same score and data set 80.7 %; same score, other data set 59.9 %; other score and data set "
        "54.9 % (close to chance)."
    )
    table = None if section is None else section.data.get("table")
    if table is None or table["n_draws"].sum() == 0:
        notes = " ".join(n for n in (section.notes if section else []) if not n.startswith("Ties"))
        return Finding(claim, paper, "Not computed: " + (notes or _notes(section)), NOT_COMPUTED, n_models)
    cells = {(r.score, r.dataset): r.p_outperform_pct for r in table.itertuples()}
    text = (
        "; ".join(f"{s} score / {d} data set {v:.1f} %" for (s, d), v in cells.items() if np.isfinite(v))
        + f" ({table['n_draws'].max():,} draws per cell; ties count half)."
    )
    if (
        section.data["n_seeds"] < MIN_SEEDS_FOR_TRANSFER
        or section.data["n_settings"] < MIN_SETTINGS_FOR_TRANSFER
    ):
        return Finding(
            claim, paper,
            text + f" Fewer than {MIN_SEEDS_FOR_TRANSFER} seeds or {MIN_SETTINGS_FOR_TRANSFER} settings: "
            "too few models to conclude.",
            TOO_FEW, n_models,
        )  # fmt: skip
    same = cells.get(("same", "same"), np.nan)
    others = [v for k, v in cells.items() if k != ("same", "same") and np.isfinite(v)]
    cross = cells.get(("different", "different"), np.nan)
    checks = [bool(others) and same > max(others)]
    if np.isfinite(cross):
        checks.append(abs(cross - 50.0) <= 5.0)
    text += " Checks: same/same is the highest cell" + (
        ", the fully-cross cell is within 50 ± 5 %" if np.isfinite(cross) else ""
    )
    verdict = CONSISTENT if all(checks) else INCONSISTENT
    return Finding(claim, paper, text + f" ({sum(checks)} of {len(checks)} hold).", verdict, n_models)


def _downstream(section: Section | None) -> Finding:
    claim = "(f) Downstream sample efficiency (§5.5)"
    paper = (
        "Higher disentanglement scores do not reliably lead to higher sample efficiency "
        "(accuracy at 100 ÷ at 10,000)."
    )
    tidy = None if section is None else section.data.get("tidy")
    if tidy is None or tidy.empty:
        return Finding(claim, paper, "Not computed: " + _notes(section), NOT_COMPUTED, 0)
    n_models = int(tidy.groupby("dataset")["n_models"].max().sum())
    eff = tidy[tidy["target"].str.endswith("eff.")].dropna(subset=["rho"])
    if eff.empty:
        return Finding(
            claim,
            paper,
            "Efficiency needs the 100- and 10,000-sample accuracies: not computed.",
            NOT_COMPUTED,
            n_models,
        )
    by_score = eff.groupby("score")["rho"].agg(["median", "min", "max", lambda r: float((r > 0).mean())])
    by_score.columns = ["median", "min", "max", "positive"]
    reliable = by_score[(by_score["min"] >= 0.3)]
    text = "; ".join(
        f"{s}: ρ with efficiency {r['min']:+.2f}…{r['max']:+.2f} (median {r['median']:+.2f})"
        for s, r in by_score.iterrows()
    )
    big = tidy[tidy["target"].str.endswith(" 10000")]
    if not big.empty:
        text += f". Median ρ with 10,000-sample accuracy {big['rho'].median():+.2f}"
    text += f". Scores with ρ ≥ 0.3 on every data set and predictor: {len(reliable)} of {len(by_score)}."
    if (tidy.groupby("dataset")["n_models"].max() < C.MIN_MODELS_FOR_CORRELATION).any():
        return Finding(claim, paper, text + " Too few models per data set to conclude.", TOO_FEW, n_models)
    return Finding(claim, paper, text, CONSISTENT if reliable.empty else INCONSISTENT, n_models)


def _notes(section: Section | None) -> str:
    """The notes of a section, or a sentence saying the section is absent."""
    if section is None:
        return "the analysis did not run."
    return " ".join(section.notes) or "no data."
