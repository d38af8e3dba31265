"""A task's thumbnail: its video's first frame (the photo, as the clip opens) as a small
JPEG, kept beside the video so a list of tasks shows pictures without fetching videos.

Why a file of its own: a browser showing twelve tasks as `<video>` elements fetched
twelve videos and painted most of them grey for seconds; twelve 10 KB JPEGs arrive at
once. Decoding one frame of an MP4 costs a few milliseconds.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
from PIL import Image

LONG_SIDE = 320  # twice the playground's card, for sharp thumbnails on dense screens
JPEG_QUALITY = 82


def key_for(task_id: str) -> str:
    """Where a task's thumbnail lives in the blob store (retention deletes it with the
    task's image and video)."""
    return f"thumbnails/{task_id}.jpg"


def first_frame_jpeg(video: Path) -> bytes:
    """The video's first frame, its long side LONG_SIDE pixels, as JPEG bytes."""
    with av.open(str(video)) as container:
        frame = next(container.decode(video=0)).to_image()
    frame.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
