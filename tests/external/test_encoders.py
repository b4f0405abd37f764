"""External encoders: each way to break the contract gives a clear error naming the encoder."""

from __future__ import annotations

import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch

from disentbench import datasets
from disentbench.cli import main
from disentbench.external.encoders import CheckedEncoder, EncoderError, load_encoder
from disentbench.external.scoring import score_representations

ENCODERS = '''
import time
import numpy as np
import torch

class Linear:
    """A fixed random projection to 3 dimensions (d need not be 10)."""
    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.w = torch.randn(64 * 64, 3, generator=g)
    def __call__(self, x):
        return x.flatten(1) @ self.w

def linear():
    return Linear()

def wrong_shape():
    return lambda x: x.flatten(1).sum(dim=1)          # (n,) instead of (n, d)

def nans():
    return lambda x: torch.full((x.shape[0], 4), float("nan"))

def batch_of_one():
    return lambda x: x.flatten(1)[:1, :5]                # one row whatever the batch

def raises():
    def encode(x):
        raise ValueError("expected 3 channels")
    return encode

def slow():
    def encode(x):
        time.sleep(30)
        return x.flatten(1)[:, :5]
    return encode

def fails_later():
    """Fine on the first few calls, then changes its dimension."""
    calls = []
    def encode(x):
        calls.append(1)
        return x.flatten(1)[:, : (5 if len(calls) < 3 else 6)]
    return encode

not_callable_factory = 3

def returns_none():
    return None
'''


@pytest.fixture
def encoders_module(tmp_path, monkeypatch):
    (tmp_path / "extenc.py").write_text(textwrap.dedent(ENCODERS))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "extenc", raising=False)
    return "extenc"


@pytest.fixture
def observations(dsprites_root):
    data = datasets.get("dsprites_full", root=dsprites_root)
    return data.sample_observations(70, np.random.RandomState(0))


def test_python_entry_of_any_dimension(encoders_module, observations):
    encoder = CheckedEncoder(load_encoder("extenc:linear"))
    codes = encoder(observations)
    assert codes.shape == (70, 3) and codes.dtype == np.float32 and encoder.dimension == 3
    assert load_encoder("extenc:linear").sha256 is not None  # the module file's digest


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("extenc:wrong_shape", r"returned shape \(64,\); expected 2-D codes \(64, d\)"),
        ("extenc:nans", r"returned 256 NaN or infinite value\(s\)"),
        ("extenc:batch_of_one", r"returned 1 rows for a batch of 64; expected one code per input"),
        ("extenc:raises", r"raised ValueError: expected 3 channels"),
    ],
)
def test_contract_violations(encoders_module, observations, entry, message):
    encoder = CheckedEncoder(load_encoder(entry))
    with pytest.raises(EncoderError, match=message) as info:
        encoder(observations)
    assert entry in str(info.value) and "input float32 (64, 1, 64, 64)" in str(info.value)
    with pytest.raises(EncoderError):  # the failure sticks: later calls fail at once
        encoder(observations[:2])


def test_timeout(encoders_module, observations):
    encoder = CheckedEncoder(load_encoder("extenc:slow"), timeout=0.2)
    with pytest.raises(EncoderError, match=r"extenc:slow .*longer than the timeout of 0.2 s"):
        encoder(observations[:2])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("extenc:not_callable_factory", "has no callable 'not_callable_factory'"),
        ("extenc:returns_none", "the factory returned a NoneType; expected a callable"),
        ("extenc_missing:f", "cannot import module 'extenc_missing'"),
        ("no/such/file.pt", "no such file, and not a Python entry"),
    ],
)
def test_load_errors(encoders_module, spec, message):
    with pytest.raises(EncoderError, match=message):
        load_encoder(spec)


