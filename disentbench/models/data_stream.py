"""The training data stream: infinite i.i.d. batches from a ground-truth data set (docs/reference/models.md
§2.11).

Each batch holds ``batch_size`` observations whose factors are drawn independently and uniformly
(nuisance factors and variant noise re-drawn per draw, by the data set itself). Two orders of
draws from the ``RandomState`` are offered (docs/deviations.md, "Models"):

* ``"batched"`` (default): one ``sample_observations(batch_size, rs)`` call per batch — vectorised;
  the same distribution as the reference, a different order of the random stream.
* ``"per_observation"``: ``batch_size`` calls of ``sample_observations(1, rs)``, the reference's
  stream semantics, slower.

With ``prefetch`` a background thread assembles the next batches while the model trains (numpy
releases the GIL for most of the work). The stream stays deterministic: one producer draws batches
in order, and each batch carries the RandomState state *after* it was drawn, so a checkpoint can
store exactly the state that follows the last batch used for training.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from disentbench.datasets.base import GroundTruthData


def draw_batch(
    data: GroundTruthData, batch_size: int, random_state: np.random.RandomState, mode: str = "batched"
) -> np.ndarray:
    """One float32 batch ``(batch_size, C, 64, 64)`` drawn with ``mode`` (see module docstring)."""
    if mode == "batched":
        batch = data.sample_observations(batch_size, random_state)
    elif mode == "per_observation":
        batch = np.concatenate([data.sample_observations(1, random_state) for _ in range(batch_size)])
    else:
        raise ValueError(f"unknown data stream mode {mode!r}")
    return np.ascontiguousarray(batch, dtype=np.float32)


def data_stream_seeds(seed: int) -> tuple[int, int]:
    """Seeds of the training and evaluation data streams: the first two ``randint(2**32)`` (§2.11)."""
    rs = np.random.RandomState(seed)
    return int(rs.randint(2**32)), int(rs.randint(2**32))


class BatchStream:
    """Iterator of items drawn by ``draw()`` with the checkpointable state ``state()`` after each.

    For one model: ``BatchStream.of(data, batch_size, random_state, mode=...)``; a pack passes a
    ``draw`` that draws each member's batch from its own RandomState and a ``state`` returning
    all their states.
    """

    def __init__(self, draw: Callable[[], Any], state: Callable[[], Any], *, prefetch: int = 0):
        self._draw_fn = draw
        self._state_fn = state
        self._state: Any = state()
        self._queue: queue.Queue[tuple[Any, Any]] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if prefetch > 0:
            self._queue = queue.Queue(maxsize=prefetch)
            self._thread = threading.Thread(target=self._produce, name="disentbench-batches", daemon=True)
            self._thread.start()

    @classmethod
    def of(
        cls,
        data: GroundTruthData,
        batch_size: int,
        random_state: np.random.RandomState,
        *,
        mode: str = "batched",
        prefetch: int = 0,
    ) -> BatchStream:
        """The training batches of one model."""
        return cls(
            lambda: draw_batch(data, batch_size, random_state, mode),
            random_state.get_state,
            prefetch=prefetch,
        )

    def _produce(self) -> None:
        assert self._queue is not None
        while not self._stop.is_set():
            try:
                item: tuple[Any, Any] = (self._draw_fn(), self._state_fn())
            except BaseException as exc:  # handed to the consumer, which re-raises it
                item = (exc, None)
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if item[1] is None:
                return

    def next(self) -> Any:
        """The next item."""
        if self._queue is None:
            batch = self._draw_fn()
            self._state = self._state_fn()
            return batch
        batch, state = self._queue.get()
        if state is None:
            raise batch
        self._state = state
        return batch

    def state(self) -> Any:
        """The RandomState state(s) right after the last item returned by :meth:`next`."""
        return self._state

    def close(self) -> None:
        """Stop the producer thread (if any)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> BatchStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
