"""Local motion: the things in a photo that move in reality move, each its own way.

Each asked motion has a region (regions.py: where the photo has water, sky, vegetation,
hair, fire) and a style, as Holynski et al. ("Animating Pictures with Eulerian Motion
Fields", CVPR 2021) animate pictures: fluids *stream*, soft things *sway*.

* **Streams** (water and fire flow, clouds drift) move a region's content along a static
  velocity field. Displacing the photo itself would drag whatever stands in the region
  (a tower in the sky, a post in the water) along or smear its edge across the region,
  so a stream moves a *plate* instead: the photo with everything near the region that is
  not the region filled in from it (push_pull, as far as the stream can reach),
  composited back under the region's alpha (edge-aware at output size, never over
  straight edges or the subject). What stands in the sky stays; the sky passes behind it.
  - Flows (water, fire) vary their speed smoothly in space. Two copies of the plate half
    a period FLOW_PERIOD_S apart each travel for one period and start again, cross-faded
    by a triangle weight that is 0 when a copy restarts (the flow-map scheme of real-time
    water; Holynski's symmetric splatting blends its two integration directions the same
    way), so no copy travels further than half a period's worth. Whole periods per clip:
    the clip loops. Water adds ripples across its flow, fire a flicker across its rise.
  - Drift (clouds) travels at one slow velocity for the whole clip, without restarting:
    a cross-fade would double a cloud's edge.
* **Warps** (leaves and wind sway, hair waves, breathing pulses) displace the picture by a
  few pixels: closed-form travelling waves, a slow sway under a gust front that crosses
  the frame plus a faster flutter, whole cycles per clip; a slow scale pulse of the
  subject. Their masks are multiplied by one minus what is rigid (long straight edges,
  and the subject for the regions around it), so nothing straight bends.

Amplitudes are in 720p pixels, scaled by movement_amplitude (AMPLITUDE), and ease in over
the first RAMP_S (0 at frame 0, so frame 0 is the camera's frame 0). Fields live on a
coarse grid (about 90 rows whatever the output size). Masks are made in photo
coordinates and follow the camera's zoom and travel. Every value is a closed-form
function of time: frames in any order, and the same seed gives the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from stillmotion.engines.motion import layers
from stillmotion.engines.motion.camera import Pose
from stillmotion.engines.motion.projection import affine, follow, resized
from stillmotion.engines.motion.regions import Regions, clear_of_fine_structure, smoothstep
from stillmotion.media.resize import resize_to

RAMP_S = 0.5  # every effect and local motion eases in over this long
FIELD_STEP = 4  # the grid is at least this much coarser than the output
MASK_FLOOR = 0.08  # a mask is exactly 0 below this, so tiles without motion are skipped
MASK_GAIN = 1.5  # the regions' products rarely reach 1
TILE = 16  # the finished-frame path resamples tiles of TILE x TILE grid cells
FLOW_PERIOD_S = 1.5  # each flow copy travels this long before it restarts (about)
AMPLITUDE = {"small": 0.6, "medium": 1.0, "large": 1.6}
PLATE_MARGIN = 8  # px filled in the plate beyond the furthest a stream can reach
PLATE_SOLID = 0.75  # the plate keeps the photo only where a stream's alpha is this high
PLATE_GROW = 4  # ... and this far (720p px) from where it is lower
WARP_STRETCH = 0.25  # the most a warp's mask edge may stretch the picture (see _warp_mask)
HORIZON_SPEED = 0.1  # a drift at the bottom of its region, of its speed at the top
EDGE_REACH = 0.03  # a stream's region grows this far (of the frame height) ...
EDGE_COLOUR = 12  # ... over pixels this close (8-bit levels, per channel) to its colour


@dataclass(frozen=True)
class Style:
    """How one motion moves (720p px, medium amplitude)."""

    region: str  # a Regions field, or "matte"
    kind: str  # "flow", "drift", "sway" or "pulse"
    speed: float = 0.0  # flow and drift: px per frame
    axis: tuple[float, float] = (1.0, 0.0)  # flow and drift: the direction, + side
    sway: float = 0.0  # sway: px
    sway_hz: float = 0.0
    wavelength: float = 0.4  # sway: of the frame height
    flutter: float = 0.0  # sway: px of a faster, shorter wave on top
    flutter_hz: float = 0.0
    gust: float = 0.0  # sway: how far the gust front modulates the sway (0..1)
    ripple: float = 0.0  # flow: px of a travelling cross-wave on top (water's ripples)


# Sways are sized so that the field's own top 5 % of speeds is 1.2-1.5 px a frame at
# medium, 720p (tests/engines/test_living.py measures frames: DIS recovered 80 % of the
# field's speed on the astronaut's hair, so what a viewer sees stays above 0.8).
STYLES: dict[str, Style] = {
    "water": Style("water", "flow", speed=1.3, ripple=1.4),
    "fire": Style("fire", "flow", speed=1.6, axis=(0.0, -1.0), sway=1.5, sway_hz=2.0,
                  wavelength=0.08),
    "clouds": Style("sky", "drift", speed=0.9),
    "leaves": Style("vegetation", "sway", sway=5.5, sway_hz=0.5, wavelength=0.4,
                    flutter=1.4, flutter_hz=1.6, gust=0.4),
    "wind": Style("vegetation", "sway", sway=7.0, sway_hz=0.45, wavelength=0.5,
                  flutter=1.6, flutter_hz=1.8, gust=0.5),
    "hair": Style("hair", "sway", sway=4.5, sway_hz=0.8, wavelength=0.12, flutter=0.8,
                  flutter_hz=1.4),
    "breathing": Style("matte", "pulse"),
}
LOOPED = ("water", "fire", "leaves", "wind", "hair", "breathing")  # clouds drift on


def ease_in(t: float) -> float:
    """An effect's strength at clip time t (s): 0 at frame 0, whole after RAMP_S."""
    return float(smoothstep(0.0, RAMP_S, t))


