"""The runner trains packs of models with real Ray: the same records as unpacked, per-model losses
that match, a diverged member recorded failed while the rest complete, resume re-packs the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from disentbench.benchmark.runner import RunOptions, run_study
from disentbench.benchmark.study import load_study
from disentbench.results.records import existing_records, record_path

LOSS_KEYS = ("loss", "reconstruction_loss", "kl_loss", "regularizer")


def _study(tmp_path: Path, **resources) -> Path:
    data = {
        "study": "packed",
        "datasets": ["dsprites_full"],
        "methods": {"beta_vae": [1, 4], "factor_vae": [10]},
        "seeds": [0, 1],
        "training": {"steps": 24, "batch_size": 16, "checkpoint_every": 12, "eval_batches": 2},
        "evaluation": {"preset": "smoke", "metrics": ["mig"], "representations": ["mean"]},
        "resources": {"cpus_per_trial": 1, "max_failures": 0, **resources},
    }
    path = tmp_path / "packed.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.slow
def test_packed_run_matches_unpacked(ray_session, dsprites_root, tmp_path):
    path = _study(tmp_path)
    options = RunOptions(data_root=str(dsprites_root))
    solo = run_study(load_study(path), tmp_path / "solo", options)
    packed = run_study(
        load_study(path), tmp_path / "packed", RunOptions(data_root=str(dsprites_root), models_per_trial=3)
    )
    assert solo.exit_code == packed.exit_code == 0
    solo_records = existing_records(tmp_path / "solo")
    packed_records = existing_records(tmp_path / "packed")
    assert len(solo_records) == len(packed_records) == 6
    assert set(solo_records) == set(packed_records)
    packs: dict[str, list[int]] = {}
    for trial_id, record in packed_records.items():
        assert record["status"] == "completed", record["error"]
        assert "pack" not in solo_records[trial_id]
        packs.setdefault(record["pack"]["id"], []).append(record["pack"]["index"])
        assert record["train_config"]["precision"] == "fp32"
        expected, got = solo_records[trial_id]["train_results"], record["train_results"]
        # Packing does not change a model: the same losses and scores, bit for bit, on a CPU.
        assert got["last_train_losses"] == expected["last_train_losses"], trial_id
        for key in LOSS_KEYS:
            assert got[key] == expected[key], (trial_id, key, got[key], expected[key])
        assert 0.0 <= record["scores"]["mean"]["mig.discrete_mig"] <= 1.0
        for representation, scores in solo_records[trial_id]["scores"].items():
            for key, value in scores.items():
                if not key.startswith(("time.", "meta.convergence")):
                    assert record["scores"][representation][key] == value, (trial_id, representation, key)
    # beta_vae: 4 models -> packs of 3 and 1; factor_vae: 2 models -> one pack of 2.
    assert sorted(sorted(v) for v in packs.values()) == [[0], [0, 1], [0, 1, 2]]
    for record in packed_records.values():
        assert record["pack"]["size"] == len(packs[record["pack"]["id"]])


@pytest.mark.slow
def test_diverged_member_fails_alone_and_resume_repacks_the_rest(ray_session, dsprites_root, tmp_path):
    path = _study(tmp_path, models_per_trial=4)
    text = yaml.safe_load(path.read_text())
    text["methods"] = {"beta_vae": [1, 1e300]}  # 1e300 overflows the loss at once
    path.write_text(yaml.safe_dump(text))
    results = tmp_path / "results"
    options = RunOptions(data_root=str(dsprites_root))
    summary = run_study(load_study(path), results, options)
    records = existing_records(results)
    assert (summary.completed, summary.failed) == (2, 2)
    by_strength = {}
    for record in records.values():
        by_strength.setdefault(record["spec"]["strength"], []).append(record)
        assert record["pack"]["size"] == 4
    assert len({r["pack"]["id"] for r in records.values()}) == 1
    assert all(r["status"] == "completed" for r in by_strength[1.0])
    assert all(
        r["status"] == "failed" and r["error"].startswith("TrainingDiverged") for r in by_strength[1e300]
    )

    # Drop one finished record: the next run trains only that model, in a new pack of one.
    lost = by_strength[1.0][0]["trial_id"]
    record_path(results, lost).unlink()
    again = run_study(load_study(path), results, options)
    assert again.ran == 1 and again.completed == 2
    redone = existing_records(results)[lost]
    assert redone["status"] == "completed" and redone["pack"]["size"] == 1
