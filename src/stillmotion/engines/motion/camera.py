"""Step 2, the camera: where the virtual camera looks at time t.

A view is a window on the photo in normalised coordinates: centre (cx, cy) and zoom
s >= 1 (the window is 1/s of the photo on each axis). Frame 0 is the whole photo
(s = 1, centre 0.5), so there is no margin outside the image: every move rides on a
zoom, and the centre is bounded by the current zoom so no edge ever shows. Zoom is
interpolated in log space so perceived speed follows the easing curve. Everything is
floating point; rounding happens only at the final sampling step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    """The camera window at one instant, plus the pull-out recession strength."""

    zoom: float
    cx: float
    cy: float
    recede: float = 0.0  # pull-out only: how far the centre of the photo has shrunk


def smootherstep(t: float) -> float:
    """Ease-in-out with zero velocity and acceleration at both ends (Perlin's quintic)."""
    t = min(1.0, max(0.0, t))
    return t * t * t * (t * (6.0 * t - 15.0) + 10.0)


def ease_out(t: float, span: float) -> float:
    """Reach 1 by `span` of the clip and stay: the zoom that makes room for a pan."""
    return smootherstep(t / span) if span > 0 else 1.0


def max_offset(zoom: float) -> float:
    """How far the window centre may stray from 0.5 at this zoom without showing an edge."""
    return 0.5 - 0.5 / zoom


def view_at(move: str, t: float, zoom: float, target: tuple[float, float],
            recede: float) -> View:
    """The view at clip time t in [0, 1] for a move with its planned magnitudes."""
    e = smootherstep(t)
    if move == "static":
        return View(1.0, 0.5, 0.5)
    if move == "push_in":
        s = math.exp(e * math.log(zoom))
        # A straight line from the centre to the target stays inside the bound at every
        # zoom: the bound 0.5 - 0.5 * zoom**-e is concave in e, so it lies above the chord.
        cx = 0.5 + e * (target[0] - 0.5)
        cy = 0.5 + e * (target[1] - 0.5)
        return View(s, _clamp(cx, s), _clamp(cy, s))
    if move == "pull_out":
        return View(1.0, 0.5, 0.5, recede=e * recede)
    # Pans and tilts: zoom in over the first third, travel across the whole clip.
    s = math.exp(ease_out(t, 0.35) * math.log(zoom))
    travel = e * max_offset(s)
    direction = {"pan_left": (-1, 0), "pan_right": (1, 0), "tilt_up": (0, -1),
                 "tilt_down": (0, 1)}[move]
    cx = 0.5 + direction[0] * travel + (1 - abs(direction[0])) * e * (target[0] - 0.5)
    cy = 0.5 + direction[1] * travel + (1 - abs(direction[1])) * e * (target[1] - 0.5)
    return View(s, _clamp(cx, s), _clamp(cy, s))


def _clamp(c: float, zoom: float) -> float:
    bound = max_offset(zoom)
    return min(0.5 + bound, max(0.5 - bound, c))
