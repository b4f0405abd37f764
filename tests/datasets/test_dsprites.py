"""dSprites loader and variants: layout checks, index↔factor, the reference's draw order (§4.3)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from disentbench.datasets import cache, get
from disentbench.datasets.dsprites import (
    ColorDSprites,
    DSpritesFull,
    NoisyDSprites,
    ScreamDSprites,
    load_scream,
)
from disentbench.datasets.render.dsprites import FILE_NAME, render_factors
from disentbench.errors import DataFileError

REDUCED_SIZES = [3, 6, 10, 8, 8]


def _npz(root: Path) -> Path:
    return root / "dsprites" / FILE_NAME


def _full_indices(data: DSpritesFull, factors: np.ndarray) -> np.ndarray:
    """Reduced-grid factor indices -> indices on the full official grid (for the renderer)."""
    meta = data.images.metadata
    names = ["shape", "scale", "orientation", "posX", "posY"]
    return np.stack([np.asarray(meta["latents_indices"][n])[factors[:, k]] for k, n in enumerate(names)], 1)


@pytest.fixture
def scream_root(dsprites_root: Path, tmp_path: Path) -> Path:
    """A copy of the reduced dSprites root plus a procedural 'Scream' (600 wide × 750 high)."""
    root = tmp_path / "root"
    shutil.copytree(dsprites_root / "dsprites", root / "dsprites")
    yy, xx = np.mgrid[0:750, 0:600]
    rgb = np.stack([xx * 255 // 600, yy * 255 // 750, (xx + yy) % 256], axis=-1).astype(np.uint8)
    (root / "scream").mkdir()
    Image.fromarray(rgb).save(root / "scream" / "scream.jpg", quality=95)
    return root


def test_factor_sizes_and_shapes(dsprites_root):
    data = get("dsprites_full", root=dsprites_root)
    assert data.factors_num_values == REDUCED_SIZES
    assert data.factor_names == ["shape", "scale", "orientation", "posX", "posY"]
    assert data.observation_shape == (1, 64, 64) and data.num_factors == 5
    factors, obs = data.sample(7, np.random.RandomState(0))
    assert factors.shape == (7, 5) and factors.dtype == np.int64
    assert obs.shape == (7, 1, 64, 64) and obs.dtype == np.float32
    assert set(np.unique(obs)) <= {0.0, 1.0}


def test_index_to_factor_mapping_gives_the_rendered_image(dsprites_root):
    data = get("dsprites_full", root=dsprites_root)
    factors = data.sample_factors(50, np.random.RandomState(5))
    obs = data.sample_observations_from_factors(factors, np.random.RandomState(0))
    expected = render_factors(_full_indices(data, factors))
    assert np.array_equal(obs[:, 0], expected.astype(np.float32))


def test_provenance_rendered(dsprites_root):
    prov = get("dsprites_full", root=dsprites_root).provenance
    assert prov["source"] == "rendered" and prov["reduced"] is True
    assert prov["renderer"] == "disentbench.dsprites_point_sampler"
    assert prov["path"].endswith(FILE_NAME) and "renderer_version" in prov and "render_params" in prov


def _reference_factors(rs: np.random.RandomState, n: int) -> np.ndarray:
    # Reference order (docs/reference/metrics.md §1.4): one randint per latent factor, in factor order, then
    # the size-1 colour nuisance (randint(1) -> no draw).
    cols = [rs.randint(size, size=n) for size in REDUCED_SIZES]
    rs.randint(1, size=n)
    return np.stack(cols, axis=1)


def test_dsprites_full_draw_order(dsprites_root):
    data = get("dsprites_full", root=dsprites_root)
    rs, ref = np.random.RandomState(11), np.random.RandomState(11)
    factors, _ = data.sample(9, rs)
    expected = _reference_factors(ref, 9)
    assert np.array_equal(factors, expected)
    assert rs.random_sample() == ref.random_sample()  # same number of draws consumed


def test_color_draw_order_and_values(dsprites_root):
    data = get("color_dsprites", root=dsprites_root)
    assert isinstance(data, ColorDSprites) and data.observation_shape == (3, 64, 64)
    rs, ref = np.random.RandomState(3), np.random.RandomState(3)
    factors, obs = data.sample(6, rs)
    ref_factors = _reference_factors(ref, 6)
    masks = render_factors(_full_indices(data, ref_factors)).astype(np.float32)[..., None]  # (n,64,64,1)
    color = ref.uniform(0.5, 1, (6, 1, 1, 3))
    expected = (np.repeat(masks, 3, axis=3) * color).astype(np.float32).transpose(0, 3, 1, 2)
    assert np.array_equal(factors, ref_factors)
    assert np.array_equal(obs, expected)
    assert rs.random_sample() == ref.random_sample()
    # Sprite coloured with one colour in [0.5, 1) per image, background black.
    on = masks[..., 0] == 1
    for i in range(6):
        sprite = obs[i][:, on[i]]
        assert np.all(sprite >= 0.5) and np.all(sprite <= 1.0)
        assert np.all(sprite == sprite[:, :1])
        assert np.all(obs[i][:, ~on[i]] == 0)


def test_noisy_draw_order_and_values(dsprites_root):
    data = get("noisy_dsprites", root=dsprites_root)
    assert isinstance(data, NoisyDSprites)
    rs, ref = np.random.RandomState(4), np.random.RandomState(4)
    _, obs = data.sample(5, rs)
    ref_factors = _reference_factors(ref, 5)
    masks = render_factors(_full_indices(data, ref_factors)).astype(np.float32)[..., None]
    noise = ref.uniform(0, 1, (5, 64, 64, 3))
    expected = np.minimum(masks + noise, 1.0).astype(np.float32).transpose(0, 3, 1, 2)
    assert np.array_equal(obs, expected)
    assert rs.random_sample() == ref.random_sample()
    on = np.broadcast_to(masks.transpose(0, 3, 1, 2) == 1, obs.shape)
    assert np.all(obs[on] == 1.0)
    assert obs[~on].min() >= 0.0 and obs[~on].max() < 1.0 and obs[~on].std() > 0.2


def test_scream_image_thumbnail(scream_root):
    pixels = load_scream(scream_root / "scream" / "scream.jpg")
    assert pixels.shape == (274, 219, 3)  # fits 350 (w) × 274 (h), aspect kept
    assert pixels.min() >= 0.0 and pixels.max() <= 1.0


def test_scream_draw_order_and_values(scream_root):
    data = get("scream_dsprites", root=scream_root)
    assert isinstance(data, ScreamDSprites)
    scream = load_scream(scream_root / "scream" / "scream.jpg")
    rs, ref = np.random.RandomState(8), np.random.RandomState(8)
    _, obs = data.sample(4, rs)
    ref_factors = _reference_factors(ref, 4)
    masks = render_factors(_full_indices(data, ref_factors))
    expected = np.empty((4, 64, 64, 3))
    for i in range(4):  # reference: row offset, column offset, then colour, per image
        row = ref.randint(0, scream.shape[0] - 64)
        col = ref.randint(0, scream.shape[1] - 64)
        background = (scream[row : row + 64, col : col + 64] + ref.uniform(0, 1, size=3)) / 2.0
        background[masks[i] == 1] = 1 - background[masks[i] == 1]
        expected[i] = background
    assert np.array_equal(obs, expected.astype(np.float32).transpose(0, 3, 1, 2))
    assert rs.random_sample() == ref.random_sample()
    assert obs.min() >= 0.0 and obs.max() <= 1.0


def test_scream_missing_image_says_how_to_get_it(dsprites_root):
    with pytest.raises(DataFileError, match="data download scream"):
        ScreamDSprites(root=dsprites_root)


def test_missing_file_names_path_and_both_commands(tmp_path):
    with pytest.raises(DataFileError) as info:
        DSpritesFull(root=tmp_path)
    msg = str(info.value)
    assert str(tmp_path / "dsprites" / FILE_NAME) in msg
    assert "disentbench data download dsprites" in msg and "disentbench data render dsprites" in msg


# --- bad files -------------------------------------------------------------------------------


def _arrays(dsprites_root: Path) -> dict[str, np.ndarray]:
    with np.load(_npz(dsprites_root), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _write(root: Path, arrays: dict[str, np.ndarray]) -> Path:
    path = _npz(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def _no_leftovers(path: Path) -> None:
    left = [p.name for p in path.parent.iterdir() if p.name.endswith((".npy", ".part"))]
    assert left == [], f"half-written files left: {left}"


def test_truncated_file(dsprites_root, tmp_path):
    src = _npz(dsprites_root).read_bytes()
    path = _npz(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(src[: len(src) // 2])
    with pytest.raises(DataFileError, match=str(path)):
        DSpritesFull(root=tmp_path)
    _no_leftovers(path)


def test_corrupted_pixels_inside_zip(dsprites_root, tmp_path):
    # Flip bytes in the middle of the deflated imgs stream: zlib or the CRC check must catch it.
    src = bytearray(_npz(dsprites_root).read_bytes())
    with zipfile.ZipFile(_npz(dsprites_root)) as zf:
        info = zf.getinfo("imgs.npy")
    start = info.header_offset + 30 + len(info.filename) + 200
    for k in range(start, start + 64):
        src[k] ^= 0xA5
    path = _npz(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(bytes(src))
    with pytest.raises(DataFileError, match=r"corrupted|truncated"):
        DSpritesFull(root=tmp_path)
    _no_leftovers(path)


def test_not_a_zip(tmp_path):
    path = _npz(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(DataFileError, match="corrupted"):
        DSpritesFull(root=tmp_path)


def test_wrong_array_name(dsprites_root, tmp_path):
    arrays = _arrays(dsprites_root)
    arrays["images"] = arrays.pop("imgs")
    _write(tmp_path, arrays)
    with pytest.raises(DataFileError, match=r"'imgs\.npy' missing"):
        DSpritesFull(root=tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(imgs=a["imgs"].astype(np.float32)), r"uint8 array of shape \(11520, 64, 64\)"),
        (lambda a: a.update(imgs=a["imgs"][:, :32, :32].copy()), r"found uint8 \(11520, 32, 32\)"),
        (lambda a: a.update(imgs=a["imgs"][:100].copy()), "has 100 rows"),
        (lambda a: a.update(latents_classes=a["latents_classes"][:, :5].copy()), "latents_classes"),
        (lambda a: a.update(latents_classes=a["latents_classes"][::-1].copy()), "official order"),
    ],
)
def test_wrong_layout(dsprites_root, tmp_path, change, message):
    arrays = _arrays(dsprites_root)
    change(arrays)
    _write(tmp_path, arrays)
    with pytest.raises(DataFileError, match=message):
        DSpritesFull(root=tmp_path)


def test_non_binary_pixels_leave_no_cache(dsprites_root, tmp_path):
    arrays = _arrays(dsprites_root)
    arrays["imgs"] = arrays["imgs"] * 255
    path = _write(tmp_path, arrays)
    with pytest.raises(DataFileError, match="only 0 and 1"):
        DSpritesFull(root=tmp_path)
    _no_leftovers(path)


# --- the shared cache ------------------------------------------------------------------------


def test_cache_is_keyed_by_the_source_file(dsprites_root, tmp_path):
    arrays = _arrays(dsprites_root)
    path = _write(tmp_path, arrays)
    first = DSpritesFull(root=tmp_path)
    old_cache = first.images.cache_file
    assert old_cache.parent == path.parent and old_cache.is_file()
    f = np.zeros((1, 5), dtype=np.int64)
    assert first.sample_observations_from_factors(f, np.random.RandomState(0)).sum() > 0
    # Replace the file with one whose first image is blank: the new load must see the new pixels.
    arrays["imgs"] = arrays["imgs"].copy()
    arrays["imgs"][0] = 0
    _write(tmp_path, arrays)
    second = DSpritesFull(root=tmp_path)
    assert second.images.cache_file != old_cache
    assert not old_cache.exists()
    assert second.sample_observations_from_factors(f, np.random.RandomState(0)).sum() == 0


def test_cache_falls_back_to_data_root_when_read_only(dsprites_root, tmp_path, monkeypatch):
    monkeypatch.setenv("DISENTBENCH_DATA", str(tmp_path / "user_cache"))
    real_access = cache.os.access
    monkeypatch.setattr(
        cache.os,
        "access",
        lambda p, mode: False if Path(p) == _npz(dsprites_root).parent else real_access(p, mode),
    )
    target = cache.cache_path(_npz(dsprites_root), "packed")
    assert target.is_relative_to(tmp_path / "user_cache" / "cache")


def test_metadata_json_never_needs_pickle(dsprites_root):
    with zipfile.ZipFile(_npz(dsprites_root)) as zf, zf.open("metadata.npy") as fh:
        meta = np.lib.format.read_array(fh, allow_pickle=False)
    assert json.loads(str(meta))["latents_sizes"] == [1, *REDUCED_SIZES]
