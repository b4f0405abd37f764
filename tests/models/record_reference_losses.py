"""Record the solo trainer's per-step losses as a fixture (run once, at the commit named inside).

    PYTHONPATH=. python tests/models/record_reference_losses.py tests/models/data/reference_losses.json

The fixture pins the numbers the trainer produced before it was split and packed: every method,
a short CPU run on procedural squares, one thread. ``test_reference_losses.py`` checks that the
trainer of today (a pack of one) reproduces them bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from pathlib import Path

import torch

from disentbench.datasets.squares import SquaresData
from disentbench.models import TrainConfig, train

#: The runs of the fixture: method → (params, steps). FactorVAE's 59 steps are 30 iterations.
RUNS = {
    "beta_vae": ({"beta": 4}, 30),
    "factor_vae": ({"gamma": 30}, 59),
    "dip_vae_i": ({"lambda_od": 5}, 30),
    "dip_vae_ii": ({"lambda_od": 2}, 30),
    "beta_tc_vae": ({"beta": 6}, 30),
    "annealed_vae": ({"c_max": 10, "iteration_threshold": 20}, 30),
}
SEED = 7
BATCH_SIZE = 8
EVAL_BATCHES = 2


def reference_config(method: str) -> TrainConfig:
    params, steps = RUNS[method]
    return TrainConfig(
        dataset="synthetic_squares",
        method=method,
        params=dict(params),
        seed=SEED,
        steps=steps,
        batch_size=BATCH_SIZE,
        log_every=1,
        eval_batches=EVAL_BATCHES,
        device="cpu",
        num_threads=1,
        prefetch=False,
    )


def weights_sha256(model) -> str:
    """SHA-256 over the encoder's and decoder's tensors (name order, contiguous float32 bytes)."""
    digest = hashlib.sha256()
    for part, module in (("encoder", model.encoder), ("decoder", model.decoder)):
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(f"{part}.{name}".encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def record(method: str) -> dict:
    losses: list[dict[str, float]] = []
    model = train(reference_config(method), SquaresData(), log=lambda _step, values: losses.append(values))
    stats = {k: model.training_stats[k] for k in ("reconstruction_loss", "kl_loss", "regularizer", "loss")}
    return {"losses": losses, "eval": stats, "weights_sha256": weights_sha256(model)}


def main() -> None:
    out = Path(sys.argv[1])
    torch.set_num_threads(1)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    fixture = {
        "provenance": {
            "commit": commit,
            "command": "PYTHONPATH=. python tests/models/record_reference_losses.py " + str(out),
            "torch": torch.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "machine": platform.machine(),
            "threads": 1,
        },
        "seed": SEED,
        "batch_size": BATCH_SIZE,
        "runs": {method: record(method) for method in RUNS},
    }
    out.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
