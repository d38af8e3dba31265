"""Render a fixed gallery of shots to look at: real photos x prompts, both durations.

    .venv/bin/python -m bench.gallery [OUT] [--only astronaut,rocket] [--quick] [--cost]
    .venv/bin/python -m bench.gallery [OUT] --shots [--only china,grace_hopper]
    .venv/bin/python -m bench.gallery [OUT] --living

--living renders the living-photo prompts of LIVING (4 s 720p, medium, a still camera but
one) on development and held-out photos, each with a contact sheet and 2x crops of where
things move (frames 0, 50% and the last, at the box of LIVING).

--shots renders every camera move of bench/shots_bench.py (4 s 720p, medium) on the
development and held-out photos (tests/support/shots.py) instead, each with a contact sheet
and a sheet of 2x crops (frames 0, 50% and the last) of the subject box's right edge, where
parallax, holds and recedes show first (edge_box). Run it once with PYTHONPATH pointing at an older
`src` (a `git archive REF src` unpacked somewhere) and once as is for before and after.

Each clip goes through the same path as `stillmotion generate` (`RenderRequest.from_fields`
then `pipeline.render_to_file` with the motion engine) into OUT (default bench/out/gallery,
git-ignored) as <photo>__<prompt>__<duration>s<resolution>.mp4, plus a contact sheet PNG of
the decoded MP4 (frames 0, 25%, 50%, 75% and the last) with the plan's reading of the
prompt underneath. 4 s 360p for every photo and prompt; 8 s 720p for a subset (EIGHT).

--cost prints what each effect and local motion adds per 720p frame (the engine's Effects
applied to one photo's frame, best of 5 runs of 24 frames): wall time with OpenCV's threads,
and CPU time on one thread.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, ImageDraw
from skimage import data as skdata
from tests.support import shots
from tests.support.lake import lake

from stillmotion.engines.base import Engine, RenderRequest
from stillmotion.engines.motion import MotionEngine
from stillmotion.engines.motion.effects import Effects
from stillmotion.engines.motion.living import STYLES
from stillmotion.pipeline import EncoderOptions, render_to_file
from stillmotion.reading import EFFECTS

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "motorcycle_left")
PROMPTS = (
    "slow push in",
    "pan left then tilt up",
    "orbit right around the subject",
    "static camera, heavy rain",
    "dolly zoom, fog",
    "handheld, snow falling, wind in the trees",
    "static camera, embers and sparkles, breathing",
    "slow pull out, sunlight rays, bokeh, clouds drifting, water shimmering",
)
# 8 s 720p: a subset (each costs about 8x a 4 s 360p clip)
EIGHT = (("astronaut", PROMPTS[1]), ("rocket", PROMPTS[3]), ("coffee", PROMPTS[4]),
         ("camera", PROMPTS[5]), ("chelsea", PROMPTS[6]), ("rocket", PROMPTS[7]))
SEED = 7
MOTIONS = tuple(STYLES)  # the local motions this engine draws
SHOT_MOVES = ("pan right", "truck left", "tracking shot to the right", "orbit right",
              "orbit around her to the left", "push in", "pull out to reveal the scene",
              "dolly zoom", "pedestal up", "handheld")
# (photo, prompt, crop box): the box is where the motion shows, for the 2x crops
LIVING = (
    ("astronaut", "static camera, her hair blows in the wind", (0.35, 0.0, 0.65, 0.3)),
    ("camera", "static camera, clouds drifting, wind in his hair", (0.3, 0.0, 0.7, 0.35)),
    ("rocket", "static camera, clouds drifting to the left", (0.6, 0.3, 0.85, 0.8)),
    ("lake", "static camera, water flowing, ripples", (0.2, 0.7, 0.6, 1.0)),
    ("rocket", "slow push in, clouds drifting", (0.6, 0.3, 0.85, 0.8)),
    ("china", "static camera, trees sway in the wind, clouds drifting", (0.7, 0.45, 1.0, 1.0)),
    ("china", "static camera, water ripples on the lake", (0.4, 0.35, 0.8, 0.7)),
    ("grace_hopper", "static camera, her hair blows in the wind", (0.25, 0.0, 0.75, 0.35)),
    ("flower", "static camera, leaves sway in the breeze", (0.0, 0.0, 0.5, 0.5)),
)
SHEET_POINTS = (0.0, 0.25, 0.5, 0.75, 1.0)
THUMB_H = 216


def photo(name: str) -> np.ndarray:
    if name == "lake":
        return lake()
    if name == "motorcycle_left":
        return np.ascontiguousarray(skdata.stereo_motorcycle()[0][..., :3].astype(np.uint8))
    return shots.real_photo(name)


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def decoded_frames(path: Path, indices: list[int]) -> list[np.ndarray]:
    wanted = set(indices)
    found: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                found[i] = frame.to_ndarray(format="rgb24")
    return [found[i] for i in indices if i in found]


def contact_sheet(path: Path, frame_count: int, caption: str, out: Path) -> None:
    last = frame_count - 1
    indices = [round(p * last) for p in SHEET_POINTS]
    frames = decoded_frames(path, indices)
    thumbs = []
    for index, frame in zip(indices, frames, strict=True):
        h, w = frame.shape[:2]
        thumb = Image.fromarray(frame).resize((round(w * THUMB_H / h), THUMB_H),
                                              Image.Resampling.LANCZOS)
        ImageDraw.Draw(thumb).text((6, 4), f"#{index}", fill=(255, 255, 0))
        thumbs.append(thumb)
    sheet = row(thumbs, below=34)
    ImageDraw.Draw(sheet).text((6, THUMB_H + 10), caption, fill=(230, 230, 230))
    sheet.save(out)


def row(images: list[Image.Image], below: int = 0) -> Image.Image:
    """The images side by side on a dark sheet, 4 px apart, `below` px left free under."""
    sheet = Image.new("RGB", (sum(i.width for i in images) + 4 * (len(images) + 1),
                              max(i.height for i in images) + 8 + below), (24, 24, 24))
    x = 4
    for image in images:
        sheet.paste(image, (x, 4))
        x += image.width + 4
    return sheet


def edge_box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Around the right edge of a subject's box: a quarter of the frame wide, centred on the
    edge, the box's height (where parallax, holds and recedes show first)."""
    left, top, right, bottom = box
    return max(0.0, right - 0.125), top, min(1.0, right + 0.125), bottom


