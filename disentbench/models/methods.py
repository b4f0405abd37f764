"""The one method registry: the six objectives of the unsupervised study (docs/reference/study.md
§3.1, docs/reference/models.md §2.8), then the four weakly-supervised ones trained on pairs of
observations (docs/reference/weak.md §2).

``METHODS`` is read by the trainer, the ``train`` CLI's ``--help``, study validation and docs.
Insertion order is the study order: the six unsupervised methods first (m = 0..5, the
model-number digit); the weakly-supervised methods have no reference model numbers
(docs/reference/weak.md §3.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch

from disentbench.errors import UserError
from disentbench.models import objectives, weak_objectives
from disentbench.models.objectives import EncoderOutputs
from disentbench.models.weak_objectives import PairVariant

#: β of the weakly-supervised methods: the grid recalled from the paper, unverified
#: (docs/reference/weak.md §3.3); the default ``k`` = 1 (one factor resampled per pair) is ours.
WEAK_BETAS: tuple[float, ...] = (1, 2, 4, 6, 8, 16)


@dataclass(frozen=True)
class MethodSpec:
    """One method: its regulariser, swept hyper-parameter and study grid (docs/reference/study.md §3.1).

    ``fixed`` are the parameters the study holds constant (overridable, and then recorded);
    ``defaults`` are the values used when a parameter is not given: the swept parameter defaults to
    the first grid value, the others to ``fixed``. ``pairs`` marks a weakly-supervised method: it
    trains on pairs of observations with this aggregation and averaging
    (docs/reference/weak.md §2.1), and its ``regularizer`` is never called.
    """

    name: str
    hyperparameter: str
    grid: tuple[float, ...]
    regularizer: Callable[..., torch.Tensor]
    description: str
    fixed: Mapping[str, float] = field(default_factory=dict)
    integer_params: frozenset[str] = frozenset()
    uses_discriminator: bool = False
    pairs: PairVariant | None = None

    @property
    def weakly_supervised(self) -> bool:
        """True for a method that trains on pairs of observations."""
        return self.pairs is not None

    @property
    def shown_params(self) -> tuple[str, ...]:
        """Fixed parameters that tell this method's models apart even when a study does not sweep
        them (a weakly-supervised method's ``k``): shown in trial ids and as table columns."""
        return ("k",) if self.weakly_supervised else ()

    @property
    def defaults(self) -> dict[str, float]:
        """Every parameter with its default value."""
        return {self.hyperparameter: self.grid[0], **self.fixed}

    @property
    def param_names(self) -> list[str]:
        return [self.hyperparameter, *self.fixed]

    def resolve_params(self, params: Mapping[str, Any]) -> dict[str, float]:
        """Defaults overlaid with ``params``; unknown keys or non-numbers raise ``UserError``."""
        unknown = sorted(set(params) - set(self.param_names))
        if unknown:
            raise UserError(
                f"params: unknown parameter(s) {', '.join(unknown)} for method {self.name!r}; "
                f"expected {', '.join(self.param_names)}"
            )
        resolved: dict[str, float] = dict(self.defaults)
        for key, value in params.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise UserError(f"params.{key}: expected a number for method {self.name!r}, got {value!r}")
            if key in self.integer_params:
                if float(value) != int(value):
                    raise UserError(f"params.{key}: expected an integer, got {value!r}")
                resolved[key] = int(value)
            else:
                resolved[key] = float(value)
        return resolved

    def regularize(self, out: EncoderOutputs, params: Mapping[str, float]) -> torch.Tensor:
        """The regulariser of this method on one batch."""
        return self.regularizer(out, **params)


METHODS: Mapping[str, MethodSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            MethodSpec("beta_vae", "beta", (1, 2, 4, 6, 8, 16), objectives.beta_vae, "β-VAE: R + β·KL"),
            MethodSpec(
                "factor_vae",
                "gamma",
                (10, 20, 30, 40, 50, 100),
                objectives.factor_vae,
                "FactorVAE: R + KL + γ·TC (discriminator density ratio)",
                uses_discriminator=True,
            ),
            MethodSpec(
                "dip_vae_i",
                "lambda_od",
                (1, 2, 5, 10, 20, 50),
                objectives.dip_vae_i,
                "DIP-VAE-I: R + KL + λ_od·offdiag(Cov μ)² + λ_d·(diag − 1)², λ_d = 10·λ_od",
                fixed={"lambda_d_factor": 10.0},
            ),
            MethodSpec(
                "dip_vae_ii",
                "lambda_od",
                (1, 2, 5, 10, 20, 50),
                objectives.dip_vae_ii,
                "DIP-VAE-II: as DIP-VAE-I on Cov μ + mean diag σ², λ_d = λ_od",
                fixed={"lambda_d_factor": 1.0},
            ),
            MethodSpec(
                "beta_tc_vae",
                "beta",
                (1, 2, 4, 6, 8, 10),
                objectives.beta_tc_vae,
                "β-TCVAE: R + KL + (β − 1)·TC (minibatch-weighted sampling)",
            ),
            MethodSpec(
                "annealed_vae",
                "c_max",
                (5, 10, 25, 50, 75, 100),
                objectives.annealed_vae,
                "AnnealedVAE: R + γ·|KL − C(t)|, C linear to C_max over iteration_threshold steps",
                fixed={"gamma": 1000.0, "iteration_threshold": 100_000},
                integer_params=frozenset({"iteration_threshold"}),
            ),
            *(
                MethodSpec(
                    name,
                    "beta",
                    WEAK_BETAS,
                    weak_objectives.needs_pairs,
                    description,
                    fixed={"k": 1},
                    integer_params=frozenset({"k"}),
                    pairs=PairVariant(aggregation, averaging),
                )
                for name, aggregation, averaging, description in (
                    ("gvae", "labels", "gvae", "GVAE: pairs told the changed factor; ½(R1+R2)+β·½(KL1+KL2)"),
                    ("ml_vae", "labels", "mlvae", "ML-VAE: as GVAE with the ML-VAE average of shared dims"),
                    ("ada_gvae", "argmax", "gvae", "Ada-GVAE: GVAE with shared dims estimated per pair"),
                    ("ada_ml_vae", "argmax", "mlvae", "Ada-ML-VAE: ML-VAE, shared dims estimated per pair"),
                )
            ),
        )
    }
)
#: The unsupervised study's methods (model-number digits 0..5), in the study order.
UNSUPERVISED_METHODS: tuple[str, ...] = tuple(n for n, s in METHODS.items() if not s.weakly_supervised)
#: The weakly-supervised methods, trained on pairs (docs/reference/weak.md §2.1).
WEAK_METHODS: tuple[str, ...] = tuple(n for n, s in METHODS.items() if s.weakly_supervised)


