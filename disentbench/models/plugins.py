"""Methods from outside the package: regulariser plugins, found through the method registry.

A plugin is named in one of two ways, and ``disentbench.models.methods.get_method`` resolves
both after the six built-ins:

* a reference ``package.module:attribute`` (in a study file's ``methods`` or ``train --method``),
  imported from ``sys.path`` (``PYTHONPATH``; Ray workers need it too, docs/plugins.md);
* a name that an installed distribution declares in the entry-point group
  ``disentbench.methods`` (``[project.entry-points."disentbench.methods"] my_vae = "pkg.mod:obj"``).

The object is either a :class:`~disentbench.models.methods.MethodSpec` (hyper-parameter, grid,
fixed parameters, discriminator flag: everything a built-in has) or a plain regulariser function
with the built-ins' contract::

    def my_vae(out: EncoderOutputs, *, beta: float, cap: float = 50.0) -> torch.Tensor

a pure function of the batch's encoder outputs and its keyword hyper-parameters returning a
scalar tensor. For a function, the first keyword parameter is the swept hyper-parameter (its
default, if any, is the default strength) and the others, which need numeric defaults, are held
fixed. The regulariser is wrapped so that a non-scalar or non-tensor result raises
:class:`PluginError` naming the plugin. Loading a plugin imports and runs its module's code.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any

import torch

from disentbench.errors import UserError
from disentbench.models.methods import MethodSpec
from disentbench.models.objectives import EncoderOutputs

#: The entry-point group installed distributions declare their methods in.
ENTRY_POINT_GROUP = "disentbench.methods"

_LOADED: dict[str, MethodSpec] = {}


class PluginError(UserError):
    """A method plugin that does not import or breaks the regulariser contract (names the plugin)."""


@dataclasses.dataclass(frozen=True)
class PluginMethodSpec(MethodSpec):
    """A plugin's method. ``grid`` may be empty: the swept parameter must then be given."""

    origin: str = ""

    @property
    def defaults(self) -> dict[str, float]:
        if not self.grid:
            return dict(self.fixed)
        return super().defaults

    def resolve_params(self, params: Mapping[str, Any]) -> dict[str, float]:
        if not self.grid and self.hyperparameter not in params:
            raise UserError(
                f"params.{self.hyperparameter}: required for method {self.name!r} ({self.origin}), "
                "which has no default strength"
            )
        return super().resolve_params(params)


def is_reference(name: str) -> bool:
    """Whether ``name`` is a ``package.module:attribute`` reference."""
    return ":" in name


def entry_point_names() -> list[str]:
    """Names of the methods installed distributions declare (group ``disentbench.methods``)."""
    return sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def load_plugin(name: str) -> MethodSpec | None:
    """The plugin method ``name`` (a reference or an entry-point name), or None if neither.

    Loaded once per process. Raises :class:`PluginError` naming the plugin when it does not
    import, is not a method or a regulariser function, or has the wrong signature.
    """
    if name in _LOADED:
        return _LOADED[name]
    if is_reference(name):
        origin = name
        obj = _import_reference(name)
    else:
        found = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not found:
            return None
        origin = f"entry point {name} = {found[0].value} (group {ENTRY_POINT_GROUP})"
        try:
            obj = found[0].load()
        except Exception as exc:
            raise PluginError(
                f"method plugin {origin}: cannot import it ({type(exc).__name__}: {exc})"
            ) from exc
    spec = as_method_spec(obj, name, origin)
    _LOADED[name] = spec
    return spec


