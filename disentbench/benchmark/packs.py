"""Grouping a study's trials into packs: K compatible models trained together by one Ray trial.

Models are compatible when their training configs have the same ``disentbench.models.pack_key``
(same data set, method, steps, batch size, precision, ...: they differ only in hyper-parameter
values and seeds). Grouping walks the grid in its sweep order and fills one open pack per key,
so the packs are a deterministic function of the pending trials and ``models_per_trial``: a
resumed study re-packs the trials that still lack a record the same way every time.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Hashable, Iterable

from disentbench.benchmark.study import TrialSpec


@dataclasses.dataclass(frozen=True)
class Pack:
    """The trials one Ray trial trains together, in grid order."""

    specs: tuple[TrialSpec, ...]

    @property
    def size(self) -> int:
        return len(self.specs)

    @property
    def pack_id(self) -> str:
        """Stable, readable id: ``pack.<dataset>.<method>.k<size>.<hash of the member ids>``."""
        first = self.specs[0]
        digest = hashlib.sha256("\n".join(s.trial_id for s in self.specs).encode()).hexdigest()[:10]
        return f"pack.{first.dataset}.{first.method}.k{self.size}.{digest}"


def group_into_packs(
    specs: Iterable[TrialSpec], models_per_trial: int, key: Callable[[TrialSpec], Hashable]
) -> list[Pack]:
    """Packs of at most ``models_per_trial`` trials with equal ``key``, in grid order."""
    if models_per_trial < 1:
        raise ValueError(f"models_per_trial must be ≥ 1, got {models_per_trial}")
    open_packs: dict[Hashable, list[TrialSpec]] = {}
    ordered: list[list[TrialSpec]] = []
    for spec in specs:
        k = key(spec)
        members = open_packs.get(k)
        if members is None or len(members) == models_per_trial:
            members = open_packs[k] = []
            ordered.append(members)
        members.append(spec)
    return [Pack(tuple(members)) for members in ordered]