def crops_2x(path: Path, frame_count: int, box: tuple[float, float, float, float],
             out: Path) -> None:
    """Frames 0, 50% and the last, each cropped to `box` (normalised left, top, right,
    bottom) and enlarged 2x with nearest-neighbour sampling, so a stretch, a tear, a halo
    or a bent line shows pixel by pixel."""
    last = frame_count - 1
    frames = decoded_frames(path, [0, last // 2, last])
    h, w = frames[0].shape[:2]
    left, top, right, bottom = box
    x0, x1 = round(left * w), round(right * w)
    y0, y1 = round(top * h), round(bottom * h)
    crops = [Image.fromarray(f[y0:y1, x0:x1]).resize(((x1 - x0) * 2, (y1 - y0) * 2),
                                                      Image.Resampling.NEAREST)
             for f in frames]
    row(crops).save(out)


def render(engine: Engine, name: str, prompt: str, duration: int, resolution: str,
           out_dir: Path, amplitude: str = "auto",
           crops: tuple[float, float, float, float] | None = None) -> dict[str, object]:
    image = photo(name)
    data = png_bytes(image)
    request = RenderRequest.from_fields(
        {"prompt": prompt, "duration": duration, "resolution": resolution,
         "movement_amplitude": amplitude, "seed": SEED, "bgm": False},
        image.shape[1], image.shape[0])
    stem = f"{name}__{slug(prompt)}__{duration}s{resolution}"
    video = out_dir / f"{stem}.mp4"
    record: dict[str, object] = {}
    start = time.perf_counter()
    plan = render_to_file(engine, request, data, video, EncoderOptions(),
                          on_plan=record.update)
    seconds = time.perf_counter() - start
    shot = {key: getattr(plan, key, None) for key in ("move", "effects", "motions", "amplitude")}
    reading = (f"{plan.width}x{plan.height} {plan.frame_count}f  move={shot['move']}"
               f"  effects={shot['effects']}  motions={shot['motions']}"
               f"  amplitude={shot['amplitude']}")
    contact_sheet(video, plan.frame_count, f'"{prompt}"  {reading}', out_dir / f"{stem}.png")
    if crops is not None:
        crops_2x(video, plan.frame_count, crops, out_dir / f"{stem}__crop2x.png")
    return {"clip": video.name, "seconds": round(seconds, 2), "frames": plan.frame_count,
            "ms_per_frame": round(1000 * seconds / plan.frame_count, 1),
            **shot}


def effect_cost(name: str = "rocket") -> None:
    """What each effect adds per 720p frame (Effects.apply alone, frames 24..47)."""
    engine = MotionEngine()
    image = photo(name)
    analysis = engine.analysis(image)
    width, height = 1280, 720
    frame = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    sets = [(t,) for t in (*EFFECTS, *MOTIONS)] + [("rain", "fog", "wind"),
                                                   ("snow", "light", "leaves")]
    print(f"effect cost per {width}x{height} frame on {name}: wall (OpenCV threads), "
          "CPU (1 thread), ms")
    threads = cv2.getNumThreads()
    for tags in sets:
        overlays = tuple(t for t in tags if t in EFFECTS)
        motions = tuple(t for t in tags if t in MOTIONS)
        effects = Effects(overlays, motions, analysis, width, height, SEED, 96, 24, image=image)
        results = []
        for clock, count in ((time.perf_counter, threads), (time.process_time, 1)):
            cv2.setNumThreads(count)
            effects.apply(frame, 30)
            best = float("inf")
            for _ in range(5):
                start = clock()
                for index in range(24, 48):
                    effects.apply(frame, index)
                best = min(best, (clock() - start) / 24 * 1000)
            results.append(best)
        cv2.setNumThreads(threads)
        print(f"  {'+'.join(tags):22s} {results[0]:6.2f} {results[1]:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="bench/out/gallery", type=Path)
    parser.add_argument("--only", default="", help="comma-separated photo names")
    parser.add_argument("--quick", action="store_true", help="4 s 360p clips only")
    parser.add_argument("--cost", action="store_true", help="only measure effect costs")
    parser.add_argument("--shots", action="store_true",
                        help="every camera move on the development and held-out photos")
    parser.add_argument("--living", action="store_true",
                        help="local motion on the development and held-out photos")
    args = parser.parse_args()
    if args.cost:
        effect_cost()
        return
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    crops: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    if args.living:
        only = [n for n in args.only.split(",") if n]
        jobs = [(n, p, 4, "720p") for n, p, _ in LIVING if not only or n in only]
        crops = {(n, p): box for n, p, box in LIVING}
    elif args.shots:
        names = ([n for n in args.only.split(",") if n]
                 or [*shots.DEVELOPMENT, *shots.HELD_OUT])
        jobs = [(n, p, 4, "720p") for n in names for p in SHOT_MOVES]
        crops = {(n, p): edge_box(shots.subject_box(n)) for n, p, _, _ in jobs}
    else:
        names = [n for n in args.only.split(",") if n] or list(PHOTOS)
        jobs = [(n, p, 4, "360p") for n in names for p in PROMPTS]
        if not args.quick:
            jobs += [(n, p, 8, "720p") for n, p in EIGHT if n in names]
    results = []
    engine = MotionEngine()  # the engine a worker would hold (layered parallax off)
    for name, prompt, duration, resolution in jobs:
        result = render(engine, name, prompt, duration, resolution, out_dir,
                        amplitude="medium" if crops else "auto", crops=crops.get((name, prompt)))
        results.append(result)
        print(f"{result['clip']:90s} {result['ms_per_frame']:6.1f} ms/frame", flush=True)
    (out_dir / "index.json").write_text(json.dumps(results, indent=1))
    print(f"{len(results)} clips in {out_dir}")


if __name__ == "__main__":
    main()
