"""The study view of method plugins: a study file may name a method the package does not ship.

``methods: {mypkg.objectives:my_vae: {beta: [1, 4]}}`` names a plugin (a ``package.module:
attribute`` reference or an installed entry point of group ``disentbench.methods``, see
``disentbench.models.plugins``) and its swept parameter's strengths; the list form
``{my_vae: [1, 4]}`` works too when the plugin loads here. A plugin trial has no reference model
number (its trial id identifies it).

A plugin that fails to load while the study is read, but whose swept parameter the file names,
does not stop the study: the failure is logged, its trials are built, and each is recorded as
failed with the plugin's error when it runs, while the other trials go on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from disentbench.benchmark.study import MethodInfo

log = logging.getLogger(__name__)


def study_method(check: Any, name: str, strengths: Any, index: int) -> tuple[MethodInfo, Any]:
    """``(MethodInfo, strengths)`` of plugin ``name`` from its study entry; ``check`` names fields.

    ``strengths`` comes back as the list (or ``"reference"``) the study's validation expects.
    """
    from disentbench.models.methods import METHODS
    from disentbench.models.plugins import PluginError, entry_point_names, load_plugin

    field = f"methods.{name}"
    swept = None
    if isinstance(strengths, Mapping):
        if len(strengths) != 1:
            raise check.fail(
                field,
                f"expected {{swept parameter: [strengths]}} with one parameter, got {dict(strengths)!r}",
            )
        swept, strengths = next(iter(strengths.items()))
    if not isinstance(name, str):
        raise check.fail(field, f"expected a method name, got {name!r}")
    try:
        spec = load_plugin(name)
    except PluginError as exc:
        if swept is None:
            raise check.fail(
                field, f"{exc} (name its swept parameter, {{param: [..]}}, to run the rest)"
            ) from None
        log.warning("%s: %s; its trials will be recorded as failed", check.path, exc)
        return MethodInfo(name, index, str(swept), (), {}, builtin=False), strengths
    if spec is None:
        known = ", ".join([*METHODS, *entry_point_names()])
        raise check.fail(
            field, f"unknown method; expected one of {known} or a plugin reference package.module:attribute"
        )
    if strengths == "reference" and not spec.grid:
        raise check.fail(field, f"the plugin has no reference grid; list the {spec.hyperparameter} values")
    if swept is not None and swept != spec.hyperparameter:
        raise check.fail(field, f"the plugin sweeps {spec.hyperparameter!r}, but the study names {swept!r}")
    info = MethodInfo(
        name, index, spec.hyperparameter, tuple(float(v) for v in spec.grid), dict(spec.fixed), builtin=False
    )
    return info, strengths
