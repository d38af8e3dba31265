"""Step 3, the camera: where it is at time t, as a few numbers per frame (a Pose).

The photo is the whole world at frame 0 (zoom 1, centred), so there is no margin: every
offset of the window rides on a zoom that covers it, solved per frame (`cover_zoom`).
Zoom is interpolated in log space so perceived speed follows the easing. A shot is a list
of beats; each beat glides its own contribution in over its own time window (`glide`:
accelerate, cruise, settle), and the windows overlap a little so one move flows into the
next instead of stopping. A travel's covering zoom glides in with the travel, a little
ahead of it, never before it: a zoom run first reads as a punch-in.

The subject moves against the rest of the picture through four terms the renderer turns
into a displacement field (projection.py), each applied to the subject exactly (it moves
as one similarity about its anchor) and to the rest by its nearness: `lateral` (the
subject shifts further than far things: truck, pedestal), `depth_zoom` (it grows faster:
push-in; or shrinks: pull-out), `held` (the camera's shift of the subject cancelled: an
orbit keeps it in place) and `held_zoom` (the camera's zoom of it cancelled: a dolly zoom
keeps its size; the subject alone), and `turn` (the subject's plane turns a little in
perspective: an orbit shows its side). All are fractions of the frame, log-scales or
radians.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

BEAT_OVERLAP = 0.12  # each beat's window reaches this far into its neighbours'
HANDHELD_HZ = (0.31, 0.53, 0.87)  # incommensurate, so the shake never visibly repeats
# A beat glides as a dolly does: it accelerates over this share of its time, cruises, and
# settles over the same share. Its top speed is 1 / (1 - GLIDE_RAMP) of its mean (1.25x);
# Perlin's smootherstep, used before, peaks at 1.875x, and a move eased by it bursts
# through its middle.
GLIDE_RAMP = 0.2


@dataclass(frozen=True)
class BeatPlan:
    """One beat as planned: which move, when, and its magnitudes (plain numbers)."""

    move: str
    start: float
    end: float
    zoom: float = 0.0  # log-zoom added by the beat
    offset: tuple[float, float] = (0.0, 0.0)  # window travel, fraction of the photo
    lateral: tuple[float, float] = (0.0, 0.0)  # extra shift of the nearest things
    depth_zoom: float = 0.0  # extra log-scale of the nearest things (negative: held)
    zoom_back: float = 0.0  # log-zoom handed back after the zoom span (a pull-out)
    shake: float = 0.0  # handheld amplitude, fraction of the frame
    phase: tuple[float, float, float] = (0.0, 0.0, 0.0)  # handheld noise phases
    zoom_span: float = 1.0  # share of the beat over which its zoom eases in
    seconds: float = 4.0  # the clip's length: clip time 0..1 spans this many seconds
    hold: float = 0.0  # share of the camera's shift of the subject cancelled (orbit: 1)
    hold_size: float = 0.0  # share of the camera's zoom of the subject cancelled (dolly zoom)
    turn: float = 0.0  # how far the subject's plane turns over the beat, radians (orbit)


@dataclass(frozen=True)
class Pose:
    """The camera at one instant."""

    zoom: float
    cx: float
    cy: float
    lateral: tuple[float, float] = (0.0, 0.0)
    depth_zoom: float = 0.0
    held: tuple[float, float] = (0.0, 0.0)  # the subject shifted back (an orbit holds it)
    held_zoom: float = 0.0  # the subject's own log-scale (a dolly zoom keeps its size)
    turn: float = 0.0  # the subject's plane turned about the vertical, radians (an orbit)

    @property
    def is_identity(self) -> bool:
        return (self.zoom == 1.0 and self.cx == 0.5 and self.cy == 0.5 and not self.parallax)

    @property
    def parallax(self) -> bool:
        """Whether anything moves other than the whole picture with the camera."""
        return (self.lateral != (0.0, 0.0) or self.depth_zoom != 0.0
                or self.held != (0.0, 0.0) or self.held_zoom != 0.0 or self.turn != 0.0)


def glide(t: float) -> float:
    """Position along a beat at time t in [0, 1]: a half-cosine acceleration over
    GLIDE_RAMP, constant speed, and the mirror image to settle (zero speed at both ends)."""
    t = min(1.0, max(0.0, t))
    if t > 0.5:
        return 1.0 - glide(1.0 - t)
    top = 1.0 / (1.0 - GLIDE_RAMP)
    if t < GLIDE_RAMP:
        return top * (t / 2 - GLIDE_RAMP / (2 * math.pi) * math.sin(math.pi * t / GLIDE_RAMP))
    return top * (GLIDE_RAMP / 2 + t - GLIDE_RAMP)


def max_offset(zoom: float) -> float:
    """How far the window centre may stray from 0.5 at this zoom without showing an edge."""
    return 0.5 - 0.5 / zoom


def cover_zoom(offset: float) -> float:
    """The least zoom whose window can sit `offset` away from the centre (inverse of above)."""
    return 1.0 / max(1e-6, 1.0 - 2.0 * min(0.49, abs(offset)))


def travel_zoom(offset: tuple[float, float], lateral: tuple[float, float]) -> float:
    """The log-zoom a travel beat needs so its own window never binds on the photo's edge."""
    need = max(abs(offset[0]) + abs(lateral[0]), abs(offset[1]) + abs(lateral[1]))
    return math.log(cover_zoom(need)) * 1.02


