"""One resolved request: defaults, the seed, the output size and the frame count are
filled in once (Img2VideoRequest.resolve), for the API and `stillmotion generate` alike."""

from __future__ import annotations

from stillmotion import defaults
from stillmotion.api.schemas import Img2VideoRequest


def body(**fields: object) -> Img2VideoRequest:
    return Img2VideoRequest.model_validate({"images": ["https://example.com/a.png"], **fields})


def test_defaults_and_the_seed_are_filled_in_once() -> None:
    eight = body(duration=8).resolve(1920, 1080)
    assert eight.fields == {"prompt": "", "duration": 8, "resolution": "720p",
                            "movement_amplitude": "auto", "seed": eight.render.seed,
                            "bgm": False}
    assert 0 <= eight.render.seed <= defaults.MAX_SEED
    assert (eight.render.size, eight.render.frame_count) == ((1280, 720), 192)
    assert len({body().resolve(640, 480).render.seed for _ in range(5)}) > 1  # drawn anew
    assert body(seed=7).resolve(640, 480).fields["seed"] == 7
    assert body(seed=-1).resolve(640, 480).fields["seed"] >= 0


def test_the_size_keeps_the_photo_s_aspect_with_even_sides() -> None:
    portrait = body(resolution="1080p").resolve(1080, 1920).render
    assert portrait.size == (1080, 1920) and portrait.frame_count == 96
    odd = body().resolve(1001, 667).render
    assert odd.size == (540, 360) and all(side % 2 == 0 for side in odd.size)


def test_webhook_and_test_mode_are_kept_with_the_task() -> None:
    fields = body(extra={"webhook": {"url": "https://example.com/h", "test_mode": {
        "enabled": True, "return_task_status": "TASK_STATUS_FAILED"}}}).resolve(64, 64).fields
    assert fields["webhook_url"] == "https://example.com/h"
    assert fields["test_mode"] == {"enabled": True, "return_task_status": "TASK_STATUS_FAILED"}
    off = body(extra={"webhook": {"url": "https://example.com/h",
                                  "test_mode": {"enabled": False}}}).resolve(64, 64).fields
    assert "test_mode" not in off
