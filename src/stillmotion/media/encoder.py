"""The MP4 writer: RGB frames in, H.264 High yuv420p MP4 with +faststart out (PyAV)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from stillmotion import defaults

# libavutil's AVColorSpace / AVColorRange / AVColorPrimaries / AVColorTransferCharacteristic
_AVCOL_SPC_SMPTE170M = 6
_AVCOL_RANGE_MPEG = 1
_AVCOL_PRI_BT709 = 1
_AVCOL_TRC_BT709 = 1


class Mp4Writer:
    """Streams frames straight into x264: memory stays flat whatever the duration.

    The file is only complete after `close()`; callers write to a temporary path and
    publish it afterwards, so nobody ever sees half a video.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: int = defaults.FPS,
        crf: int = defaults.X264_CRF,
        preset: str = defaults.X264_PRESET,
        threads: int = defaults.X264_THREADS,
    ) -> None:
        self.path = path
        self.frames_written = 0
        self._container = av.open(str(path), mode="w", format="mp4",
                                  options={"movflags": "+faststart"})
        stream = self._container.add_stream("libx264", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        ctx = stream.codec_context
        ctx.options = {"crf": str(crf), "preset": preset, "profile": "high"}
        ctx.thread_count = threads
        # Tag what swscale's RGB->YUV conversion really does (BT.601 matrix, limited
        # range) so players and decoders convert back with the same matrix.
        ctx.colorspace = _AVCOL_SPC_SMPTE170M
        ctx.color_range = _AVCOL_RANGE_MPEG
        ctx.color_primaries = _AVCOL_PRI_BT709  # photos are sRGB, whose primaries are BT.709
        ctx.color_trc = _AVCOL_TRC_BT709
        self._stream = stream
        self._size = (width, height)

    def write(self, rgb: np.ndarray) -> None:
        """Append one HxWx3 uint8 RGB frame."""
        if rgb.shape != (self._size[1], self._size[0], 3) or rgb.dtype != np.uint8:
            raise ValueError(
                f"frame {self.frames_written} is {rgb.shape} {rgb.dtype}, "
                f"expected {(self._size[1], self._size[0], 3)} uint8"
            )
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.frames_written
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush x264 and finish the file (faststart moves the index to the front here)."""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def abort(self) -> None:
        """Drop an unfinished file."""
        try:
            self._container.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away anyway
            pass
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
