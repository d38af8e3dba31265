"""The motion engine: reading -> scene -> camera -> render, seeded and pure."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

import cv2
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
from stillmotion.engines.motion.effects import Effects
from stillmotion.engines.motion.living import STYLES, LocalMotion
from stillmotion.engines.motion.projection import MotionProbe
from stillmotion.engines.motion.render import FrameRenderer
from stillmotion.engines.motion.scene import Analysis, analyse
from stillmotion.reading import Beat, Reading, read_prompt, resolve_amplitude

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
ORBIT_TRAVEL = 0.05  # the background's slide behind a held subject, fraction of the photo
ORBIT_TURN = math.radians(12)  # ... while the subject's plane turns this far (medium)
NEAR_EXTRA = 0.12  # how much further the subject shifts than the far things on a truck
DEPTH_PUSH = 0.08  # how much faster the subject grows than the far things on a push-in
PULL_DEPTH = math.log(1.12)  # a medium pull-out leaves the subject this much smaller
PULL_MIN_SCALE = 0.75  # ... and none smaller than this, whatever the amplitude asks
FALLBACK_STRENGTH = 0.5  # parallax of the depth proxy alone, for a photo without a subject
HANDHELD_SHAKE = 0.003
HANDHELD_DRIFT = 0.05
SUBJECT_CONFIDENCE = 0.25  # below this the matte is not trusted to aim at
# ... nor to cut the photo into a foreground and a background layer: with layered parallax
# on (MotionEngine(layered_parallax=True), off by default: see MotionEngine), a shot with
# parallax on a photo whose matte is trusted and whose edge separates two things
# (scene._separation) is drawn in two layers (render.py, layers.py), any other as one
# smoothly bent picture
LAYER_CONFIDENCE = SUBJECT_CONFIDENCE
LAYER_SEPARATION = 19.0  # the sample photos: objects 22-67, a matte inside a cat's face 15
CALIBRATION_STEPS = 4
HELD_REFERENCE = sum(SPEED_BANDS["medium"]) / 2  # a held shot's unit magnitudes are this band's
# No map may fold (a local stretch of 0 shows content mirrored) nor squeeze hard: a plan
# whose smallest stretch (MotionProbe.min_stretch, on a STRETCH_COLUMNS grid) falls below
# MIN_STRETCH at the top of the fastest band has the subject's motion against its
# surroundings scaled down by PARALLAX_BACKOFF, at most PARALLAX_RETRIES times (_tame).
MIN_STRETCH = 0.35
STRETCH_COLUMNS = 48
SPEED_COLUMNS = 24  # the speed prediction's grid (MotionProbe's default)
PARALLAX_BACKOFF = 0.8
PARALLAX_RETRIES = 10
# A travel's covering zoom glides in with the travel itself, finishing this far into the
# beat: a little ahead, so the later part of the shot is more travel than zoom and reads
# as the move named, yet the shot never opens with a punch-in (all at 1.0 it is a zoom
# anchored at one edge; at 0.35, as before, it punched in at 3x the clip's mean speed).
TRAVEL_ZOOM_SPAN = 0.6
# A vertical travel's room is the same share of a shorter side, and the zoom's radial flow
# reaches further across a landscape frame, so it glides in over longer (burst <= 1.6).
TRAVEL_ZOOM_SPAN_VERTICAL = 0.7


@dataclass(frozen=True)
class MotionPlan(Plan):
    """The shot: beats with their magnitudes, where it aims, and why (words, subject)."""

    beats: tuple[BeatPlan, ...] = ()
    focus: tuple[float, float] = (0.5, 0.5)
    anchor: tuple[float, float] = (0.5, 0.5)  # the subject's point that holds and depth
    # zooms keep in place: its centre, or the middle of the photo edge that cuts it
    zoom_max: float = 1.0
    target_speed: float = 0.0  # % of the frame diagonal per second, inside the amplitude band
    predicted_speed: float = 0.0  # what the camera model predicts for the planned beats
    effects: tuple[str, ...] = ()
    motions: tuple[str, ...] = ()
    motion_sides: tuple[tuple[str, int], ...] = ()  # the way local motions go, where said
    effect_levels: tuple[tuple[str, float], ...] = ()  # how heavy the weather, where said
    prompt_words: tuple[str, ...] = ()
    not_rendered: tuple[str, ...] = ()  # what was asked for and this engine cannot draw
    subject_confidence: float = 0.0
    chosen_by: str = "prompt"  # "prompt", or how the image decided when the prompt did not
    fallbacks: tuple[str, ...] = ()  # moves this photo cannot show as asked, and what instead

    @property
    def move(self) -> str:
        return "+".join(beat.move for beat in self.beats) or "static"

    def pose(self, t: float) -> Pose:
        """The camera at clip time t in [0, 1]."""
        return pose_at(self.beats, t, self.focus, self.anchor)


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


def subject_anchor(analysis: Analysis) -> tuple[float, float]:
    """The point of the subject that stays put when it is held or scaled: its centre, or,
    along an axis where the photo's edge cuts it (a portrait's shoulders), that edge, so
    a receding subject never lifts off the frame's edge and shows what is not there."""
    subject = analysis.subject
    left, top, right, bottom = subject.box
    touches_left, touches_top, touches_right, touches_bottom = subject.touches
    x = left if touches_left and not touches_right else (
        right if touches_right and not touches_left else subject.cx)
    y = top if touches_top and not touches_bottom else (
        bottom if touches_bottom and not touches_top else subject.cy)
    return x, y


