"""Step 4b, effects: seeded procedural overlays, and the task's local motion, after the camera.

* **Local motion** (`motions`: water, fire, clouds, leaves, wind, hair, breathing) is
  living.py's, in the regions of regions.py. In the engine its field is handed to the
  renderer (motion_fields), which folds it into the camera's own resampling, so a frame
  is sampled once; apply() on a finished frame resamples only the tiles the masks reach.
* **Overlays** (`effects`: rain, snow, fog, light, sparkles, embers, bokeh): everything
  is drawn into one RGB light layer at <= 640 px (particles splatted and blurred or drawn
  anti-aliased with sub-pixel positions, fog and light rays computed on a 4x coarser grid
  still), enlarged once and screen-blended over the frame, so the cost is nearly
  independent of the output size. Particles sit in depth layers: near ones are larger,
  faster, brighter; far ones are hidden where the depth proxy says something nearer stands.

Every particle's position is a closed-form function of time (no state), so frames can be
drawn in any order and the same seed always gives the same frames. Every strength ramps
from 0 at frame 0 (smoothstep over RAMP_S), so frame 0 is exactly the camera's frame 0.

The depth proxy and the photo's brightness are made in photo coordinates; given the
frame's camera Pose they follow the camera's zoom and travel (projection.follow, a warp of
small maps, well under a millisecond), so fog stays on the far things as the camera moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from stillmotion.engines.motion.camera import Pose
from stillmotion.engines.motion.director import EFFECTS
from stillmotion.engines.motion.living import LocalMotion, periodic_noise
from stillmotion.engines.motion.looks import grade_table, side_glow
from stillmotion.engines.motion.projection import follow, resized
from stillmotion.engines.motion.regions import find_regions, regions_without_photo, smoothstep
from stillmotion.engines.motion.scene import Analysis, analysis_image

RAMP_S = 0.5  # every effect eases in over this long
LAYER_MAX = 640  # overlays are drawn at most this large (long side) and enlarged once
FIELD_STEP = 4  # fog and light fields are this much coarser than their target
# Rain's contrast follows the brightness behind it: a light streak screened over a dark
# place, a darker streak over a bright one (where screening adds next to nothing: streaks
# over a white sky were invisible). The local luma of the photo (0..1, blurred, so the
# switch is smooth in space) turns streaks from light to dark between these two levels:
# nearly a switch, since where a streak is half light and half dark the two cancel (a
# 0.5-0.8 ramp left rain on mid-grey places, the motorcycle's garage floor, at 0.37-0.47
# of its detail on dark ones; this, at 0.62-0.73) ...
RAIN_BRIGHT = (0.6, 0.63)
RAIN_DARK = 0.7  # ... and a dark streak takes away this much of its own light one's weight
LIGHT_SHADE = 0.22  # light rays shade the frame between their shafts by up to this much


def _splat(shape: tuple[int, int], x: np.ndarray, y: np.ndarray,
           weight: np.ndarray) -> np.ndarray:
    """Bilinear splat of weighted points onto a float32 image (sub-pixel positions)."""
    h, w = shape
    x0 = np.floor(x).astype(np.int64)
    y0 = np.floor(y).astype(np.int64)
    fx = (x - x0).astype(np.float32)
    fy = (y - y0).astype(np.float32)
    index, share = [], []
    for dx, dy, part in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                         (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xs, ys = x0 + dx, y0 + dy
        ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        index.append(ys[ok] * w + xs[ok])
        share.append((weight * part)[ok])
    total = np.bincount(np.concatenate(index), weights=np.concatenate(share),
                        minlength=h * w).astype(np.float32)
    return total.reshape(h, w)


class Effects:
    """One task's effects: built once from the plan and the scene, applied to each frame."""

    def __init__(self, effects: Sequence[str], motions: Sequence[str], analysis: Analysis,
                 width: int, height: int, seed: int, frame_count: int, fps: int,
                 image: np.ndarray | None = None, amplitude: str = "medium",
                 sides: dict[str, int] | None = None,
                 levels: dict[str, float] | None = None) -> None:
        """`amplitude` scales local motion (living.AMPLITUDE); `sides` gives the direction
        of the motions whose way the prompt said (LocalMotion); `levels` how heavy the
        weather was asked to be (rain, snow, fog: 0.5 light .. 2 heavy)."""
        self.effects = tuple(effects)
        self.levels = dict(levels or {})
        self.motions = tuple(motions)
        self.size = (width, height)
        self.fps = fps
        self.duration = max(1, frame_count) / fps
        self._seed = seed
        scale = min(1.0, LAYER_MAX / max(width, height))
        self.layer_size = (max(8, round(width * scale)), max(8, round(height * scale)))
        lw, lh = self.layer_size
        self.unit = lh / 360.0  # one "360p pixel" in layer pixels
        self.field_size = (max(4, math.ceil(lw / FIELD_STEP)), max(4, math.ceil(lh / FIELD_STEP)))
        depth = analysis.depth.astype(np.float32)
        # at half the layer size (still finer than the depth proxy itself) as uint8: it is
        # followed every frame and turned into particle visibility by a 256-entry table
        # (1/255 steps are invisible in a mask that fades over a quarter of the depth
        # range), then enlarged: a quarter of the work at layer size
        self._depth8 = self._depth8_0 = np.clip(np.rint(
            resized(depth, (lw + 1) // 2, (lh + 1) // 2) * 255.0), 0, 255).astype(np.uint8)
        self._rain_buffers: tuple[np.ndarray, np.ndarray] | None = None
        self._depth_field = resized(depth, *self.field_size)
        small = analysis_image(image) if image is not None else None
        if small is not None and small.shape[:2] != depth.shape:
            small = cv2.resize(small, (depth.shape[1], depth.shape[0]),
                               interpolation=cv2.INTER_AREA)
        # the photo's local brightness as rain's streaks see it (RAIN_BRIGHT), at the
        # depth map's size, followed with the camera like it; None without the photo
        self._bright8_0: np.ndarray | None = None
        # per pose, at layer size: (1 - weight, weight), uint8 (255 = 1)
        self._rain_bright: tuple[np.ndarray, np.ndarray] | None = None
        if small is not None and "rain" in self.effects:
            gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (0, 0), 1.5)
            dh, dw = self._depth8_0.shape
            table = np.rint(255.0 * smoothstep(*RAIN_BRIGHT, np.arange(256) / 255.0))
            self._bright8_0 = cv2.LUT(cv2.resize(gray, (dw, dh), interpolation=cv2.INTER_AREA),
                                      table.astype(np.uint8))
        self._bright8 = self._bright8_0
        self._small = small
        self._visible: dict[float, np.ndarray] = {}
        self._buffers: list[np.ndarray] = []
        self._visible0 = self._visible  # for the identity pose, kept across frames
        self._followed: Pose | None | bool = False  # the pose the maps follow (False: none)
        self._particles: dict[str, dict[str, np.ndarray]] = {}
        self._layers: dict[str, list[tuple[float, np.ndarray]]] = {}
        for name in self.effects:
            self._particles[name] = self._make_particles(name)
        self._fog_noise: tuple[np.ndarray, np.ndarray] | None = None
        if "fog" in self.effects:
            rng = self._rng("fog")
            fw, fh = self.field_size
            self._fog_noise = (periodic_noise(rng, fh * 2, fw * 2, 0.06),
                               periodic_noise(rng, fh * 2, fw * 2, 0.025))
            self._fog_dir = rng.uniform(0, 2 * math.pi, 2)
            # fog thickens with distance, steeply: the depth proxy's middle is often a
            # subject it missed (a coat at the top of the frame), which fog must not veil
            self._far = self._far0 = (1.0 - smoothstep(0.0, 0.6, self._depth_field)) ** 2
            # its colour: the far part of the photo, lifted toward a pale grey, so a night
            # scene gets a dim fog and a bright one a pale fog
            grey = np.array([0.8, 0.82, 0.85], np.float32)
            self._fog_colour = grey
            if small is not None:
                weight = (1.0 - depth) ** 2
                mean = (small.astype(np.float32) / 255 * weight[..., None]).sum(axis=(0, 1)) \
                    / (float(weight.sum()) + 1e-6)
                self._fog_colour = (0.45 * mean + 0.55 * grey).astype(np.float32)
        self._light: dict[str, np.ndarray | float] = {}
        if "light" in self.effects:
            self._light = self._make_light()
        self._glow: np.ndarray | None = None
        if "golden" in self.effects:
            self._glow = side_glow(self.layer_size, self._bright_side() == 0.0)
        self.local: LocalMotion | None = None
        if self.motions:
            warps = bool(set(self.motions) & {"hair", "wind", "leaves"})
            regions = (find_regions(image, analysis, look_for_faces=warps)
                       if image is not None else regions_without_photo(analysis))
            self.local = LocalMotion(self.motions, regions, analysis.matte, width, height,
                                     seed, frame_count, fps, amplitude, sides, photo=image)

    # -- helpers -----------------------------------------------------------------------

    def _rng(self, name: str) -> np.random.Generator:
        salt = sum((i + 1) * ord(c) for i, c in enumerate(name))
        return np.random.default_rng([self._seed & 0xFFFFFFFF, salt])

    def _ramp(self, t: float) -> float:
        return float(smoothstep(0.0, RAMP_S, t))

    def _loop(self, hz: float) -> float:
        """Angular frequency of about `hz` that completes whole cycles over the clip."""
        return 2 * math.pi * max(1, round(hz * self.duration)) / self.duration

    def _visibility(self, z: float) -> np.ndarray:
        """Where a particle layer at depth z shows (uint8, 255: fully): hidden behind
        anything nearer."""
        key = round(z, 3)
        if key not in self._visible:
            table = 255.0 * (1.0 - smoothstep(z + 0.05, z + 0.3, np.arange(256) / 255.0))
            shown = cv2.LUT(self._depth8, np.rint(table).astype(np.uint8))
            self._visible[key] = resized(shown, *self.layer_size)
        return self._visible[key]

    # -- particles ---------------------------------------------------------------------

    def _depth_layers(self, name: str) -> list[tuple[float, np.ndarray]]:
        """(z, which particles) per depth layer of an effect, found once, not per frame."""
        if name not in self._layers:
            z = self._particles[name]["z"]
            self._layers[name] = [(float(v), z == v) for v in np.unique(z)]
        return self._layers[name]

    def _make_particles(self, name: str) -> dict[str, np.ndarray]:
        rng = self._rng(name)
        lw, lh = self.layer_size
        area = (lw / lh) / (16 / 9)  # as many per screen height, whatever the aspect
        # heavy rain or snow: more of it (1.5 power: heavy is 2.8x as many, light a third)
        level = self.levels.get(name, 1.0) ** 1.5
        if name == "rain":
            z = np.repeat([0.25, 0.55, 0.9], [int(260 * area * level), int(120 * area * level),
                                              int(40 * area * level)])
            slant = float(rng.choice([-1, 1]) * rng.uniform(0.12, 0.28))
        elif name == "snow":
            z = np.repeat([0.2, 0.5, 0.85], [int(240 * area * level), int(110 * area * level),
                                             int(35 * area * level)])
            slant = float(rng.uniform(-0.04, 0.04))  # a light seeded breeze, H per second
        elif name == "embers":
            z = np.repeat([0.4, 0.85], [int(45 * area), int(20 * area)])
            slant = float(rng.uniform(-0.03, 0.03))
        elif name == "sparkles":
            z = np.full(int(70 * area), 0.7)
            slant = 0.0
        elif name == "bokeh":
            z = np.full(max(6, int(12 * area)), 0.1)
            slant = float(rng.choice([-1, 1]) * rng.uniform(0.006, 0.014))
        else:
            return {}
        n = len(z)
        return {
            "z": z.astype(np.float32), "x": rng.uniform(0, 1, n), "y": rng.uniform(0, 1, n),
            "speed": rng.uniform(0.85, 1.15, n), "phase": rng.uniform(0, 2 * math.pi, n),
            "freq": rng.uniform(0.25, 1.0, n), "size": rng.uniform(0.7, 1.3, n),
            "bright": rng.uniform(0.6, 1.0, n), "kind": rng.integers(0, 3, n),
            "slant": np.array([slant]),
        }

    def _rain(self, t: float, strength: float) -> np.ndarray:
        p = self._particles["rain"]
        lw, lh = self.layer_size
        slant = float(p["slant"][0])
        direction = np.array([math.sin(slant), math.cos(slant)])
        out = np.zeros((lh, lw), np.float32)
        if self._rain_buffers is None:
            self._rain_buffers = (np.empty((lh, lw), np.uint8), np.empty((lh, lw), np.float32))
        buffer, shade = self._rain_buffers
        bright = min(1.3, math.sqrt(self.levels.get("rain", 1.0)))  # heavy rain: brighter
        for z, sel in self._depth_layers("rain"):
            speed = (0.7 + 1.9 * z) * p["speed"][sel]  # screen heights per second
            length = (0.02 + 0.075 * z) * p["size"][sel]
            span = 1.0 + 0.15 + abs(math.tan(slant))
            along = np.mod(p["y"][sel] * span + speed * t, span) - 0.15
            x0 = (p["x"][sel] * (1 + abs(math.tan(slant))) - max(0.0, math.tan(slant))) * lw
            head_x = x0 + along * direction[0] / direction[1] * lh
            head_y = along * lh
            tail_x = head_x - direction[0] * length * lh
            tail_y = head_y - direction[1] * length * lh
            segments = np.stack([np.stack([tail_x, tail_y], -1), np.stack([head_x, head_y], -1)],
                                1)
            buffer.fill(0)
            # one layer pixel wide (two at 720p), anti-aliased: thicker reads as bars
            cv2.polylines(buffer, list(np.round(segments * 16).astype(np.int32)), False, 255,
                          1, cv2.LINE_AA, shift=4)
            # the streaks, hidden behind nearer things, at this layer's brightness: one cv2
            # product of the two uint8 maps into float32, no float copies of either
            cv2.multiply(buffer, self._visibility(float(z)), dst=shade,
                         scale=(0.1 + 0.24 * float(z)) * strength * bright / 255.0 ** 2,
                         dtype=cv2.CV_32F)
            cv2.add(out, shade, dst=out)
        return out

    def _snow(self, t: float, strength: float) -> np.ndarray:
        p = self._particles["snow"]
        lw, lh = self.layer_size
        drift = float(p["slant"][0])
        out = np.zeros((lh, lw), np.float32)
        for z, sel in self._depth_layers("snow"):
            fall = (0.03 + 0.13 * z) * p["speed"][sel]
            sway = (0.006 + 0.03 * z) * np.sin(2 * math.pi * p["freq"][sel] * 0.6 * t
                                                 + p["phase"][sel])
            y = np.mod(p["y"][sel] * 1.1 + fall * t, 1.1) - 0.05
            x = np.mod(p["x"][sel] + (drift * (0.5 + z) * t + sway) * lh / lw, 1.0)
            # two sizes of flake in every layer, the larger a little dimmer at its centre
            # (a starfield is one size of dot; snow is not)
            large = p["size"][sel] > 1.0
            soft = np.zeros((lh, lw), np.float32)
            for grown, which in ((1.0, ~large), (1.8, large)):
                if not which.any():
                    continue
                sigma = (0.45 + 1.6 * float(z)) * self.unit * grown
                weight = (p["bright"][sel][which] * (0.45 + 0.5 * float(z))
                          * (2 * math.pi * sigma ** 2) / grown ** 0.5)
                points = _splat((lh, lw), x[which] * lw, y[which] * lh,
                                weight.astype(np.float32))
                soft += cv2.GaussianBlur(points, (0, 0), sigma)
            out += cv2.multiply(soft, self._visibility(float(z)), scale=1.0 / 255.0,
                                dtype=cv2.CV_32F)
        return np.minimum(out, 1.0) * strength

    def _embers(self, t: float, strength: float) -> tuple[np.ndarray, np.ndarray]:
        p = self._particles["embers"]
        lw, lh = self.layer_size
        rise = (0.04 + 0.12 * p["z"]) * p["speed"]
        travelled = np.mod(p["y"] * 1.2 + rise * t, 1.2)
        y = 1.05 - travelled
        wobble = 0.02 * np.sin(2 * math.pi * p["freq"] * t + p["phase"])
        x = np.mod(p["x"] + (float(p["slant"][0]) * t + wobble) * lh / lw, 1.0)
        flicker = 0.55 + 0.45 * np.sin(2 * math.pi * (2.0 + 3.0 * p["freq"]) * t
                                       + 3 * p["phase"]) ** 2
        fade = np.clip(1.0 - (travelled / 1.1) ** 2, 0.0, 1.0) * np.clip(travelled / 0.1, 0, 1)
        core_sigma = (0.8 + 1.1 * float(p["z"].mean())) * self.unit
        weight = (p["bright"] * flicker * fade * (0.8 + 0.8 * p["z"])
                  * 2 * math.pi * core_sigma ** 2).astype(np.float32)
        points = _splat((lh, lw), x * lw, y * lh, weight)
        core = cv2.GaussianBlur(points, (0, 0), core_sigma)
        glow = cv2.GaussianBlur(points, (0, 0), 3.5 * core_sigma) * 6.0
        return np.minimum(core, 1.0) * strength, np.minimum(glow, 1.0) * strength

    def _sparkles(self, t: float, strength: float) -> np.ndarray:
        p = self._particles["sparkles"]
        lw, lh = self.layer_size
        x = np.mod(p["x"] + 0.004 * np.sin(0.5 * t + p["phase"]), 1.0) * lw
        y = np.mod(p["y"] + 0.004 * np.cos(0.4 * t + p["phase"]), 1.0) * lh
        twinkle = np.maximum(0.0, np.sin(2 * math.pi * (0.3 + 0.8 * p["freq"]) * t
                                         + p["phase"])) ** 6
        sigma = 0.8 * self.unit
        weight = (p["bright"] * twinkle * 2 * math.pi * sigma ** 2).astype(np.float32)
        points = _splat((lh, lw), x, y, weight)
        core = cv2.GaussianBlur(points, (0, 0), sigma)
        reach = max(2, round(8 * self.unit))
        ray = np.exp(-np.abs(np.arange(-reach, reach + 1, dtype=np.float32)) / (reach / 3))
        one = np.ones(1, np.float32)
        spikes = (cv2.sepFilter2D(points, -1, ray, one) + cv2.sepFilter2D(points, -1, one, ray))
        return np.minimum(core + 0.8 * spikes, 1.0) * strength

    def _bokeh(self, t: float, strength: float, planes: list[np.ndarray]) -> None:
        p = self._particles["bokeh"]
        lw, lh = self.layer_size
        palette = np.array([[1.0, 0.83, 0.55], [1.0, 0.68, 0.75], [0.66, 0.82, 1.0]],
                           np.float32)
        drift = float(p["slant"][0])
        for i in range(len(p["x"])):
            radius = (0.035 + 0.05 * p["size"][i]) * lh
            cx = (np.mod(p["x"][i] + drift * p["speed"][i] * t * lh / lw, 1.0)) * lw
            cy = (p["y"][i] + 0.01 * math.sin(2 * math.pi * 0.1 * p["freq"][i] * t
                                               + p["phase"][i])) * lh
            dh, dw = self._depth8.shape
            far = 1.0 - float(self._depth8[int(np.clip(cy * dh / lh, 0, dh - 1)),
                                           int(np.clip(cx * dw / lw, 0, dw - 1))]) / 255.0
            level = (0.09 + 0.1 * p["bright"][i]) * (0.5 + 0.5 * far) * (
                0.8 + 0.2 * math.sin(2 * math.pi * 0.2 * p["freq"][i] * t + p["phase"][i]))
            x0, x1 = max(0, int(cx - radius - 2)), min(lw, int(cx + radius + 3))
            y0, y1 = max(0, int(cy - radius - 2)), min(lh, int(cy + radius + 3))
            if x0 >= x1 or y0 >= y1:
                continue
            ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
            dist = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
            edge = 1.2 * self.unit + 0.5
            disc = np.clip((radius - dist) / edge + 0.5, 0.0, 1.0)
            disc *= 0.75 + 0.25 * np.clip(dist / radius, 0, 1) ** 4  # a faint bright rim
            for plane, c in zip(planes, palette[int(p["kind"][i])], strict=True):
                plane[y0:y1, x0:x1] += disc * float(level * c * strength)

    # -- fields: fog and light ---------------------------------------------------------

    def _fog(self, t: float, strength: float) -> np.ndarray:
        assert self._fog_noise is not None
        fw, fh = self.field_size
        layers = []
        for noise, speed, angle in zip(self._fog_noise, (0.02, 0.035), self._fog_dir,
                                       strict=True):
            h, w = noise.shape
            shift_x = math.cos(angle) * speed * t * fh * 2 + 0.0
            shift_y = math.sin(angle) * speed * t * fh * 2 * 0.4
            # the noise's top-left quarter (plus one sample), travelled by the shift with
            # wrap-around and shrunk to the field, in one warp of the small output
            sx, sy = (w // 2 + 1) / fw, (h // 2 + 1) / fh
            matrix = np.array([[sx, 0.0, 0.5 * sx - 0.5 - shift_x],
                               [0.0, sy, 0.5 * sy - 0.5 - shift_y]], np.float64)
            layers.append(cv2.warpAffine(noise, matrix, (fw, fh),
                                         flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                         borderMode=cv2.BORDER_WRAP))
        density = 0.65 * layers[0] + 0.35 * layers[1]
        return np.clip(0.65 * self._far * (0.3 + 0.9 * density), 0.0, 0.75) * strength

    def _bright_side(self, rng: np.random.Generator | None = None) -> float:
        """0.0 when the top third of the photo is brighter on its left, 1.0 on its right
        (where the light comes from); without the photo, the seed's pick (or the left)."""
        if self._small is not None:
            top = cv2.cvtColor(self._small, cv2.COLOR_RGB2GRAY)[: self._small.shape[0] // 3]
            half = top.shape[1] // 2
            return 0.0 if float(top[:, :half].mean()) >= float(top[:, half:].mean()) else 1.0
        return float(rng.integers(0, 2)) if rng is not None else 0.0

    def _make_light(self) -> dict[str, np.ndarray | float]:
        rng = self._rng("light")
        fw, fh = self.field_size
        side = self._bright_side(rng)
        sx, sy = (-0.05 + side * 1.1) * fw, -0.08 * fh
        ys, xs = np.mgrid[0:fh, 0:fw].astype(np.float32)
        dx, dy = xs + 0.5 - sx, ys + 0.5 - sy
        return {
            "theta": np.arctan2(dy, dx).astype(np.float32),
            "r": (np.sqrt(dx * dx + dy * dy) / math.hypot(fw, fh)).astype(np.float32),
            "n": rng.uniform(0, 1, 3).astype(np.float32), "phase": rng.uniform(0, 6.3, 4),
        }

    def _light_field(self, t: float, strength: float) -> tuple[np.ndarray, np.ndarray]:
        """(shafts, gaps) at field size: the light screened over the frame, and how much
        the frame is shaded between the shafts. Screening alone cannot brighten a bright
        sky, where shafts showed next to nothing: shade between them shows them anywhere."""
        theta, r = self._light["theta"], self._light["r"]
        assert isinstance(theta, np.ndarray) and isinstance(r, np.ndarray)
        n = self._light["n"]
        phase = self._light["phase"]
        assert isinstance(n, np.ndarray) and isinstance(phase, np.ndarray)
        rays = np.zeros_like(theta)
        for k, (count, weight) in enumerate(((7, 0.5), (13, 0.3), (23, 0.2))):
            # the shafts sweep a little, slowly, each at its own pace: seen to move
            drift = 0.3 * math.sin(self._loop(0.1 * (k + 1)) * t + float(phase[k]))
            rays += weight * np.cos((count + float(n[k]) * 4) * theta + float(phase[k]) + drift)
        beams = np.clip(0.5 + 0.7 * rays, 0.0, 1.0) ** 2
        breathe = 0.78 + 0.22 * math.sin(self._loop(0.2) * t + float(phase[3]))
        glow = np.exp(-(r / 0.35) ** 2)
        reach = np.exp(-r / 0.55)
        field = (0.42 * beams * reach + 0.3 * glow) * breathe
        gaps = (1.0 - beams) * reach * (1.0 - glow)
        return field.astype(np.float32) * strength, gaps.astype(np.float32) * strength

    # -- following the camera, and local motion ----------------------------------------

    def _follow_pose(self, pose: Pose | None) -> None:
        """Bring the depth-bound maps into the frame the camera shows at `pose` (once per
        pose: motion_fields and apply both need them for the same frame)."""
        identity = pose is None or pose.is_identity
        if identity and self._followed is None or self._followed == pose:
            return
        self._followed = None if identity else pose
        self._visible = self._visible0 if identity else {}
        if any(name in ("rain", "snow", "bokeh") for name in self.effects):
            dh, dw = self._depth8_0.shape
            self._depth8 = self._depth8_0 if identity else follow(self._depth8_0, pose,
                                                                  (dw, dh))
        if self._bright8_0 is not None:
            dh, dw = self._bright8_0.shape
            self._bright8 = self._bright8_0 if identity else follow(self._bright8_0, pose,
                                                                    (dw, dh))
            self._rain_bright = None
        if "fog" in self.effects:
            self._far = self._far0 if identity else follow(self._far0, pose, self.field_size)

    def motion_mask(self, name: str) -> np.ndarray:
        """Where local motion `name` applies (0..1 at output size; zeros if it does not)."""
        if self.local is None:
            width, height = self.size
            return np.zeros((height, width), np.float32)
        return self.local.mask(name)

    def motion_field(self, index: int, pose: Pose | None, grid: tuple[int, int]
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        """The warps of local motion for a renderer to fold into its own sampling
        (LocalMotion.fields); pass the frame to apply(moved=True)."""
        return None if self.local is None else self.local.fields(index, pose, grid)

    # -- the frame ---------------------------------------------------------------------

    def _rain_weight(self) -> tuple[np.ndarray, np.ndarray] | None:
        """How far each layer pixel's rain is a light streak and how far a dark one: (1 - w,
        w), uint8 at layer size (255 = 1), w from the photo's brightness at the current
        pose (made once per pose)."""
        if self._bright8 is None:
            return None
        if self._rain_bright is None:
            lw, lh = self.layer_size
            weight = cv2.resize(self._bright8, (lw, lh), interpolation=cv2.INTER_LINEAR)
            self._rain_bright = (cv2.bitwise_not(weight), weight)
        return self._rain_bright

    def layer(self, t: float, strength: float
              ) -> tuple[list[np.ndarray] | None, float | np.ndarray, np.ndarray | None]:
        """At time t: the light layer (R, G, B float32 planes 0..1 at layer size, screened
        over the frame; adding plane by plane is ~10x cheaper than broadcasting into an RGB
        array), a darkening factor for the frame (a number, or per pixel where rain draws
        dark streaks: uint8 at layer size, 255 = 1) and the fog's opacity (field size)."""
        lw, lh = self.layer_size
        planes = [np.zeros((lh, lw), np.float32) for _ in range(3)]
        drawn = False
        darken: float | np.ndarray = 1.0
        fog: np.ndarray | None = None

        def add(mono: np.ndarray, colour: tuple[float, float, float]) -> None:
            for plane, c in zip(planes, colour, strict=True):
                cv2.scaleAdd(mono, c, plane, dst=plane)

        for name in self.effects:
            if name == "rain":
                streaks = self._rain(t, strength)
                weights = self._rain_weight()
                darken = 1.0 - 0.1 * strength
                if weights is None:
                    add(streaks, (0.82, 0.86, 0.92))
                else:
                    light, dark = weights
                    add(cv2.multiply(streaks, light, scale=1.0 / 255.0, dtype=cv2.CV_32F),
                        (0.82, 0.86, 0.92))
                    # d (1 - RAIN_DARK streaks w), as uint8 (255 = 1) in one pass
                    taken = cv2.multiply(streaks, dark, scale=RAIN_DARK / 255.0,
                                         dtype=cv2.CV_32F)
                    darken = cv2.convertScaleAbs(taken, alpha=-255.0 * darken,
                                                 beta=255.0 * darken)
            elif name == "snow":
                add(self._snow(t, strength), (0.96, 0.97, 1.0))
            elif name == "embers":
                core, glow = self._embers(t, strength)
                add(core, (1.0, 0.78, 0.45))
                add(glow, (0.9, 0.35, 0.08))
            elif name == "sparkles":
                add(self._sparkles(t, strength), (1.0, 0.97, 0.9))
            elif name == "bokeh":
                self._bokeh(t, strength, planes)
            elif name == "fog":
                fog = self._fog(t, strength)
                continue
            elif name == "light":
                shafts, gaps = self._light_field(t, strength)
                add(resized(shafts, lw, lh), (1.0, 0.88, 0.66))
                shade = cv2.convertScaleAbs(resized(gaps, lw, lh), alpha=-255.0 * LIGHT_SHADE,
                                            beta=255.0)
                darken = (cv2.multiply(darken, shade, scale=1.0 / 255.0)
                          if isinstance(darken, np.ndarray)
                          else cv2.convertScaleAbs(shade, alpha=darken))
            elif name == "golden" and self._glow is not None:
                add(self._glow * np.float32(strength), (1.0, 0.72, 0.38))
            else:
                continue
            drawn = True
        return (planes if drawn else None), darken, fog

    def apply(self, frame: np.ndarray, index: int, pose: Pose | None = None,
              moved: bool = False) -> np.ndarray:
        """The frame with local motion and overlays at frame `index`, its depth-bound parts
        following the camera `pose` the frame was rendered at (None: the photo's own view);
        never edits `frame`. `moved`: the renderer already applied motion_field, so only
        the overlays are left to add."""
        t = index / self.fps
        strength = self._ramp(t)
        if strength <= 0.0:
            return frame
        self._follow_pose(pose)
        out = frame
        overlays = any(name in EFFECTS for name in self.effects)
        if self.local is not None and not moved:
            out = self.local.move(out, index, pose, self._scratch(0) if overlays else None)
        grade = grade_table(self.effects, self.levels, strength)
        if grade is not None:  # the look first: what falls through the air is not graded
            out = cv2.LUT(out, grade)
        light, darken, fog = self.layer(t, strength)
        width, height = self.size
        # Full-size intermediates live in scratch buffers reused from frame to frame: a
        # fresh 2.7 MB array per step costs more in page faults than the arithmetic on it.
        # Only the returned frame is new (the consumer may still hold earlier frames).
        if fog is None:
            if light is None:
                return out
            # screen over f darkened by d: 255 - (255 - d f)(255 - L) / 255, which is
            # L + f * d (255 - L) / 255: both terms made at layer size, where they are
            # cheap (d may vary per pixel), then one multiply and one add at full size
            light8 = cv2.merge([cv2.convertScaleAbs(plane, alpha=255.0) for plane in light])
            through = [cv2.convertScaleAbs(plane, alpha=-255.0, beta=255.0) for plane in light]
            if isinstance(darken, np.ndarray):
                through = [cv2.multiply(c, darken, scale=1.0 / 255.0) for c in through]
            elif darken < 1.0:
                through = [cv2.convertScaleAbs(c, alpha=darken) for c in through]
            keep8 = cv2.resize(cv2.merge(through), (width, height), dst=self._scratch(1),
                               interpolation=cv2.INTER_LINEAR)
            light8 = cv2.resize(light8, (width, height), dst=self._scratch(2),
                                interpolation=cv2.INTER_LINEAR)
            kept = cv2.multiply(out, keep8, dst=keep8, scale=1.0 / 255.0)
            return cv2.add(kept, light8)
        if light is not None:
            lw, lh = self.layer_size
            fog = resized(fog, lw, lh)
        # without a light layer the terms are as smooth as the fog: enlarged from the small
        # field, ~40% cheaper than from the layer
        keep8, add8 = self._fog_terms(fog, darken, light)
        keep8 = cv2.resize(keep8, (width, height), dst=self._scratch(1),
                           interpolation=cv2.INTER_LINEAR)
        add8 = cv2.resize(add8, (width, height), dst=self._scratch(2),
                          interpolation=cv2.INTER_LINEAR)
        kept = cv2.multiply(out, keep8, dst=keep8, scale=1.0 / 255.0)
        return cv2.add(kept, add8)

    def _fog_terms(self, fog: np.ndarray, darken: float | np.ndarray,
                   light: list[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
        """With fog, out = f * keep + add (RGB uint8, 255 = 1, at fog's size): darken, then
        a blend toward the fog colour (opacity fog), then the light layer screened over it.

        Composed with cv2's uint8 arithmetic: the frame is uint8 in the end, and these
        operations cost a fraction of numpy's float temporaries at this size."""
        if isinstance(darken, np.ndarray):
            if darken.shape != fog.shape:
                darken = resized(darken, fog.shape[1], fog.shape[0])
            clear = cv2.convertScaleAbs(fog, alpha=-255.0, beta=255.0)
            keep_mono = cv2.multiply(clear, darken, scale=1.0 / 255.0)
        else:
            keep_mono = cv2.convertScaleAbs(fog, alpha=-255.0 * darken, beta=255.0 * darken)
        keep = cv2.merge([keep_mono] * 3)
        add = cv2.merge([cv2.convertScaleAbs(fog, alpha=255.0 * float(c))
                         for c in self._fog_colour])
        if light is None:
            return keep, add
        light8 = cv2.merge([cv2.convertScaleAbs(plane, alpha=255.0) for plane in light])
        through = cv2.bitwise_not(light8)
        cv2.multiply(keep, through, dst=keep, scale=1.0 / 255.0)
        cv2.multiply(add, through, dst=add, scale=1.0 / 255.0)
        return keep, cv2.add(add, light8, dst=add)

    def _scratch(self, slot: int) -> np.ndarray:
        """A full-size RGB uint8 buffer kept for this task (contents undefined)."""
        while len(self._buffers) <= slot:
            width, height = self.size
            self._buffers.append(np.empty((height, width, 3), np.uint8))
        return self._buffers[slot]
