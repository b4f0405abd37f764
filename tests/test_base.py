"""The shared ground-truth interface: mixed-radix indexing and the reference's draw order."""

import numpy as np
import pytest

from disentbench.datasets.base import (
    SplitDiscreteStateSpace,
    factor_bases,
    factors_to_index,
    index_to_factors,
)
from disentbench.datasets.dummy import IdentityObservationsData


def test_dsprites_bases_match_file_order():
    # docs/reference/data.md §4.2: index = 245760·shape + 40960·scale + 1024·orientation + 32·posX + posY
    assert factor_bases([1, 3, 6, 40, 32, 32]).tolist() == [737280, 245760, 40960, 1024, 32, 1]


def test_index_round_trip():
    sizes = [10, 10, 10, 8, 4, 15]
    rs = np.random.RandomState(0)
    idx = rs.randint(480000, size=1000)
    assert np.array_equal(factors_to_index(index_to_factors(idx, sizes), sizes), idx)
    assert factors_to_index(np.array([[9, 9, 9, 7, 3, 14]]), sizes)[0] == 479999


def test_index_rejects_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        factors_to_index(np.array([[0, 4]]), [2, 4])


def test_nuisance_drawn_after_latents_in_factor_order():
    space = SplitDiscreteStateSpace([5, 3, 7], latent_factor_indices=[1])
    full = space.sample_all_factors(np.array([[2], [1]]), np.random.RandomState(3))
    expected = np.random.RandomState(3)
    assert full[:, 1].tolist() == [2, 1]
    assert full[:, 0].tolist() == expected.randint(5, size=2).tolist()
    assert full[:, 2].tolist() == expected.randint(7, size=2).tolist()


def test_identity_data_draws_reference_stream():
    data = IdentityObservationsData()
    f = data.sample_factors(4, np.random.RandomState(0))
    assert f.tolist() == np.random.RandomState(0).randint(1, 11, size=(4, 10)).tolist()


def test_atomic_write_gets_umask_mode_and_leaves_nothing_on_error(tmp_path):
    import os

    from disentbench.io import atomic_path, write_json_atomic

    target = tmp_path / "r.json"
    write_json_atomic(target, {"a": 1})
    mask = os.umask(0o022)
    os.umask(mask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~mask)
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "x.bin") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