def parallax_strength(analysis: Analysis) -> float:
    """How much of the full parallax a photo gets: all of it for a subject held as one
    object (rigid_subject), the matte's confidence for the depth proxy's smooth field
    around a trusted but unseparated matte, none without a trusted subject."""
    if rigid_subject(analysis) is not None:
        return 1.0
    confidence = analysis.subject.confidence
    return confidence if confidence >= SUBJECT_CONFIDENCE else 0.0


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
            lateral: tuple[float, float] = (0.0, 0.0), hold: float = 0.0) -> BeatPlan:
    # An orbit reads by its subject held against a sliding background, not by the
    # travel's direction, so its room glides in over the whole beat: most of what moves
    # on screen is that zoom, and ahead of the travel it would burst.
    span = 1.0 if hold else (TRAVEL_ZOOM_SPAN_VERTICAL if abs(offset[1]) > abs(offset[0])
                             else TRAVEL_ZOOM_SPAN)
    return BeatPlan(move, start, end, zoom=_room(offset, lateral), offset=offset,
                    lateral=lateral, hold=hold, zoom_span=span)


def _room(offset: tuple[float, float], lateral: tuple[float, float],
          shake: float = 0.0) -> float:
    """The covering zoom a travel needs: its window's travel, its parallax and its shake
    (whose sideways sway never exceeds its amplitude). A travel's zoom is this room,
    derived from the travel whenever the travel is scaled, never scaled itself."""
    return travel_zoom((abs(offset[0]) + shake, abs(offset[1]) + shake), lateral)


def _travels(offset: tuple[float, float], lateral: tuple[float, float],
             shake: float) -> bool:
    return offset != (0.0, 0.0) or lateral != (0.0, 0.0) or shake != 0.0


# What a move becomes on a photo without a subject to hold, and why (MotionPlan.fallbacks).
_NO_SUBJECT = "no subject found"


def _fallback(move: str) -> tuple[str, str] | None:
    if move == "pull_out":
        return move, f"pull out: {_NO_SUBJECT}, the nearer part of the photo recedes"
    if move == "dolly_zoom":
        return "push_in", f"dolly zoom -> push in: {_NO_SUBJECT} to hold at its size"
    if move in ("orbit_left", "orbit_right"):
        # orbiting right, the background slides right: as the whole picture does when the
        # camera pans left
        pan = "pan_left" if move == "orbit_right" else "pan_right"
        return pan, f"{move.replace('_', ' ')} -> {pan.replace('_', ' ')}: {_NO_SUBJECT} to orbit"
    return None


