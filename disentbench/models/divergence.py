"""A model whose loss became NaN or infinite: the error that names it, and finding it in a window."""

from __future__ import annotations

from collections.abc import Mapping


class TrainingDiverged(Exception):
    """A loss became NaN or infinite; names the iteration and the last finite values."""

    def __init__(self, step: int, values: Mapping[str, float], last_finite: Mapping[str, float] | None):
        self.step = step
        self.values = dict(values)
        self.last_finite = dict(last_finite) if last_finite is not None else None
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.values.items())
        last = (
            ", ".join(f"{k}={v:.6g}" for k, v in self.last_finite.items())
            if self.last_finite
            else "none (diverged on the first iteration)"
        )
        super().__init__(
            f"training diverged at iteration {step} (0-based): {shown}; last finite values: {last}"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data for a checkpoint or a record."""
        return {"step": self.step, "values": self.values, "last_finite": self.last_finite}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TrainingDiverged:
        return cls(int(data["step"]), data["values"], data["last_finite"])  # type: ignore[arg-type]