def beat_windows(count: int) -> list[tuple[float, float]]:
    """Equal shares of the clip, overlapping so consecutive moves blend."""
    if count <= 1:
        return [(0.0, 1.0)] * count
    return [(max(0.0, i / count - BEAT_OVERLAP), min(1.0, (i + 1) / count + BEAT_OVERLAP))
            for i in range(count)]


def _shake(beat: BeatPlan, t: float, e: float) -> tuple[float, float, float]:
    """Smooth seeded noise: a few slow sines, faded in with the beat's own easing.

    HANDHELD_HZ are cycles per second of the clip, not per clip: an operator's hands
    shake at the same rate in a 4 s and an 8 s clip (per clip, an 8 s clip swayed at half
    the rate, like a slow-motion shake)."""
    if beat.shake == 0.0:
        return 0.0, 0.0, 0.0
    a, b, c = beat.phase
    w = 2 * math.pi * t * beat.seconds  # seconds since the clip's start, times 2 pi
    x = (math.sin(w * HANDHELD_HZ[0] + a) + 0.5 * math.sin(w * HANDHELD_HZ[2] + b)) / 1.5
    y = (math.sin(w * HANDHELD_HZ[1] + b) + 0.5 * math.sin(w * HANDHELD_HZ[0] * 1.7 + c)) / 1.5
    z = math.sin(w * HANDHELD_HZ[0] * 0.8 + c)
    fade = min(1.0, e * 4.0)  # frame 0 is the photo: the shake grows in quickly
    return beat.shake * x * fade, beat.shake * y * fade, 0.25 * beat.shake * z * fade


def _solve_cover(zoom: float, cx: float, cy: float,
                 lateral: tuple[float, float]) -> tuple[float, float, float]:
    """The least zoom (at least `zoom`) whose window, plus the parallax displacement, stays
    inside the photo, and the window centre moved inside the room it leaves."""
    need_x = abs(cx - 0.5) + abs(lateral[0])
    need_y = abs(cy - 0.5) + abs(lateral[1])
    zoom = max(zoom, cover_zoom(need_x), cover_zoom(need_y))
    bound_x = max(0.0, max_offset(zoom) - abs(lateral[0]))
    bound_y = max(0.0, max_offset(zoom) - abs(lateral[1]))
    return (zoom, min(0.5 + bound_x, max(0.5 - bound_x, cx)),
            min(0.5 + bound_y, max(0.5 - bound_y, cy)))


def camera_shift(zoom: float, cx: float, cy: float,
                 point: tuple[float, float]) -> tuple[float, float]:
    """How far the camera's window alone moves a photo point on screen from where frame 0
    shows it (fractions of the frame)."""
    return ((point[0] - cx + 0.5 / zoom) * zoom - point[0],
            (point[1] - cy + 0.5 / zoom) * zoom - point[1])