def test_not_a_torchscript_file(tmp_path):
    text = tmp_path / "weights.pt"
    text.write_bytes(b"not a model at all")
    with pytest.raises(EncoderError, match=r"weights.pt: not a TorchScript file \(not a zip archive\)"):
        load_encoder(str(text))
    state_dict = tmp_path / "state.pt"
    torch.save({"w": torch.zeros(2)}, state_dict)  # a zip, but not TorchScript
    with pytest.raises(EncoderError, match=r"state.pt: not a TorchScript file .*torch.jit.save"):
        load_encoder(str(state_dict))


def test_sampled_needs_a_gaussian_encoder(encoders_module):
    with pytest.raises(EncoderError, match="needs a gaussian_encoder method"):
        CheckedEncoder(load_encoder("extenc:linear"), gaussian=True)


def test_failure_during_scoring_is_raised_not_scored_as_nan(encoders_module, dsprites_root, tiny_preset):
    data = datasets.get("dsprites_full", root=dsprites_root)
    encoder = CheckedEncoder(load_encoder("extenc:fails_later"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # evaluate warns about the failed score
        with pytest.raises(EncoderError, match="returned dimension 6, but 5 on an earlier call"):
            score_representations(
                data,
                encoder.representation_function,
                representations=["mean"],
                preset=tiny_preset,
                metrics=["mig"],
                seeds="reference",
                sklearn_semantics=None,
                encoder=encoder,
            )


@pytest.mark.parametrize("entry", ["extenc:wrong_shape", "extenc:nans", "extenc:raises"])
def test_evaluate_cli_exits_2_naming_the_encoder(encoders_module, dsprites_root, tmp_path, capsys, entry):
    argv = ["evaluate", "--encoder", entry, "--dataset", "dsprites_full", "--data-root", str(dsprites_root)]
    assert main([*argv, "--results", str(tmp_path / "r")]) == 2
    assert entry in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # no record of a broken encoder


def test_evaluate_cli_bad_flags(capsys, tmp_path):
    assert main(["evaluate"]) == 2
    assert "exactly one" in capsys.readouterr().err
    assert main(["evaluate", "--encoder", "x.pt"]) == 2
    assert "--dataset: required" in capsys.readouterr().err
    assert main(["evaluate", "--encoder", "x.pt", "--dataset", "dsprites_full", "--seeds", "some"]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_help_warns_that_loading_runs_code(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    assert "runs code" in capsys.readouterr().out


def test_onnx_without_onnxruntime(tmp_path, monkeypatch):
    path = tmp_path / "enc.onnx"
    path.write_bytes(b"whatever")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as when not installed
    with pytest.raises(EncoderError, match=r"needs onnxruntime, which is not installed.*disentbench\[onnx\]"):
        load_encoder(str(path))


def test_onnx_encoder(tmp_path, observations):
    """An ONNX file scores like the torch module it was exported from (needs the onnx extras)."""
    import onnxruntime  # noqa: F401  (the `test` extra installs onnx and onnxruntime: no skip)

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64 * 64, 4)).eval()
    path = tmp_path / "enc.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (torch.zeros(2, 1, 64, 64),),
            str(path),
            dynamo=False,
            input_names=["x"],
            output_names=["z"],
            dynamic_axes={"x": {0: "n"}, "z": {0: "n"}},
        )
    encoder = CheckedEncoder(load_encoder(str(path)))
    codes = encoder(observations)
    with torch.no_grad():
        expected = module(torch.from_numpy(observations)).numpy()
    assert encoder.encoder.kind == "onnx" and codes.shape == (70, 4)
    np.testing.assert_allclose(codes, expected, rtol=1e-4, atol=1e-4)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(EncoderError, match=r"bad\.onnx: not a readable ONNX model"):
        load_encoder(str(bad))


def test_seed_policies_and_labels():
    from disentbench.errors import UserError
    from disentbench.external.scoring import metric_seeds, slug

    assert metric_seeds("challenge", ["mig", "irs"]) == {"mig": 0, "irs": 0}
    assert set(metric_seeds("challenge", None).values()) == {0}
    assert metric_seeds("reference", None) == "reference" and metric_seeds(3, None) == 3
    assert slug("my model/v2") == "my-model-v2"
    with pytest.raises(UserError, match="--name"):
        slug("///")
