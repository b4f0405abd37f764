"""The HTML report shows the traversals of the best, median and worst model by each score.

The "models" are the hand-made generators of ``_generators`` (their traversals are known by
construction); their controllability is measured, their MIG values are planted in reverse order
so the two scores pick different models.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from _generators import QuantisedGenerator
from scipy.stats import ortho_group

from disentbench.cli import main
from disentbench.inspection.axes import fit_axes, labelled_codes
from disentbench.inspection.controllability import controllability
from disentbench.inspection.trial_outputs import traversal_images
from disentbench.reports.traversals import html_section
from disentbench.results import load
from disentbench.results.records import new_record, write_record

D = 10


def _generators(data):
    mixing = np.ones((D, D)) / np.sqrt(D) + 0.05 * np.random.RandomState(4).standard_normal((D, D))
    return {
        "identity": QuantisedGenerator(data, D),
        "rotated": QuantisedGenerator(data, D, rotation=ortho_group.rvs(D, random_state=3)),
        "entangled": QuantisedGenerator(data, D, rotation=mixing),
        "constant": QuantisedGenerator(data, D, constant=True),
    }


@pytest.fixture(scope="module")
def results_dir(reduced_dsprites, lookup_classifier, tmp_path_factory):
    results = tmp_path_factory.mktemp("tiny_results")
    for seed, (name, generator) in enumerate(_generators(reduced_dsprites).items()):
        z, labels = labelled_codes(generator, lookup_classifier, reduced_dsprites, D, num=1500, seed=1)
        axes = fit_axes(z, labels, reduced_dsprites.factor_names, reduced_dsprites.factors_num_values)
        scores = controllability(generator, lookup_classifier, axes, D, num_codes=150, seed=2)
        scores["mig.discrete_mig"] = 0.1 * (seed + 1)  # planted: the reverse of the generators' order
        spec = {
            "dataset": "dsprites_full", "method": "beta_vae", "hyperparameter": "beta",
            "strength": 1.0, "params": {"beta": 1.0}, "seed": seed, "representations": ["mean"],
        }  # fmt: skip
        record = new_record(spec, f"dsprites_full.beta_vae.1.s{seed}.{name}", None, "tiny")
        record.update(status="completed", data={"source": "rendered"}, scores={"mean": scores})
        record["images"] = traversal_images(generator, reduced_dsprites)
        write_record(results, record)
    return results


def test_section_picks_best_median_and_worst_per_score(results_dir):
    df = load(results_dir)
    by_id = df.set_index("trial_id")["controllability.score"]
    assert by_id.filter(like="identity").iloc[0] > 0.9 > 0.5 > by_id.filter(like="entangled").iloc[0]
    html = html_section(df, results_dir)
    sections = dict(re.findall(r"<summary>by ([^<]+)</summary>(.*?)</details>", html, flags=re.S))
    assert set(sections) == {"MIG", "Controllability"}
    captions = {
        k: re.findall(r"<figcaption class='note'>([^<]+)</figcaption>", v) for k, v in sections.items()
    }
    # MIG was planted in reverse: best = seed 3, worst = seed 0; median of four = the 2nd best, seed 2.
    assert [c.split(":")[0] for c in captions["MIG"]] == ["best", "median", "worst"]
    assert (
        "seed 3" in captions["MIG"][0] and "seed 0" in captions["MIG"][2] and "seed 2" in captions["MIG"][1]
    )
    assert "seed 3" in captions["Controllability"][2]  # the constant decoder is the worst
    assert html.count("src='data:image/png;base64,") == 6


def test_report_without_pictures_says_how_to_get_them(results_dir):
    df = load(results_dir)
    assert "save_traversals: true" in html_section(df, "")


@pytest.mark.slow
def test_html_report_embeds_the_traversals(results_dir, tmp_path):
    assert main(["report", str(results_dir), "--out", str(tmp_path / "report"), "--draws", "50"]) == 0
    html = (tmp_path / "report" / "report.html").read_text()
    assert "Traversals of the best, median and worst models" in html
    assert "best: β-VAE beta=1, seed 3 — MIG 0.400" in html
