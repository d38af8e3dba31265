"""Step 3, the camera: where it is at time t, as a few numbers per frame (a Pose).

The photo is the whole world at frame 0 (zoom 1, centred), so there is no margin: every
offset of the window rides on a zoom that covers it, solved per frame (`cover_zoom`).
Zoom is interpolated in log space so perceived speed follows the easing. A shot is a list
of beats; each beat eases its own contribution in over its own time window, and the
windows overlap a little so one move flows into the next instead of stopping.

Parallax is expressed as two depth-weighted terms the renderer turns into a displacement
field: `lateral` (near things shift further than far ones: truck, pedestal, orbit) and
`depth_zoom` (near things grow faster than far ones: dolly in; or are held at constant size
while the background grows: dolly zoom). Both are fractions of the frame and are already
scaled by the matte confidence, so a photo whose subject could not be found moves flat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BEAT_OVERLAP = 0.12  # each beat's window reaches this far into its neighbours'
HANDHELD_HZ = (0.31, 0.53, 0.87)  # incommensurate, so the shake never visibly repeats


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


@dataclass(frozen=True)
class Pose:
    """The camera at one instant."""

    zoom: float
    cx: float
    cy: float
    lateral: tuple[float, float] = (0.0, 0.0)
    depth_zoom: float = 0.0

    @property
    def is_identity(self) -> bool:
        return (self.zoom == 1.0 and self.cx == 0.5 and self.cy == 0.5
                and self.lateral == (0.0, 0.0) and self.depth_zoom == 0.0)


def smootherstep(t: float) -> float:
    """Ease-in-out with zero velocity and acceleration at both ends (Perlin's quintic)."""
    t = min(1.0, max(0.0, t))
    return t * t * t * (t * (6.0 * t - 15.0) + 10.0)


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


def pose_at(beats: tuple[BeatPlan, ...], t: float, focus: tuple[float, float]) -> Pose:
    """The camera at clip time t in [0, 1]. `focus` is where zooms aim (the subject)."""
    log_zoom = 0.0
    aim_zoom = 0.0  # zoom that aims at the focus (push-ins), not room made for travel
    ox = oy = 0.0
    lx = ly = 0.0
    depth_zoom = 0.0
    for beat in beats:
        span = max(1e-6, beat.end - beat.start)
        e = smootherstep((t - beat.start) / span)
        # Travel beats zoom in first (the zoom is their room to move), then travel, so
        # the travel reads as a pan rather than as a zoom anchored at one edge.
        into = span * beat.zoom_span
        zoom_part = beat.zoom * smootherstep((t - beat.start) / max(1e-6, into))
        if beat.zoom_back:
            zoom_part -= beat.zoom_back * smootherstep(
                (t - beat.start - into) / max(1e-6, span - into))
        log_zoom += zoom_part
        if beat.offset == (0.0, 0.0) and beat.lateral == (0.0, 0.0):
            aim_zoom += zoom_part  # travel beats zoom only to make room; the rest aim
        ox += beat.offset[0] * e
        oy += beat.offset[1] * e
        lx += beat.lateral[0] * e
        ly += beat.lateral[1] * e
        depth_zoom += beat.depth_zoom * e
        sx, sy, sz = _shake(beat, t, e)
        ox, oy, log_zoom = ox + sx, oy + sy, log_zoom + sz
    log_zoom = max(0.0, log_zoom)
    zoom = math.exp(log_zoom)
    # Zooms aim at the focus: the window centre drifts toward it as the zoom allows.
    aim = max_offset(zoom)
    pull = min(1.0, max(0.0, aim_zoom) / 0.15)
    cx = 0.5 + ox + max(-aim, min(aim, focus[0] - 0.5)) * pull
    cy = 0.5 + oy + max(-aim, min(aim, focus[1] - 0.5)) * pull
    # Solve the covering zoom: the window plus the parallax displacement must stay inside.
    need_x = abs(cx - 0.5) + abs(lx)
    need_y = abs(cy - 0.5) + abs(ly)
    zoom = max(zoom, cover_zoom(need_x), cover_zoom(need_y))
    bound_x = max(0.0, max_offset(zoom) - abs(lx))
    bound_y = max(0.0, max_offset(zoom) - abs(ly))
    cx = min(0.5 + bound_x, max(0.5 - bound_x, cx))
    cy = min(0.5 + bound_y, max(0.5 - bound_y, cy))
    return Pose(zoom=zoom, cx=cx, cy=cy, lateral=(lx, ly), depth_zoom=depth_zoom)
