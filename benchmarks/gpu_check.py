"""The prepared run for a lent CUDA device: which way of running a pack is fastest, by measurement.

An accelerator is lent for minutes, so this runs, in order of what matters and each under its own
time limit inside ``--budget`` seconds:

1. β-VAE packs of 64 (and single models, the baseline) at TF32 and bf16, once per way of running
   them: cuDNN's grouped convolutions (``native``), the same with ``cudnn.benchmark``, convolutions
   as batched matrix products (``matmul``), and those compiled with ``torch.compile``;
2. all six methods at K = 64 in the way that was fastest for β-VAE at bf16 (bf16, then TF32),
   for the projection;
3. the per-layer forms of ``bench_conv_forms.py`` at K = 64;
4. the CUDA tests (``tests/models/test_cuda*.py``, which train vmapped ``matmul`` packs, also
   compiled at bf16, against native solo runs): their :data:`TESTS_SECONDS` are kept back from
   the steps before them, so they run whatever the benchmarks take.

Everything goes into two files under ``--out``: ``gpu-check.log`` (all output) and
``gpu-check.json`` (each step's JSON by name, rewritten after every step), so a lease that ends
early still returns what was measured. ``python benchmarks/project_study.py`` reads the runs back
once they are split into files (``--split DIR``).

    PYTHONPATH=. python3 benchmarks/gpu_check.py --out "$OUT" --budget 520
    python benchmarks/gpu_check.py --split benchmarks/results --prefix h200- gpu-check.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The ways of running a pack: (name, the ``TrainConfig`` settings as bench_pack flags, what this
#: run sweeps, seconds). ``{K}`` is the pack size.
VARIANTS = [
    ("native", [], ["--ks", "1,{K}", "--precisions", "tf32,bf16"], 75),
    ("native-cudnn-benchmark", ["--cudnn-benchmark"], ["--ks", "{K}", "--precisions", "tf32,bf16"], 50),
    ("matmul", ["--convolutions", "matmul"], ["--ks", "1,{K}", "--precisions", "tf32,bf16"], 75),
    (
        "matmul-compiled",
        ["--convolutions", "matmul", "--torch-compile"],
        ["--ks", "{K}", "--precisions", "bf16,tf32"],
        140,
    ),
]
#: Each variant's flags, repeated by the run over all methods.
SETTINGS = {name: flags for name, flags, _, _ in VARIANTS}


#: Seconds kept for the CUDA tests, which run last: every step before them stops that much early.
TESTS_SECONDS = 100


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def fastest_variant(results: dict, k: int, precision: str = "bf16") -> str:
    """The variant whose β-VAE pack of ``k`` was fastest at ``precision`` (``native`` if none ran)."""
    rates = {
        name: (run.get("k_sweep", {}).get(f"beta_vae/{precision}", {}) or {}).get(str(k))
        for name, run in results.items()
        if name in SETTINGS
    }
    measured = {name: rate for name, rate in rates.items() if rate}
    return max(measured, key=measured.__getitem__) if measured else "native"


def split(merged: Path, folder: Path, prefix: str) -> list[Path]:
    """Write each bench_pack run of ``merged`` to ``folder/<prefix>pack-<name>.json``."""
    written = []
    for name, run in json.loads(merged.read_text()).items():
        if isinstance(run, dict) and "k_sweep" in run:
            path = folder / f"{prefix}pack-{name}.json"
            path.write_text(json.dumps(run, indent=2))
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("gpu-check"))
    parser.add_argument("--budget", type=float, default=520, help="seconds for everything")
    parser.add_argument("--device", default="cuda", help="cpu only to try this script out")
    parser.add_argument("--k", type=int, default=64, help="the pack size compared")
    parser.add_argument("--steps", default="60", help="timed iterations per measurement")
    parser.add_argument("--warmup", default="10")
    parser.add_argument("--split", type=Path, default=None, help="only split a gpu-check.json into DIR")
    parser.add_argument("--prefix", default="gpu-")
    parser.add_argument("merged", nargs="?", type=Path)
    args = parser.parse_args()
    if args.split is not None:
        for path in split(args.merged, args.split, args.prefix):
            print(path)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    log = (args.out / "gpu-check.log").open("a")
    merged_path = args.out / "gpu-check.json"
    merged: dict = {}
    deadline = time.monotonic() + args.budget

    def say(text: str) -> None:
        print(text, flush=True)
        log.write(text + "\n")
        log.flush()

    def run(name: str, command: list[str], seconds: float, json_path: Path | None = None) -> None:
        """Run ``command`` for at most ``seconds`` (less if the budget is nearly spent); a bench
        command's own ``--budget`` is given as ``{BUDGET}`` and set 30 s inside that limit."""
        left = deadline - time.monotonic() - TESTS_SECONDS * (name != "cuda-tests")
        if left < 20:
            say(f"== {name}: skipped, {left:.0f} s left")
            merged[name] = {"skipped": "time budget spent"}
            return
        limit = min(seconds, left - 5)
        command = [part.replace("{BUDGET}", str(max(10, int(limit - 30)))) for part in command]
        say(f"== {name} (limit {limit:.0f} s): {' '.join(command)}")
        started = time.monotonic()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=limit, cwd=HERE.parent)
            output, status = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as expired:
            output = _text(expired.stdout) + _text(expired.stderr)
            status = "timeout"
        say(output.rstrip())
        say(f"== {name}: exit {status} after {time.monotonic() - started:.0f} s")
        merged[name] = {"exit": status}
        if json_path is not None and json_path.exists():
            try:
                merged[name] = json.loads(json_path.read_text())
            except ValueError as error:
                say(f"== {name}: its JSON does not parse ({error})")
        merged_path.write_text(json.dumps(merged, indent=2))

    import torch

    where = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else args.device
    say(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {where}")
    bench = [sys.executable, str(HERE / "bench_pack.py"), "--device", args.device, "--steps", args.steps]
    bench += ["--warmup", args.warmup, "--rounds", "1", "--eval-presets", "none", "--methods", "beta_vae"]
    bench += ["--budget", "{BUDGET}"]
    k = str(args.k)
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags, sweep, seconds in VARIANTS:
            path = Path(tmp) / f"{name}.json"
            sweep = [part.replace("{K}", k) for part in sweep]
            run(name, [*bench, *flags, *sweep, "--json", str(path)], seconds, path)
        best = fastest_variant(merged, args.k)
        say(f"fastest at bf16, K = {k}: {best}")
        for precision, seconds in (("bf16", 120), ("tf32", 90)):
            path = Path(tmp) / f"all-{precision}.json"
            extra = ["--methods", "all", "--ks", k, "--precisions", precision, *SETTINGS[best]]
            run(f"all-methods-{precision}-{best}", [*bench, *extra, "--json", str(path)], seconds, path)
        forms = Path(tmp) / "conv-forms.json"
        command = [sys.executable, str(HERE / "bench_conv_forms.py"), "--device", args.device, "--k", k]
        run("conv-forms", [*command, "--precisions", "tf32,bf16", "--json", str(forms)], 45, forms)
        tests = [
            sys.executable,
            "-m",
            "pytest",
            "tests/models/test_cuda.py",
            "tests/models/test_cuda_pack.py",
        ]
        run("cuda-tests", [*tests, "-q", "-p", "no:cacheprovider"], TESTS_SECONDS)
    say(f"done; {max(0.0, deadline - time.monotonic()):.0f} s of the budget left")


if __name__ == "__main__":
    main()