def whole_cycles(hz: float, duration: float) -> float:
    """The angular frequency nearest `hz` that completes whole cycles over `duration`
    seconds, so whatever waves at it loops with the clip."""
    return 2 * math.pi * max(1, round(hz * duration)) / duration


def periodic_noise(rng: np.random.Generator, h: int, w: int, scale: float) -> np.ndarray:
    """Smooth noise that tiles seamlessly (Gaussian-filtered white noise, via FFT), 0..1:
    the flows' speed variation here, the fog's density in effects.py."""
    white = rng.standard_normal((h, w))
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    sigma = scale * max(h, w)
    spectrum = np.fft.rfft2(white) * np.exp(-2 * (math.pi * sigma) ** 2 * (fx ** 2 + fy ** 2))
    noise = np.fft.irfft2(spectrum, s=(h, w))
    noise = (noise - noise.mean()) / (noise.std() + 1e-9)
    return np.clip(0.5 + 0.22 * noise, 0.0, 1.0).astype(np.float32)


def push_pull(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """`image` (RGB uint8) with every pixel not `known` filled smoothly from the known ones
    (push-pull: a pyramid of known-weighted means, filled from the coarser level where a
    level knows too little). A sky or a lake filled this way is as smooth as its
    surroundings; a diffusion fill from the hole's edge (Telea's) draws streaks, which a
    drifting sky then carries into view."""
    weight: np.ndarray = known.astype(np.float32)
    values: np.ndarray = image.astype(np.float32) * weight[..., None]
    levels = []
    while min(weight.shape) > 4:
        levels.append((values, weight))
        values, weight = cv2.pyrDown(values), cv2.pyrDown(weight)
    filled: np.ndarray = values / np.maximum(weight, 1e-6)[..., None]
    if float(weight.max()) <= 1e-6:
        filled[:] = image.reshape(-1, 3).mean(axis=0)
    for level_values, level_weight in reversed(levels):
        h, w = level_weight.shape
        coarse = cv2.pyrUp(filled, dstsize=(w, h))
        sure = np.clip(level_weight * 2.0, 0.0, 1.0)[..., None]
        filled = (level_values / np.maximum(level_weight, 1e-6)[..., None] * sure
                  + coarse * (1.0 - sure))
    return np.clip(np.rint(filled), 0, 255).astype(np.uint8)


def _toward_horizon(region: np.ndarray) -> np.ndarray:
    """A drift's speed down its region (bool), 1 at the region's top row falling to
    HORIZON_SPEED at its bottom row: clouds near the horizon are further away and cross
    the frame slower, and whatever the sky's region took in low down (a hazy lake that
    runs into it, a distant shore) barely moves."""
    rows = np.flatnonzero(region.any(axis=1))
    h, w = region.shape
    if not len(rows):
        return np.ones((h, w), np.float32)
    top, bottom = float(rows[0]), float(max(rows[-1], rows[0] + 1))
    y = np.arange(h, dtype=np.float32)[:, None]
    fall = np.clip((y - top) / (bottom - top), 0.0, 1.0) ** 0.75
    return np.repeat(1.0 - (1.0 - HORIZON_SPEED) * fall, w, axis=1).astype(np.float32)


def _reach_edges(photo: np.ndarray, region: np.ndarray) -> np.ndarray:
    """A region found at analysis size (bool), at the photo's size (uint8 0/1), grown up
    to where the photo's colour leaves the region's own: its analysis-size edge lies up to
    a few analysis pixels short of the thing beside it (blur, the subject's margin), and a
    band of sky left still between a drifting sky and the hair shows as an arc. The
    region's colour everywhere is its push-pull fill; a pixel within EDGE_REACH of the
    region whose colour is within EDGE_COLOUR of that joins it."""
    h, w = photo.shape[:2]
    core = cv2.resize(region.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    if not core.any():
        return core
    reach = max(1, round(EDGE_REACH * h))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    near = cv2.dilate(core, kernel) > 0
    inner = cv2.erode(core, np.ones((5, 5), np.uint8)) > 0
    own = push_pull(photo, inner if inner.any() else core > 0)
    distance = np.abs(photo.astype(np.int16) - own.astype(np.int16)).max(axis=-1)
    return ((core > 0) | (near & (distance <= EDGE_COLOUR))).astype(np.uint8)


def _rigid(name: str, regions: Regions, matte: np.ndarray, feather: float) -> np.ndarray:
    """What motion `name` must not bend: everything rigid (straight edges, the subject,
    faces) for the regions around the subject; for hair and fire, which may lie on it,
    the straight edges and faces; for water the edges that are not level (its own streaks
    are, and its flow carries them along themselves) and the subject."""
    if name not in ("water", "hair", "fire"):
        return np.clip(regions.rigid, 0.0, 1.0)
    edges = regions.slanted if name == "water" else regions.lines
    rigid = np.maximum(cv2.GaussianBlur(edges, (0, 0), 0.5 * feather) * 1.5, regions.face)
    if name == "water":
        rigid = np.maximum(rigid, matte.astype(np.float32))
    return np.clip(rigid, 0.0, 1.0)


def _tiles(masks: Sequence[np.ndarray]) -> list[tuple[int, int, int, int]]:
    """The tiles (TILE x TILE grid cells, as cell ranges) that some mask reaches."""
    if not masks:
        return []
    union = np.maximum.reduce(list(masks))
    gh, gw = union.shape
    tiles = []
    for cy in range(0, gh, TILE):
        for cx in range(0, gw, TILE):
            near = union[max(0, cy - 1):cy + TILE + 1, max(0, cx - 1):cx + TILE + 1]
            if float(near.max()) > 0.0:
                tiles.append((cy, min(gh, cy + TILE), cx, min(gw, cx + TILE)))
    return tiles


class LocalMotion:
    """One task's local motion: masks and plate once; per frame a warp field and, for
    streams, one or two displacements of the plate to composite."""

    def __init__(self, motions: Sequence[str], regions: Regions, matte: np.ndarray,
                 width: int, height: int, seed: int, frame_count: int, fps: int,
                 amplitude: str = "medium", sides: dict[str, int] | None = None,
                 photo: np.ndarray | None = None) -> None:
        """`sides`: +1 or -1 per motion whose direction the prompt gave (water flowing to
        the right, clouds drifting left); the seed picks the others. `photo` (any size):
        without it there is no plate, and streams do not move."""
        asked = [m for m in motions if m in STYLES]
        if "wind" in asked and "leaves" in asked:  # "trees sway in the wind": one sway
            asked.remove("leaves")
        self.warps = tuple(m for m in asked if STYLES[m].kind in ("sway", "pulse"))
        self.streams = tuple(m for m in asked if STYLES[m].kind in ("flow", "drift")
                             and photo is not None)
        self.size = (width, height)
        self.fps = fps
        self.frame_count = max(1, frame_count)
        self.duration = self.frame_count / fps
        self.scale = AMPLITUDE.get(amplitude, 1.0) * height / 720.0
        self.step = max(FIELD_STEP, round(height / 90))
        gw, gh = self.grid_size
        self._x, self._y = np.meshgrid((np.arange(gw, dtype=np.float32) + 0.5) * self.step / height,
                                       (np.arange(gh, dtype=np.float32) + 0.5) * self.step / height)
        rng = np.random.default_rng([seed & 0xFFFFFFFF, 7919])
        self._phase = rng.uniform(0, 2 * math.pi, (len(STYLES), 6))
        seeded = {name: (1 if rng.uniform() < 0.5 else -1) for name in STYLES}
        self._side = {**seeded, **(sides or {})}
        self._variation = 0.7 + 0.6 * periodic_noise(rng, gh, gw, 0.08)
        self.period = self.duration / max(1, round(self.duration / FLOW_PERIOD_S))
        h, w = matte.shape
        self._feather = max(1.0, max(h, w) / 60)
        self._masks0 = {name: self._warp_mask(name, regions, matte) for name in self.warps}
        self._masks = self._masks0
        self._tiles0 = _tiles(list(self._masks0.values()))
        self._tiles: list[tuple[int, int, int, int]] | None = self._tiles0
        self._followed: Pose | None | bool = None
        centre = (0.5, 0.5)
        if matte.any():
            my, mx = np.nonzero(matte)
            centre = ((float(mx.mean()) + 0.5) / matte.shape[1],
                      (float(my.mean()) + 0.5) / matte.shape[0])
        self._centre0 = centre
        self._centre = self._on_screen(centre, None)
        self._ramp_x = np.arange(width, dtype=np.float32)[None, :]
        self._ramp_y = np.arange(height, dtype=np.float32)[:, None]
        # streams: per motion its alpha (output size) and velocity support (grid); one plate
        self._alphas: dict[str, np.ndarray] = {}
        self._support: dict[str, np.ndarray] = {}
        self.plate: np.ndarray | None = None
        self._alpha0 = np.zeros((height, width), np.float32)  # photo coordinates
        self._stream_tiles: list[tuple[int, int, int, int]] = []
        if self.streams and photo is not None:
            self._make_plate(resize_to(photo, width, height), regions, matte)

    @property
    def grid_size(self) -> tuple[int, int]:
        width, height = self.size
        return math.ceil(width / self.step), math.ceil(height / self.step)

    @property
    def flows(self) -> bool:
        """Whether a streamed frame is two copies cross-faded (a flow is asked for)."""
        return any(STYLES[name].kind == "flow" for name in self.streams)

    # -- masks and the plate ---------------------------------------------------------

    def _warp_mask(self, name: str, regions: Regions, matte: np.ndarray) -> np.ndarray:
        style = STYLES[name]
        if style.region == "matte":
            mask = cv2.GaussianBlur(matte.astype(np.float32), (0, 0), self._feather * 1.5)
            return resized(_floored(mask), *self.grid_size)
        mask = getattr(regions, style.region).astype(np.float32)
        if name == "wind":  # wind blows hair too, a little less than the leaves
            mask = np.maximum(mask, 0.7 * regions.hair)
        # A sway of A px across a mask edge w px wide stretches the picture there by A / w:
        # the edge is softened on the grid until the stretch stays under WARP_STRETCH
        # (at the region's own hard edge, 7 px of wind over 8 px smeared a tree's outline),
        # and what is rigid is cut out after, so it stays exactly still.
        grid = resized(_floored(mask), *self.grid_size)
        sway = (style.sway + style.flutter) * self.scale
        sigma = sway / (WARP_STRETCH * 2.5 * self.step)
        if sigma > 0.5:
            grid = cv2.GaussianBlur(grid, (0, 0), sigma)
        rigid = _rigid(name, regions, matte, self._feather)
        return (grid * (1.0 - cv2.resize(rigid, self.grid_size, interpolation=cv2.INTER_AREA))
                ).astype(np.float32)

    def _make_plate(self, photo: np.ndarray, regions: Regions, matte: np.ndarray) -> None:
        """Each stream's alpha at output size (its region, cut at the photo's edges by a
        guided filter, never over what is rigid) and velocity support on the grid, and the
        plate: the photo with everything within the streams' reach of them that is not
        theirs filled in from them."""
        width, height = self.size
        reach = 0.0
        gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
        for name in self.streams:
            style = STYLES[name]
            region = getattr(regions, style.region)
            rigid = resized(_rigid(name, regions, matte, self._feather), width, height)
            # a drift carries its sky far: grown to the edge of what stands in it, or a still
            # band shows beside it; a flow's copies travel a few pixels, and grown by colour
            # a guessed lake spread over a cat's blurred backdrop
            hard = (_reach_edges(photo, region > 0.5) if style.kind == "drift"
                    else (region > 0.5).astype(np.uint8))
            alpha = layers.feathered_alpha(photo, hard)
            # fine detail in the sky is something standing in it (a mast, a lattice); in
            # water and fire it is their own ripples and flicker, which must flow too
            if style.kind == "drift":
                inside = cv2.resize((region > 0.5).astype(np.uint8), (width, height),
                                    interpolation=cv2.INTER_NEAREST) > 0
                alpha = alpha * clear_of_fine_structure(gray, inside)
            alpha = _floored(alpha * (1.0 - rigid))
            self._alphas[name] = alpha
            support = cv2.GaussianBlur(cv2.dilate((region > 0.3).astype(np.uint8),
                                                  np.ones((9, 9), np.uint8)).astype(np.float32),
                                       (0, 0), 3 * self._feather)
            support = np.clip(support * 1.5, 0.0, 1.0)
            if style.kind == "drift":
                support = support * _toward_horizon(region > 0.5)
            self._support[name] = resized(support.astype(np.float32), *self.grid_size)
            travel = self.frame_count if style.kind == "drift" else self.period * self.fps / 2
            reach = max(reach, style.speed * self.scale * 1.3 * travel
                        + (style.ripple + style.sway) * self.scale * 1.5)
        self._alpha0 = np.maximum.reduce(list(self._alphas.values()))
        outside = cv2.distanceTransform((self._alpha0 <= 0.5).astype(np.uint8), cv2.DIST_L2, 5)
        # with a drift, the hole reaches PLATE_GROW past the sky's edge, so the fill is
        # drawn from the sky a little away from it: a dark thing's bright halo (a sharpened
        # photo's ringing around hair) is not spread into the fill, which then drifts into
        # view. A flow keeps its edge (filled, it showed as an outline in the water)
        drifts = any(STYLES[name].kind == "drift" for name in self.streams)
        grow = max(1, round(PLATE_GROW * height / 720)) if drifts else 0
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        not_region = cv2.dilate((self._alpha0 < PLATE_SOLID).astype(np.uint8), kernel) > 0
        hole = (outside <= reach + PLATE_MARGIN) & not_region
        self.plate = photo.copy()
        known = ~not_region
        if hole.any() and known.any():
            self.plate[hole] = push_pull(photo, known)[hole]
        grid_alpha = cv2.resize(self._alpha0, self.grid_size, interpolation=cv2.INTER_AREA)
        self._stream_tiles = _tiles([grid_alpha])

    def _on_screen(self, point: tuple[float, float], pose: Pose | None) -> tuple[float, float]:
        """A photo point (0..1) in frame coordinates, in units of the frame height."""
        width, height = self.size
        x, y = point[0] * width - 0.5, point[1] * height - 0.5
        if pose is not None and not pose.is_identity:
            ax, bx, ay, by = affine(pose, self.size, self.size)
            x, y = (x - bx) / ax, (y - by) / ay
        return ((x + 0.5) / height, (y + 0.5) / height)

    def follow(self, pose: Pose | None) -> None:
        """Bring the masks into the frame the camera shows at `pose` (once per pose)."""
        identity = pose is None or pose.is_identity
        if (identity and self._followed is None) or self._followed == pose:
            return
        self._followed = None if identity else pose
        self._masks = self._masks0 if identity else {
            name: follow(mask, pose, (mask.shape[1], mask.shape[0]))
            for name, mask in self._masks0.items()}
        self._tiles = self._tiles0 if identity else None  # found by move() when needed
        self._centre = self._on_screen(self._centre0, pose)

    def mask(self, name: str) -> np.ndarray:
        """Where motion `name` applies (0..1 at output size; zeros if it does not)."""
        width, height = self.size
        if name in self._alphas:
            return self._alphas[name]
        if name not in self._masks:
            return np.zeros((height, width), np.float32)
        return resized(self._masks[name], width, height)

    # -- time ------------------------------------------------------------------------

    def strength(self, index: int) -> float:
        return ease_in(index / self.fps)

    def _loop(self, hz: float) -> float:
        return whole_cycles(hz, self.duration)

    def copies(self, index: int) -> list[tuple[float, float]]:
        """(weight, flow time in frames) of each copy of the plate a frame blends: one
        without flows; with flows two, half a period apart, each centred on its period
        (so neither travels further than half a period's worth either way)."""
        if not self.flows:
            return [(1.0, 0.0)]
        t = index / self.fps
        out = []
        for offset in (0.0, 0.5):
            phase = (t / self.period + offset) % 1.0
            out.append((1.0 - abs(2.0 * phase - 1.0), (phase - 0.5) * self.period * self.fps))
        return out

    # -- fields ----------------------------------------------------------------------

    def warp_field(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The warps' displacement at frame `index` (output px on the grid: p shows what
        p + d(p) showed)."""
        t = index / self.fps
        x, y = self._x, self._y
        dx, dy = np.zeros_like(x), np.zeros_like(x)
        tau = 2 * math.pi
        for k, name in enumerate(STYLES):
            if name not in self._masks:
                continue
            style, mask, ph = STYLES[name], self._masks[name], self._phase[k]
            if style.kind == "sway":
                side = self._side[name]
                gust: np.ndarray | float = 1.0
                if style.gust:  # a gust front crosses the frame the way the wind blows
                    gust = 1.0 - style.gust + style.gust * np.sin(
                        tau * side * x / 0.8 - self._loop(0.2) * t + ph[3])
                wave = np.sin(tau * (side * x + 0.5 * y) / style.wavelength
                              - self._loop(style.sway_hz) * t + ph[4])
                flutter = np.sin(tau * (x / 0.13 + y / 0.17) - self._loop(style.flutter_hz) * t
                                 + ph[5])
                wx = style.sway * gust * wave + style.flutter * flutter
                wy = 0.35 * style.sway * gust * np.sin(
                    tau * x / style.wavelength - self._loop(style.sway_hz) * t + ph[0]) \
                    + 0.5 * style.flutter * flutter
            else:  # the pulse: 0.7% of the frame height, about the subject
                cx, cy = self._centre
                pulse = 0.007 * 720.0 * math.sin(self._loop(0.25) * t)
                wx = (x - cx) * pulse
                wy = (y - cy) * 1.4 * pulse
            dx += mask * (self.scale * wx)
            dy += mask * (self.scale * wy)
        strength = self.strength(index)
        return dx * strength, dy * strength

    def stream_field(self, index: int, flow_time: float) -> tuple[np.ndarray, np.ndarray]:
        """The plate's displacement at frame `index` with flows `flow_time` frames into
        their copy's period (output px on the grid)."""
        t = index / self.fps
        x, y = self._x, self._y
        dx, dy = np.zeros_like(x), np.zeros_like(x)
        tau = 2 * math.pi
        for k, name in enumerate(STYLES):
            if name not in self._support:
                continue
            style, support, ph = STYLES[name], self._support[name], self._phase[k]
            side = self._side[name]
            vx, vy = style.axis[0] * side, style.axis[1]
            if vy:  # a rising or falling flow: the side only leans it
                vx = 0.15 * side
            travel: np.ndarray | float = t * self.fps * style.speed  # drift: the whole clip
            if style.kind == "flow":
                travel = flow_time * style.speed * self._variation
            wx = -vx * travel
            wy = -vy * travel
            if style.ripple:  # water's ripples travel toward the viewer across its flow
                wy = wy + style.ripple * np.sin(tau * y / 0.045 - self._loop(0.8) * t + ph[0]) \
                    * (0.6 + 0.4 * np.sin(tau * x / 0.3 + ph[1]))
            if style.sway:  # fire's flicker, across its rise
                wx = wx + style.sway * np.sin(tau * y / style.wavelength
                                              - self._loop(style.sway_hz) * t + ph[2])
            dx += support * (self.scale * wx)
            dy += support * (self.scale * wy)
        strength = self.strength(index)
        return dx * strength, dy * strength

    def fields(self, index: int, pose: Pose | None, grid: tuple[int, int]
               ) -> tuple[np.ndarray, np.ndarray] | None:
        """The warps at frame `index` for a renderer to fold into its own sampling: dx, dy
        in output pixels at the points of a (columns, rows) grid placed as
        projection.grid places them; None when nothing warps (no warp asked, or frame 0's
        zero strength, so frame 0 stays the camera's)."""
        if not self._masks0 or self.strength(index) <= 0.0:
            return None
        self.follow(pose)
        return self._regrid(*self.warp_field(index), grid)

    def stream_fields(self, index: int, pose: Pose | None, grid: tuple[int, int]
                      ) -> list[tuple[float, tuple[np.ndarray, np.ndarray]]] | None:
        """The plate's displacements at frame `index` on a renderer's grid, (weight,
        field) per copy; None when nothing streams. Composite the blend with composite()."""
        if self.plate is None or self.strength(index) <= 0.0:
            return None
        self.follow(pose)
        return [(weight, self._regrid(*self.stream_field(index, flow), grid))
                for weight, flow in self.copies(index) if weight > 0.0]

    def alpha8(self) -> np.ndarray:
        """The streams' alpha in photo coordinates at output size, uint8 (255 = 1): the
        renderer draws it beside the photo (FrameRenderer's `alpha`), so it follows the
        camera and parallax exactly."""
        return np.clip(np.rint(self._alpha0 * 255), 0, 255).astype(np.uint8)

    def composite(self, frame: np.ndarray, streamed: np.ndarray, index: int,
                  alpha: np.ndarray) -> np.ndarray:
        """`streamed` (the plate as the camera and the streams show it) over `frame` at
        frame `index`, under `alpha` (uint8, the streams' alpha drawn by the same camera),
        faded in with the strength (the plate differs from the photo where it was filled:
        that comes in smoothly too); a new array."""
        weight = alpha.astype(np.float32) * np.float32(self.strength(index) / 255.0)
        return cv2.blendLinear(streamed, frame, weight, 1.0 - weight)

    def _regrid(self, dx: np.ndarray, dy: np.ndarray,
                grid: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The field resampled from this grid onto another (bilinear: the values move()'s
        enlargement gives at those points)."""
        columns, rows = grid
        width, height = self.size
        # output pixel x sits at (x + 0.5) / step - 0.5 here; grid point j at pixel
        # (j + 0.5) * width / columns - 0.5
        sx, sy = width / (columns * self.step), height / (rows * self.step)
        matrix = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]], np.float64)
        both = cv2.warpAffine(cv2.merge([dx, dy]), matrix, grid,
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
        return both[..., 0], both[..., 1]

    # -- a finished frame ------------------------------------------------------------

    def move(self, frame: np.ndarray, index: int, pose: Pose | None = None,
             into: np.ndarray | None = None) -> np.ndarray:
        """A finished frame (the camera's, at `pose`) with local motion: the tiles the
        warps reach resampled through their field, then the plate streamed over the tiles
        the streams reach. Never edits `frame`. Streams are drawn here for a still camera
        only: a moving one draws the plate through itself (stream_fields, composite)."""
        if self.strength(index) <= 0.0:
            return frame
        self.follow(pose)
        if self._tiles is None:
            self._tiles = _tiles(list(self._masks.values()))
        streams = self.plate is not None and (pose is None or pose.is_identity)
        if not self._tiles and not (streams and self._stream_tiles):
            return frame
        out = frame.copy() if into is None else into
        if into is not None:
            np.copyto(out, frame)
        if self._tiles:
            field = self.warp_field(index)
            for tile in self._tiles:
                (y0, y1, x0, x1), pixels = self._sample(frame, field, tile)
                out[y0:y1, x0:x1] = pixels
        if streams and self.plate is not None:
            copies = [(weight, self.stream_field(index, flow))
                      for weight, flow in self.copies(index) if weight > 0.0]
            for tile in self._stream_tiles:
                sampled = [(weight, self._sample(self.plate, field, tile)[1])
                           for weight, field in copies]
                (y0, y1, x0, x1), streamed = self._bounds(tile), sampled[0][1]
                if len(sampled) == 2:
                    streamed = cv2.addWeighted(streamed, sampled[0][0], sampled[1][1],
                                               sampled[1][0], 0.0)
                alpha = self._alpha0[y0:y1, x0:x1] * np.float32(self.strength(index))
                out[y0:y1, x0:x1] = cv2.blendLinear(streamed, out[y0:y1, x0:x1], alpha,
                                                    1.0 - alpha)
        return out

    def _bounds(self, tile: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A tile's pixel bounds (y0, y1, x0, x1)."""
        cy0, cy1, cx0, cx1 = tile
        width, height = self.size
        return (cy0 * self.step, min(height, cy1 * self.step), cx0 * self.step,
                min(width, cx1 * self.step))

    def _sample(self, image: np.ndarray, field: tuple[np.ndarray, np.ndarray],
                tile: tuple[int, int, int, int],
                ) -> tuple[tuple[int, int, int, int], np.ndarray]:
        """One tile of `image` resampled through identity + the field enlarged from the
        grid: its cells plus a one-cell margin, by the exact integer factor, which gives
        the values a whole-frame enlargement would. Returns (y0, y1, x0, x1) and pixels."""
        dx, dy = field
        cy0, cy1, cx0, cx1 = tile
        gh, gw = dx.shape
        step = self.step
        y0, y1, x0, x1 = self._bounds(tile)
        my0, my1 = max(0, cy0 - 1), min(gh, cy1 + 1)
        mx0, mx1 = max(0, cx0 - 1), min(gw, cx1 + 1)
        size = ((mx1 - mx0) * step, (my1 - my0) * step)
        oy, ox = (cy0 - my0) * step, (cx0 - mx0) * step
        map_x = cv2.resize(dx[my0:my1, mx0:mx1], size, interpolation=cv2.INTER_LINEAR)
        map_y = cv2.resize(dy[my0:my1, mx0:mx1], size, interpolation=cv2.INTER_LINEAR)
        map_x = map_x[oy:oy + y1 - y0, ox:ox + x1 - x0] + self._ramp_x[:, x0:x1]
        map_y = map_y[oy:oy + y1 - y0, ox:ox + x1 - x0] + self._ramp_y[y0:y1]
        # fixed-point maps (1/32 px) resample ~30% faster than float ones, conversion
        # included
        fixed, fraction = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
        return (y0, y1, x0, x1), cv2.remap(image, fixed, fraction, cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_REFLECT_101)


def _floored(mask: np.ndarray) -> np.ndarray:
    """A mask with its gain, exactly 0 below MASK_FLOOR (tiles without motion are then
    skipped without a seam), float32."""
    return np.clip((mask * MASK_GAIN - MASK_FLOOR) / (1.0 - MASK_FLOOR), 0.0,
                   1.0).astype(np.float32)
