"""``torch_compile``: the pack's forward pass through ``torch.compile`` trains as the eager one.

On a CPU the backend is ``aot_eager``: Dynamo traces the vmapped networks and losses, and
AOTAutograd splits forward and gradient, exactly as with Inductor on a GPU, without the minute
that generating and compiling C++ takes here. Inductor's own kernels are PyTorch's to test.
"""

from __future__ import annotations

import pytest
import torch

from disentbench.datasets.squares import SquaresData
from disentbench.models import TrainConfig, train_pack
from disentbench.models import packed as packed_module


def _configs(torch_compile: bool) -> list[TrainConfig]:
    return [
        TrainConfig(
            dataset="synthetic_squares",
            method="annealed_vae",
            params={"c_max": c_max, "iteration_threshold": 3},
            seed=seed,
            steps=5,
            batch_size=8,
            log_every=1,
            eval_batches=1,
            device="cpu",
            convolutions="matmul",
            torch_compile=torch_compile,
        )
        for c_max, seed in ((5, 1), (25, 2))
    ]


def test_a_compiled_pack_trains_as_the_eager_pack(monkeypatch):
    """Per-step losses within 1e-5 (AnnealedVAE: the capacity follows the step, which enters the
    compiled function as a tensor), and the record says it was compiled."""
    graphs = []

    def aot_eager_counting(graph_module, example_inputs):
        graphs.append(graph_module)
        return torch._dynamo.lookup_backend("aot_eager")(graph_module, example_inputs)

    monkeypatch.setattr(packed_module, "COMPILE_BACKEND", aot_eager_counting)
    runs = {}
    for compiled in (False, True):
        seen: list[list[dict[str, float]]] = [[], []]
        results = train_pack(
            _configs(compiled),
            SquaresData(),
            log_fn=lambda _s, k, v, seen=seen: seen[k].append(v),
            strategy="vmap",
        )
        runs[compiled] = seen
        assert results[0].model.training_stats["torch_compile"] is compiled
    # One graph, compiled once for all five steps (no recompilation per step, no graph breaks).
    assert len(graphs) == 1
    for k in range(2):
        assert len(runs[True][k]) == 5
        for got, want in zip(runs[True][k], runs[False][k], strict=True):
            for key, value in want.items():
                assert got[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


def test_every_pack_of_a_process_is_compiled(monkeypatch):
    """Packs trained one after another in one process (a Ray worker) each run compiled: none falls
    back to eager at Dynamo's recompile limit (lowered to 1 here; PyTorch's default is 8)."""
    graphs = []

    def aot_eager_counting(graph_module, example_inputs):
        graphs.append(graph_module)
        return torch._dynamo.lookup_backend("aot_eager")(graph_module, example_inputs)

    monkeypatch.setattr(packed_module, "COMPILE_BACKEND", aot_eager_counting)
    with torch._dynamo.config.patch(recompile_limit=1):  # not monkeypatch: it cannot restore it
        _train_packs(2)
    assert len(graphs) == 2


def _train_packs(count: int) -> None:
    for beta in range(1, count + 1):  # K = 1 each, the loop strategy: the strength is a Python float there
        config = TrainConfig(
            dataset="synthetic_squares",
            method="beta_vae",
            params={"beta": beta},
            steps=2,
            batch_size=8,
            eval_batches=1,
            device="cpu",
            torch_compile=True,
        )
        train_pack([config], SquaresData())
