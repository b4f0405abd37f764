"""The seeds of the evaluation step: one master seed → post-processing seeds → metric seeds.

The reference's ``dlib_reproduce`` draws every evaluation seed from ``RandomState(master seed)``
with ``randint(2**32)``, in this order (docs/reference/study.md §3.2):

1. the post-processing seeds of the representations, ``mean`` then ``sampled`` (the ``sampled``
   one seeds the noise of the sampled representation; ``mean`` draws no noise);
2. for ``mean`` and then for ``sampled``, one seed per metric config, in sorted config-name order;
3. (ours, not in the study) one further seed per representation for IRS.

With the reference's master seed 0 every model gets the same seeds, so every model is scored on
the same samples (``reference`` policy). The later ``dlib_reproduce_jmlr`` derives them per model
instead; our ``per_model`` policy uses the model's training seed as the master seed.

This module is the one home of that draw order; ``metrics.evaluate`` (metric seeds),
``benchmark.trial`` and ``disentbench evaluate`` (post-processing seeds) read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: The reference's post-processings, i.e. the representations scored, in draw order.
REPRESENTATIONS: tuple[str, ...] = ("mean", "sampled")

#: The master seed of ``dlib_reproduce`` (docs/reference/study.md §3.2).
REFERENCE_MASTER_SEED = 0


def _draws(master_seed: int) -> np.random.RandomState:
    return np.random.RandomState(master_seed)


def postprocess_seeds(master_seed: int = REFERENCE_MASTER_SEED) -> dict[str, int]:
    """Seed of each representation's post-processing: the first draws of ``RandomState(master_seed)``."""
    rs = _draws(master_seed)
    return {representation: int(rs.randint(2**32)) for representation in REPRESENTATIONS}


#: The post-processing seeds every model of the reference gets (mean 2357136044, sampled 2546248239).
REFERENCE_POSTPROCESS_SEEDS: Mapping[str, int] = postprocess_seeds(REFERENCE_MASTER_SEED)


def metric_seed_table(
    reference_configs: Mapping[str, str],
    master_seed: int = REFERENCE_MASTER_SEED,
    extra: Sequence[str] = (),
) -> dict[str, dict[str, int]]:
    """``{representation: {metric: seed}}`` as ``dlib_reproduce`` draws them (see the module docstring).

    ``reference_configs`` maps each study metric to its reference config name (which sets the draw
    order); ``extra`` metrics (not in the study) get one draw each per representation after them.
    """
    rs = _draws(master_seed)
    for _ in REPRESENTATIONS:
        rs.randint(2**32)  # the post-processing seeds (postprocess_seeds)
    order = sorted((config, metric) for metric, config in reference_configs.items())
    table: dict[str, dict[str, int]] = {representation: {} for representation in REPRESENTATIONS}
    for representation in REPRESENTATIONS:
        for _, metric in order:
            table[representation][metric] = int(rs.randint(2**32))
    for representation in REPRESENTATIONS:
        for metric in extra:
            table[representation][metric] = int(rs.randint(2**32))
    return table
