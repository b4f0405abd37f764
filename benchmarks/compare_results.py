"""Compare two results directories of the same study trial by trial (e.g. packed against unpacked).

    python benchmarks/compare_results.py results/mini_unpacked results/mini_packed

Prints the record counts and statuses, and for the trials in both: how many values differ and the
largest relative difference of the training losses (last interval's means and the training-time
scores) and of every score, with the trial and key where it occurs. Exit status 1 when the sets of completed
trials differ.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

LOSS_KEYS = ("loss", "reconstruction_loss", "kl_loss", "regularizer", "elbo")


def load_records(results: Path) -> dict[str, dict[str, Any]]:
    """``{trial_id: record}`` of ``results/records/*.json``."""
    records = {}
    for path in sorted((results / "records").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        records[record["trial_id"]] = record
    return records


def losses_of(record: dict[str, Any]) -> dict[str, float]:
    """The training losses a record holds: ``last.<key>`` (last log interval) and ``eval.<key>``."""
    train = record.get("train_results") or {}
    out = {f"last.{k}": v for k, v in (train.get("last_train_losses") or {}).items()}
    out.update({f"eval.{k}": train[k] for k in LOSS_KEYS if k in train})
    return out


def scores_of(record: dict[str, Any]) -> dict[str, float]:
    """``{representation.score: value}`` of a record's numeric scores (not the ``time.*`` wall
    seconds kept beside them)."""
    out = {}
    for representation, scores in (record.get("scores") or {}).items():
        for key, value in scores.items():
            if key.startswith("time."):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"{representation}.{key}"] = float(value)
    return out


def relative(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|), 0 for equal values (NaN equal to NaN)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def largest_difference(
    first: dict[str, dict[str, Any]], second: dict[str, dict[str, Any]], values
) -> tuple[float, str, str, int]:
    """``(max relative difference, trial, key, values compared, values that differ)``."""
    worst, where, key_of, count, differing = 0.0, "", "", 0, 0
    for trial in sorted(set(first) & set(second)):
        a, b = values(first[trial]), values(second[trial])
        for key in sorted(set(a) & set(b)):
            count += 1
            diff = relative(float(a[key]), float(b[key]))
            differing += diff > 0
            if diff > worst:
                worst, where, key_of = diff, trial, key
    return worst, where, key_of, count, differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    first, second = load_records(args.first), load_records(args.second)
    for name, records in ((args.first, first), (args.second, second)):
        statuses: dict[str, int] = {}
        for record in records.values():
            statuses[record["status"]] = statuses.get(record["status"], 0) + 1
        packs = {(r.get("pack") or {}).get("id") for r in records.values()} - {None}
        print(f"{name}: {len(records)} records {statuses}, {len(packs)} packs")
    done = {
        name: {t for t, r in recs.items() if r["status"] == "completed"}
        for name, recs in (("a", first), ("b", second))
    }
    only = done["a"] ^ done["b"]
    print(f"completed in both: {len(done['a'] & done['b'])}; completed in only one: {len(only)}")
    for label, values in (("losses", losses_of), ("scores", scores_of)):
        worst, trial, key, count, differing = largest_difference(first, second, values)
        print(
            f"{label}: {count} values compared, {differing} differ; "
            f"largest relative difference {worst:.3g} ({trial} {key})"
        )
    return 1 if only else 0


if __name__ == "__main__":
    sys.exit(main())