def _beat_plan(beat: Beat, start: float, end: float, scale: float, strength: float,
               zoom_so_far: float, depth_so_far: float, rng: np.random.Generator) -> BeatPlan:
    m, s, p = beat.move, scale, strength
    sign = -1.0 if m.endswith(("_left", "_up")) else 1.0
    base = BeatPlan(move=m, start=start, end=end)
    if m == "push_in":
        return BeatPlan(m, start, end, zoom=PUSH_ZOOM * s, depth_zoom=DEPTH_PUSH * s * p)
    if m == "pull_out":
        # The photo is the widest view there is, so the camera cannot widen: the subject
        # recedes instead, shrinking about its anchor while the background keeps its
        # scale (the nearer parts of it, by the depth proxy, recede a little with it).
        # After a push-in, that zoom is handed back as well. Without a subject, the depth
        # proxy's nearer parts recede (FALLBACK_STRENGTH).
        recede = PULL_DEPTH * s * (p if p > 0 else FALLBACK_STRENGTH)
        return BeatPlan(m, start, end, zoom_back=zoom_so_far, zoom_span=0.0,
                        depth_zoom=-(recede + depth_so_far))
    if m in ("pan_left", "pan_right"):
        return _travel(m, start, end, offset=(sign * PAN_TRAVEL * s, 0.0))
    if m in ("tilt_up", "tilt_down"):
        return _travel(m, start, end, offset=(0.0, sign * PAN_TRAVEL * s))
    if m in ("truck_left", "truck_right"):
        return _travel(m, start, end, offset=(sign * TRUCK_TRAVEL * s, 0.0),
                       lateral=(-sign * NEAR_EXTRA * s * p, 0.0))
    if m in ("pedestal_up", "pedestal_down"):
        return _travel(m, start, end, offset=(0.0, sign * TRUCK_TRAVEL * s),
                       lateral=(0.0, -sign * NEAR_EXTRA * s * p))
    if m in ("orbit_left", "orbit_right"):
        # Orbiting right, the camera circles right while turning to keep the subject: the
        # subject is held in place and the background slides right behind it (the window
        # travels left), things between moving by their nearness.
        return replace(_travel(m, start, end, offset=(-sign * ORBIT_TRAVEL * s, 0.0), hold=p),
                       turn=sign * ORBIT_TURN * s * p)
    if m == "dolly_zoom":
        # The background grows (the camera zooms in) while the subject is held at its size
        # and in its place.
        return BeatPlan(m, start, end, zoom=DOLLY_ZOOM * s, hold=1.0, hold_size=1.0)
    if m == "handheld":
        # An operator's hands: a slow drift in a seeded direction plus a smooth shake.
        phase = tuple(float(v) for v in rng.uniform(0, 2 * math.pi, 3))
        angle = float(rng.uniform(0, 2 * math.pi))
        drift = (HANDHELD_DRIFT * s * math.cos(angle), HANDHELD_DRIFT * s * math.sin(angle))
        shake = HANDHELD_SHAKE * s
        return BeatPlan(m, start, end, zoom=_room(drift, (0.0, 0.0), shake), offset=drift,
                        shake=shake, phase=phase,  # type: ignore[arg-type]
                        zoom_span=TRAVEL_ZOOM_SPAN)
    return base  # static


# Local motions the reader knows and this engine has no region for.
UNDRAWN = {"flag": "flags and cloth: no region for them is found in a photo without a "
                   "segmentation model"}


def not_rendered(reading: Reading) -> tuple[str, ...]:
    """What the prompt asked for that this engine does not draw, said plainly in the plan:
    it moves the camera and the scene's fluid and soft parts, never people or animals, and
    the camera never stands in for them ("the bus moves left" is not a truck right)."""
    missing = [f"{action} (a subject's action: this engine moves the camera and the "
               "scene, not people, animals or vehicles)" for action in reading.actions]
    missing += [f"{motion} motion ({UNDRAWN.get(motion, 'no region for it')})"
                for motion in reading.motions
                if motion not in STYLES]
    return tuple(missing)


def _target_speed(amplitude: str, pace: float, placement: float) -> float:
    low, high = SPEED_BANDS[amplitude]
    pace_side = max(-1.0, min(1.0, (pace - 1.0) / 0.35))
    position = 0.5 + PACE_REACH * pace_side + SEED_REACH * placement
    return low + (high - low) * position


def _scale(beats: tuple[BeatPlan, ...], k: float) -> tuple[BeatPlan, ...]:
    scaled = []
    depth_so_far = 0.0
    for beat in beats:
        offset = (beat.offset[0] * k, beat.offset[1] * k)
        lateral = (beat.lateral[0] * k, beat.lateral[1] * k)
        # A travel's zoom is the room its travel needs, derived rather than scaled.
        travel = _travels(offset, lateral, beat.shake)
        depth = beat.depth_zoom * k
        if beat.move == "pull_out":  # a receding subject shrinks only so far
            depth = max(depth, math.log(PULL_MIN_SCALE) - depth_so_far)
        depth_so_far += depth
        scaled.append(replace(
            beat, zoom=_room(offset, lateral, beat.shake * k) if travel else beat.zoom * k,
            zoom_back=beat.zoom_back * k, offset=offset, lateral=lateral,
            depth_zoom=depth, shake=beat.shake * k, turn=beat.turn * k))
    return tuple(scaled)


