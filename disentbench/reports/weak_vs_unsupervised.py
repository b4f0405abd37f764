"""Weakly-supervised vs unsupervised models on the same data set (docs/reference/weak.md §4).

The follow-up study (Locatello et al., ICML 2020) trains models on pairs of observations that share
some factors and evaluates them with the unsupervised study's scores; its headline is that these
models score higher than the unsupervised ones and depend less on the random seed. This section
puts the two groups side by side wherever the table holds both on the same data set (and cohort:
the same data source and scikit-learn semantics, ``columns.with_cohorts``), on the mean
representation and the paper's six scores that are present. Per (data set, score):

* a **configuration** is one (method, strength, other swept parameters such as ``k``) setting;
  its models differ only by seed;
* the **best unsupervised median** is the highest, over the unsupervised configurations, of the
  median score over seeds of one configuration;
* the **fraction above** is the share of weakly-supervised models whose score is strictly above it;
* **seed dependence** is the interquartile range of the score across the seeds of one
  configuration (linear-interpolation quartiles, as pandas computes them), summarised by its
  median over the group's configurations with at least two seeds.

Which methods are weakly supervised is the method registry's to say
(``disentbench.models.methods``); plugin methods and external models belong to neither group and
are left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section
from disentbench.results.ids import file_part

TITLE = "Weakly-supervised vs unsupervised"

WEAK = "weakly supervised"
UNSUPERVISED = "unsupervised"

#: The CSV of the headline numbers, written beside the report.
CSV_NAME = "weak_vs_unsupervised.csv"

#: Groups smaller than this many models, or configurations with fewer seeds than ``MIN_SEEDS``,
#: make a finding say that the groups are small (a reporting choice: quartiles of fewer than five
#: values interpolate between two or three of them).
MIN_GROUP_MODELS = 16
MIN_SEEDS = 5

#: Colours of the two groups in the figures.
COLOURS = {UNSUPERVISED: "#9ecae1", WEAK: "#fdae6b"}


def groups(methods: pd.Series) -> pd.Series:
    """Each row's group: ``weakly supervised``, ``unsupervised`` (built-in methods), else missing."""
    from disentbench.models.methods import UNSUPERVISED_METHODS, is_weakly_supervised

    names = methods.astype(str)
    out = pd.Series(pd.NA, index=methods.index, dtype=object)
    out[names.isin(UNSUPERVISED_METHODS)] = UNSUPERVISED
    out[names.map(is_weakly_supervised).astype(bool)] = WEAK
    return out


