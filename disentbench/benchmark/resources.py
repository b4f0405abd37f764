"""Does the cluster have a node that can run one trial? Checked before any trial starts.

Ray Tune waits forever for resources no node has (``cpus_per_trial: 1000``, a GPU on a CPU-only
host), printing only "No available node types can fulfill" warnings. So the runner compares one
trial's request with every live node first:

- a fixed cluster (the embedded Ray, or a cluster without an autoscaler): a request no node
  meets is a ``UserError`` (exit 2) naming the flag or study field that set it and what the
  nodes have;
- a cluster with an autoscaler (detected as Ray Tune detects it: the cluster launcher's
  ``~/ray_bootstrap_config.yaml``): the runner warns and waits up to ``timeout`` seconds for a
  node that fits to join, then stops with a message saying what it waited for.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path

from disentbench.errors import UserError

log = logging.getLogger(__name__)

#: How long a run on an autoscaling cluster waits for a node that fits one trial (seconds).
DEFAULT_RESOURCE_TIMEOUT = 900.0

NodeList = list[dict[str, float]]


@dataclasses.dataclass(frozen=True)
class TrialRequest:
    """One trial's resources and where each value came from (a flag or a study field)."""

    cpus: float
    gpus: float
    cpus_source: str
    gpus_source: str


def live_nodes() -> NodeList:
    """The resources of each live node of the connected Ray cluster."""
    import ray

    return [dict(node.get("Resources", {})) for node in ray.nodes() if node.get("Alive")]


def cluster_autoscales() -> bool:
    """Whether the cluster was started by Ray's cluster launcher (which runs an autoscaler)."""
    return Path("~/ray_bootstrap_config.yaml").expanduser().exists()


def unmet(request: TrialRequest, nodes: NodeList) -> str | None:
    """Why no node of ``nodes`` fits one trial, or None when one does."""
    if any(n.get("CPU", 0.0) >= request.cpus and n.get("GPU", 0.0) >= request.gpus for n in nodes):
        return None
    most_cpus = max((n.get("CPU", 0.0) for n in nodes), default=0.0)
    most_gpus = max((n.get("GPU", 0.0) for n in nodes), default=0.0)
    have = (
        f"the cluster has {len(nodes)} node(s); the largest has {most_cpus:g} CPU(s) and {most_gpus:g} GPU(s)"
    )
    if request.cpus > most_cpus:
        return f"{request.cpus_source} asks for {request.cpus:g} CPU(s) per trial, but {have}"
    if request.gpus > most_gpus:
        return f"{request.gpus_source} asks for {request.gpus:g} GPU(s) per trial, but {have}"
    return (
        f"{request.cpus_source} = {request.cpus:g} CPU(s) with {request.gpus_source} = {request.gpus:g} "
        f"GPU(s) per trial: no single node has both ({have})"
    )


def check_cluster_fits(
    request: TrialRequest,
    *,
    nodes: Callable[[], NodeList] = live_nodes,
    autoscaling: bool | None = None,
    timeout: float = DEFAULT_RESOURCE_TIMEOUT,
    poll_seconds: float = 5.0,
) -> None:
    """Return when a node fits one trial; otherwise raise ``UserError`` (at once on a fixed cluster)."""
    reason = unmet(request, nodes())
    if reason is None:
        return
    if not (cluster_autoscales() if autoscaling is None else autoscaling):
        raise UserError(f"{reason}; lower the request or add a node that has it")
    log.warning("%s; waiting up to %.0f s for the autoscaler to add a node that fits", reason, timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(min(poll_seconds, max(0.0, deadline - time.monotonic())))
        reason = unmet(request, nodes())
        if reason is None:
            log.info("a node that fits one trial has joined; starting")
            return
    raise UserError(
        f"{reason}; the autoscaler added no node that fits within {timeout:.0f} s "
        "(--resource-timeout); check the cluster's node types"
    )
