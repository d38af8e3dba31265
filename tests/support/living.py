"""How a viewer judges a living photo, measured on frames: does the asked thing move, does
the rest stay still, does anything straight bend.

- `dynamic_degree`: VBench's idea, per region: the mean of the top 5 % of optical-flow
  magnitudes (OpenCV's DIS) between consecutive frames, px per frame.
- `stillness`: the median flow magnitude where no motion belongs.
- `bending`: long straight segments found in frame 0 (OpenCV's line segment detector),
  followed by the flow from frame 0 to later frames; how far each one's interior points
  leave the line through its moved ends (px), as a 95th percentile over segments and
  frames. A straight edge carried along whole stays straight (0); one bent by a wave
  bows.
"""

from __future__ import annotations

import cv2
import numpy as np

_DIS = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]
# how a prompt asks for each local motion alone (a bare noun, "water", asks for none)
ASKING = {"water": "water rippling", "hair": "hair blowing", "clouds": "clouds drifting",
          "leaves": "leaves", "wind": "wind", "breathing": "breathing",
          "fire": "fire flickering"}
SEGMENT_MIN = 0.06  # of the frame's long side: the segments `bending` follows
SEGMENT_POINTS = 9


def flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from frame a to frame b (RGB), px."""
    return np.asarray(_DIS.calc(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY),
                                cv2.cvtColor(b, cv2.COLOR_RGB2GRAY), None))


def step_magnitudes(frames: list[np.ndarray], starts: list[int]) -> list[np.ndarray]:
    """Flow magnitude between frame i and i + 1 for each i in `starts`."""
    return [np.linalg.norm(flow(frames[i], frames[i + 1]), axis=-1) for i in starts]


def dynamic_degree(magnitudes: list[np.ndarray], region: np.ndarray) -> float:
    """Mean over the frame pairs of the mean of the top 5 % of magnitudes in `region`."""
    tops = []
    for magnitude in magnitudes:
        values = magnitude[region]
        if values.size == 0:
            return 0.0
        cut = np.quantile(values, 0.95)
        tops.append(float(values[values >= cut].mean()))
    return float(np.mean(tops))


def stillness(magnitudes: list[np.ndarray], region: np.ndarray) -> float:
    """Median over the frame pairs of the median magnitude in `region`."""
    return float(np.median([np.median(m[region]) for m in magnitudes]))


def segments(frame: np.ndarray) -> np.ndarray:
    """Long straight segments of a frame, (n, 4) as x0, y0, x1, y1."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    found = cv2.createLineSegmentDetector().detect(gray)[0]
    if found is None:
        return np.zeros((0, 4), np.float32)
    found = found.reshape(-1, 4)
    length = np.hypot(found[:, 2] - found[:, 0], found[:, 3] - found[:, 1])
    return found[length >= SEGMENT_MIN * max(gray.shape)]


def bending(frames: list[np.ndarray], later: list[int],
            where: np.ndarray | None = None) -> float:
    """The 95th percentile, over the segments of frame 0 (those whose middle lies in
    `where`, if given) and the `later` frames, of the largest distance of a segment's
    moved interior point from the line through its moved ends, px."""
    lines = segments(frames[0])
    if where is not None and len(lines):
        mx = np.clip(np.rint((lines[:, 0] + lines[:, 2]) / 2).astype(int), 0, where.shape[1] - 1)
        my = np.clip(np.rint((lines[:, 1] + lines[:, 3]) / 2).astype(int), 0, where.shape[0] - 1)
        lines = lines[where[my, mx]]
    if not len(lines):
        return 0.0
    s = np.linspace(0.0, 1.0, SEGMENT_POINTS, dtype=np.float32)[None, :]
    xs = lines[:, :1] + s * (lines[:, 2:3] - lines[:, :1])
    ys = lines[:, 1:2] + s * (lines[:, 3:4] - lines[:, 1:2])
    h, w = frames[0].shape[:2]
    deviations = []
    for index in later:
        moved = flow(frames[0], frames[index])
        fx = cv2.remap(moved[..., 0], xs.astype(np.float32), ys.astype(np.float32),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        fy = cv2.remap(moved[..., 1], xs.astype(np.float32), ys.astype(np.float32),
                       cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        px, py = xs + fx, ys + fy
        ex, ey = px[:, -1:] - px[:, :1], py[:, -1:] - py[:, :1]
        norm = np.maximum(np.hypot(ex, ey), 1e-6)
        off = np.abs((px - px[:, :1]) * ey - (py - py[:, :1]) * ex) / norm
        deviations.append(off[:, 1:-1].max(axis=1))
    return float(np.quantile(np.concatenate(deviations), 0.95))
