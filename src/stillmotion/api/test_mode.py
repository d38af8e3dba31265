"""The hosted webhook's test mode: `extra.webhook.test_mode` ends a task as it is
submitted, with the status the request names, and sends its ASYNC_TASK_RESULT event, so
an integrator can test a receiver without waiting for, or paying for, a render.

The request is checked as any other (the image is fetched, decoded and stored), so a
test also tells the integrator their request is valid. A SUCCEED test carries a real
video at the real size and length: the photo held still, written straight to x264 (no
engine, about a tenth of a second at 360p), so a receiver that downloads videos[0]
downloads a playable MP4.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from stillmotion import defaults
from stillmotion.blobs.base import BlobStore
from stillmotion.jobs.store import FAILED, SUCCEED, Finished
from stillmotion.media import thumbnail
from stillmotion.media.encoder import Mp4Writer, to_yuv
from stillmotion.media.resize import resize_to

REASON = ("test mode: this task was not rendered (extra.webhook.test_mode asked for "
          "TASK_STATUS_FAILED)")


def finish(status: str, task_id: str, photo: np.ndarray, width: int, height: int,
           frame_count: int, blobs: BlobStore) -> Finished:
    """The task's end as test mode asks: FAILED with a reason that says so, or SUCCEED
    with a still clip of the photo already in the blob store."""
    if status == "TASK_STATUS_FAILED":
        return Finished(FAILED, REASON)
    key = f"outputs/{task_id}/test-mode.mp4"
    frame = to_yuv(resize_to(photo, width, height), width, height)
    with tempfile.TemporaryDirectory(prefix="stillmotion-test-mode-") as scratch:
        path = Path(scratch) / "clip.mp4"
        with Mp4Writer(path, width, height, defaults.FPS) as writer:
            for _ in range(frame_count):
                writer.write(frame)
        # The thumbnail first: a local blob store moves the file it is given.
        blobs.put_bytes(thumbnail.key_for(task_id), thumbnail.first_frame_jpeg(path))
        blobs.put_file(key, path)
    return Finished(SUCCEED, output_key=key)
