"""What drives the scores: method, hyper-parameter or random seed (docs/reference/analyses.md §3(c)).

The paper's Fig. 3 shows the FactorVAE score by method and, for one method, by regularisation
strength (violins over seeds); claim c4 is that the hyper-parameter and the seed matter more than
the objective. Besides the distributions, each score's variance over the models of a data set is
split exactly (nested sums of squares, a one-way-within-one-way ANOVA identity) into

* ``method``: between the method means,
* ``hyperparameter``: between the (method, strength) means within each method,
* ``seed``: between the models of one (method, strength) setting,

whose shares add up to one. Computed on the mean representation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section
from disentbench.results.ids import file_part

TITLE = "What drives the scores"

#: The score of the paper's Fig. 3, used for the by-strength panels when present.
PRIMARY_SCORE = "factor_vae.eval_accuracy"


def variance_shares(values: pd.Series, method: pd.Series, setting: pd.Series) -> dict[str, float]:
    """Shares of the total sum of squares of ``values`` due to method, setting-within-method and seed.

    ``setting`` identifies the (method, strength) cell of each value. Returns the three shares
    (NaN when the values are constant) and the raw sums of squares.
    """
    frame = pd.DataFrame({"y": values.to_numpy(float), "m": method.to_numpy(), "s": setting.to_numpy()})
    grand = frame["y"].mean()
    m_mean = frame.groupby("m")["y"].transform("mean")
    s_mean = frame.groupby("s")["y"].transform("mean")
    ss_total = float(((frame["y"] - grand) ** 2).sum())
    ss_method = float(((m_mean - grand) ** 2).sum())
    ss_hp = float(((s_mean - m_mean) ** 2).sum())
    ss_seed = float(((frame["y"] - s_mean) ** 2).sum())
    if ss_total <= 0.0:
        shares = {"method": np.nan, "hyperparameter": np.nan, "seed": np.nan}
    else:
        shares = {
            "method": ss_method / ss_total,
            "hyperparameter": ss_hp / ss_total,
            "seed": ss_seed / ss_total,
        }
    return {**shares, "ss_total": ss_total}


def analyse(df: pd.DataFrame) -> Section:
    """Variance decomposition per (data set, score) and the data for the distribution plots."""
    section = Section(
        key="drivers",
        title=TITLE,
        description="Score distributions by method and by hyper-parameter, and a variance "
        "decomposition of each score into method, hyper-parameter-within-method and "
        "seed-within-setting shares (docs/reference/analyses.md §3(c), the paper's Fig. 3 and claim c4).",
    )
    if lack := C.lacking(df, C.SETTING_COLUMNS, "cannot split by them"):
        section.note(lack)
        return section
    rows = C.representation(df, "mean")
    scores = C.disentanglement_scores(rows)
    if not scores:
        section.note("No disentanglement scores on the mean representation: nothing to decompose.")
        return section
    records = []
    for dataset in C.datasets(rows):
        sub = rows[rows["dataset"].astype(str) == dataset]
        values = C.numeric(sub, scores)
        setting = sub["method"].astype(str) + "@" + sub["strength"].astype(str)
        n_methods = sub["method"].nunique()
        n_settings = setting.nunique()
        for score in scores:
            ok = values[score].notna()
            if ok.sum() < 2:
                continue
            y, m, s = values.loc[ok, score], sub.loc[ok, "method"].astype(str), setting[ok]
            shares = variance_shares(y, m, s)
            per_setting = y.groupby(s).quantile([0.25, 0.75]).unstack()
            within_iqr = float((per_setting[0.75] - per_setting[0.25]).median())
            method_medians = y.groupby(m).median()
            records.append(
                {
                    "dataset": dataset,
                    "score": C.label(score),
                    "share_method": shares["method"],
                    "share_hyperparameter": shares["hyperparameter"],
                    "share_seed": shares["seed"],
                    "median_within_setting_iqr": within_iqr,
                    "range_of_method_medians": float(method_medians.max() - method_medians.min()),
                    "n_methods": int(m.nunique()),
                    "n_settings": int(s.nunique()),
                    "n_models": int(ok.sum()),
                }
            )
        if n_methods < 2:
            section.note(f"{dataset}: a single method, so the method share is zero by construction.")
        if n_settings == len(sub):
            section.note(f"{dataset}: one model per setting, so the seed share cannot be estimated.")
    decomposition = pd.DataFrame(records)
    if decomposition.empty:
        section.note("Too few models to decompose any score.")
        return section
    section.tables["Variance decomposition (shares of the total sum of squares, mean representation)"] = (
        decomposition
    )
    section.data["decomposition"] = decomposition
    section.data["rows"] = rows
    section.data["scores"] = scores
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """Per data set: violins by method (one panel per score) and by strength (one panel per method);
    and one stacked-bar chart of the variance shares."""
    from disentbench.reports.plotting import finish, grid, save, violins

    rows = section.data.get("rows")
    if rows is None:
        return []
    scores = section.data["scores"]
    written = []
    primary = PRIMARY_SCORE if PRIMARY_SCORE in scores else scores[0]
    for i, dataset in enumerate(C.datasets(rows)):
        sub = rows[rows["dataset"].astype(str) == dataset]
        methods = C.methods(sub)
        values = C.numeric(sub, scores)
        method_of = sub["method"].astype(str)
        fig, axes = grid(len(scores), ncols=3, size=(4.2, 3.0))
        for ax, score in zip(axes, scores, strict=True):
            groups = [(C.method_label(m), values.loc[method_of == m, score].to_numpy()) for m in methods]
            violins(ax, groups, color="#9ecae1")
            ax.set_title(C.label(score), fontsize=9)
            ax.tick_params(axis="x", labelrotation=35, labelsize=7)
            ax.tick_params(axis="y", labelsize=7)
        finish(fig, f"{dataset}: scores by method (mean representation, all seeds)")
        written.append(save(fig, out_dir / f"scores_by_method_{i}_{file_part(dataset)}.png"))

        fig, axes = grid(len(methods), ncols=3, size=(3.6, 2.8))
        for ax, method in zip(axes, methods, strict=True):
            mask = method_of == method
            strengths = sorted(set(sub.loc[mask, "strength"].astype(float)))
            groups = [
                (f"{s:g}", values.loc[mask & (sub["strength"].astype(float) == s), primary].to_numpy())
                for s in strengths
            ]
            violins(ax, groups, color="#a1d99b")
            hp = (
                str(sub.loc[mask, "hyperparameter"].iloc[0])
                if "hyperparameter" in sub.columns
                else "strength"
            )
            ax.set_title(C.method_label(method), fontsize=9)
            ax.set_xlabel(hp, fontsize=8)
            ax.set_ylabel(C.label(primary), fontsize=8)
            ax.tick_params(labelsize=7)
        finish(fig, f"{dataset}: {C.label(primary)} by regularisation strength")
        written.append(save(fig, out_dir / f"scores_by_strength_{i}_{file_part(dataset)}.png"))

    dec = section.data["decomposition"]
    names = list(dict.fromkeys(dec["dataset"]))
    fig, axes = grid(len(names), ncols=4, size=(3.8, 3.0))
    for ax, dataset in zip(axes, names, strict=True):
        d = dec[dec["dataset"] == dataset].set_index("score")
        d[["share_method", "share_hyperparameter", "share_seed"]].plot.bar(
            stacked=True, ax=ax, width=0.8, color=["#3182bd", "#31a354", "#fd8d3c"], legend=False
        )
        ax.set_ylim(0, 1)
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
    axes[0].legend(["method", "hyper-parameter", "seed"], fontsize=7)
    finish(fig, "Share of each score's variance")
    written.append(save(fig, out_dir / "variance_decomposition.png"))
    section.figures.extend(written)
    return written
