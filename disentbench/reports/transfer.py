"""Transfer of a hyper-parameter choice vs random model selection: the paper's Table 1
(docs/reference/analyses.md §3(e)).

One Monte-Carlo draw (per cell of the 2 × 2 table):

1. Draw a source data set, a source disentanglement score and a seed ``r`` uniformly.
2. Among the models of that data set with seed ``r``, pick the setting (method, strength) with
   the best source score; ties among the best are broken uniformly at random.
3. Draw the target: the same data set or a uniformly drawn *different* one, the same score or a
   uniformly drawn different one, and a seed ``r'`` ≠ ``r``.
4. On the target data set and score, compare the chosen setting's model with seed ``r'`` against
   the model with seed ``r'`` of a uniformly drawn setting ("random model selection").

**Tie rule**: a tie (equal target scores, which includes the random draw hitting the chosen
setting) counts as half a win, so pure noise gives 50 % and a setting that is best everywhere
gives 100 % − 1/(2·settings). The strict win rate and the tie rate are reported beside it.
Draws whose models are missing are redrawn. Scores are those of the mean representation; the
score set is the paper's six where present. 10,000 draws per cell, as in the paper; the draws
come from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from disentbench.reports import columns as C
from disentbench.reports.section import Section

TITLE = "Transfer vs random model selection"
TIE_RULE = (
    "Ties (equal target scores, including the random model having the chosen setting) count as half "
    "a win, so chance is 50 %."
)

#: The paper's Table 1 as quoted in docs/reference/analyses.md §3(e) ([S] numbers; the
#: other-metric/same-data-set cell was not available, so it is left empty).
REFERENCE = {
    ("same", "same"): 80.7,
    ("same", "different"): 59.9,
    ("different", "same"): np.nan,
    ("different", "different"): 54.9,
}


@dataclass
class ScoreCube:
    """Scores as an array ``(data set, score, setting, seed)`` with NaN for missing models."""

    values: np.ndarray
    datasets: list[str]
    scores: list[str]
    settings: list[str]
    seeds: list[object]


def score_cube(df: pd.DataFrame, scores: list[str]) -> ScoreCube:
    """Arrange the mean-representation scores of ``df`` into a :class:`ScoreCube`."""
    rows = C.representation(df, "mean").dropna(subset=["dataset", "method", "strength", "seed"])
    rows = rows.assign(_setting=rows["method"].astype(str) + " @ " + rows["strength"].astype(str))
    names = C.datasets(rows)
    settings = list(dict.fromkeys(rows["_setting"]))
    seeds = sorted(set(rows["seed"].tolist()), key=str)
    values = np.full((len(names), len(scores), len(settings), len(seeds)), np.nan)
    d_idx = rows["dataset"].astype(str).map({n: i for i, n in enumerate(names)}).to_numpy()
    s_idx = rows["_setting"].map({n: i for i, n in enumerate(settings)}).to_numpy()
    r_idx = rows["seed"].map({n: i for i, n in enumerate(seeds)}).to_numpy()
    numeric = C.numeric(rows, scores).to_numpy()
    for k in range(len(scores)):
        values[d_idx, k, s_idx, r_idx] = numeric[:, k]
    return ScoreCube(values, names, scores, settings, seeds)


def simulate(
    cube: ScoreCube, same_score: bool, same_dataset: bool, draws: int = 10_000, seed: int = 0
) -> dict[str, float]:
    """Run the protocol for one cell; returns the win probability (ties half), strict wins, ties.

    Returns NaN rates (and ``n_draws`` 0) when the cell cannot be drawn: fewer than two seeds or
    settings, or a "different" target with a single data set or score.
    """
    nd, nk, ns, nr = cube.values.shape
    empty = {"p_outperform": np.nan, "p_win": np.nan, "p_tie": np.nan, "n_draws": 0}
    if nr < 2 or ns < 2 or (not same_dataset and nd < 2) or (not same_score and nk < 2):
        return empty
    rng = np.random.default_rng(seed)
    wins, ties, kept = [], [], 0
    for _ in range(50):  # rejection batches; a complete grid needs exactly one
        n = draws
        d_s = rng.integers(nd, size=n)
        k_s = rng.integers(nk, size=n)
        r_s = rng.integers(nr, size=n)
        d_t = d_s if same_dataset else (d_s + 1 + rng.integers(nd - 1, size=n)) % nd
        k_t = k_s if same_score else (k_s + 1 + rng.integers(nk - 1, size=n)) % nk
        r_t = (r_s + 1 + rng.integers(nr - 1, size=n)) % nr
        source = cube.values[d_s, k_s, :, r_s]  # (n, settings)
        valid = np.isfinite(source).any(axis=1)
        filled = np.where(np.isfinite(source), source, -np.inf)
        best = filled == filled.max(axis=1, keepdims=True)
        key = np.where(best, rng.random(best.shape), -1.0)
        chosen = key.argmax(axis=1)
        other = rng.integers(ns, size=n)
        transfer = cube.values[d_t, k_t, chosen, r_t]
        random_pick = cube.values[d_t, k_t, other, r_t]
        valid &= np.isfinite(transfer) & np.isfinite(random_pick)
        wins.append((transfer > random_pick)[valid])
        ties.append((transfer == random_pick)[valid])
        kept += int(valid.sum())
        if kept >= draws:
            break
    if kept == 0:
        return empty
    win = np.concatenate(wins)[:draws]
    tie = np.concatenate(ties)[:draws]
    return {
        "p_outperform": float(win.mean() + 0.5 * tie.mean()),
        "p_win": float(win.mean()),
        "p_tie": float(tie.mean()),
        "n_draws": len(win),
    }


def analyse(df: pd.DataFrame, draws: int = 10_000, seed: int = 0) -> Section:
    """The 2 × 2 table (same/different score × same/different data set)."""
    section = Section(
        key="transfer",
        title=TITLE,
        description="Probability that a setting chosen by one score on one seed beats a randomly "
        "selected setting on a different seed, for the same or a different score and data set "
        f"(docs/reference/analyses.md §3(e), the paper's Table 1; {draws:,} Monte-Carlo draws per cell).",
    )
    section.note(TIE_RULE)
    if lack := C.lacking(df, (*C.SETTING_COLUMNS, "seed"), "the protocol needs them"):
        section.note(lack)
        return section
    rows = C.representation(df, "mean")
    paper = C.present(rows, C.PAPER_SCORES)
    scores = paper or C.disentanglement_scores(rows)
    if not scores:
        section.note("No disentanglement scores on the mean representation: nothing to select with.")
        return section
    cube = score_cube(df, scores)
    records = []
    for i, (same_score, same_dataset) in enumerate(
        [(True, True), (True, False), (False, True), (False, False)]
    ):
        result = simulate(cube, same_score, same_dataset, draws=draws, seed=seed + i)
        cell = ("same" if same_score else "different", "same" if same_dataset else "different")
        records.append(
            {
                "score": cell[0],
                "dataset": cell[1],
                "p_outperform_pct": 100 * result["p_outperform"],
                "p_win_strict_pct": 100 * result["p_win"],
                "p_tie_pct": 100 * result["p_tie"],
                "n_draws": result["n_draws"],
                "paper_pct": REFERENCE[cell],
            }
        )
    table = pd.DataFrame(records)
    shape = cube.values.shape
    section.tables["Probability of outperforming random model selection on a different seed"] = table
    section.data.update(
        table=table,
        n_datasets=shape[0],
        n_scores=shape[1],
        n_settings=shape[2],
        n_seeds=shape[3],
        datasets=cube.datasets,
    )
    section.note(
        f"Drawn over {shape[0]} data set(s) ({', '.join(cube.datasets)}), {shape[1]} score(s) "
        f"({', '.join(C.label(s) for s in scores)}), {shape[2]} setting(s) and {shape[3]} seed(s)."
    )
    if shape[3] < 2:
        section.note("Fewer than two seeds: the protocol (a different seed at the target) cannot run.")
    if shape[0] < 2:
        section.note("A single data set: the different-data-set cells are empty.")
    if shape[1] < 2:
        section.note("A single score: the different-score cells are empty.")
    return section


def plot(section: Section, out_dir: Path) -> list[Path]:
    """The 2 × 2 table as an annotated heatmap (percent)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from disentbench.reports.plotting import save

    table = section.data.get("table")
    if table is None or table["n_draws"].sum() == 0:
        return []
    grid = table.pivot(index="score", columns="dataset", values="p_outperform_pct").loc[
        ["same", "different"], ["same", "different"]
    ]
    fig, ax = plt.subplots(figsize=(3.8, 3.0))
    sns.heatmap(grid, annot=True, fmt=".1f", vmin=40, vmax=100, cmap="viridis", cbar=False, ax=ax)
    ax.set_xlabel("data set at the target")
    ax.set_ylabel("score at the target")
    stand_in = any(C.is_stand_in(d) for d in section.data.get("datasets", []))
    ax.set_title(
        "P(beats random selection) %" + ("\n(includes stand-in data)" if stand_in else ""), fontsize=9
    )
    fig.tight_layout()
    path = save(fig, out_dir / "transfer.png")
    section.figures.append(path)
    return [path]
