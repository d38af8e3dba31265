"""Retiming: a model's frames at its own rate -> exactly the contract's frames at 24 fps.

Why optical flow and not frame duplication: a model makes 16 fps (Wan) or 6 fps (SVD) and
the contract wants 24; repeating frames judders, and cross-fading them ghosts. Each output
frame between two model frames is built by warping both towards its instant along dense
flow (OpenCV's DIS, weight-free, a few ms a pair) and blending them by distance in time.
The intermediate flows are the linear-motion approximations of Super SloMo (Jiang et al.,
2018): F(t->0) = -(1-t) t F01 + t^2 F10 and F(t->1) = (1-t)^2 F01 - t (1-t) F10.

Frames are produced one at a time and each pair's flows are computed once, so memory is the
model's frames plus two flow fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

# DIS "medium": about 0.2 px end-point error on smooth motion at a few ms per 832x480 pair;
# "ultrafast" visibly tears edges in interpolated frames.
DIS_PRESET = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
SAME_INSTANT = 1e-3  # an output instant this close to a model frame takes that frame


def source_positions(source_frames: int, output_frames: int) -> np.ndarray:
    """Where each output frame falls among the source frames: first on first, last on last,
    evenly between (the model's frames span the clip, and so do ours)."""
    if output_frames == 1 or source_frames == 1:
        return np.zeros(output_frames)
    return np.arange(output_frames) * ((source_frames - 1) / (output_frames - 1))


class FlowRetimer:
    """Builds frames at arbitrary instants between a sequence of frames."""

    def __init__(self, frames: Sequence[np.ndarray]) -> None:
        if not frames:
            raise ValueError("nothing to retime")
        self._frames = frames
        self._dis = cv2.DISOpticalFlow.create(DIS_PRESET)
        h, w = frames[0].shape[:2]
        self._grid_x, self._grid_y = np.meshgrid(np.arange(w, dtype=np.float32),
                                                 np.arange(h, dtype=np.float32))
        self._pair = -1
        self._flows: tuple[np.ndarray, np.ndarray] | None = None

    def _flows_of(self, a: int) -> tuple[np.ndarray, np.ndarray]:
        """(F01, F10) between frames a and a+1, computed once per pair."""
        if self._pair != a or self._flows is None:
            g0 = cv2.cvtColor(self._frames[a], cv2.COLOR_RGB2GRAY)
            g1 = cv2.cvtColor(self._frames[a + 1], cv2.COLOR_RGB2GRAY)
            # (the third argument is only the output buffer: initial flows are off)
            forward = np.asarray(self._dis.calc(g0, g1, self._flow_buffer()))
            backward = np.asarray(self._dis.calc(g1, g0, self._flow_buffer()))
            self._flows = (forward, backward)
            self._pair = a
        return self._flows

    def _flow_buffer(self) -> np.ndarray:
        return np.zeros((*self._grid_x.shape, 2), np.float32)

    def at(self, position: float) -> np.ndarray:
        """The frame at fractional index `position` (0 = first frame)."""
        last = len(self._frames) - 1
        a = min(int(np.floor(position)), last)
        t = position - a
        if t < SAME_INSTANT:
            return self._frames[a]
        if t > 1 - SAME_INSTANT or a == last:
            return self._frames[min(a + 1, last)]
        f01, f10 = self._flows_of(a)
        to_0 = -(1 - t) * t * f01 + t * t * f10
        to_1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
        warped_0 = self._warp(self._frames[a], to_0)
        warped_1 = self._warp(self._frames[a + 1], to_1)
        return np.asarray(cv2.addWeighted(warped_0, 1 - t, warped_1, t, 0.0))

    def _warp(self, frame: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """`frame` sampled at each pixel plus `flow` (backward warping)."""
        map_x = (self._grid_x + flow[..., 0]).astype(np.float32)
        map_y = (self._grid_y + flow[..., 1]).astype(np.float32)
        return np.asarray(cv2.remap(frame, map_x, map_y, cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE))


def retime(frames: Sequence[np.ndarray], output_frames: int) -> Iterator[np.ndarray]:
    """Exactly `output_frames` frames spanning `frames` from first to last."""
    retimer = FlowRetimer(frames)
    for position in source_positions(len(frames), output_frames):
        yield retimer.at(float(position))


def duplicate(frames: Sequence[np.ndarray], output_frames: int) -> Iterator[np.ndarray]:
    """The baseline retiming replaces: each output frame repeats the nearest source frame."""
    for position in source_positions(len(frames), output_frames):
        yield frames[int(round(float(position)))]
