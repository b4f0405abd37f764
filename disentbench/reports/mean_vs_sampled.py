"""Mean vs sampled representation: total correlation against regularisation strength
(docs/reference/analyses.md §3(b)).

The paper's Fig. 1 plots the Gaussian total correlation (TC) of the sampled and of the mean
representation against each method's regularisation strength. Claim c3: regularisation lowers
the TC of the sampled representation but not of the mean one, which rather rises (DIP-VAE-I the
exception). The tables give, per (data set, method, strength, representation), the mean TC with a
normal-approximation 95 % interval over seeds, and per (data set, method, representation) the
Spearman ρ between regularisation order and TC over models: ρ < 0 means TC falls as
regularisation rises.

Regularisation order is the rank of the strength within its method; for AnnealedVAE the order is
reversed, since a larger capacity ``c_max`` weakens its regulariser (reports.columns).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section

TITLE = "Mean vs sampled representation"


def regularisation_order(df: pd.DataFrame) -> pd.Series:
    """Rank (1 = weakest) of each row's strength within its method, AnnealedVAE reversed."""
    rank = df.groupby("method", observed=True)["strength"].rank(method="dense")
    top = rank.groupby(df["method"], observed=True).transform("max")
    reversed_ = df["method"].astype(str).isin(C.REVERSED_STRENGTH)
    return rank.where(~reversed_, top + 1 - rank)


def analyse(df: pd.DataFrame) -> Section:
    """TC of both representations per (data set, method, strength), and its trend per method."""
    section = Section(
        key="mean_vs_sampled",
        title=TITLE,
        description="Gaussian total correlation of the mean and the sampled representation against "
        "regularisation strength, per method (docs/reference/analyses.md §3(b), the paper's Fig. 1 and claim "
        "c3).",
    )
    if lack := C.lacking(df, (*C.SETTING_COLUMNS, "representation"), "cannot split by them"):
        section.note(lack)
        return section
    rows = C.completed(df)
    if not C.present(rows, [C.TC_COLUMN]):
        section.note(f"No `{C.TC_COLUMN}` scores in the table: the total-correlation analysis is skipped.")
        return section
    rows = rows[["dataset", "method", "strength", "representation", C.TC_COLUMN]].copy()
    rows["tc"] = C.numeric(rows, [C.TC_COLUMN])[C.TC_COLUMN]
    rows = rows.dropna(subset=["tc", "strength"])
    rows["reg_order"] = regularisation_order(rows)
    kinds = sorted(set(rows["representation"].astype(str)))
    if not {"mean", "sampled"} <= set(kinds):
        section.note(
            "Only the " + ", ".join(kinds) + " representation is present; the mean-vs-sampled "
            "contrast needs both."
        )

    grouped = rows.groupby(["dataset", "method", "strength", "reg_order", "representation"], observed=True)
    summary = grouped["tc"].agg(["mean", "std", "count"]).reset_index()
    summary["ci95"] = 1.96 * summary["std"] / np.sqrt(summary["count"])
    summary = summary.rename(columns={"mean": "tc_mean", "std": "tc_sd", "count": "n_models"})
    section.tables["Total correlation per setting (mean over seeds, 95 % interval)"] = summary

    trends = []
    for (dataset, method, kind), sub in rows.groupby(["dataset", "method", "representation"], observed=True):
        rho = np.nan
        if sub["reg_order"].nunique() > 1 and sub["tc"].nunique() > 1:
            rho = float(sub[["reg_order", "tc"]].corr(method="spearman").iloc[0, 1])
        by_order = sub.groupby("reg_order")["tc"].mean()
        trends.append(
            {
                "dataset": dataset,
                "method": method,
                "representation": kind,
                "rho_strength_tc": rho,
                "tc_weakest": float(by_order.iloc[0]),
                "tc_strongest": float(by_order.iloc[-1]),
                "n_strengths": len(by_order),
                "n_models": len(sub),
            }
        )
    trend = pd.DataFrame(trends)
    section.tables["Trend of total correlation with regularisation (Spearman ρ over models)"] = trend
    section.data["summary"] = summary
    section.data["trend"] = trend
    if (trend["n_strengths"] < 2).any():
        section.note("Some methods have a single strength in the table: no trend can be read for them.")
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """Per data set: TC of the sampled (left) and mean (right) representation against strength."""
    from disentbench.reports.plotting import finish, grid, save

    summary = section.data.get("summary")
    if summary is None or summary.empty:
        return []
    names = list(dict.fromkeys(summary["dataset"]))
    kinds = [k for k in ("sampled", "mean") if k in set(summary["representation"])]
    fig, axes = grid(len(names) * len(kinds), ncols=len(kinds) * (2 if len(names) > 1 else 1))
    i = 0
    for dataset in names:
        for kind in kinds:
            ax = axes[i]
            i += 1
            sub = summary[(summary["dataset"] == dataset) & (summary["representation"] == kind)]
            for method, m in sub.groupby("method", sort=False):
                m = m.sort_values("reg_order")
                ax.errorbar(
                    m["reg_order"], m["tc_mean"], yerr=m["ci95"], marker="o", ms=3, capsize=2,
                    label=C.method_label(str(method)),
                )  # fmt: skip
            ax.set_title(f"{dataset}: {kind}", fontsize=9)
            ax.set_xlabel("regularisation strength (rank)", fontsize=8)
            ax.set_ylabel("Gaussian TC", fontsize=8)
            ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=6)
    finish(fig, "Total correlation vs regularisation (95 % intervals over seeds)")
    path = save(fig, out_dir / "tc_mean_vs_sampled.png")
    section.figures.append(path)
    return [path]
