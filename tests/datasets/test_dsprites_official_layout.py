"""The loader reads a file laid out exactly like the official npz (full grid, pickled metadata).

The file is written here procedurally (streamed, ~3 GB of uint8 before compression): image i
carries its own index in binary in row 0, so the test checks index ↔ factor mapping on the
official grid (docs/reference/data.md §4.2) and that the pickled metadata is never unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from disentbench.datasets.dsprites import DSpritesFull, checksums
from disentbench.datasets.render.dsprites import FILE_NAME

SIZES = (1, 3, 6, 40, 32, 32)
N = 737280
BITS = 20  # 2**20 > 737280


class _Boom:
    def __reduce__(self):  # unpickling this object fails loudly
        return (_explode, ())


def _explode():
    raise AssertionError("the loader unpickled the metadata")


def _write_official_like(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header_buf = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(
        header_buf, {"descr": "|u1", "fortran_order": False, "shape": (N, 64, 64)}
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("imgs.npy", "w", force_zip64=True) as fh:
            fh.write(header_buf.getvalue())
            chunk = 16384
            for start in range(0, N, chunk):
                idx = np.arange(start, min(N, start + chunk))
                block = np.zeros((idx.size, 64, 64), dtype=np.uint8)
                block[:, 0, :BITS] = (idx[:, None] >> np.arange(BITS)) & 1
                fh.write(block.tobytes())
        classes = np.stack(np.unravel_index(np.arange(N), SIZES), axis=1).astype(np.int64)
        with zf.open("latents_classes.npy", "w") as fh:
            np.lib.format.write_array(fh, classes)
        with zf.open("latents_values.npy", "w") as fh:
            np.lib.format.write_array(fh, classes.astype(np.float64))
        meta = np.empty((), dtype=object)
        meta[()] = {"latents_sizes": np.array(SIZES), "trap": _Boom()}
        with zf.open("metadata.npy", "w") as fh:
            np.lib.format.write_array(fh, meta, allow_pickle=True)


@pytest.mark.slow
def test_official_layout(tmp_path):
    path = tmp_path / "dsprites" / FILE_NAME
    _write_official_like(path)
    data = DSpritesFull(root=tmp_path)
    assert data.factors_num_values == [3, 6, 40, 32, 32]
    factors = data.sample_factors(200, np.random.RandomState(0))
    obs = data.sample_observations_from_factors(factors, np.random.RandomState(0))
    decoded = (obs[:, 0, 0, :BITS].astype(np.int64) << np.arange(BITS)).sum(axis=1)
    expected = (
        245760 * factors[:, 0]
        + 40960 * factors[:, 1]
        + 1024 * factors[:, 2]
        + 32 * factors[:, 3]
        + factors[:, 4]
    )
    assert np.array_equal(decoded, expected)
    prov = data.provenance
    assert prov["source"] == "official" and prov["reduced"] is False
    assert prov["sha256"] == checksums(path)["sha256"] and len(prov["sha256"]) == 64
    assert checksums(path)["verified"] is False  # not the real file's git blob id
    # the bit-packed cache is 1/8 of the pixels
    assert data.images.cache_file.stat().st_size < N * 64 * 64 // 8 + 4096
