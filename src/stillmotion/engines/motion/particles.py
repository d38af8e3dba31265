"""Particles: rain, snow, embers, sparkles and bokeh, drawn into the effects' light layer.

Particles sit in depth layers: near ones are larger, faster, brighter; far ones are hidden
where the depth proxy says something nearer stands (a 256-entry table per layer on the
depth at half the layer size). Every particle's position is a closed-form function of time
(no state), so frames can be drawn in any order and the same seed always gives the same
frames. Rain's streaks are light over dark places and dark over bright ones (RAIN_BRIGHT),
so they show on a white sky too. Heavy rain or snow (the prompt's level) is more of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from stillmotion.engines.motion.camera import Pose
from stillmotion.engines.motion.projection import follow, resized
from stillmotion.engines.motion.regions import smoothstep

PARTICLES = ("rain", "snow", "embers", "sparkles", "bokeh")
# Rain's contrast follows the brightness behind it: a light streak screened over a dark
# place, a darker streak over a bright one (where screening adds next to nothing: streaks
# over a white sky were invisible). The local luma of the photo (0..1, blurred, so the
# switch is smooth in space) turns streaks from light to dark between these two levels:
# nearly a switch, since where a streak is half light and half dark the two cancel (a
# 0.5-0.8 ramp left rain on mid-grey places, the motorcycle's garage floor, at 0.37-0.47
# of its detail on dark ones; this, at 0.62-0.73) ...
RAIN_BRIGHT = (0.6, 0.63)
RAIN_DARK = 0.7  # ... and a dark streak takes away this much of its own light one's weight


SPLASH_LIFE = 0.22  # s a splash lasts
SPLASH_COUNT = 110  # splashes landing at once-ish (a 16:9 frame, usual rain)
SPLASH_SPOTS = 400  # candidate spots on the ground, taken in turn
SPLASH_NEAR = 0.45  # the ground is where the depth proxy is at least this near


def effect_rng(seed: int, name: str) -> np.random.Generator:
    """The seeded generator of one effect: the same seed and effect, the same draws."""
    salt = sum((i + 1) * ord(c) for i, c in enumerate(name))
    return np.random.default_rng([seed & 0xFFFFFFFF, salt])


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


class Particles:
    """One task's particles, made once; drawn per frame at the layer size."""

    def __init__(self, effects: Sequence[str], depth: np.ndarray, small: np.ndarray | None,
                 layer_size: tuple[int, int], seed: int, levels: dict[str, float]) -> None:
        """`depth`: the depth proxy (0 far .. 1 near); `small`: the photo at its size, or
        None; `levels`: how heavy the weather was asked to be (rain, snow: 0.5 .. 2)."""
        self.effects = tuple(e for e in effects if e in PARTICLES)
        self.layer_size = layer_size
        self.levels = levels
        self._seed = seed
        lw, lh = layer_size
        self.unit = lh / 360.0  # one "360p pixel" in layer pixels
        # at half the layer size (still finer than the depth proxy itself) as uint8: it is
        # followed every frame and turned into particle visibility by a 256-entry table
        # (1/255 steps are invisible in a mask that fades over a quarter of the depth
        # range), then enlarged: a quarter of the work at layer size
        self._depth8 = self._depth8_0 = np.clip(np.rint(
            resized(depth, (lw + 1) // 2, (lh + 1) // 2) * 255.0), 0, 255).astype(np.uint8)
        self._rain_buffers: tuple[np.ndarray, np.ndarray] | None = None
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
        self._visible: dict[float, np.ndarray] = {}
        self._visible0 = self._visible  # for the identity pose, kept across frames
        self._particles = {name: self._make_particles(name) for name in self.effects}
        # rain's splashes land on the ground: candidate spots in the lower part of the
        # photo where the depth proxy says near, and per spot a period and a phase
        self._ground: tuple[np.ndarray, ...] | None = None
        if "rain" in self.effects:
            rng = self._rng("splash")
            dh, dw = depth.shape
            rows, columns = np.nonzero(depth[dh // 2:] > SPLASH_NEAR)
            if len(rows):
                pick = rng.integers(0, len(rows), SPLASH_SPOTS)
                count = max(4, round(SPLASH_COUNT * (lw / lh) / (16 / 9)
                                     * self.levels.get("rain", 1.0)))
                self._ground = ((columns[pick] + rng.uniform(0, 1, SPLASH_SPOTS)) / dw,
                                (rows[pick] + dh // 2 + rng.uniform(0, 1, SPLASH_SPOTS)) / dh,
                                rng.uniform(0, 1, count), rng.uniform(0.35, 0.7, count))
        self._layers: dict[str, list[tuple[float, np.ndarray]]] = {}

    def _rng(self, name: str) -> np.random.Generator:
        return effect_rng(self._seed, name)

    def follow(self, pose: Pose | None) -> None:
        """Bring the depth and the brightness into the frame the camera shows at `pose`."""
        identity = pose is None or pose.is_identity
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

    def draw(self, name: str, t: float, strength: float,
             add: Callable[[np.ndarray, tuple[float, float, float]], None],
             planes: list[np.ndarray]) -> np.ndarray | float | None:
        """Draw particle effect `name` at time t into the light layer (`add` a mono plane
        in a colour, or into the RGB `planes` directly); returns rain's darkening of the
        frame (a number, or uint8 per layer pixel where it draws dark streaks), else None."""
        if name == "rain":
            streaks = self._rain(t, strength)
            weights = self._rain_weight()
            darken = 1.0 - 0.1 * strength
            if weights is None:
                add(streaks, (0.82, 0.86, 0.92))
                return darken
            light, dark = weights
            add(cv2.multiply(streaks, light, scale=1.0 / 255.0, dtype=cv2.CV_32F),
                (0.82, 0.86, 0.92))
            # d (1 - RAIN_DARK streaks w), as uint8 (255 = 1) in one pass
            taken = cv2.multiply(streaks, dark, scale=RAIN_DARK / 255.0, dtype=cv2.CV_32F)
            return cv2.convertScaleAbs(taken, alpha=-255.0 * darken, beta=255.0 * darken)
        if name == "snow":
            add(self._snow(t, strength), (0.96, 0.97, 1.0))
        elif name == "embers":
            core, glow = self._embers(t, strength)
            add(core, (1.0, 0.78, 0.45))
            add(glow, (0.9, 0.35, 0.08))
        elif name == "sparkles":
            add(self._sparkles(t, strength), (1.0, 0.97, 0.9))
        elif name == "bokeh":
            self._bokeh(t, strength, planes)
        return None

    def _visibility(self, z: float) -> np.ndarray:
        """Where a particle layer at depth z shows (uint8, 255: fully): hidden behind
        anything nearer."""
        key = round(z, 3)
        if key not in self._visible:
            table = 255.0 * (1.0 - smoothstep(z + 0.05, z + 0.3, np.arange(256) / 255.0))
            shown = cv2.LUT(self._depth8, np.rint(table).astype(np.uint8))
            self._visible[key] = resized(shown, *self.layer_size)
        return self._visible[key]

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
        self._splashes(t, strength * bright, buffer, shade, out)
        return out

    def _splashes(self, t: float, strength: float, buffer: np.ndarray, shade: np.ndarray,
                  out: np.ndarray) -> None:
        """Where the photo has ground (the lower part, near by the depth proxy), drops land:
        each spot, in turn, a small flat ring that widens and fades in SPLASH_LIFE seconds,
        then a new spot. Added to `out` (the streaks' layer)."""
        spots = self._ground
        if spots is None or not len(spots[0]):
            return
        lw, lh = self.layer_size
        xs, ys, phase, period = spots
        cycle = t / period + phase
        age = (cycle - np.floor(cycle)) * period
        alive = np.flatnonzero(age < SPLASH_LIFE)
        if not len(alive):
            return
        buffer.fill(0)
        turn = np.floor(cycle).astype(np.int64)
        for i in alive:
            # a new spot each landing: the next candidate along, by a stride coprime to most
            j = int((i + 7919 * turn[i]) % len(xs))
            u = float(age[i] / SPLASH_LIFE)
            radius = (2.0 + 6.0 * u) * self.unit
            level = round(255 * (1.0 - u) ** 2)
            cv2.ellipse(buffer, (round(xs[j] * lw * 16), round(ys[j] * lh * 16)),
                        (max(1, round(radius * 16)), max(1, round(0.35 * radius * 16))), 0, 0,
                        360, level, 1, cv2.LINE_AA, shift=4)
        cv2.multiply(buffer, 0.5 * strength / 255.0, dst=shade, dtype=cv2.CV_32F)
        cv2.add(out, shade, dst=out)

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