def _tame(beats: tuple[BeatPlan, ...], factor: float) -> tuple[BeatPlan, ...]:
    """The beats with what moves the subject against its surroundings scaled by `factor`:
    the parallax terms, or, for a beat that holds its subject (the point of an orbit or a
    dolly zoom), the camera's travel and zoom instead."""
    tamed = []
    for beat in beats:
        if beat.hold or beat.hold_size:
            offset = (beat.offset[0] * factor, beat.offset[1] * factor)
            travel = offset != (0.0, 0.0)
            tamed.append(replace(beat, offset=offset, turn=beat.turn * factor,
                                 zoom=_room(offset, beat.lateral) if travel
                                 else beat.zoom * factor))
            continue
        lateral = (beat.lateral[0] * factor, beat.lateral[1] * factor)
        travel = _travels(beat.offset, lateral, beat.shake)
        tamed.append(replace(beat, lateral=lateral, depth_zoom=beat.depth_zoom * factor,
                             zoom=_room(beat.offset, lateral, beat.shake) if travel
                             else beat.zoom))
    return tuple(tamed)


def _poses(beats: tuple[BeatPlan, ...], frame_count: int, focus: tuple[float, float],
           anchor: tuple[float, float]) -> list[Pose]:
    last = max(1, frame_count - 1)
    return [pose_at(beats, i / last, focus, anchor) for i in range(frame_count)]


def _calibrate(unit: tuple[BeatPlan, ...], target: float, probe: MotionProbe,
               frame_count: int, focus: tuple[float, float], anchor: tuple[float, float],
               factor: float = 1.0) -> tuple[tuple[BeatPlan, ...], list[Pose], float, float]:
    """Scale the beats by k until the predicted on-screen speed meets the target, with
    what moves the subject against its surroundings held to `factor` of its share (_tame).
    Returns the beats, their poses, their speed and k.

    Speed grows nearly in proportion to the magnitudes (exactly so for small moves; the
    covering zoom bends it a little), so a few proportional steps converge.
    """

    def measure(k: float) -> tuple[tuple[BeatPlan, ...], list[Pose], float]:
        beats = _tame(_scale(unit, k), factor) if factor < 1.0 else _scale(unit, k)
        poses = _poses(beats, frame_count, focus, anchor)
        return beats, poses, probe.speed(poses, defaults.FPS)

    k = 1.0
    beats, poses, speed = measure(k)
    for _ in range(CALIBRATION_STEPS):
        if speed <= 1e-6 or abs(speed - target) <= 0.02 * target:
            break
        k *= target / speed
        beats, poses, speed = measure(k)
    return beats, poses, speed, k


def _moves_subject(beat: BeatPlan) -> bool:
    """Whether the beat's point is its subject against the rest, held (an orbit, a dolly
    zoom) or receding (a lone pull-out), rather than the whole picture moving."""
    return bool(beat.hold or beat.hold_size) or (beat.move == "pull_out" and not beat.zoom_back)


def _fit(unit: tuple[BeatPlan, ...], target: float, probe: MotionProbe,
         stretch: MotionProbe, frame_count: int, focus: tuple[float, float],
         anchor: tuple[float, float]) -> tuple[tuple[BeatPlan, ...], list[Pose], float, float]:
    """The beats scaled to the target speed, as far as this photo takes them without any
    map folding (MIN_STRETCH), and the share of the subject's own motion kept (_tame).

    The share is found once, at the top of the fastest band, and kept for every amplitude,
    so slower amplitudes stay slower. A shot whose point is its subject held or receding
    (_moves_subject) moves a part of the frame only, so it is not calibrated on the whole
    frame's speed: the unit's magnitudes are the middle of the medium band's
    (HELD_REFERENCE), and the target scales them."""
    top_speed = SPEED_BANDS["large"][1]
    held = any(_moves_subject(beat) for beat in unit)
    if held:
        top = _scale(unit, top_speed / HELD_REFERENCE)
        poses = _poses(top, frame_count, focus, anchor)
    else:
        top, poses, _, _ = _calibrate(unit, top_speed, probe, frame_count, focus, anchor)
    factor = 1.0
    for _ in range(PARALLAX_RETRIES):
        if stretch.min_stretch(poses[::4]) >= MIN_STRETCH:
            break
        factor *= PARALLAX_BACKOFF
        poses = _poses(_tame(top, factor), frame_count, focus, anchor)
    if held:
        # the safe range spread over the bands by the square root of the target's share
        # of the top: strictly ordered, and a medium shot gets 0.72 of the top's range
        # (in proportion it got 0.52, too little to see a dolly zoom on most photos)
        k = top_speed / HELD_REFERENCE * math.sqrt(target / top_speed)
        beats = _tame(_scale(unit, k), factor)
        poses = _poses(beats, frame_count, focus, anchor)
        return beats, poses, probe.speed(poses, defaults.FPS), factor
    beats, poses, speed, _ = _calibrate(unit, target, probe, frame_count, focus, anchor,
                                        factor)
    return beats, poses, speed, factor