def _import_reference(reference: str) -> Any:
    """``package.module:attribute`` → the object; ``PluginError`` naming what failed."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise PluginError(f"method plugin {reference!r}: expected 'package.module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(
            f"method plugin {reference!r}: cannot import module {module_name!r} "
            f"({type(exc).__name__}: {exc}); is its folder on PYTHONPATH (on every Ray node)?"
        ) from exc
    obj: Any = module
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise PluginError(
                f"method plugin {reference!r}: module {module_name!r} ({getattr(module, '__file__', '?')}) "
                f"has no attribute {attribute!r}"
            )
        obj = getattr(obj, part)
    return obj


def as_method_spec(obj: Any, name: str, origin: str) -> PluginMethodSpec:
    """A :class:`PluginMethodSpec` named ``name`` from a ``MethodSpec`` or a regulariser function."""
    if isinstance(obj, MethodSpec):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(MethodSpec)}
        spec = PluginMethodSpec(**{**fields, "name": name, "origin": origin})
    elif callable(obj):
        spec = _spec_from_function(obj, name, origin)
    else:
        raise PluginError(
            f"method plugin {origin}: expected a MethodSpec or a regulariser function "
            f"f(out: EncoderOutputs, *, strength, ...) -> scalar tensor, got {type(obj).__name__}"
        )
    _check_signature(spec, origin)
    return dataclasses.replace(spec, regularizer=_checked(spec.regularizer, origin))


def _spec_from_function(function: Callable[..., Any], name: str, origin: str) -> PluginMethodSpec:
    """The method of a bare regulariser: first keyword parameter swept, the others fixed."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError) as exc:
        raise PluginError(f"method plugin {origin}: cannot read its signature ({exc})") from None
    keywords = [
        p
        for p in parameters[1:]
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if not parameters or not keywords:
        raise PluginError(
            f"method plugin {origin}: expected a regulariser f(out: EncoderOutputs, *, strength, ...) "
            "with at least one keyword hyper-parameter"
        )
    swept, rest = keywords[0], keywords[1:]
    fixed = {}
    for p in rest:
        if isinstance(p.default, bool) or not isinstance(p.default, (int, float)):
            raise PluginError(
                f"method plugin {origin}: parameter {p.name!r} needs a numeric default (only the first "
                f"keyword parameter, {swept.name!r}, is swept)"
            )
        fixed[p.name] = p.default
    has_default = swept.default is not inspect.Parameter.empty
    grid = (float(swept.default),) if has_default else ()
    doc = (inspect.getdoc(function) or "").strip().splitlines()
    return PluginMethodSpec(
        name=name,
        hyperparameter=swept.name,
        grid=grid,
        regularizer=function,
        description=doc[0] if doc else f"plugin {origin}",
        fixed=fixed,
        origin=origin,
    )


def _check_signature(spec: MethodSpec, origin: str) -> None:
    """The regulariser accepts ``(out, **params)`` for the method's parameter names."""
    try:
        signature = inspect.signature(spec.regularizer)
    except (TypeError, ValueError):
        return  # a builtin or C callable: checked when first called
    try:
        signature.bind(None, **dict.fromkeys(spec.param_names, 1.0))
    except TypeError as exc:
        wanted = ", ".join(spec.param_names)
        raise PluginError(
            f"method plugin {origin}: the regulariser's signature {signature} does not accept "
            f"(out: EncoderOutputs, *, {wanted}) ({exc})"
        ) from None


def _checked(regularizer: Callable[..., torch.Tensor], origin: str) -> Callable[..., torch.Tensor]:
    """``regularizer`` with its result checked: a scalar floating-point tensor."""
    if getattr(regularizer, "_disentbench_checked", False):
        return regularizer

    def checked(out: EncoderOutputs, **params: float) -> torch.Tensor:
        value = regularizer(out, **params)
        if not isinstance(value, torch.Tensor) or value.ndim != 0 or not value.is_floating_point():
            shown = (
                f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
                if isinstance(value, torch.Tensor)
                else f"a {type(value).__name__}"
            )
            raise PluginError(
                f"method plugin {origin}: the regulariser returned {shown}; expected a scalar "
                "(0-d) floating-point tensor, e.g. the batch mean of a per-example penalty"
            )
        return value

    checked._disentbench_checked = True  # type: ignore[attr-defined]
    checked.__doc__ = regularizer.__doc__
    return checked


def describe_plugins() -> str:
    """One line per installed entry-point method (a plugin that fails to load says why)."""
    lines = []
    for name in entry_point_names():
        try:
            spec = load_plugin(name)
        except PluginError as exc:
            lines.append(f"  {name}: does not load — {exc}")
            continue
        assert spec is not None
        grid = ", ".join(f"{v:g}" for v in spec.grid) or "no default"
        fixed = "".join(f", {k}={v:g}" for k, v in spec.fixed.items())
        lines.append(f"  {name}: {spec.hyperparameter} in [{grid}]{fixed} — {spec.description}")
    return "\n".join(lines)