def is_weakly_supervised(name: str) -> bool:
    """Whether the built-in method ``name`` trains on pairs (False for unknown names and plugins)."""
    spec = METHODS.get(name)
    return spec is not None and spec.weakly_supervised


def get_method(name: str) -> MethodSpec:
    """The method ``name``: a built-in, else a plugin (``package.module:attribute`` or an
    entry point of group ``disentbench.methods``, see ``disentbench.models.plugins``);
    ``UserError`` naming the choices otherwise."""
    if name in METHODS:
        return METHODS[name]
    from disentbench.models.plugins import entry_point_names, load_plugin

    plugin = load_plugin(name) if isinstance(name, str) else None
    if plugin is not None:
        return plugin
    installed = entry_point_names()
    raise UserError(
        f"method: unknown method {name!r}; expected one of {', '.join([*METHODS, *installed])} "
        "or a plugin reference package.module:attribute"
    )


def describe_methods() -> str:
    """One line per method with its parameters, grid and defaults (for ``--help`` and docs)."""
    lines = []
    for spec in METHODS.values():
        grid = ", ".join(f"{v:g}" for v in spec.grid)
        fixed = "".join(f", {k}={v:g}" for k, v in spec.fixed.items())
        lines.append(f"  {spec.name}: {spec.hyperparameter} in [{grid}]{fixed} — {spec.description}")
    return "\n".join(lines)


def describe_plugins() -> str:
    """The installed plugin methods and how to name others (for ``train --help``)."""
    from disentbench.models.plugins import ENTRY_POINT_GROUP, describe_plugins

    installed = describe_plugins() or "  (none installed)"
    return (
        f"plugin methods (entry-point group {ENTRY_POINT_GROUP}; loading one runs its code):\n"
        f"{installed}\n"
        "  or any package.module:attribute on PYTHONPATH (a MethodSpec or a regulariser function)"
    )
