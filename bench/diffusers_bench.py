"""Diffusers engine: the wrapper's overhead over a bare pipeline call, and the retiming cost.

For each family's tiny pipeline (stillmotion.engines.diffusers.tiny, on this machine's
CPU), in one process, the same native clip is made two ways, interleaved run by run:

- bare: the diffusers pipeline called directly with the arguments a user would write
  (the photo already at the native size, seeded generator, output_type="np");
- ours: `DiffusersEngine.generate` from the full-size photo: resize to native, the step
  callback (progress and a stop check every step), float -> uint8, memory release.

overhead = ours / bare - 1 (target <= 5%). Conforming the native frames to the contract
(DIS retiming to 24 fps, resize to 360p, frame-0 anchor) is a feature of ours with no
bare counterpart; its cost is shown on its own, per output frame.

    .venv/bin/python -m bench.diffusers_bench [--runs 7] [--steps 2] [--device cpu]
        [--dtype auto] [--no-write]

Run from the repository root. On a GPU machine, `--device cuda --dtype bfloat16` runs the
same tiny pipelines through the CUDA path (the engine's own settings; the bare call gets
the same loaded pipeline).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import torch
from skimage import data as skdata

from bench.render_bench import (
    RESULTS,
    command_line,
    load_average,
    machine,
    source_version,
    write_section,
)
from stillmotion.config import Settings
from stillmotion.engines.base import RenderControl, RenderRequest
from stillmotion.engines.diffusers import DiffusersEngine
from stillmotion.engines.diffusers.conform import conform
from stillmotion.engines.diffusers.plan import DiffusersPlan
from stillmotion.engines.diffusers.tiny import FAMILIES, save_tiny
from stillmotion.media.resize import resize_to

SECTION = "diffusers_bench"
PROMPT = "a cat looks around, the camera slowly pushes in"


def bare_call(family: str, pipe: Any, plan: DiffusersPlan,
              photo: PIL.Image.Image) -> Callable[[], np.ndarray]:
    """The pipeline as a user would call it for this clip, written out per family."""
    common: dict[str, Any] = dict(image=photo, height=plan.native_height,
                                  width=plan.native_width, num_frames=plan.native_frames,
                                  num_inference_steps=plan.steps, output_type="np")
    if family == "svd":
        extra: dict[str, Any] = dict(max_guidance_scale=plan.guidance, decode_chunk_size=8,
                                     fps=round(plan.native_fps), **plan.conditioning)
    elif family == "ltx":
        extra = dict(prompt=plan.prompt, negative_prompt=plan.negative_prompt,
                     guidance_scale=plan.guidance, frame_rate=round(plan.native_fps),
                     decode_timestep=0.05, decode_noise_scale=0.025)
    elif family == "cogvideox":
        extra = dict(prompt=plan.prompt, negative_prompt=plan.negative_prompt,
                     guidance_scale=plan.guidance, use_dynamic_cfg=True)
    else:
        extra = dict(prompt=plan.prompt, negative_prompt=plan.negative_prompt,
                     guidance_scale=plan.guidance)

    def call() -> np.ndarray:
        generator = torch.Generator("cpu").manual_seed(plan.seed)
        with torch.inference_mode():
            frames = np.asarray(pipe(generator=generator, **common, **extra).frames[0])
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return frames

    return call


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(family: str, work: Path, runs: int, steps: int, device: str,
            dtype: Any) -> dict[str, Any]:
    model = save_tiny(family, work / family)
    engine = DiffusersEngine(Settings(engine="diffusers", diffusers_model=str(model),
                                      diffusers_device=device, diffusers_dtype=dtype,
                                      diffusers_steps=steps))
    image = np.ascontiguousarray(skdata.chelsea())
    request = RenderRequest(prompt=PROMPT, duration=4, resolution="360p",
                            movement_amplitude="auto", seed=3,
                            image_width=image.shape[1], image_height=image.shape[0])
    plan = engine.plan(request, image)
    photo = PIL.Image.fromarray(resize_to(image, plan.native_width, plan.native_height))
    bare = bare_call(family, engine.loaded.pipe, plan, photo)
    control = RenderControl(progress=lambda _f: None, should_stop=lambda: False)

    def ours() -> list[np.ndarray]:
        return engine.generate(plan, image, control)

    # same frames both ways (the wrapper changes nothing the model makes)
    same = np.array_equal((np.clip(bare(), 0, 1) * 255 + 0.5).astype(np.uint8),
                          np.stack(ours()))
    bare_s: list[float] = []
    ours_s: list[float] = []
    for _ in range(runs):
        bare_s.append(timed(bare))
        ours_s.append(timed(ours))
    native = ours()
    conform_s = [timed(lambda: list(conform(native, image, plan.width, plan.height,
                                            plan.frame_count, plan.fps)))
                 for _ in range(max(1, runs // 2))]
    b, o, c = (statistics.median(x) for x in (bare_s, ours_s, conform_s))
    return {"family": family, "plan": plan, "bare": b, "ours": o, "conform": c,
            "same": same, "dtype": str(engine.loaded.dtype).removeprefix("torch.")}


def retiming_errors() -> dict[str, float]:
    """8 fps -> 24 fps on a real photo panned with sub-pixel accuracy (the truth at every
    instant): luma PSNR of the in-between frames for flow retiming, a cross-fade of the
    neighbours, and frame duplication."""
    import cv2

    from stillmotion.engines.diffusers.retime import duplicate, retime, source_positions

    photo = np.ascontiguousarray(skdata.astronaut())
    truth = []
    for t in range(97):  # 4 s at 24 fps: 1.5 px right and 0.75 px down per frame
        shift = np.array([[1, 0, -1.5 * t - 20], [0, 1, -0.75 * t - 20]], np.float32)
        truth.append(cv2.warpAffine(photo, shift, (320, 240), flags=cv2.INTER_LINEAR))
    sparse = truth[::3]

    def blend(frames: list[np.ndarray], count: int) -> list[np.ndarray]:
        out = []
        for p in source_positions(len(frames), count):
            a = min(int(p), len(frames) - 2)
            t = float(p) - a
            out.append(cv2.addWeighted(frames[a], 1 - t, frames[a + 1], t, 0.0))
        return out

    def psnr(frames: list[np.ndarray]) -> float:
        errors = [np.mean((cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY).astype(float)
                           - cv2.cvtColor(truth[i], cv2.COLOR_RGB2GRAY)) ** 2)
                  for i in range(97) if i % 3]
        return float(10 * np.log10(255.0 ** 2 / np.mean(errors)))

    return {"flow": psnr(list(retime(sparse, 97))), "cross-fade": psnr(blend(sparse, 97)),
            "duplication": psnr(list(duplicate(sparse, 97)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    parser.add_argument("--dtype", default="auto", choices=["auto", "bfloat16", "float16",
                                                            "float32"])
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    started = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(f, Path(tmp), args.runs, args.steps, args.device, args.dtype)
                for f in FAMILIES]
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    lines = [
        "## Diffusers engine: wrapper overhead over the bare pipeline call (tiny pipelines, "
        f"{'CPU' if device == 'CPU' else 'GPU'})",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}; torch {torch.__version__}, {torch.get_num_threads()} threads;"
        f" 1-minute load average {started} at the start, {load_average()} at the end;"
        f" device {device}, dtype {args.dtype} ({rows[0]['dtype']})",
        f"- source: `{source_version()}`",
        f"- command: `{command_line()}`",
        f"- clip: scikit-image `chelsea` (451x300), 4 s at 360p, seed 3, prompt \"{PROMPT}\";"
        f" {args.steps} denoising steps; median of {args.runs} interleaved runs",
        "",
        "| family | native clip | bare pipeline s | ours (generate) s | overhead | same frames "
        "| conform to 96 frames s | conform ms/frame |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        plan = r["plan"]
        overhead = r["ours"] / r["bare"] - 1
        lines.append(
            f"| {r['family']} | {plan.native_width}x{plan.native_height} x "
            f"{plan.native_frames} | {r['bare']:.3f} | {r['ours']:.3f} | "
            f"**{overhead * 100:+.1f}%** | {'yes' if r['same'] else 'NO'} | "
            f"{r['conform']:.3f} | {r['conform'] / plan.frame_count * 1000:.1f} |")
    worst = max(r["ours"] / r["bare"] - 1 for r in rows)
    lines += ["", f"- worst overhead: **{worst * 100:+.1f}%** (target <= +5% -> "
              f"{'met' if worst <= 0.05 else 'NOT met'})"]
    errors = retiming_errors()
    lines += [
        "",
        "Retiming, 8 fps -> 24 fps: scikit-image `astronaut` panned 1.5 px/frame right and "
        "0.75 px/frame down (sub-pixel warps: the truth at 24 fps), every third frame kept; "
        "luma PSNR of the 64 in-between frames against the truth (higher is better):",
        "",
        "| retiming | PSNR dB |",
        "|---|---:|",
        *[f"| {name} | {value:.1f} |" for name, value in errors.items()],
        "",
        f"- flow over duplication: **{errors['flow'] - errors['duplication']:+.1f} dB**, "
        f"over a cross-fade {errors['flow'] - errors['cross-fade']:+.1f} dB",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section(SECTION if device == "CPU" else SECTION + "_gpu", body)
        print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
