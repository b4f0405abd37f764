"""The method registry (docs/reference/study.md §3.1)."""

from __future__ import annotations

import pytest

from disentbench.errors import UserError
from disentbench.models import METHODS, get_method
from disentbench.models.methods import (
    UNSUPERVISED_METHODS,
    WEAK_METHODS,
    describe_methods,
    is_weakly_supervised,
)


def test_study_order_and_grids():
    assert list(UNSUPERVISED_METHODS) == [
        "beta_vae",
        "factor_vae",
        "dip_vae_i",
        "dip_vae_ii",
        "beta_tc_vae",
        "annealed_vae",
    ]
    # The unsupervised methods come first (their index is the model-number digit).
    assert list(METHODS) == [*UNSUPERVISED_METHODS, *WEAK_METHODS]
    grids = {
        name: (spec.hyperparameter, spec.grid)
        for name, spec in METHODS.items()
        if name in UNSUPERVISED_METHODS
    }
    assert grids == {
        "beta_vae": ("beta", (1, 2, 4, 6, 8, 16)),
        "factor_vae": ("gamma", (10, 20, 30, 40, 50, 100)),
        "dip_vae_i": ("lambda_od", (1, 2, 5, 10, 20, 50)),
        "dip_vae_ii": ("lambda_od", (1, 2, 5, 10, 20, 50)),
        "beta_tc_vae": ("beta", (1, 2, 4, 6, 8, 10)),
        "annealed_vae": ("c_max", (5, 10, 25, 50, 75, 100)),
    }
    assert METHODS["dip_vae_i"].fixed == {"lambda_d_factor": 10.0}
    assert METHODS["dip_vae_ii"].fixed == {"lambda_d_factor": 1.0}
    assert METHODS["annealed_vae"].fixed == {"gamma": 1000.0, "iteration_threshold": 100_000}
    assert [s.uses_discriminator for s in METHODS.values()] == [False, True] + [False] * 8


def test_weakly_supervised_methods_are_the_four_variants():
    """docs/reference/weak.md §2.1: GVAE / ML-VAE told the label, and their adaptive versions."""
    variants = {
        name: (METHODS[name].pairs.aggregation, METHODS[name].pairs.averaging) for name in WEAK_METHODS
    }
    assert variants == {
        "gvae": ("labels", "gvae"),
        "ml_vae": ("labels", "mlvae"),
        "ada_gvae": ("argmax", "gvae"),
        "ada_ml_vae": ("argmax", "mlvae"),
    }
    for name in WEAK_METHODS:
        spec = METHODS[name]
        assert spec.hyperparameter == "beta" and spec.grid == (1, 2, 4, 6, 8, 16)
        assert spec.resolve_params({"beta": 4, "k": -1}) == {"beta": 4.0, "k": -1}
        assert is_weakly_supervised(name) and not spec.uses_discriminator
        with pytest.raises(UserError, match=r"params\.k: expected an integer"):
            spec.resolve_params({"k": 1.5})
    assert not is_weakly_supervised("beta_vae") and not is_weakly_supervised("nope")


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        METHODS["new"] = METHODS["beta_vae"]  # type: ignore[index]


def test_resolve_params_fills_defaults_and_rejects_bad_keys():
    assert get_method("annealed_vae").resolve_params({"c_max": 25}) == {
        "c_max": 25.0,
        "gamma": 1000.0,
        "iteration_threshold": 100_000,
    }
    assert get_method("beta_vae").resolve_params({}) == {"beta": 1}
    with pytest.raises(UserError, match=r"unknown parameter.*gamma.*expected beta"):
        get_method("beta_vae").resolve_params({"gamma": 3})
    with pytest.raises(UserError, match=r"params\.beta: expected a number"):
        get_method("beta_vae").resolve_params({"beta": "big"})
    with pytest.raises(UserError, match="iteration_threshold: expected an integer"):
        get_method("annealed_vae").resolve_params({"iteration_threshold": 2.5})


def test_unknown_method_names_the_choices():
    with pytest.raises(UserError, match=r"unknown method 'vae'.*beta_vae, factor_vae"):
        get_method("vae")


def test_describe_lists_every_method_and_parameter():
    text = describe_methods()
    for spec in METHODS.values():
        assert spec.name in text and spec.hyperparameter in text
    assert "lambda_d_factor=10" in text and "iteration_threshold=100000" in text
