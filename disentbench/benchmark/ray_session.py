"""Starting and joining Ray for a study run: loopback-only by default, clear authentication errors.

- Without an address, :func:`start` starts an embedded single-machine Ray whose every service
  (GCS, raylet, object manager, workers' gRPC servers) listens on 127.0.0.1 only, with the
  dashboard off. Ray resolves a node IP of ``127.0.0.1`` to the machine's outward address (so
  that other nodes could join) unless its "no cluster" switch is off; the embedded Ray is never
  joined by other nodes, so the switch is turned off while it starts (Ray's own knob for this is
  the ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER`` environment variable, read once at import; the
  constant it sets is what Ray consults when it picks the node IP).
- With an address, :func:`start` joins that cluster unchanged. A cluster with token
  authentication refuses a driver without the token; that failure becomes one ``UserError``
  naming what to set (``RAY_AUTH_MODE=token`` and the token file) instead of Ray's traceback.
- Ray's own chatter (its token notice, Tune's tables and hints, the workers' output) goes to the
  run's log file while Ray runs (``disentbench.console.divert_output``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

from disentbench import console
from disentbench.errors import UserError

log = logging.getLogger(__name__)

#: The only interface the embedded Ray listens on.
LOOPBACK = "127.0.0.1"

#: Environment Ray reads when a study runs (set unless the user set them).
RAY_ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    # num_to_keep=1 forces an experiment-state snapshot per checkpoint (cheap here); without
    # this Tune warns about it on every checkpoint of a short trial.
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
}

_diversion: contextlib.ExitStack | None = None


def start(address: str | None) -> bool:
    """Start an embedded Ray (``address`` None) or join ``address``; True if this call did it.

    An already initialised Ray (tests share one) is used as it is and False is returned. While
    Ray runs, other programs' output goes to the run's log file (when one is open) until
    :func:`stop`.
    """
    import ray

    if ray.is_initialized():
        return False
    for name, value in RAY_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    global _diversion
    _diversion = contextlib.ExitStack()
    _diversion.enter_context(console.divert_output())
    try:
        if address:
            _join(address)
            log.info("joined the Ray cluster at %s", address)
        else:
            start_embedded()
            log.info("started an embedded local Ray (listening on %s only)", LOOPBACK)
    except BaseException:
        _diversion.close()
        _diversion = None
        raise
    return True


def stop() -> None:
    """Shut Ray down (after :func:`start` returned True) and give the terminal back."""
    import ray

    global _diversion
    try:
        ray.shutdown()
    finally:
        if _diversion is not None:
            _diversion.close()
            _diversion = None


def start_embedded(**init_args: Any) -> None:
    """``ray.init`` of a new single-machine Ray bound to the loopback interface only."""
    import ray
    from ray._private import ray_constants

    previous = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False  # a node IP of 127.0.0.1 stays 127.0.0.1
    try:
        ray.init(address="local", include_dashboard=False, _node_ip_address=LOOPBACK, **init_args)
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = previous
    node_ip = ray.util.get_node_ip_address()
    if node_ip != LOOPBACK:  # a Ray that ignores the switch: refuse to run exposed
        ray.shutdown()
        raise UserError(
            f"the embedded Ray started on {node_ip}, not {LOOPBACK}; "
            "run `ray start --head` yourself and pass --address"
        )


def _join(address: str) -> None:
    import ray

    try:
        ray.init(address=address, log_to_driver=True)
    except Exception as exc:
        if not is_authentication_failure(exc):
            raise
        raise UserError(authentication_advice(address)) from None


def is_authentication_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause) is Ray refusing this driver's token."""
    from ray.exceptions import AuthenticationError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, AuthenticationError):
            return True
        text = str(exc)
        if "InvalidAuthToken" in text or "UNAUTHENTICATED" in text or "authentication token" in text:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


def authentication_advice(address: str) -> str:
    """The one message for a refused connection: what to set (docs/cluster.md, "Security")."""
    mode = os.environ.get("RAY_AUTH_MODE", "unset")
    return (
        f"the Ray cluster at {address} refused this driver's authentication (RAY_AUTH_MODE is "
        f"{mode}): set RAY_AUTH_MODE=token and give this machine the cluster's token, as the file "
        "~/.ray/auth_token (copy it from the head node), a file named by RAY_AUTH_TOKEN_PATH, or "
        "the RAY_AUTH_TOKEN environment variable; see docs/cluster.md"
    )
