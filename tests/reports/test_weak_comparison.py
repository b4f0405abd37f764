"""The weakly-supervised vs unsupervised section: its numbers by hand, when it appears, no pooling
of cohorts, and the report built from a results directory of records."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from disentbench.cli import main
from disentbench.reports import columns as C
from disentbench.reports import weak_vs_unsupervised as W
from disentbench.reports.pipeline import run_analyses
from disentbench.reports.synthetic import synthetic_table
from disentbench.results import load
from disentbench.results.records import new_record, write_record

MIG = "mig.discrete_mig"

#: (method, strength, k, MIG per seed): two unsupervised configurations, three weak ones; the two
#: Ada-GVAE configurations differ only by k. Values are exact in binary, so ties are exact.
HAND_MADE = (
    ("beta_vae", 1.0, None, (0.125, 0.25, 0.375, 0.5)),
    ("beta_vae", 2.0, None, (0.5, 0.5, 0.75, 0.75)),
    ("ada_gvae", 1.0, 1, (0.5, 0.625, 0.75, 0.875)),
    ("ada_gvae", 1.0, -1, (0.875, 0.9375, 1.0)),
    ("gvae", 2.0, 1, (0.25,)),
)


def _hand_made_table() -> pd.DataFrame:
    rows = []
    for method, strength, k, values in HAND_MADE:
        for seed, value in enumerate(values):
            base = {"trial_id": f"{method}-{strength}-{k}-{seed}", "status": "completed",
                    "dataset": "dsprites_full", "method": method, "hyperparameter": "beta",
                    "strength": strength, "seed": seed, "param.k": k, "data_source": "official",
                    "sklearn_semantics": "modern"}  # fmt: skip
            rows.append({**base, "representation": "mean", MIG: value})
            rows.append({**base, "representation": "sampled", MIG: 0.0})  # never read: mean only
    # A model in neither group (an external encoder) scoring above everything: left out.
    rows.append({"trial_id": "ext", "status": "completed", "dataset": "dsprites_full", "method": "external",
                 "strength": np.nan, "seed": 0, "representation": "mean", MIG: 2.0,
                 "data_source": "official", "sklearn_semantics": "modern"})  # fmt: skip
    return pd.DataFrame(rows)


def test_fraction_and_iqr_by_hand() -> None:
    section = W.analyse(C.with_cohorts(_hand_made_table()))
    (row,) = section.csv_files[W.CSV_NAME].to_dict("records")
    # Unsupervised medians over seeds: β=1: (0.25 + 0.375)/2 = 0.3125; β=2: (0.5 + 0.75)/2 = 0.625.
    assert row["best_unsup_median"] == 0.625 and row["best_unsup_config"] == "β-VAE beta=2"
    # Weak models strictly above 0.625: 0.75, 0.875 (k=1; 0.625 ties, not above) and all three k=−1.
    assert (row["weak_above"], row["weak_models"]) == (5, 8)
    assert row["weak_above_fraction"] == pytest.approx(5 / 8)
    # Quartiles by linear interpolation at positions (n − 1)·q of the sorted values:
    # β=1: q1 = 0.125 + 0.75·0.125 = 0.21875, q3 = 0.375 + 0.25·0.125 = 0.40625, IQR 0.1875;
    # β=2: q1 = 0.5, q3 = 0.75, IQR 0.25; median of the two: 0.21875.
    assert row["unsup_median_iqr"] == pytest.approx(0.21875)
    # k=1: q1 = 0.5 + 0.75·0.125 = 0.59375, q3 = 0.75 + 0.25·0.125 = 0.78125, IQR 0.1875;
    # k=−1: q1 = 0.90625, q3 = 0.96875, IQR 0.0625; GVAE's single seed has no IQR; median 0.125.
    assert row["weak_median_iqr"] == pytest.approx(0.125)
    assert (row["unsup_configs"], row["weak_configs"]) == (2, 3)
    assert (row["unsup_min_seeds"], row["weak_min_seeds"]) == (4, 1)
    (statement,) = section.statements
    assert "MIG 5 of 8 (62 %)" in statement and "0.125 vs 0.219" in statement
    assert "only indicative" in statement  # 4 unsupervised models, one seed for GVAE


def _both_groups(data_source: str = "rendered", random_seed: int = 0, **kwargs) -> pd.DataFrame:
    grid = {"datasets": 1, "methods": 2, "strengths": 2, "seeds": 3, "weak_methods": 2, **kwargs}
    return synthetic_table(**grid, data_source=data_source, random_seed=random_seed)


@pytest.mark.parametrize(("methods", "weak_methods", "shown"), [(2, 2, True), (2, 0, False), (0, 2, False)])
def test_section_only_when_both_groups_exist(methods: int, weak_methods: int, shown: bool) -> None:
    sections = run_analyses(_both_groups(methods=methods, weak_methods=weak_methods), draws=50)
    assert ("weak_vs_unsupervised" in sections) is shown
    if shown:
        section = sections["weak_vs_unsupervised"]
        assert len(section.tables) == 2 and section.statements and not section.figures


def test_cohorts_are_not_pooled() -> None:
    official = _both_groups("official", random_seed=1, weak_methods=0)  # unsupervised only
    stand_in = _both_groups("rendered", random_seed=2)
    rendered_unsup = C.representation(stand_in[~stand_in["method"].isin(["gvae", "ml_vae"])])
    section = run_analyses(pd.concat([official, stand_in], ignore_index=True), draws=50)[
        "weak_vs_unsupervised"
    ]
    table = section.csv_files[W.CSV_NAME]
    assert set(table["dataset"]) == {"dsprites_full (stand-in)"}
    assert (table["unsup_models"] == len(rendered_unsup)).all()  # the official models are not counted
    best = rendered_unsup.groupby(["method", "strength"])[MIG].median().max()
    assert table.set_index("score").loc["MIG", "best_unsup_median"] == pytest.approx(best)
    assert any(n.startswith("dsprites_full: only unsupervised models") for n in section.notes)

    # Weak models only in one cohort and unsupervised only in the other: nothing is compared.
    weak_only = _both_groups("rendered", random_seed=3, methods=0)
    section = run_analyses(pd.concat([official, weak_only], ignore_index=True), draws=50)
    section = section["weak_vs_unsupervised"]
    assert not section.tables and not section.csv_files
    assert any("never compared" in n for n in section.notes)


def _write_records(table: pd.DataFrame, results: Path) -> None:
    """One record per model of a synthetic table, as ``disentbench run`` writes them."""
    score_columns = [c for c in table.columns if "." in c and not c.startswith(("train.", "param."))]
    for trial_id, rows in table.groupby("trial_id", sort=False):
        first = rows.iloc[0]
        weak = "param.k" in rows and pd.notna(first["param.k"])
        params = {
            first["hyperparameter"]: float(first["strength"]),
            **({"k": int(first["param.k"])} if weak else {}),
        }
        spec = {"dataset": first["dataset"], "method": first["method"],
                "hyperparameter": first["hyperparameter"], "strength": float(first["strength"]),
                "params": params, "seed": int(first["seed"]),
                "preset": "paper", "sklearn_semantics": first["sklearn_semantics"],
                "representations": list(rows["representation"]), "swept": ["k"] if weak else []}  # fmt: skip
        record = new_record(spec, str(trial_id), None, "weak-test")
        record.update(status="completed", data={"source": first["data_source"]})
        record["train_results"] = {
            c.removeprefix("train."): float(first[c]) for c in rows if c.startswith("train.")
        }
        record["scores"] = {
            row["representation"]: {c: _json_value(row[c]) for c in score_columns if pd.notna(row[c])}
            for _, row in rows.iterrows()
        }
        write_record(results, record)


def _json_value(value: object) -> object:
    return value if isinstance(value, str) else float(value)


def test_report_from_records_shows_the_comparison(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    _write_records(_both_groups(), results)
    assert load(results)["param.k"].notna().sum() == 2 * 2 * 2 * 3 * 2  # weak models × 2 representations
    assert main(["report", str(results), "--draws", "200"]) == 0
    html_path = Path(capsys.readouterr().out.strip())
    html = html_path.read_text(encoding="utf-8")
    assert "id='weak_vs_unsupervised'" in html
    (png,) = html_path.parent.glob("weak_vs_unsupervised_*.png")
    assert base64.b64encode(png.read_bytes()).decode("ascii") in html
    table = pd.read_csv(html_path.parent / W.CSV_NAME)
    assert len(table) == 6  # the six paper scores on one data set
    assert (table["weak_configs"] == 8).all()  # 2 methods × 2 strengths × 2 values of k, never pooled
    assert (table["weak_models"] == 24).all() and (table["unsup_models"] == 12).all()


def test_paper_analyses_see_only_the_unsupervised_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 2019 analyses describe unsupervised models; weak ones appear only in their own section."""
    from disentbench.reports import pipeline

    seen: dict[str, set[str]] = {}
    for module in pipeline.ANALYSES:
        name = module.__name__.rsplit(".", 1)[-1]
        original = module.analyse

        def spy(rows, *args, _name=name, _original=original, **kwargs):
            seen[_name] = set(rows["method"].astype(str))
            return _original(rows, *args, **kwargs)

        monkeypatch.setattr(module, "analyse", spy)
    run_analyses(_both_groups(), draws=50)
    assert seen["weak_vs_unsupervised"] == {"beta_vae", "factor_vae", "gvae", "ml_vae"}
    for name in (
        "agreement",
        "mean_vs_sampled",
        "drivers",
        "unsupervised_selection",
        "transfer",
        "downstream",
    ):
        assert seen[name] == {"beta_vae", "factor_vae"}, name
