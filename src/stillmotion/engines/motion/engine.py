"""The motion engine: director -> scene -> camera -> render, seeded and pure."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from stillmotion import defaults
from stillmotion.engines.base import Plan, RenderControl, RenderRequest
from stillmotion.engines.motion.camera import (
    BeatPlan,
    Pose,
    beat_windows,
    pose_at,
    travel_zoom,
)
from stillmotion.engines.motion.director import Beat, read_prompt
from stillmotion.engines.motion.effects import Effects
from stillmotion.engines.motion.projection import MotionProbe
from stillmotion.engines.motion.render import FrameRenderer
from stillmotion.engines.motion.scene import Analysis, analyse
from stillmotion.media.sizing import output_size

# movement_amplitude has a measured meaning: the mean on-screen speed of the shot, in
# percent of the frame diagonal per second (what DIS optical flow measures on the video).
# Every shot is scaled into its band; the prompt's pace words and the seed place it inside.
SPEED_BANDS = {"small": (0.6, 1.4), "medium": (1.4, 2.4), "large": (2.4, 3.8)}
PACE_REACH = 0.3  # "slowly" sits 30% of the band below its middle, "fast" 30% above
SEED_REACH = 0.1  # the seed moves the target up to 10% of the band either way
PUSH_ZOOM = math.log(1.20)  # medium push-in: 20% closer over the beat
DOLLY_ZOOM = math.log(1.30)
PAN_TRAVEL = 0.085  # window travel, fraction of the photo
TRUCK_TRAVEL = 0.06
NEAR_EXTRA = 0.08  # how much further the nearest things shift on a truck or pedestal
DEPTH_PUSH = 0.08  # how much faster the nearest things grow on a push-in
PULL_ROOM_SPAN = 0.3  # a lone pull-out spends this share of its beat closing in
PULL_DEPTH = math.log(1.15)  # a pull-back leaves the subject this much smaller than the rest
HANDHELD_SHAKE = 0.006
HANDHELD_DRIFT = 0.03
SUBJECT_CONFIDENCE = 0.25  # below this the matte is not trusted to aim at
# ... nor to cut the photo into a foreground and a background layer: with layered parallax
# on (MotionEngine(layered_parallax=True), off by default: see MotionEngine), a shot with
# parallax on a photo whose matte is trusted and whose edge separates two things
# (scene._separation) is drawn in two layers (render.py, layers.py), any other as one
# smoothly bent picture
LAYER_CONFIDENCE = SUBJECT_CONFIDENCE
LAYER_SEPARATION = 19.0  # the sample photos: objects 22-67, a matte inside a cat's face 15
CALIBRATION_STEPS = 4
TRAVEL_ZOOM_SPAN = 0.35  # travel beats finish zooming in during their first third


@dataclass(frozen=True)
class MotionPlan(Plan):
    """The shot: beats with their magnitudes, where it aims, and why (words, subject)."""

    beats: tuple[BeatPlan, ...] = ()
    focus: tuple[float, float] = (0.5, 0.5)
    zoom_max: float = 1.0
    amplitude: str = "medium"
    target_speed: float = 0.0  # % of the frame diagonal per second, inside the amplitude band
    predicted_speed: float = 0.0  # what the camera model predicts for the planned beats
    effects: tuple[str, ...] = ()
    motions: tuple[str, ...] = ()
    prompt_words: tuple[str, ...] = ()
    subject_confidence: float = 0.0
    chosen_by: str = "prompt"  # "prompt", or how the image decided when the prompt did not

    @property
    def move(self) -> str:
        return "+".join(beat.move for beat in self.beats) or "static"


def layerable(analysis: Analysis) -> bool:
    """Whether this photo's matte is good enough to draw parallax shots in two layers (an
    engine with layered parallax on then does)."""
    subject = analysis.subject
    return (subject.confidence >= LAYER_CONFIDENCE
            and subject.separation >= LAYER_SEPARATION)


def rigid_subject(analysis: Analysis) -> np.ndarray | None:
    """The matte the single parallax field moves as one piece (projection.rigid_subject),
    or None. Only a matte around an object: trusted (a photo below SUBJECT_CONFIDENCE gets
    no parallax, so there is nothing to keep rigid) and whose edge separates two things
    (LAYER_SEPARATION). A matte drawn through one surface (the middle of a cat's face) is
    no object: holding it rigid would make the fur around it, as near as the matte, lag
    behind as background, so such a photo keeps the depth proxy's smooth field."""
    subject = analysis.subject
    if (subject.confidence < SUBJECT_CONFIDENCE or subject.separation < LAYER_SEPARATION
            or not analysis.matte.any()):
        return None
    return analysis.matte


def _auto_move(analysis: Analysis, side: int) -> tuple[str, str]:
    """A tasteful move when the prompt names none: a slow pan across a wide frame (toward
    the subject's side when there is one), else a push toward the subject."""
    subject = analysis.subject
    trusted = subject.confidence >= SUBJECT_CONFIDENCE
    if analysis.wide:
        if trusted:
            side = -1 if subject.cx < 0.5 else 1
        pan = "pan_left" if side < 0 else "pan_right"
        return pan, "a slow pan across a wide frame" + (" toward its subject" if trusted else "")
    if trusted:
        return "push_in", "toward the subject the image analysis found"
    return "push_in", "toward the centre: no clear subject"


def _travel(move: str, start: float, end: float, offset: tuple[float, float],
            lateral: tuple[float, float] = (0.0, 0.0)) -> BeatPlan:
    return BeatPlan(move, start, end, zoom=travel_zoom(offset, lateral), offset=offset,
                    lateral=lateral, zoom_span=TRAVEL_ZOOM_SPAN)


def _beat_plan(beat: Beat, start: float, end: float, scale: float, confidence: float,
               zoom_so_far: float, depth_so_far: float, rng: np.random.Generator,
               recede: bool = False, seconds: float = 4.0) -> BeatPlan:
    m, s, c = beat.move, scale, confidence
    sign = -1.0 if m.endswith(("_left", "_up")) else 1.0
    base = BeatPlan(move=m, start=start, end=end)
    if m == "push_in":
        return BeatPlan(m, start, end, zoom=PUSH_ZOOM * s, depth_zoom=DEPTH_PUSH * s * c)
    if m == "pull_out":
        # The photo is the widest view there is, so a pull-out first closes in on the
        # subject (quickly, as a travel makes its room) and then pulls back to the whole
        # photo: the background ends on frame 0's framing and never shrinks below the
        # frame. On a photo drawn in layers (`recede`) it is a parallax pull-back: the
        # subject recedes further than the background (it ends PULL_DEPTH smaller, the
        # background plate showing where it stood), undoing any growth a push-in gave it.
        depth = -(PULL_DEPTH * s * c + depth_so_far) if recede and c > 0 else 0.0
        if zoom_so_far > 0:  # after a push-in: simply give that zoom back
            return BeatPlan(m, start, end, zoom_back=zoom_so_far, zoom_span=0.0,
                            depth_zoom=depth)
        room = PUSH_ZOOM * s
        return BeatPlan(m, start, end, zoom=room, zoom_back=room, zoom_span=PULL_ROOM_SPAN,
                        depth_zoom=depth)
    if m in ("pan_left", "pan_right"):
        return _travel(m, start, end, offset=(sign * PAN_TRAVEL * s, 0.0))
    if m in ("tilt_up", "tilt_down"):
        return _travel(m, start, end, offset=(0.0, sign * PAN_TRAVEL * s))
    if m in ("truck_left", "truck_right"):
        return _travel(m, start, end, offset=(sign * TRUCK_TRAVEL * s, 0.0),
                       lateral=(-sign * NEAR_EXTRA * s * c, 0.0))
    if m in ("pedestal_up", "pedestal_down"):
        return _travel(m, start, end, offset=(0.0, sign * TRUCK_TRAVEL * s),
                       lateral=(0.0, -sign * NEAR_EXTRA * s * c))
    if m in ("orbit_left", "orbit_right"):
        # Orbiting right, the camera circles right while turning to keep the subject: the
        # background slides the other way, the subject (near) stays nearly put.
        travel = -sign * TRUCK_TRAVEL * s
        return _travel(m, start, end, offset=(travel, 0.0), lateral=(travel * 0.9 * c, 0.0))
    if m == "dolly_zoom":
        # The background grows while the subject is held at its size; without a trusted
        # subject there is nothing to hold and the move degrades to a push-in.
        zoom = DOLLY_ZOOM * s
        return BeatPlan(m, start, end, zoom=zoom, depth_zoom=-zoom if c > 0 else 0.0)
    if m == "handheld":
        # An operator's hands: a slow drift in a seeded direction plus a smooth shake.
        phase = tuple(float(v) for v in rng.uniform(0, 2 * math.pi, 3))
        angle = float(rng.uniform(0, 2 * math.pi))
        drift = (HANDHELD_DRIFT * s * math.cos(angle), HANDHELD_DRIFT * s * math.sin(angle))
        return BeatPlan(m, start, end, zoom=math.log(1.03) * s, offset=drift,
                        shake=HANDHELD_SHAKE * s, phase=phase,  # type: ignore[arg-type]
                        seconds=seconds)
    return base  # static


def _amplitude(requested: str, pace: float, analysis: Analysis) -> str:
    """`auto` reads the prompt's pace words first, then the scene: a wide view without a
    subject drifts gently, anything else moves at a medium pace."""
    if requested != "auto":
        return requested
    if pace < 1.0:
        return "small"
    if pace > 1.0:
        return "large"
    return "small" if analysis.wide else "medium"


def _target_speed(amplitude: str, pace: float, placement: float) -> float:
    low, high = SPEED_BANDS[amplitude]
    pace_side = max(-1.0, min(1.0, (pace - 1.0) / 0.35))
    position = 0.5 + PACE_REACH * pace_side + SEED_REACH * placement
    return low + (high - low) * position


def _scale(beats: tuple[BeatPlan, ...], k: float) -> tuple[BeatPlan, ...]:
    scaled = []
    for beat in beats:
        offset = (beat.offset[0] * k, beat.offset[1] * k)
        lateral = (beat.lateral[0] * k, beat.lateral[1] * k)
        # A travel's zoom is the room its travel needs, derived rather than scaled.
        travel = beat.zoom_span < 1.0 and (offset != (0.0, 0.0) or lateral != (0.0, 0.0))
        scaled.append(replace(
            beat, zoom=travel_zoom(offset, lateral) if travel else beat.zoom * k,
            zoom_back=beat.zoom_back * k, offset=offset, lateral=lateral,
            depth_zoom=beat.depth_zoom * k, shake=beat.shake * k))
    return tuple(scaled)


def _calibrate(unit: tuple[BeatPlan, ...], target: float, probe: MotionProbe,
               frame_count: int, focus: tuple[float, float],
               ) -> tuple[tuple[BeatPlan, ...], list[Pose], float]:
    """Scale the beats until the predicted on-screen speed meets the target.

    Speed grows nearly in proportion to the magnitudes (exactly so for small moves; the
    covering zoom bends it a little), so a few proportional steps converge.
    """
    last = max(1, frame_count - 1)

    def measure(beats: tuple[BeatPlan, ...]) -> tuple[list[Pose], float]:
        poses = [pose_at(beats, i / last, focus) for i in range(frame_count)]
        return poses, probe.speed(poses, defaults.FPS)

    k = 1.0
    beats = unit
    poses, speed = measure(beats)
    for _ in range(CALIBRATION_STEPS):
        if speed <= 1e-6 or abs(speed - target) <= 0.02 * target:
            break
        k *= target / speed
        beats = _scale(unit, k)
        poses, speed = measure(beats)
    return beats, poses, speed


class MotionEngine:
    """Camera moves on the CPU; pure: the same request always yields the same frames."""

    name = "motion"
    upfront_share = 0.0

    def __init__(self, layered_parallax: bool = False) -> None:
        """`layered_parallax`: draw parallax shots of layerable() photos as a feathered
        foreground over an inpainted background plate instead of one bent field.

        Off by default (decided 2026-11-25): where GrabCut's matte misses part of an object
        (the rocket's nose cone) the layers tear it in two, which looks worse than the
        single field (whose subject moves rigidly: projection.rigid_subject), and the two
        remaps cost 2.36x the encode floor against a 2.0 budget (bench/RESULTS.md,
        effects_bench). tests/engines/test_layers.py turns it on. It can come on once the
        matte can be trusted not to cut across an object."""
        self.layered_parallax = layered_parallax
        self._cache: tuple[bytes, Analysis] | None = None  # plan() then frames() on one photo

    def layered(self, analysis: Analysis) -> bool:
        """Whether this engine draws parallax shots of this photo in two layers."""
        return self.layered_parallax and layerable(analysis)

    def analysis(self, image: np.ndarray) -> Analysis:
        key = hashlib.blake2b(np.ascontiguousarray(image).data, digest_size=16).digest()
        key += repr(image.shape).encode()
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, analyse(image))
        return self._cache[1]

    def plan(self, request: RenderRequest, image: np.ndarray) -> MotionPlan:
        rng = np.random.default_rng(request.seed)
        side = -1 if rng.uniform() < 0.5 else 1
        placement = float(rng.uniform(-1.0, 1.0))
        direction = read_prompt(request.prompt, request.duration, side)
        analysis = self.analysis(image)
        subject = analysis.subject
        confidence = subject.confidence if subject.confidence >= SUBJECT_CONFIDENCE else 0.0
        beats = list(direction.beats)
        chosen_by = "prompt"
        if not beats or beats[0].move == "auto":
            pace = beats[0].pace if beats else 1.0
            move, chosen_by = _auto_move(analysis, side)
            beats = [Beat(move, pace)]
        amplitude = _amplitude(request.movement_amplitude, beats[0].pace, analysis)
        if confidence > 0:
            focus = (subject.cx, subject.cy)
        else:
            offset = rng.uniform(-0.05, 0.05, size=2)
            focus = (0.5 + float(offset[0]), 0.5 + float(offset[1]))
        unit: list[BeatPlan] = []
        zoom_so_far = depth_so_far = 0.0
        for beat, (start, end) in zip(beats, beat_windows(len(beats)), strict=True):
            relative_pace = beat.pace / beats[0].pace
            planned = _beat_plan(beat, start, end, relative_pace, confidence, zoom_so_far,
                                 depth_so_far, rng, recede=self.layered(analysis),
                                 seconds=float(request.duration))
            zoom_so_far += planned.zoom
            depth_so_far += planned.depth_zoom
            unit.append(planned)
        width, height = output_size(request.image_width, request.image_height, request.resolution)
        frame_count = request.duration * defaults.FPS
        probe = MotionProbe((width, height), analysis.depth, focus,
                            matte=analysis.matte if self.layered(analysis) else None,
                            rigid=rigid_subject(analysis))
        target = _target_speed(amplitude, beats[0].pace, placement)
        scaled, poses, speed = _calibrate(tuple(unit), target, probe, frame_count, focus)
        return MotionPlan(
            engine=self.name, width=width, height=height, fps=defaults.FPS,
            frame_count=frame_count, seed=request.seed, beats=scaled,
            focus=(round(focus[0], 4), round(focus[1], 4)),
            zoom_max=round(max(p.zoom for p in poses), 6), amplitude=amplitude,
            target_speed=round(target, 3) if speed > 0 else 0.0,
            predicted_speed=round(speed, 3), effects=direction.effects,
            motions=direction.motions, prompt_words=direction.words,
            subject_confidence=subject.confidence, chosen_by=chosen_by,
        )

    def renderer(self, plan: MotionPlan, image: np.ndarray) -> FrameRenderer:
        """The plan's renderer: two layers for a parallax shot of a photo whose matte is
        trusted (self.layered()), with the plate inpainted as deep as this shot can reveal."""
        needs_depth = any(b.lateral != (0.0, 0.0) or b.depth_zoom
                          for b in plan.beats)
        depth = self.analysis(image).depth if needs_depth else None
        matte, reveal = None, 0.0
        if depth is not None and self.layered(self.analysis(image)):
            matte = self.analysis(image).matte
            probe = MotionProbe((plan.width, plan.height), depth, plan.focus, matte=matte)
            last = max(1, plan.frame_count - 1)
            reveal = probe.reveal([pose_at(plan.beats, i / last, plan.focus)
                                   for i in range(plan.frame_count)])
        return FrameRenderer(image, plan.width, plan.height, plan.zoom_max, depth,
                             plan.focus, matte=matte, reveal=reveal,
                             rigid=rigid_subject(self.analysis(image)))

    def frames(self, plan: Plan, image: np.ndarray,
               control: RenderControl | None = None) -> Iterator[np.ndarray]:
        # `control` is unused: every frame costs the same, so the pipeline measures
        # progress and checks for a stop between frames.
        if not isinstance(plan, MotionPlan):
            raise TypeError("the motion engine renders MotionPlans only")
        renderer = self.renderer(plan, image)
        last = max(1, plan.frame_count - 1)
        effects = None
        if plan.effects or plan.motions:
            effects = Effects(plan.effects, plan.motions, self.analysis(image), plan.width,
                              plan.height, plan.seed, plan.frame_count, plan.fps, image=image)
        for i in range(plan.frame_count):
            pose = pose_at(plan.beats, i / last, plan.focus)
            if effects is None:
                yield renderer.render(pose)
            elif pose.is_identity:
                # the frame is the photo's level 0 as is: effects resample only the tiles
                # their masks reach, which is cheaper than resampling the whole frame
                yield effects.apply(renderer.render(pose), i, pose)
            else:
                # the camera resamples the photo anyway: local motion is folded into that
                # one remap (one interpolation a frame, and no second full-frame pass)
                motion = effects.motion_field(i, pose, renderer.grid_size)
                yield effects.apply(renderer.render(pose, motion), i, pose, moved=True)
