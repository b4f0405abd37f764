"""The evaluation scores of the study (docs/reference/metrics.md), their presets and ``evaluate``.

Each score has ``compute_<name>(ground_truth_data, representation_function, random_state,
**params)`` (samples as the reference does) and, where it needs only codes and factors, an array
function of ``(n, d)`` codes and ``(n, K)`` factors (``mig``, ``dci``, ``sap``, ...).
``evaluate`` runs every configured score of one representation function in one call.
"""

from disentbench.metrics.beta_vae import compute_beta_vae
from disentbench.metrics.dci import compute_dci, dci
from disentbench.metrics.downstream import compute_downstream, downstream
from disentbench.metrics.evaluate import METRIC_NAMES, METRICS, STUDY_METRICS, evaluate, metric_seeds_for
from disentbench.metrics.factor_vae import compute_factor_vae
from disentbench.metrics.irs import compute_irs, irs
from disentbench.metrics.mig import compute_mig, mig
from disentbench.metrics.modularity_explicitness import (
    compute_modularity_explicitness,
    modularity_explicitness,
)
from disentbench.metrics.presets import PRESETS, Preset, get_preset
from disentbench.metrics.sap import compute_sap, sap
from disentbench.metrics.unsupervised import compute_unsupervised, unsupervised

__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "PRESETS",
    "STUDY_METRICS",
    "Preset",
    "compute_beta_vae",
    "compute_dci",
    "compute_downstream",
    "compute_factor_vae",
    "compute_irs",
    "compute_mig",
    "compute_modularity_explicitness",
    "compute_sap",
    "compute_unsupervised",
    "dci",
    "downstream",
    "evaluate",
    "get_preset",
    "irs",
    "metric_seeds_for",
    "mig",
    "modularity_explicitness",
    "sap",
    "unsupervised",
]
