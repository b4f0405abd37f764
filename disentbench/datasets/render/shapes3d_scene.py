"""Geometry and shading of the offline Shapes3D stand-in: a ray caster in numpy (docs/reference/data.md §4.5).

The official images come from a MuJoCo "look-at-object room" whose parameters were never
published. This module rebuilds that scene from what the official frames show: a box-shaped room
(floor, walls, open top under a constant sky), one object standing at the origin, a camera that
orbits the object (orientation = view azimuth) and looks at it, and one light that moves with the
camera (upper left of it), which is why the shadow always falls to the lower right in the frames.
The numbers in :class:`SceneParams` were fitted to the 53 official GIF frames
(``docs/shapes3d_renderer.md``).

The key design choice is that colour enters linearly: a pixel is
``sky_frac * SKY + Σ_c coef_c * rgb(hue_c)`` for the three coloured surfaces c = floor, wall,
object, where ``coef_c`` is the (super-sampled) shading of the part of the pixel that shows c.
The shading maps depend only on (scale, shape, orientation) (480 configurations), so the 1000 hue
combinations of each configuration are a cheap recolouring (:func:`colourise`).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

#: Image side in pixels (official: 64×64).
IMAGE_SIZE = 64
#: Surface classes of a shading map, in the order of :attr:`ShadingMaps.coef`.
SURFACES = ("floor", "wall", "object")
#: Shape codes (docs/reference/data.md §4.5: 0 cube, 1 cylinder, 2 sphere, 3 capsule).
SHAPE_NAMES = ("cube", "cylinder", "sphere", "capsule")

_INF = np.float64(np.inf)


@dataclasses.dataclass(frozen=True)
class SceneParams:
    """Every number of the scene; lengths in object units (a scale-1 capsule has radius ``capsule_r``).

    Coordinates: y up, floor at y = 0, the object standing at the origin; at azimuth 0 the camera
    is on the +z axis looking at the back wall (z = -wall_back).
    """

    cam_distance: float = 3.331
    cam_height: float = 0.8292
    look_height: float = 0.8373
    fovy_deg: float = 41.71
    wall_back: float = 5.124
    wall_side: float = 4.584
    wall_front: float = 9.0
    wall_height: float = 2.302
    cube_half: float = 0.3975
    cylinder_r: float = 0.3771
    cylinder_half_h: float = 0.4307
    sphere_r: float = 0.4767
    capsule_r: float = 0.3386
    capsule_half_len: float = 0.3804
    #: Spot light position in the camera frame (right, up, backwards), in multiples of
    #: cam_distance (z < -1: beyond the object); it moves with the camera. Started by hand where
    #: the shadow falls as in the official frames (a pixel loss alone prefers no shadow at all),
    #: then refined with the strengths below by the same fit.
    light_cam: tuple[float, float, float] = (-0.2775, 1.726, -1.324)
    light_radius: float = 0.2114
    spot_exponent: float = 0.5998
    spot_cutoff_deg: float = 85.0
    #: Where the spot points: the object's base plus this offset in the camera frame (right, up,
    #: backwards), in multiples of cam_distance.
    spot_aim_cam: tuple[float, float, float] = (-0.1576, 0.0, -0.152)
    #: Per surface (floor, wall, object): ambient term, headlight (light from the camera, no
    #: shadow) and spot light diffuse strength.
    ambient: tuple[float, float, float] = (0.2773, 0.09336, 0.5578)
    headlight: tuple[float, float, float] = (0.2062, 0.8122, 0.3897)
    diffuse: tuple[float, float, float] = (0.6877, 0.3218, 1.533)
    sky_rgb: tuple[float, float, float] = (153 / 255, 226 / 255, 249 / 255)
    wall_texture: float = 0.03
    supersample: int = 3
    shadow_samples: int = 16

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able dict (stored as the ``render_params`` attribute); tuples become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SceneParams:
        """Inverse of :meth:`to_dict` (e.g. to re-render a file from its ``render_params``)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(f"unknown scene parameters: {', '.join(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class ShadingMaps(NamedTuple):
    """Per-pixel recolouring coefficients of one (scale, shape, orientation) configuration."""

    #: (3, 64, 64) float32: shading of floor, wall and object, weighted by pixel coverage.
    coef: np.ndarray
    #: (64, 64) float32: fraction of the pixel that shows sky.
    sky: np.ndarray
    #: (64, 64) int8: the surface seen by the pixel centre (-1 sky, else index into SURFACES).
    label: np.ndarray


def hsv_rgb(hues: np.ndarray) -> np.ndarray:
    """Fully saturated, full-value HSV colours ``(n, 3)`` in [0, 1] for hues in [0, 1)."""
    h = np.asarray(hues, dtype=np.float64).reshape(-1, 1)
    k = (np.array([5.0, 3.0, 1.0]) + h * 6.0) % 6.0
    return 1.0 - np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


def _camera(azimuth_deg: float, p: SceneParams) -> tuple[np.ndarray, np.ndarray]:
    """Camera origin and the (3, 3) basis [right, up, forward] for an orbit azimuth."""
    a = np.deg2rad(azimuth_deg)
    origin = np.array([p.cam_distance * np.sin(a), p.cam_height, p.cam_distance * np.cos(a)])
    forward = np.array([0.0, p.look_height, 0.0]) - origin
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return origin, np.stack([right, up, forward])


def _primary_rays(azimuth_deg: float, p: SceneParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, unit directions (n, 3) of the super-sampled pixel rays, and the camera basis."""
    origin, basis = _camera(azimuth_deg, p)
    n = IMAGE_SIZE * p.supersample
    offs = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    tan = np.tan(np.deg2rad(p.fovy_deg) / 2.0)
    ys, xs = np.meshgrid(-offs * tan, offs * tan, indexing="ij")
    dirs = xs.reshape(-1, 1) * basis[0] + ys.reshape(-1, 1) * basis[1] + basis[2]
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return origin, dirs, basis


def _sphere_hit(o: np.ndarray, d: np.ndarray, centre: np.ndarray, r: float) -> np.ndarray:
    """Nearest positive hit distance of rays (o + t d, |d| = 1) with a sphere; inf if none."""
    oc = o - centre
    b = np.einsum("...i,...i->...", oc, d)
    c = np.einsum("...i,...i->...", oc, oc) - r * r
    disc = b * b - c
    sq = np.sqrt(np.maximum(disc, 0.0))
    t0, t1 = -b - sq, -b + sq
    t = np.where(t0 > 1e-6, t0, np.where(t1 > 1e-6, t1, _INF))
    return np.where(disc >= 0.0, t, _INF)


def _cylinder_side_hit(o: np.ndarray, d: np.ndarray, r: float, y0: float, y1: float) -> np.ndarray:
    """Nearest hit of rays with the side of the vertical cylinder x²+z² = r², y0 ≤ y ≤ y1."""
    ox, oz, dx, dz = o[..., 0], o[..., 2], d[..., 0], d[..., 2]
    a = dx * dx + dz * dz
    b = ox * dx + oz * dz
    c = ox * ox + oz * oz - r * r
    disc = b * b - a * c
    sq = np.sqrt(np.maximum(disc, 0.0))
    safe_a = np.where(a > 1e-12, a, 1.0)
    best = np.full(np.broadcast_shapes(ox.shape, dx.shape), _INF)
    for sign in (1.0, -1.0):
        t = (-b - sign * sq) / safe_a
        y = o[..., 1] + t * d[..., 1]
        ok = (disc >= 0.0) & (a > 1e-12) & (t > 1e-6) & (y >= y0) & (y <= y1)
        best = np.where(ok & (t < best), t, best)
    return best


def _cap_hit(o: np.ndarray, d: np.ndarray, r: float, y: float) -> np.ndarray:
    """Hit of rays with the horizontal disc of radius r at height y (top cap)."""
    dy = d[..., 1]
    safe = np.where(np.abs(dy) > 1e-12, dy, 1.0)
    t = (y - o[..., 1]) / safe
    x = o[..., 0] + t * d[..., 0]
    z = o[..., 2] + t * d[..., 2]
    ok = (np.abs(dy) > 1e-12) & (t > 1e-6) & (x * x + z * z <= r * r)
    return np.where(ok, t, _INF)


def _box_hit(o: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Slab test: nearest positive hit of rays with the axis-aligned box [lo, hi]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(np.abs(d) > 1e-12, d, 1e-12)
        t0 = (lo - o) * inv
        t1 = (hi - o) * inv
    tnear = np.minimum(t0, t1).max(axis=-1)
    tfar = np.maximum(t0, t1).min(axis=-1)
    t = np.where(tnear > 1e-6, tnear, tfar)
    return np.where((tfar >= tnear) & (t > 1e-6), t, _INF)


class _Object:
    """One object (shape, scale) at the origin: ray hits and surface normals."""

    def __init__(self, shape: int, scale: float, p: SceneParams):
        self.shape = int(shape)
        s = float(scale)
        if self.shape == 0:
            a = p.cube_half * s
            self.lo, self.hi = np.array([-a, 0.0, -a]), np.array([a, 2 * a, a])
        elif self.shape == 1:
            self.r, self.h = p.cylinder_r * s, 2 * p.cylinder_half_h * s
        elif self.shape == 2:
            self.r = p.sphere_r * s
            self.centre = np.array([0.0, self.r, 0.0])
        elif self.shape == 3:
            self.r, self.half = p.capsule_r * s, p.capsule_half_len * s
            self.y0, self.y1 = self.r, self.r + 2 * self.half
        else:
            raise ValueError(f"shape must be 0..3, got {shape}")

    def hit(self, o: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Nearest positive hit distance of each ray; inf where it misses."""
        if self.shape == 0:
            return _box_hit(o, d, self.lo, self.hi)
        if self.shape == 1:
            return np.minimum(_cylinder_side_hit(o, d, self.r, 0.0, self.h), _cap_hit(o, d, self.r, self.h))
        if self.shape == 2:
            return _sphere_hit(o, d, self.centre, self.r)
        side = _cylinder_side_hit(o, d, self.r, self.y0, self.y1)
        bottom = _sphere_hit(o, d, np.array([0.0, self.y0, 0.0]), self.r)
        top = _sphere_hit(o, d, np.array([0.0, self.y1, 0.0]), self.r)
        return np.minimum(side, np.minimum(bottom, top))

    def normal(self, x: np.ndarray) -> np.ndarray:
        """Outward unit normals at surface points x (n, 3)."""
        if self.shape == 0:
            c = (self.lo + self.hi) / 2
            rel = (x - c) / ((self.hi - self.lo) / 2)
            axis = np.argmax(np.abs(rel), axis=1)
            n = np.zeros_like(x)
            n[np.arange(len(x)), axis] = np.sign(rel[np.arange(len(x)), axis])
            return n
        if self.shape == 1:
            n = np.where((x[:, 1] >= self.h - 1e-6)[:, None], [[0.0, 1.0, 0.0]], x * [1.0, 0.0, 1.0])
        elif self.shape == 2:
            n = x - self.centre
        else:
            axis_y = np.clip(x[:, 1], self.y0, self.y1)
            n = x - np.stack([np.zeros_like(axis_y), axis_y, np.zeros_like(axis_y)], axis=1)
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def _room_hit(o: np.ndarray, d: np.ndarray, p: SceneParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance to the first room wall plane, its inward normal, and distance to the floor."""
    planes = (  # (axis, coordinate, inward normal)
        (2, -p.wall_back, (0.0, 0.0, 1.0)),
        (2, p.wall_front, (0.0, 0.0, -1.0)),
        (0, -p.wall_side, (1.0, 0.0, 0.0)),
        (0, p.wall_side, (-1.0, 0.0, 0.0)),
    )
    t_wall = np.full(len(d), _INF)
    n_wall = np.zeros_like(d)
    for axis, coord, normal in planes:
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (coord - o[axis]) / d[:, axis]
        t = np.where(np.isfinite(t) & (t > 1e-6), t, _INF)
        closer = t < t_wall
        t_wall = np.where(closer, t, t_wall)
        n_wall[closer] = normal
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(d[:, 1] < -1e-12, -o[1] / d[:, 1], _INF)
    return t_wall, n_wall, t_floor


def _light_samples(light: np.ndarray, basis: np.ndarray, p: SceneParams) -> np.ndarray:
    """Fixed points on a disc facing the camera around the light: a deterministic soft shadow."""
    k = p.shadow_samples
    golden = np.pi * (3.0 - np.sqrt(5.0))
    i = np.arange(k)
    rad = p.light_radius * np.sqrt((i + 0.5) / k)
    ang = i * golden
    return light + rad[:, None] * (np.cos(ang)[:, None] * basis[0] + np.sin(ang)[:, None] * basis[1])


def _wall_texture(x: np.ndarray, amount: float) -> np.ndarray:
    """A faint deterministic pattern on the walls (the official walls carry a soft texture)."""
    u = x[:, 0] + x[:, 2]
    v = x[:, 1]
    pattern = np.sin(3.1 * u + 1.7 * v) * np.sin(2.3 * v - 1.3 * u + 0.5)
    return 1.0 - amount * (0.5 + 0.5 * pattern)


def shading_maps(scale: float, shape: int, azimuth_deg: float, p: SceneParams | None = None) -> ShadingMaps:
    """Ray-cast one configuration and return its recolouring coefficients (see module docstring)."""
    p = p or SceneParams()
    obj = _Object(shape, scale, p)
    origin, dirs, basis = _primary_rays(azimuth_deg, p)
    n = len(dirs)
    t_wall, n_wall, t_floor = _room_hit(origin, dirs, p)
    wall_y = origin[1] + t_wall * dirs[:, 1]
    t_obj = obj.hit(origin, dirs)

    surface = np.full(n, -1, dtype=np.int8)  # sky
    t_room = np.minimum(t_floor, np.where(wall_y <= p.wall_height, t_wall, _INF))
    surface[np.isfinite(t_room) & (t_floor <= t_wall)] = 0
    surface[np.isfinite(t_room) & (t_floor > t_wall)] = 1
    in_front = t_obj < t_room
    surface[in_front] = 2
    t_hit = np.where(in_front, t_obj, t_room)

    lit = surface >= 0
    pts = origin + np.where(lit, t_hit, 0.0)[:, None] * dirs
    normals = np.zeros_like(pts)
    normals[surface == 0] = (0.0, 1.0, 0.0)
    normals[surface == 1] = n_wall[surface == 1]
    obj_idx = np.flatnonzero(surface == 2)
    normals[obj_idx] = obj.normal(pts[obj_idx])

    light = origin + p.cam_distance * np.asarray(p.light_cam) @ np.stack([basis[0], basis[1], -basis[2]])
    to_light = light - pts
    to_light /= np.maximum(np.linalg.norm(to_light, axis=1, keepdims=True), 1e-12)
    lambert = np.clip(np.einsum("ij,ij->i", normals, to_light), 0.0, 1.0)

    # Soft shadow of the object on the room (floor, walls): fraction of light samples visible.
    visible = np.ones(n)
    room_idx = np.flatnonzero((surface == 0) | (surface == 1))
    if room_idx.size:
        samples = _light_samples(light, basis, p)
        src = pts[room_idx]
        blocked = np.zeros(room_idx.size)
        for q in samples:
            ray = q - src
            dist = np.linalg.norm(ray, axis=1)
            t = obj.hit(src, ray / dist[:, None])
            blocked += t < dist
        visible[room_idx] = 1.0 - blocked / len(samples)

    # MuJoCo-style spot light: intensity cos(angle to the spot axis)^exponent inside the cut-off.
    aim = p.cam_distance * np.asarray(p.spot_aim_cam) @ np.stack([basis[0], basis[1], -basis[2]])
    axis = (aim - light) / np.linalg.norm(aim - light)
    cos_spot = np.einsum("ij,j->i", -to_light, axis)
    spot = np.where(cos_spot >= np.cos(np.deg2rad(p.spot_cutoff_deg)), np.maximum(cos_spot, 0.0), 0.0)
    spot = spot**p.spot_exponent
    head = np.clip(-np.einsum("ij,ij->i", normals, dirs), 0.0, 1.0)

    amb = np.zeros(n)
    hdl = np.zeros(n)
    dif = np.zeros(n)
    for c in range(3):
        amb[surface == c] = p.ambient[c]
        hdl[surface == c] = p.headlight[c]
        dif[surface == c] = p.diffuse[c]
    shade = np.minimum(amb + hdl * head + dif * spot * lambert * visible, 1.0)
    wall_idx = surface == 1
    shade[wall_idx] *= _wall_texture(pts[wall_idx], p.wall_texture)

    ss, size = p.supersample, IMAGE_SIZE
    coef = np.zeros((3, n))
    for c in range(3):
        coef[c] = np.where(surface == c, shade, 0.0)
    pool = coef.reshape(3, size, ss, size, ss).mean(axis=(2, 4))
    sky = (surface == -1).reshape(size, ss, size, ss).mean(axis=(1, 3))
    centre = surface.reshape(size, ss, size, ss)[:, ss // 2, :, ss // 2]
    return ShadingMaps(pool.astype(np.float32), sky.astype(np.float32), centre.copy())


def colourise(maps: ShadingMaps, rgb: np.ndarray, sky_rgb: np.ndarray) -> np.ndarray:
    """Images of one configuration for colour triples: uint8 ``(m, 64, 64, 3)``.

    ``rgb`` is ``(m, 3, 3)``: for each image the RGB in [0, 1] of floor, wall and object.
    """
    img = maps.sky[None, :, :, None] * np.asarray(sky_rgb, dtype=np.float32)
    img = img + np.einsum("chw,mck->mhwk", maps.coef, rgb.astype(np.float32), optimize=True)
    return np.rint(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)