def _camera(beats: tuple[BeatPlan, ...], t: float, focus: tuple[float, float],
            anchor: tuple[float, float]) -> Pose:
    """The camera at clip time t, before any hold (see pose_at)."""
    log_zoom = 0.0
    aim = 0.0  # how far the aiming beats (push-ins) have got: the window drifts to the focus
    aim_zoom = 0.0  # ... and the log-zoom they reach in the end
    ox = oy = 0.0
    lx = ly = 0.0
    depth_zoom = turn = 0.0
    for beat in beats:
        span = max(1e-6, beat.end - beat.start)
        e = glide((t - beat.start) / span)
        # A travel's zoom is its room to move: it glides in with the travel, over the
        # beat's zoom span, so that the shot never opens with a punch-in.
        into = span * beat.zoom_span
        zoom_part = beat.zoom * glide((t - beat.start) / max(1e-6, into))
        if beat.zoom_back:
            zoom_part -= beat.zoom_back * glide(
                (t - beat.start - into) / max(1e-6, span - into))
        log_zoom += zoom_part
        if beat.zoom > 0 and beat.offset == (0.0, 0.0) and beat.lateral == (0.0, 0.0):
            aim = max(aim, e)  # travel beats zoom only to make room; the rest aim
            aim_zoom += beat.zoom
        ox += beat.offset[0] * e
        oy += beat.offset[1] * e
        lx += beat.lateral[0] * e
        ly += beat.lateral[1] * e
        depth_zoom += beat.depth_zoom * e
        turn += beat.turn * e
        sx, sy, sz = _shake(beat, t, e)
        ox, oy, log_zoom = ox + sx, oy + sy, log_zoom + sz
    log_zoom = max(0.0, log_zoom)
    zoom = math.exp(log_zoom)
    # Zooms aim at the focus: the window centre drifts toward it, as far as the final
    # zoom allows, at the pace of the zoom itself. The room grows faster than that early
    # on (max_offset is concave in log-zoom), so the drift always fits; a drift bounded
    # by the room of the moment instead would accelerate through the whole shot.
    room = max_offset(math.exp(aim_zoom))
    # A shot that holds its subject's size (a dolly zoom) zooms about the subject's anchor
    # instead, which keeps the anchor in place on screen (and is always inside the
    # photo): the subject then needs no shift back, only its size held.
    still = 1.0 if any(beat.hold_size for beat in beats) else 0.0
    fixed = (anchor[0] + (0.5 - anchor[0]) / zoom, anchor[1] + (0.5 - anchor[1]) / zoom)
    cx = 0.5 + ox + (1.0 - still) * max(-room, min(room, focus[0] - 0.5)) * aim
    cy = 0.5 + oy + (1.0 - still) * max(-room, min(room, focus[1] - 0.5)) * aim
    cx, cy = cx + still * (fixed[0] - 0.5), cy + still * (fixed[1] - 0.5)
    zoom, cx, cy = _solve_cover(zoom, cx, cy, (lx, ly))
    return Pose(zoom=zoom, cx=cx, cy=cy, lateral=(lx, ly), depth_zoom=depth_zoom, turn=turn)


def pose_at(beats: tuple[BeatPlan, ...], t: float, focus: tuple[float, float],
            anchor: tuple[float, float] | None = None) -> Pose:
    """The camera at clip time t in [0, 1]. `focus` is where zooms aim (the subject);
    `anchor` is the point of the subject that a hold keeps in place (default: the focus).

    A beat that holds its subject cancels, while it lasts, what the camera does to the
    subject's anchor from the beat's start on: its shift on screen (an orbit keeps the
    subject in place) and, with hold_size, its zoom (a dolly zoom keeps its size). Neither
    needs room: the subject's own pixels lie inside the photo, and the background takes
    the shift only where the falloff lets it (projection._displace)."""
    anchor = focus if anchor is None else anchor
    pose = _camera(beats, t, focus, anchor)
    hx = hy = held_zoom = 0.0
    for beat in beats:
        if not (beat.hold or beat.hold_size) or t <= beat.start:
            continue
        then = _camera(beats, beat.start, focus, anchor)
        now = pose if t <= beat.end else _camera(beats, beat.end, focus, anchor)
        before = camera_shift(then.zoom, then.cx, then.cy, anchor)
        after = camera_shift(now.zoom, now.cx, now.cy, anchor)
        hx -= beat.hold * (after[0] - before[0])
        hy -= beat.hold * (after[1] - before[1])
        held_zoom -= beat.hold_size * (math.log(now.zoom) - math.log(then.zoom))
    return replace(pose, held=(hx, hy), held_zoom=held_zoom)
