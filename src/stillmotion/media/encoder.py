"""The MP4 writer: RGB frames in, H.264 High yuv420p MP4 with +faststart out (PyAV).

With `audio_rate` set it also carries one AAC stereo track (the `bgm` music), added when
the file is opened because an MP4's streams are fixed before its first packet.
"""

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

AAC_BIT_RATE = 192_000  # transparent for stereo music with FFmpeg's native AAC encoder
AAC_FRAME = 1024  # samples per AAC frame: the encoder is fed whole frames, then the rest


def to_yuv(rgb: np.ndarray, width: int, height: int) -> av.VideoFrame:
    """RGB -> the encoder's yuv420p (swscale, BT.601 limited range as the stream is tagged).

    A function of its own so the pipeline can put it on whichever thread has time to
    spare: swscale releases the GIL, and the conversion costs as much as a third of x264's
    time.
    """
    if rgb.shape != (height, width, 3) or rgb.dtype != np.uint8:
        raise ValueError(f"frame is {rgb.shape} {rgb.dtype}, expected {(height, width, 3)} uint8")
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


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
        audio_rate: int | None = None,
    ) -> None:
        self.path = path
        self.frames_written = 0
        self.audio_written = False
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
        self._audio: av.audio.stream.AudioStream | None = None
        if audio_rate is not None:
            audio = self._container.add_stream("aac", rate=audio_rate, layout="stereo")
            audio.codec_context.bit_rate = AAC_BIT_RATE
            audio.time_base = Fraction(1, audio_rate)
            self._audio = audio

    def write(self, frame: np.ndarray | av.VideoFrame) -> None:
        """Append one frame: an HxWx3 uint8 RGB array, or a frame from `to_yuv`."""
        video = frame if isinstance(frame, av.VideoFrame) else to_yuv(frame, *self._size)
        if (video.width, video.height) != self._size or video.format.name != "yuv420p":
            raise ValueError(f"frame {self.frames_written} is {video.width}x{video.height} "
                             f"{video.format.name}, expected {self._size} yuv420p")
        video.pts = self.frames_written
        for packet in self._stream.encode(video):
            self._container.mux(packet)
        self.frames_written += 1

    def write_audio(self, pcm: np.ndarray) -> None:
        """Encode the whole audio track: frames x 2 float PCM in -1..1 at `audio_rate`.

        It may be called at any point before close(): the muxer interleaves the audio
        packets with the video packets by timestamp, so calling it as soon as the music is
        ready gives a normally interleaved file. FFmpeg records the AAC encoder's priming
        samples in the MP4 edit list, so the track plays exactly len(pcm) samples.
        """
        if self._audio is None:
            raise ValueError("this MP4 was opened without an audio track")
        if self.audio_written:
            raise ValueError("the audio track was already written")
        if pcm.ndim != 2 or pcm.shape[1] != 2:
            raise ValueError(f"audio must be frames x 2 (stereo), got shape {pcm.shape}")
        planar = np.ascontiguousarray(np.clip(pcm, -1.0, 1.0).T, dtype=np.float32)
        rate = self._audio.codec_context.sample_rate
        for start in range(0, planar.shape[1], AAC_FRAME):
            # A short last frame is allowed, and not padding it keeps the track's recorded
            # duration exactly len(pcm) samples.
            chunk = planar[:, start:start + AAC_FRAME]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp",
                                               layout="stereo")
            frame.sample_rate = rate
            frame.pts = start
            for packet in self._audio.encode(frame):
                self._container.mux(packet)
        for packet in self._audio.encode(None):
            self._container.mux(packet)
        self.audio_written = True

    def close(self) -> None:
        """Flush x264 and finish the file (faststart moves the index to the front here)."""
        if self._audio is not None and not self.audio_written:
            raise ValueError("the MP4 has an audio track but no audio was written")
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
