"""K models of one method as stacked tensors, and one training iteration of all of them
(docs/reference/models.md §2.9–2.10).

Each parameter of the K models is one leaf tensor ``(K, ...)``; model k is the networks' code
(``torch.func.functional_call`` on a weightless template) run on slice k. Two ways to run the K
forward passes, with the same losses and gradients:

* ``loop``: model after model, each on its own slice — exactly the solo computation, so a model's
  numbers are bit-identical to its solo run. Fastest on a CPU, where one model's convolutions
  already keep the cores busy (grouped or ``vmap``-ed convolutions measured 1.1–1.6× slower
  there; docs/performance.md).
* ``vmap``: ``torch.func.vmap`` over the K slices (batched convolutions, one kernel per layer for
  all models), per-model hyper-parameters as tensors. For accelerators, where one model of batch
  64 leaves the device idle. Equal to the solo run up to float rounding.

Gradients come from the sum of the K losses: ∂(Σ_j L_j)/∂θ_k = ∂L_k/∂θ_k exactly, so each slice
gets its own model's gradient and nothing else. FactorVAE's two updates are formed as in the solo
trainer, from the summed VAE losses and the summed discriminator losses (§2.9).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.func import functional_call, vmap

from disentbench.models.devices import autocast
from disentbench.models.losses import compute_losses, compute_pair_losses, discriminator_loss_of
from disentbench.models.methods import MethodSpec
from disentbench.models.networks import Decoder, Discriminator, Encoder, Networks

STRATEGIES = ("auto", "loop", "vmap")
#: ``torch.compile`` backend of ``PackForward(compiled=True)`` (tests on a CPU use ``aot_eager``:
#: the same tracing and forward/backward split, without generating C++).
COMPILE_BACKEND = "inductor"
#: Each model's row of a stacked parameter is padded to a multiple of this many elements (64
#: float32 = 256 bytes: a whole number of vectors of every CPU vector width, also when a kernel
#: unrolls several vectors per iteration).
ROW_ALIGNMENT = 64


def padded_row(numel: int) -> int:
    """The length of a model's row for a parameter of ``numel`` elements (see :class:`PackedNetworks`)."""
    return -(-numel // ROW_ALIGNMENT) * ROW_ALIGNMENT


def resolve_strategy(strategy: str, device: torch.device, size: int) -> str:
    """``auto``: ``loop`` on a CPU or for a single model, ``vmap`` on an accelerator."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown pack strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if strategy == "auto":
        return "loop" if device.type == "cpu" or size == 1 else "vmap"
    return strategy


class _Member:
    """One model of the pack: its networks as callables on its parameter slices."""

    def __init__(
        self, templates: Mapping[str, torch.nn.Module], params: Mapping[str, Mapping[str, torch.Tensor]]
    ):
        self._templates = templates
        self._params = params
        self.discriminator = self._discriminate if "discriminator" in templates else None

    def encoder(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return functional_call(self._templates["encoder"], self._params["encoder"], (x,))

    def decoder(self, z: torch.Tensor) -> torch.Tensor:
        return functional_call(self._templates["decoder"], self._params["decoder"], (z,))

    def _discriminate(self, z: torch.Tensor) -> torch.Tensor:
        return functional_call(self._templates["discriminator"], self._params["discriminator"], (z,))


class PackedNetworks:
    """The networks of K models as stacked leaf tensors per parameter.

    Each parameter is one leaf ``(K, row)`` of flat rows, one row per model, each row padded to a
    multiple of :data:`ROW_ALIGNMENT` elements; :attr:`stacked` presents the rows' first ``numel``
    elements as ``(K, *shape)`` views. With ``channels_last`` every 4-d slice is laid out
    channels-last (as the solo trainer lays out its convolution weights). The padding makes every
    model's elements sit at the same vector lanes of the element-wise kernels (the fused Adam
    update) whatever its place in the pack and the pack's size: a kernel's vectorised body and its
    scalar remainder round differently, and without padding a model's last elements moved between
    the two when it was packed (measured: a packed member's weights first differed from its solo
    run's at iteration 6, in a 10-element bias). With it, a packed member trains bit for bit as its
    solo run on CPU (``tests/models/test_pack_trainer.py``). Padding elements get zero gradients and
    stay zero.
    """

    def __init__(
        self,
        members: Sequence[Networks],
        device: torch.device,
        memory_format: torch.memory_format = torch.contiguous_format,
    ):
        self.size = len(members)
        self.device = device
        self.memory_format = memory_format
        first = members[0].modules()
        self.templates: dict[str, torch.nn.Module] = {
            part: copy.deepcopy(module).to("meta") for part, module in first.items()
        }
        self.shapes: dict[str, dict[str, tuple[int, ...]]] = {}
        self.flat: dict[str, dict[str, torch.Tensor]] = {}
        for part in first:
            named = [dict(m.modules()[part].named_parameters()) for m in members]
            self.shapes[part] = {name: tuple(p.shape) for name, p in named[0].items()}
            self.flat[part] = {}
            for name, shape in self.shapes[part].items():
                leaf = torch.zeros((self.size, padded_row(math.prod(shape))), device=device)
                self.flat[part][name] = leaf
                with torch.no_grad():
                    view = self._view(part, name, leaf)
                    for k, params in enumerate(named):
                        view[k].copy_(params[name])
                leaf.requires_grad_()

    @property
    def channels_last(self) -> bool:
        """Whether the rows hold 4-d parameters channels-last (else channels-first)."""
        return self.memory_format == torch.channels_last

    def _view(
        self, part: str, name: str, leaf: torch.Tensor, channels_last: bool | None = None
    ) -> torch.Tensor:
        """The ``(K, *shape)`` view of parameter ``part.name`` in rows ``leaf`` laid out
        ``channels_last`` (default: this pack's layout)."""
        shape = self.shapes[part][name]
        rows = leaf[:, : math.prod(shape)]
        if len(shape) == 4 and (self.channels_last if channels_last is None else channels_last):
            o, i, h, w = shape
            return rows.unflatten(1, (o, h, w, i)).permute(0, 1, 4, 2, 3)
        return rows.unflatten(1, shape) if shape else rows.reshape(len(leaf))

    @property
    def stacked(self) -> dict[str, dict[str, torch.Tensor]]:
        """``{part: {name: (K, *shape) view}}`` of the leaves (differentiable views)."""
        return {
            part: {name: self._view(part, name, leaf) for name, leaf in leaves.items()}
            for part, leaves in self.flat.items()
        }

    @property
    def has_discriminator(self) -> bool:
        return "discriminator" in self.flat

    def vae_parameters(self) -> list[torch.Tensor]:
        """The stacked leaves of the encoders and decoders (what the VAE optimiser updates)."""
        return [*self.flat["encoder"].values(), *self.flat["decoder"].values()]

    def discriminator_parameters(self) -> list[torch.Tensor]:
        return list(self.flat.get("discriminator", {}).values())

    def vae_parameter_names(self) -> list[tuple[str, str]]:
        """``(part, name)`` of each leaf of :meth:`vae_parameters`, in the same order."""
        return [(part, name) for part in ("encoder", "decoder") for name in self.flat[part]]

    def rows_from_layout(self, part: str, name: str, rows: torch.Tensor, channels_last: bool) -> torch.Tensor:
        """Rows ``(K, row)`` of parameter ``part.name`` (e.g. Adam moments) written in the layout
        ``channels_last``, rearranged into this pack's layout (the same tensor when they agree)."""
        if len(self.shapes[part][name]) != 4 or channels_last == self.channels_last:
            return rows
        out = rows.clone()
        self._view(part, name, out).copy_(self._view(part, name, rows, channels_last))
        return out

    def members(self) -> list[_Member]:
        """Every model bound to its slices (views: gradients flow into the stacked leaves)."""
        stacked = self.stacked
        return [
            _Member(
                self.templates,
                {part: {n: t[k] for n, t in params.items()} for part, params in stacked.items()},
            )
            for k in range(self.size)
        ]

    def unstack(self, k: int, device: torch.device | None = None) -> Networks:
        """A standalone copy of model ``k`` as ordinary modules, in this pack's layout, with native
        convolutions (what the saved model and its evaluation use, whatever trained it)."""
        target = device or self.device
        modules: dict[str, torch.nn.Module] = {}
        for part, template in self.templates.items():
            if part == "discriminator":
                module: torch.nn.Module = Discriminator()
            elif part == "encoder":
                module = Encoder(template.num_channels, template.num_latents)  # type: ignore[arg-type]
            else:
                module = Decoder(template.num_channels, template.num_latents)  # type: ignore[arg-type]
            module.to(target)
            if part != "discriminator":
                module.to(memory_format=self.memory_format)
            with torch.no_grad():
                for name, param in module.named_parameters():
                    param.copy_(self.stacked[part][name][k])
            modules[part] = module.train()
        return Networks(modules["encoder"], modules["decoder"], modules.get("discriminator"))  # type: ignore[arg-type]

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """``{"<part>.<name>": (K, *shape) tensor}`` for a checkpoint."""
        return {f"{part}.{n}": t.detach() for part, params in self.stacked.items() for n, t in params.items()}

    def load_state_tensors(self, tensors: Mapping[str, torch.Tensor]) -> None:
        """Copy checkpoint tensors into the stacked leaves (keeping their layout); checks names and shapes."""
        expected = self.state_tensors()
        if set(tensors) != set(expected):
            missing = sorted(set(expected) - set(tensors))
            extra = sorted(set(tensors) - set(expected))
            raise ValueError(f"tensor names differ (missing {missing[:3]}, unexpected {extra[:3]})")
        with torch.no_grad():
            for name, target in expected.items():
                if tuple(tensors[name].shape) != tuple(target.shape):
                    raise ValueError(
                        f"tensor {name} has shape {tuple(tensors[name].shape)}, "
                        f"expected {tuple(target.shape)}"
                    )
                target.copy_(tensors[name])


class PackForward:
    """The forward pass and losses of all K models on their batches ``x: (K, B, C, H, W)``.

    For a weakly-supervised method ``x`` is ``(K, 2, B, C, H, W)`` (both images of each pair) and
    the ``keys`` argument carries the pairs' labels ``(K, B)``. ``compiled``: the strategy's
    function goes through ``torch.compile`` (fixed shapes; the step enters as a 0-d tensor, so the
    function is compiled once, not once per step).
    """

    def __init__(
        self,
        nets: PackedNetworks,
        spec: MethodSpec,
        params: Sequence[Mapping[str, float]],
        strategy: str,
        precision: str,
        compiled: bool = False,
    ):
        self.nets = nets
        self.spec = spec
        self.params = [dict(p) for p in params]
        self.strategy = strategy
        self.precision = precision
        # Per-model hyper-parameters as (K,) tensors for vmap (float32, as the losses are).
        self.param_tensors = {
            name: torch.tensor([float(p[name]) for p in self.params], device=nets.device)
            for name in self.params[0]
        }
        self.compiled = compiled
        run = self._vmapped if strategy == "vmap" else self._looped
        if compiled:
            # Each pack compiles afresh: Dynamo keys its cache on this method's code, shared by
            # every pack of the process (a Ray worker trains pack after pack), and past its
            # recompile limit it would quietly run eager while the record says compiled. One
            # compile per pack is nothing against its training.
            torch._dynamo.reset()
            run = torch.compile(run, backend=COMPILE_BACKEND, dynamic=False)
        self._run = run

    def __call__(
        self, x: torch.Tensor, eps: torch.Tensor, keys: torch.Tensor | None, step: int | torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``(values (K, 5), Σ VAE losses, Σ discriminator losses or None)`` (values in LOSS_KEYS order)."""
        if self.compiled and not isinstance(step, torch.Tensor):
            step = torch.tensor(float(step), device=self.nets.device)
        with autocast(self.precision, self.nets.device):
            return self._run(x, eps, keys, step)

    def _member_losses(
        self,
        member: Any,
        params: Mapping[str, Any],
        x: torch.Tensor,
        eps: torch.Tensor,
        keys: torch.Tensor | None,
        step: int | torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.spec.pairs is not None:  # x: both images of the pairs; keys: the pairs' labels
            losses = compute_pair_losses(self.spec, params, member, x, keys, step, None, eps)
        else:
            losses = compute_losses(self.spec, params, member, x, step, None, eps)
        if member.discriminator is not None:
            disc_loss = discriminator_loss_of(losses, member, None, keys)
        else:
            disc_loss = torch.zeros((), device=eps.device)
        values = torch.stack(
            [
                v.detach().float()
                for v in (losses.loss, losses.reconstruction, losses.kl, losses.regularizer, disc_loss)
            ]
        )
        return values, losses.loss, disc_loss

    def _looped(self, x, eps, keys, step):  # type: ignore[no-untyped-def]
        rows, vae, disc = [], [], []
        for k, member in enumerate(self.nets.members()):
            if self.spec.pairs is not None:
                xk = tuple(image.contiguous(memory_format=self.nets.memory_format) for image in x[k])
            else:
                xk = x[k].contiguous(memory_format=self.nets.memory_format)
            kk = keys[k] if keys is not None else None
            values, loss, disc_loss = self._member_losses(member, self.params[k], xk, eps[k], kk, step)
            rows.append(values)
            vae.append(loss)
            disc.append(disc_loss)
        if self.nets.size == 1:
            return rows[0][None], vae[0], disc[0] if self.nets.has_discriminator else None
        disc_total = torch.stack(disc).sum() if self.nets.has_discriminator else None
        return torch.stack(rows), torch.stack(vae).sum(), disc_total

    def _vmapped(self, x, eps, keys, step):  # type: ignore[no-untyped-def]
        templates = self.nets.templates

        def one(params: dict, hyper: dict, xk: torch.Tensor, ek: torch.Tensor, kk: torch.Tensor | None):
            return self._member_losses(_Member(templates, params), hyper, xk, ek, kk, step)

        stacked = self.nets.stacked
        if keys is None:
            values, vae, disc = vmap(lambda p, h, xk, ek: one(p, h, xk, ek, None))(
                stacked, self.param_tensors, x, eps
            )
        else:
            values, vae, disc = vmap(one)(stacked, self.param_tensors, x, eps, keys)
        return values, vae.sum(), disc.sum() if self.nets.has_discriminator else None
