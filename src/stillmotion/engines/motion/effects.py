"""Step 4b, effects: what the prompt adds to the camera's frame, composed in one place.

* **Local motion** (`motions`: water, fire, clouds, leaves, wind, hair, breathing) is
  living.py's, in the regions of regions.py. In the engine its warps are handed to the
  renderer (motion_field), which folds them into the camera's own resampling, and its
  streams draw their plate through the same camera; apply() on a finished frame of a
  still camera resamples only the tiles the masks reach instead.
* **Looks** (looks.py): rain's overcast grade and golden hour's warm one, a table per
  channel applied first, so what falls through the air is not graded.
* **Overlays** (`effects`: rain, snow, embers, sparkles, bokeh from particles.py; fog, light
  rays and the low sun's glow here): everything is drawn into one RGB light layer at
  <= 640 px (fog and light rays on a 4x coarser grid still), enlarged once and
  screen-blended over the frame, with a darkening (rain's dark streaks, the shade between
  light rays) and fog's blend toward its colour, so the cost is nearly independent of the
  output size.

Every strength ramps from 0 at frame 0 (living.ease_in), so frame 0 is exactly the
camera's frame 0, and every value is a closed-form function of time: frames in any order,
the same seed the same frames. The depth-bound maps are made in photo coordinates and
follow the camera's zoom and travel (projection.follow), so fog stays on the far things as
the camera moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from stillmotion.engines.motion.camera import Pose
from stillmotion.engines.motion.living import LocalMotion, ease_in, periodic_noise, whole_cycles
from stillmotion.engines.motion.looks import grade_table, side_glow
from stillmotion.engines.motion.particles import PARTICLES, Particles, effect_rng
from stillmotion.engines.motion.plumes import COLOUR, WIDTH, Plume
from stillmotion.engines.motion.projection import follow, resized
from stillmotion.engines.motion.regions import (
    find_regions,
    fire_mask,
    regions_without_photo,
    smoothstep,
)
from stillmotion.engines.motion.scene import Analysis, analysis_image
from stillmotion.reading import EFFECTS

LAYER_MAX = 640  # overlays are drawn at most this large (long side) and enlarged once
FIELD_STEP = 4  # fog and light fields are this much coarser than their target
LIGHT_SHADE = 0.22  # light rays shade the frame between their shafts by up to this much
SMOKE_COLOUR = COLOUR["smoke"]
SOURCE_LOWEST = 0.3  # a plume rises from no higher than this (of the frame height)
FOG_SPEEDS = (0.05, 0.08)  # the fog's two layers of banks roll this far (of the frame) a second
FOG_MOST = 0.85  # fog's largest opacity (thick fog, far away)
FOG_SUBJECT_GROW = 0.06  # fog keeps clear of the subject's matte grown by this (of its size)
FOG_NEAR = 0.6  # from this near on (depth proxy) there is no fog


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
        self.field_size = (max(4, math.ceil(lw / FIELD_STEP)), max(4, math.ceil(lh / FIELD_STEP)))
        depth = analysis.depth.astype(np.float32)
        self._depth_field = resized(depth, *self.field_size)
        small = analysis_image(image) if image is not None else None
        if small is not None and small.shape[:2] != depth.shape:
            small = cv2.resize(small, (depth.shape[1], depth.shape[0]),
                               interpolation=cv2.INTER_AREA)
        self._small = small
        self._buffers: list[np.ndarray] = []
        self._followed: Pose | None | bool = False  # the pose the maps follow (False: none)
        self.particles = Particles(self.effects, depth, small, self.layer_size, seed,
                                   self.levels)
        self._fog_noise: tuple[np.ndarray, np.ndarray] | None = None
        # the veil's colour: smoke's grey alone, or the fog's below
        self._fog_colour = np.array(SMOKE_COLOUR, np.float32)
        if "fog" in self.effects:
            rng = self._rng("fog")
            fw, fh = self.field_size
            self._fog_noise = (periodic_noise(rng, fh * 2, fw * 2, 0.06),
                               periodic_noise(rng, fh * 2, fw * 2, 0.025))
            self._fog_dir = rng.uniform(0, 2 * math.pi, 2)
            # fog thickens with distance, steeply: the depth proxy's middle is often a
            # subject it missed (a coat at the top of the frame), which fog must not veil,
            # and the subject, near by being the subject, stays clear of it
            # (grown: GrabCut often leaves out the subject's darker, plainer parts, a coat
            # below a face, which the depth proxy then calls far)
            matte = analysis.matte.astype(np.uint8)
            grow = max(3, round(FOG_SUBJECT_GROW * max(matte.shape))) | 1
            grown = cv2.dilate(matte, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                                (grow, grow)))
            subject = cv2.GaussianBlur(grown.astype(np.float32), (0, 0),
                                       max(1.0, max(matte.shape) / 30))
            clear = resized(1.0 - np.clip(subject * 1.5, 0.0, 1.0), *self.field_size)
            far = (1.0 - smoothstep(0.0, FOG_NEAR, self._depth_field)) ** 2 * clear
            self._far = self._far0 = far.astype(np.float32)
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
        self._plumes = [self._make_plume(kind, analysis, image) for kind in ("steam", "smoke")
                        if kind in self.effects]
        self.local: LocalMotion | None = None
        if self.motions:
            warps = bool(set(self.motions) & {"hair", "wind", "leaves"})
            regions = (find_regions(image, analysis, look_for_faces=warps)
                       if image is not None else regions_without_photo(analysis))
            self.local = LocalMotion(self.motions, regions, analysis.matte, width, height,
                                     seed, frame_count, fps, amplitude, sides, photo=image)

    # -- helpers -----------------------------------------------------------------------

    def _rng(self, name: str) -> np.random.Generator:
        return effect_rng(self._seed, name)

    def _loop(self, hz: float) -> float:
        return whole_cycles(hz, self.duration)

    # -- fields: fog and light ---------------------------------------------------------

    def _fog(self, t: float, strength: float) -> np.ndarray:
        assert self._fog_noise is not None
        fw, fh = self.field_size
        layers = []
        for noise, speed, angle in zip(self._fog_noise, FOG_SPEEDS, self._fog_dir, strict=True):
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
        # banks and gaps, not an even wash: the noise's middle range stretched to 0..1
        density = smoothstep(0.3, 0.7, 0.65 * layers[0] + 0.35 * layers[1])
        level = math.sqrt(self.levels.get("fog", 1.0))  # thick fog, light fog
        return np.clip(0.65 * level * self._far * (0.25 + 1.0 * density), 0.0,
                       FOG_MOST) * strength

    def _make_plume(self, kind: str, analysis: Analysis, image: np.ndarray | None) -> Plume:
        """A plume rising from the top of the subject (or, for smoke, of the photo's fire,
        where it has one), else from the middle of the lower third."""
        rng = self._rng(kind)
        fw, fh = self.field_size
        noise = (periodic_noise(rng, fh * 2, fh * 2, 0.05),
                 periodic_noise(rng, fh * 2, fh * 2, 0.02))
        subject = analysis.subject
        source, width = (0.5, 0.7), 0.1
        if subject.confidence > 0.0:
            # a little below the subject's top (a cup's opening, seen from above, lies
            # inside its box), low enough that the plume has room to rise in the frame
            left, top, right, _ = subject.box
            rise_from = min(0.9, max(SOURCE_LOWEST, top + 0.3 * (subject.cy - top)))
            source, width = (subject.cx, rise_from), (right - left) * WIDTH
        if kind == "smoke" and self._small is not None:
            fire = fire_mask(self._small)
            if float(fire.max()) > 0.5:
                ys, xs = np.nonzero(fire > 0.5)
                source = ((float(xs.mean()) + 0.5) / fire.shape[1], float(ys.min()) / fire.shape[0])
                width = (float(xs.max() - xs.min()) + 1) / fire.shape[1] * WIDTH
        return Plume(kind, source, width, self.field_size, noise, float(rng.uniform(0, 6.3)))

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
        self.particles.follow(pose)
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
            if name in PARTICLES:
                shade = self.particles.draw(name, t, strength, add, planes)
                if shade is not None:
                    darken = shade
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
            elif name == "steam":  # a pale wisp, screened
                plume = next(p for p in self._plumes if p.kind == name)
                add(resized(plume.field(t, strength), lw, lh), plume.colour)
            elif name == "smoke":  # a grey veil, like fog in its own colour and place
                plume = next(p for p in self._plumes if p.kind == name)
                veil = plume.field(t, strength)
                fog = veil if fog is None else np.maximum(fog, veil)
                continue
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
        strength = ease_in(t)
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
