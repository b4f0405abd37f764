"""One training iteration captured once as a CUDA graph and replayed (docs/reference/models.md §2.9, speed
only).

At batch 64 one iteration of these small networks is launch-bound on a GPU: capturing its kernels
once and replaying them removes the per-kernel launch cost. Random draws (noise, permutation keys)
stay outside the graph, drawn in the same order as without it; the iteration reads them, the batch
and the step from static input tensors that are refilled before each replay.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

UpdateFunction = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None", torch.Tensor], torch.Tensor]


class GraphedIteration:
    """``update(x, eps, keys, step) -> values``: three eager warm-up calls on a side stream, then
    capture once and replay. ``before_capture`` runs just before capturing (e.g. to drop gradients
    so that the graph allocates its own)."""

    WARMUP = 3

    def __init__(self, update: UpdateFunction, device: torch.device, before_capture: Callable[[], None]):
        self.update = update
        self.device = device
        self.before_capture = before_capture
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warmed = 0
        self.static: dict[str, torch.Tensor] = {}
        self.warmup_stream: torch.cuda.Stream | None = None

    def __call__(
        self, x: torch.Tensor, eps: torch.Tensor, keys: torch.Tensor | None, step: int
    ) -> torch.Tensor:
        step_tensor = torch.tensor(float(step), device=self.device)
        if self.graph is None and self.warmed < self.WARMUP:
            self.warmed += 1
            # One side stream for every warm-up call (as PyTorch's CUDA-graph recipe does), not a
            # new one per call.
            if self.warmup_stream is None:
                self.warmup_stream = torch.cuda.Stream(self.device)
            stream = self.warmup_stream
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                values = self.update(x, eps, keys, step_tensor)
            torch.cuda.current_stream(self.device).wait_stream(stream)
            return values
        if self.graph is None:
            self.static = {"x": x.clone(), "eps": eps.clone(), "step": step_tensor}
            if keys is not None:
                self.static["keys"] = keys.clone()
            self.before_capture()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.static["values"] = self.update(
                    self.static["x"], self.static["eps"], self.static.get("keys"), self.static["step"]
                )
            self.graph = graph
        else:
            self.static["x"].copy_(x)
            self.static["eps"].copy_(eps)
            self.static["step"].copy_(step_tensor)
            if keys is not None:
                self.static["keys"].copy_(keys)
        self.graph.replay()
        return self.static["values"].clone()