def _rgb(frame: np.ndarray) -> np.ndarray:
    """A rendered frame without the alpha channel a streamed shot draws beside it."""
    return frame if frame.shape[2] == 3 else cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB)


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
        reading = read_prompt(request.prompt, request.duration, side)
        analysis = self.analysis(image)
        subject = analysis.subject
        trusted = subject.confidence >= SUBJECT_CONFIDENCE
        strength = parallax_strength(analysis)
        beats = list(reading.beats)
        chosen_by = "prompt"
        if not beats or beats[0].move == "auto":
            pace = beats[0].pace if beats else 1.0
            move, chosen_by = _auto_move(analysis, side)
            beats = [Beat(move, pace)]
        fallbacks: list[str] = []
        if strength == 0.0:
            for i, beat in enumerate(beats):
                fallback = _fallback(beat.move)
                if fallback is not None:
                    beats[i] = replace(beat, move=fallback[0])
                    fallbacks.append(fallback[1])
        amplitude = resolve_amplitude(request.movement_amplitude, Reading(tuple(beats)),
                                      analysis.wide)
        if trusted:
            focus = (subject.cx, subject.cy)
            anchor = subject_anchor(analysis)
        else:
            offset = rng.uniform(-0.05, 0.05, size=2)
            focus = anchor = (0.5 + float(offset[0]), 0.5 + float(offset[1]))
        unit: list[BeatPlan] = []
        zoom_so_far = depth_so_far = 0.0
        for beat, (start, end) in zip(beats, beat_windows(len(beats)), strict=True):
            relative_pace = beat.pace / beats[0].pace
            planned = _beat_plan(beat, start, end, relative_pace, strength, zoom_so_far,
                                 depth_so_far, rng)
            planned = replace(planned, seconds=float(request.duration))  # the clip's, every beat
            zoom_so_far += planned.zoom - planned.zoom_back
            depth_so_far += planned.depth_zoom
            unit.append(planned)
        width, height = request.size
        frame_count = request.frame_count

        def probe(columns: int) -> MotionProbe:
            return MotionProbe((width, height), analysis.depth, anchor, columns=columns,
                               matte=analysis.matte if self.layered(analysis) else None,
                               rigid=rigid_subject(analysis))

        target = _target_speed(amplitude, Reading(tuple(beats)).pace, placement)
        scaled, poses, speed, factor = _fit(tuple(unit), target, probe(SPEED_COLUMNS),
                                            probe(STRETCH_COLUMNS), frame_count, focus, anchor)
        if factor < 1.0:
            fallbacks.append(f"{'+'.join(b.move for b in beats).replace('_', ' ')}: the "
                             f"subject moves against its surroundings at {factor:.0%} of the "
                             "full amount on this photo; more would fold the picture around it")
        return MotionPlan(
            engine=self.name, width=width, height=height, fps=defaults.FPS,
            frame_count=frame_count, seed=request.seed, beats=scaled,
            focus=(round(focus[0], 4), round(focus[1], 4)),
            anchor=(round(anchor[0], 4), round(anchor[1], 4)),
            zoom_max=round(max(p.zoom for p in poses), 6), amplitude=amplitude,
            target_speed=round(target, 3) if speed > 0 else 0.0,
            predicted_speed=round(speed, 3), effects=reading.effects,
            motions=tuple(m for m in reading.motions if m in STYLES),
            motion_sides=reading.motion_sides, effect_levels=reading.effect_levels,
            prompt_words=reading.words, actions=reading.actions,
            negated=reading.negated, not_rendered=not_rendered(reading),
            subject_confidence=subject.confidence, chosen_by=chosen_by,
            fallbacks=tuple(fallbacks),
        )

    def renderer(self, plan: MotionPlan, image: np.ndarray, picture: np.ndarray | None = None,
                 alpha: np.ndarray | None = None) -> FrameRenderer:
        """The plan's renderer: two layers for a parallax shot of a photo whose matte is
        trusted (self.layered()), with the plate inpainted as deep as this shot can reveal.
        With a `picture` (local motion's plate, at output size), the same camera and
        parallax drawing that picture instead of the photo, in one layer; with an `alpha`
        (the streams'), drawing it beside the photo as a fourth channel, in one layer too."""
        needs_depth = any(b.lateral != (0.0, 0.0) or b.depth_zoom or b.hold or b.hold_size or b.turn
                          for b in plan.beats)
        depth = self.analysis(image).depth if needs_depth else None
        matte, reveal = None, 0.0
        single = picture is not None or alpha is not None
        if depth is not None and not single and self.layered(self.analysis(image)):
            matte = self.analysis(image).matte
            probe = MotionProbe((plan.width, plan.height), depth, plan.anchor, matte=matte)
            last = max(1, plan.frame_count - 1)
            reveal = probe.reveal([plan.pose(i / last) for i in range(plan.frame_count)])
        return FrameRenderer(image if picture is None else picture, plan.width, plan.height,
                             plan.zoom_max, depth, plan.anchor, matte=matte, reveal=reveal,
                             rigid=rigid_subject(self.analysis(image)), alpha=alpha)

    @staticmethod
    def _stream(frame: np.ndarray, plate: FrameRenderer, local: LocalMotion, pose: Pose,
                copies: list[tuple[float, tuple[np.ndarray, np.ndarray]]],
                index: int) -> np.ndarray:
        """The frame (RGBA: the streams' alpha drawn beside the photo) with the plate
        streamed over it, drawn and blended only in the box where that alpha is not 0."""
        alpha = np.ascontiguousarray(frame[..., 3])
        x, y, w, h = cv2.boundingRect(alpha)
        out = _rgb(frame)
        if w == 0 or h == 0:
            return out
        roi = (x, y, x + w, y + h)
        drawn = [(weight, plate.render(pose, field, roi)) for weight, field in copies]
        streamed = drawn[0][1] if len(drawn) == 1 else cv2.addWeighted(
            drawn[0][1], drawn[0][0], drawn[1][1], drawn[1][0], 0.0)
        out[y:y + h, x:x + w] = local.composite(out[y:y + h, x:x + w], streamed, index,
                                                alpha[y:y + h, x:x + w])
        return out

    def frames(self, plan: Plan, image: np.ndarray,
               control: RenderControl | None = None) -> Iterator[np.ndarray]:
        # `control` is unused: every frame costs the same, so the pipeline measures
        # progress and checks for a stop between frames.
        if not isinstance(plan, MotionPlan):
            raise TypeError("the motion engine renders MotionPlans only")
        last = max(1, plan.frame_count - 1)
        effects = None
        if plan.effects or plan.motions:
            effects = Effects(plan.effects, plan.motions, self.analysis(image), plan.width,
                              plan.height, plan.seed, plan.frame_count, plan.fps, image=image,
                              amplitude=plan.amplitude, sides=dict(plan.motion_sides),
                              levels=dict(plan.effect_levels))
        local = effects.local if effects is not None else None
        streams = local is not None and local.plate is not None
        # With streams, the camera draws the photo with their alpha as a fourth channel: the
        # alpha then moves exactly as the photo does, parallax included, and what stands
        # in the sky stays covered by itself whatever the move
        renderer = self.renderer(plan, image, alpha=(
            local.alpha8() if local is not None and streams else None))
        plate: FrameRenderer | None = None  # the streams' plate through this camera
        for i in range(plan.frame_count):
            pose = plan.pose(i / last)
            if effects is None:
                yield renderer.render(pose)
            elif pose.is_identity:
                # the frame is the photo's level 0 as is: effects resample only the tiles
                # their masks reach, which is cheaper than resampling the whole frame
                yield effects.apply(_rgb(renderer.render(pose)), i, pose)
            else:
                # the camera resamples the photo anyway: local motion's warps are folded
                # into that one remap (one interpolation a frame, no second full pass);
                # streams draw their plate through the same camera and composite it
                frame = renderer.render(pose, effects.motion_field(i, pose, renderer.grid_size))
                copies = local.stream_fields(i, pose, renderer.grid_size) if local else None
                if local is not None and local.plate is not None and copies:
                    if plate is None:
                        plate = self.renderer(plan, image, picture=local.plate)
                    frame = self._stream(frame, plate, local, pose, copies, i)
                yield effects.apply(_rgb(frame), i, pose, moved=True)