def without_weak(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of every model that is not weakly supervised: what the 2019 study's analyses
    describe (the weakly-supervised models appear only in this section)."""
    if "method" not in df.columns:
        return df
    return df[groups(df["method"]) != WEAK]


def applies(df: pd.DataFrame) -> bool:
    """Whether the table's completed models include both groups (the section is left out otherwise)."""
    rows = C.completed(df)
    if "method" not in rows.columns:
        return False
    present = set(groups(rows["method"]).dropna())
    return {WEAK, UNSUPERVISED} <= present


def configurations(df: pd.DataFrame) -> pd.Series:
    """Each row's configuration label: method, strength and any other swept parameter (``param.*``)."""
    swept = sorted(c for c in df.columns if c.startswith("param."))
    hp = (
        df["hyperparameter"].astype(str)
        if "hyperparameter" in df.columns
        else pd.Series("strength", df.index)
    )
    labels = df["method"].map(lambda m: C.method_label(str(m))) + " " + hp + "=" + df["strength"].map(_number)
    for column in swept:
        value = df[column].map(_number)
        labels = labels + np.where(df[column].notna(), f" {column.removeprefix('param.')}=" + value, "")
    return labels


def _number(value: object) -> str:
    """A parameter value as a short label (``4``, ``0.5``, ``-1``)."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def compare(values: pd.Series, group: pd.Series, configuration: pd.Series) -> dict[str, object]:
    """The headline numbers of one (data set, score): one value per model, its group and configuration.

    Returns, for both groups (``unsup_*``, ``weak_*``), the numbers of models and configurations
    and the fewest seeds of a configuration; the best unsupervised configuration and its median
    over seeds; the number and fraction of weakly-supervised models strictly above that median;
    and each group's median over configurations of the interquartile range across seeds. Missing
    values are left out; a number that cannot be computed is NaN.
    """
    frame = pd.DataFrame({"value": values.astype(float), "group": group, "config": configuration})
    frame = frame.dropna(subset=["value", "group"])
    unsup = frame[frame["group"] == UNSUPERVISED]
    weak = frame[frame["group"] == WEAK]
    medians = unsup.groupby("config")["value"].median()
    best = medians.idxmax() if len(medians) else None
    best_median = float(medians.max()) if len(medians) else np.nan
    above = int((weak["value"] > best_median).sum()) if best is not None else 0
    iqr_unsup, seeds_unsup = seed_spread(unsup)
    iqr_weak, seeds_weak = seed_spread(weak)
    return {
        "unsup_models": len(unsup),
        "unsup_configs": int(unsup["config"].nunique()),
        "unsup_min_seeds": seeds_unsup,
        "weak_models": len(weak),
        "weak_configs": int(weak["config"].nunique()),
        "weak_min_seeds": seeds_weak,
        "best_unsup_config": best,
        "best_unsup_median": best_median,
        "weak_above": above,
        "weak_above_fraction": above / len(weak) if len(weak) and best is not None else np.nan,
        "unsup_median_iqr": iqr_unsup,
        "weak_median_iqr": iqr_weak,
    }


def seed_spread(rows: pd.DataFrame) -> tuple[float, int]:
    """The median over configurations (with ≥ 2 seeds) of the IQR across seeds, and the fewest
    seeds of a configuration, of ``rows`` (columns ``value`` and ``config``)."""
    if rows.empty:
        return np.nan, 0
    per_config = rows.groupby("config")["value"]
    counts = per_config.count()
    quartiles = per_config.quantile([0.25, 0.75]).unstack()
    iqr = (quartiles[0.75] - quartiles[0.25])[counts >= 2]
    return (float(iqr.median()) if len(iqr) else np.nan), int(counts.min())


def analyse(df: pd.DataFrame) -> Section:
    """Headline numbers per (data set, score), per method, and a finding per data set."""
    section = Section(
        key="weak_vs_unsupervised",
        title=TITLE,
        description="Scores of the weakly-supervised models (trained on pairs of observations) beside "
        "those of the unsupervised models on the same data set, on the mean representation: the "
        "fraction of weakly-supervised models above the best unsupervised configuration's median over "
        "seeds, and the spread across seeds (median over configurations of the interquartile range) "
        "of both groups (docs/reference/weak.md §4).",
    )
    if lack := C.lacking(df, C.SETTING_COLUMNS, "cannot compare the groups"):
        section.note(lack)
        return section
    rows = C.representation(df, "mean")
    rows = rows.assign(group=groups(rows["method"])).dropna(subset=["group"])
    scores = C.present(rows, C.PAPER_SCORES)
    if not scores:
        section.note("No paper scores on the mean representation: nothing to compare.")
        return section
    rows = rows.assign(config=configurations(rows))
    values = C.numeric(rows, scores)
    summary, per_method, compared = [], [], []
    for dataset in C.datasets(rows):
        mask = rows["dataset"].astype(str) == dataset
        sub = rows[mask]
        have = set(sub["group"])
        if have != {WEAK, UNSUPERVISED}:
            only = "weakly-supervised" if WEAK in have else "unsupervised"
            section.note(f"{dataset}: only {only} models, nothing to compare them with on this data set.")
            continue
        parts = []
        for score in scores:
            numbers = compare(values.loc[mask, score], sub["group"], sub["config"])
            if not numbers["weak_models"] or not numbers["unsup_models"]:
                continue
            parts.append({"dataset": dataset, "score": C.label(score), **numbers})
            per_method += _per_method(dataset, score, values.loc[mask, score], sub, numbers)
        if parts:
            summary += parts
            compared.append(dataset)
            section.statements.append(finding(dataset, pd.DataFrame(parts)))
    if not summary:
        section.note(
            "No data set holds both weakly-supervised and unsupervised models with a common score "
            "(rows of different data sources or scikit-learn semantics are never compared)."
        )
        return section
    table = pd.DataFrame(summary)
    shown = table.drop(columns=["unsup_min_seeds", "weak_min_seeds"])  # the statements give the seeds
    section.tables[f"Weakly-supervised vs unsupervised, per data set and score ({CSV_NAME})"] = shown
    section.tables["Per method: models above the best unsupervised median, spread across seeds"] = (
        pd.DataFrame(per_method)
    )
    section.csv_files[CSV_NAME] = table
    section.note(
        "A configuration is one (method, strength, other swept parameter such as k) setting; the "
        "interquartile range is taken across its seeds (configurations with one seed are left out of "
        "the median IQR). Scores of weakly-supervised models equal to the best unsupervised median do "
        "not count as above it."
    )
    section.data.update(rows=rows[rows["dataset"].astype(str).isin(compared)], scores=scores, summary=table)
    return section


def _per_method(dataset: str, score: str, values: pd.Series, sub: pd.DataFrame, numbers: dict) -> list[dict]:
    """Per method of one (data set, score): models, median, share above the best unsupervised median, IQR."""
    out = []
    best = float(numbers["best_unsup_median"])
    for method in C.methods(sub):
        mask = (sub["method"].astype(str) == method) & values.notna()
        if not mask.any():
            continue
        v = values[mask]
        iqr, seeds = seed_spread(pd.DataFrame({"value": v, "config": sub.loc[mask, "config"]}))
        out.append(
            {
                "dataset": dataset,
                "score": C.label(score),
                "group": sub.loc[mask, "group"].iloc[0],
                "method": C.method_label(method),
                "models": int(mask.sum()),
                "configs": int(sub.loc[mask, "config"].nunique()),
                "min_seeds": seeds,
                "median": float(v.median()),
                "above_best_unsup_fraction": float((v > best).mean()),
                "median_iqr": iqr,
            }
        )
    return out


def finding(dataset: str, table: pd.DataFrame) -> str:
    """One sentence stating the numbers of one data set (the rows of ``analyse``'s table for it)."""
    weak, unsup = int(table["weak_models"].max()), int(table["unsup_models"].max())
    above = "; ".join(
        f"{r.score} {r.weak_above} of {r.weak_models} ({100 * r.weak_above_fraction:.0f} %)"
        for r in table.itertuples()
    )
    spread = "; ".join(
        f"{r.score} {_fmt(r.weak_median_iqr)} vs {_fmt(r.unsup_median_iqr)}" for r in table.itertuples()
    )
    seeds_weak, seeds_unsup = int(table["weak_min_seeds"].min()), int(table["unsup_min_seeds"].min())
    sentence = (
        f"{dataset}: of {weak} weakly-supervised models ({int(table['weak_configs'].max())} configurations, "
        f"at least {seeds_weak} seeds each), the number scoring above the best median over seeds of the "
        f"{int(table['unsup_configs'].max())} unsupervised configurations ({unsup} models, at least "
        f"{seeds_unsup} seeds each) is {above}; the median IQR across seeds, weakly supervised vs "
        f"unsupervised, is {spread}."
    )
    if min(weak, unsup) < MIN_GROUP_MODELS or min(seeds_weak, seeds_unsup) < MIN_SEEDS:
        sentence += (
            f" The groups are small (fewer than {MIN_GROUP_MODELS} models or {MIN_SEEDS} seeds per "
            "configuration), so these numbers are only indicative."
        )
    return sentence


def _fmt(value: float) -> str:
    """Three significant digits, so that small spreads (SAP's) stay distinguishable."""
    return "–" if not np.isfinite(value) else f"{value:.3g}"


def plot(section: Section, out_dir: Path) -> list[Path]:
    """Per data set: one panel per score, violins and points per method, the unsupervised methods
    first, the weakly-supervised ones in another colour, the best unsupervised median as a line."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from disentbench.reports.plotting import finish, grid, save, violins

    rows, summary = section.data.get("rows"), section.data.get("summary")
    if rows is None or summary is None:
        return []
    scores = section.data["scores"]
    written = []
    for i, dataset in enumerate(C.datasets(rows)):
        sub = rows[rows["dataset"].astype(str) == dataset]
        group_of = sub.groupby("method", sort=False)["group"].first()
        methods = [m for g in (UNSUPERVISED, WEAK) for m in C.methods(sub) if group_of[m] == g]
        values = C.numeric(sub, scores)
        best = summary[summary["dataset"] == dataset].set_index("score")["best_unsup_median"]
        panel_scores = [s for s in scores if C.label(s) in best.index]
        fig, axes = grid(len(panel_scores), ncols=3, size=(5.2, 3.8))
        rng = np.random.default_rng(0)  # jitter of the points only
        for ax, score in zip(axes, panel_scores, strict=True):
            groups_ = [(C.method_label(m), values.loc[sub["method"] == m, score].to_numpy()) for m in methods]
            violins(ax, groups_, color=[COLOURS[group_of[m]] for m in methods])
            for pos, (_, v) in enumerate(groups_):
                v = v[np.isfinite(v)]
                ax.scatter(
                    pos + rng.uniform(-0.12, 0.12, v.size), v, s=6, color="#303030", alpha=0.6, zorder=3
                )
            n_unsup = sum(group_of[m] == UNSUPERVISED for m in methods)
            ax.axvline(n_unsup - 0.5, color="#808080", linestyle=":", linewidth=1)
            ax.axhline(best[C.label(score)], color="#c0392b", linestyle="--", linewidth=1)
            ax.set_title(C.label(score), fontsize=11)
            ax.tick_params(axis="x", labelrotation=40, labelsize=9)
            plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
            ax.tick_params(axis="y", labelsize=9)
        handles = [
            Patch(facecolor=COLOURS[UNSUPERVISED], edgecolor="#404040", label=UNSUPERVISED),
            Patch(facecolor=COLOURS[WEAK], edgecolor="#404040", label=WEAK),
            Line2D([], [], color="#c0392b", linestyle="--", label="best unsupervised median"),
        ]
        finish(fig, f"{dataset}: unsupervised vs weakly-supervised models (mean representation, all seeds)")
        height = fig.get_size_inches()[1]
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.6 / height))  # room for the legend under the title
        fig.legend(
            handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.3 / height), ncol=3, fontsize=9
        )
        written.append(save(fig, out_dir / f"weak_vs_unsupervised_{i}_{file_part(dataset)}.png"))
    section.figures.extend(written)
    return written
