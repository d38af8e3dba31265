"""Effects benchmark: a 4 s 720p living photo (local motion, a look and overlays), against
the encode-only floor of its own frames, and its peak memory at 4 s and 8 s.

Every variant runs as a whole child process in the same run, interleaved run by run, so the
ratios printed at the end compare like with like on a noisy shared machine:

- ours: `stillmotion generate PHOTO --resolution 720p --duration 4 --prompt PROMPT --seed 1`
  (default photo `camera`, prompt "static camera, clouds drifting, his hair blowing in the
  wind, light rain, fog": a stream (the sky's plate), two warps, rain's overcast look and
  two overlays; `--prompt "orbit around him, ..."` measures the plate drawn through a
  moving camera);
- floor: the same frames, rendered into a raw file beforehand (not timed), encoded by a
  process that only reads them into our Mp4Writer with our settings (render_bench's floor);
- ours 8 s: the same shot at `--duration 8`, for peak RSS only: frames are streamed to the
  encoder, so memory should not grow with the duration (8 s / 4 s ~ 1.0).

Also, in this process: the engine's per-frame cost split into the camera alone (the same
plan without effects) and the effects stage (camera + local motion + overlays, less the
camera alone), median over frames 12..95. `--compare REV` measures a git revision's engine
the same way in the same run (its src/stillmotion from `git archive`), and its whole
`generate` beside ours, for before/after.

    .venv/bin/python -m bench.effects_bench [--runs 3] [--photo coffee] [--compare REV]

Run from the repository root. `--no-write` skips updating bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.render_bench import (
    REPO,
    RESULTS,
    ProcessRun,
    RunStats,
    command_line,
    encoder_settings,
    load_average,
    machine,
    run_measured,
    snapshot_source,
    source_version,
    write_photo,
    write_section,
)

PROMPT = "static camera, clouds drifting, his hair blowing in the wind, light rain, fog"
RESOLUTION = "720p"
SEED = 1
FLOOR_TARGET = 2.0  # ours / encode-only floor, wall
STAGE_FROM = 12  # stage timings skip the ease-in, where effects are still faint


@dataclass
class Variant(RunStats):
    key: str
    label: str
    cmd: list[str]
    out: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[ProcessRun] = field(default_factory=list)


def request(image: np.ndarray, prompt: str, duration: int) -> Any:
    from stillmotion.engines.base import RenderRequest

    return RenderRequest(prompt=prompt, duration=duration, resolution=RESOLUTION,
                         movement_amplitude="auto", seed=SEED, image_width=image.shape[1],
                         image_height=image.shape[0])


def load(photo: Path) -> np.ndarray:
    from stillmotion.media.images import decode_rgb

    return decode_rgb(photo.read_bytes(), 50_000_000)


def stage_timing(photo: Path, prompt: str, repeats: int) -> dict[str, Any]:
    """Per-frame ms of the camera alone and of camera + effects, in this process: each
    frame of the engine's own frames() timed as the generator yields it, for the plan and
    for the same plan without effects or local motion (any revision's engine has both)."""
    from dataclasses import replace

    from stillmotion.engines.motion import MotionEngine

    image = load(photo)
    engine = MotionEngine()
    plan = engine.plan(request(image, prompt, 4), image)
    bare = replace(plan, effects=(), motions=())

    def per_frame(shot: Any) -> list[float]:
        times = []
        for _ in range(repeats):
            frames = engine.frames(shot, image)
            for i in range(shot.frame_count):
                start = time.perf_counter()
                next(frames)
                if i >= STAGE_FROM:
                    times.append(time.perf_counter() - start)
        return times

    camera_ms = 1e3 * statistics.median(per_frame(bare))
    full_ms = 1e3 * statistics.median(per_frame(plan))
    make = getattr(engine, "renderer", None)
    return {"camera_ms": camera_ms, "full_ms": full_ms, "effects_ms": full_ms - camera_ms,
            "layered": make is not None and getattr(make(plan, image), "layers", None) is not None,
            "move": plan.move, "effects": list(plan.effects), "motions": list(plan.motions),
            "size": [plan.width, plan.height], "frames": plan.frame_count}


def export_revision(rev: str, work: Path) -> Path:
    """src/stillmotion of a git revision, unpacked under `work`; returns the src folder."""
    target = work / f"rev-{rev.replace('/', '_')}"
    archive = subprocess.run(["git", "archive", rev, "src/stillmotion"], cwd=REPO,
                             capture_output=True, check=True).stdout
    target.mkdir(parents=True, exist_ok=True)
    tar = work / "rev.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as bundle:
        bundle.extractall(target, filter="data")
    return target / "src"


def timing_child(src: Path, photo: Path, prompt: str, repeats: int) -> dict[str, Any]:
    """stage_timing in a fresh process that imports the engine from `src`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-m", "bench.effects_bench", "--stage-timing",
                          str(photo), "--prompt", prompt, "--repeats", str(repeats)],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per variant (median)")
    parser.add_argument("--photo", default="camera",
                        choices=["camera", "coffee", "astronaut", "chelsea", "rocket"])
    parser.add_argument("--prompt", default=PROMPT)
    parser.add_argument("--compare", metavar="REV", default=None,
                        help="also time this git revision's engine stages (before/after)")
    parser.add_argument("--repeats", type=int, default=3, help="stage timing passes")
    parser.add_argument("--workdir", type=Path, default=None, help="keep outputs here")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--stage-timing", metavar="PHOTO", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage_timing:
        print(json.dumps(stage_timing(Path(args.stage_timing), args.prompt, args.repeats)))
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return run(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="effects-bench-") as tmp:
        return run(args, Path(tmp))


def generate_cmd(photo: Path, out: Path, prompt: str, duration: int) -> list[str]:
    stillmotion = str(Path(sys.executable).with_name("stillmotion"))
    return [stillmotion, "generate", str(photo), "-o", str(out), "--resolution", RESOLUTION,
            "--duration", str(duration), "--prompt", prompt, "--seed", str(SEED)]


def run(args: argparse.Namespace, work: Path) -> int:
    version, load_start = source_version(), load_average()
    src = snapshot_source(work)
    from stillmotion.engines.motion import MotionEngine

    photo = work / f"{args.photo}.png"
    pw, ph = write_photo(args.photo, photo)
    image = load(photo)
    plan = MotionEngine().plan(request(image, args.prompt, 4), image)
    width, height, frames = plan.width, plan.height, plan.frame_count
    crf, preset, threads = encoder_settings()
    print(f"photo {args.photo} {pw}x{ph} -> {width}x{height}, {frames} frames; plan: "
          f"{plan.move}, effects {plan.effects}, motions {plan.motions}; x264 {preset} "
          f"CRF {crf}", flush=True)

    raw = work / "frames.rgb"  # the floor's input, made beforehand and not timed
    with open(raw, "wb") as sink:
        for frame in MotionEngine().frames(plan, image):
            sink.write(np.ascontiguousarray(frame).tobytes())

    ours = Variant("ours_4s", "ours: `stillmotion generate`, 4 s",
                   generate_cmd(photo, work / "ours_4s.mp4", args.prompt, 4),
                   work / "ours_4s.mp4")
    floor = Variant("floor_4s", "encode-only floor: the same frames into Mp4Writer",
                    [sys.executable, "-m", "bench.render_bench", "--encode-floor", str(raw),
                     str(work / "floor_4s.mp4"), str(width), str(height)],
                    work / "floor_4s.mp4")
    long = Variant("ours_8s", "ours: `stillmotion generate`, 8 s",
                   generate_cmd(photo, work / "ours_8s.mp4", args.prompt, 8),
                   work / "ours_8s.mp4")
    variants = [ours, floor, long]
    rev_src = export_revision(args.compare, work) if args.compare else None
    if rev_src is not None:
        variants.append(Variant("ours_rev", f"`{args.compare}`: `stillmotion generate`, 4 s",
                                generate_cmd(photo, work / "rev_4s.mp4", args.prompt, 4),
                                work / "rev_4s.mp4", {"PYTHONPATH": str(rev_src)}))
    log = work / "children.log"
    for i in range(args.runs):
        for v in variants:
            result = run_measured(v.cmd, log, env=v.env)
            if result.returncode != 0:
                print(f"{v.key} failed ({result.returncode}); log:\n{log.read_text()[-3000:]}")
                return 1
            v.runs.append(result)
            print(f"run {i + 1}/{args.runs} {v.key:9s} {result.wall_s:6.2f} s wall "
                  f"{result.cpu_s:6.2f} s CPU {result.peak_rss_bytes / 2**20:6.0f} MB",
                  flush=True)
    identical = ours.out.read_bytes() == floor.out.read_bytes()

    print("stage timing ...", flush=True)
    stages = {"this tree": timing_child(src, photo, args.prompt, args.repeats)}
    if rev_src is not None:
        stages[args.compare] = timing_child(rev_src, photo, args.prompt, args.repeats)
    body = report(args, plan, (pw, ph), variants, identical, stages, version, load_start)
    print()
    print(body)
    if not args.no_write:
        write_section("effects_bench", body)
        print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0


def report(args: argparse.Namespace, plan: Any, photo_size: tuple[int, int],
           variants: list[Variant], identical: bool, stages: dict[str, dict[str, Any]],
           version: str, load_start: str) -> str:
    ours, floor, long = variants[:3]
    crf, preset, threads = encoder_settings()
    rows = ["| variant | wall s | CPU s | peak RSS MB | MP4 KB |", "|---|---:|---:|---:|---:|"]
    for v in variants:
        rows.append(f"| {v.label} | {v.wall:.2f} | {v.cpu:.2f} | {v.rss_mb:.0f} | "
                    f"{v.out.stat().st_size / 1024:.0f} |")
    stage_rows = ["| engine | camera | camera alone ms/frame | camera + effects ms/frame | "
                  "effects stage ms/frame |", "|---|---|---:|---:|---:|"]
    for name, s in stages.items():
        camera = "two layers" if s.get("layered") else "one field"
        stage_rows.append(f"| {name} | {camera} | {s['camera_ms']:.2f} | {s['full_ms']:.2f} | "
                          f"{s['effects_ms']:.2f} |")
    vs_floor = ours.wall / floor.wall
    lines = [
        "## Effects: 4 s 720p parallax shot with overlays and local motion, against the "
        "encode-only floor",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}; 1-minute load average {load_start} at the start, "
        f"{load_average()} at the end (above {os.cpu_count()}: other work shared the cores)",
        f"- source: `{version}` (`-dirty`: with uncommitted changes; src/stillmotion was copied "
        "at the start, so every variant ran the same code)",
        f"- command: `{command_line()}`",
        f"- photo: scikit-image `{args.photo}` ({photo_size[0]}x{photo_size[1]} PNG) -> "
        f"{plan.width}x{plan.height}, {plan.frame_count} frames at {plan.fps} fps; prompt "
        f"\"{args.prompt}\", seed {SEED}; plan: {plan.move}, effects "
        f"{', '.join(plan.effects)}, local motion {', '.join(plan.motions)}",
        f"- x264 {preset}:{crf}, threads {threads or 'auto'}; wall and CPU (user+sys): median "
        f"of {args.runs} runs of the whole process, variants interleaved run by run; peak RSS: "
        "the largest over runs of the process tree's resident memory",
        "",
        *rows,
        "",
        f"- ours / encode-only floor, wall: **{vs_floor:.2f}** (CPU "
        f"{ours.cpu / floor.cpu:.2f}; target <= {FLOOR_TARGET:.1f} -> "
        f"{'met' if vs_floor <= FLOOR_TARGET else 'MISSED'}); ours and the floor wrote "
        f"{'byte-identical' if identical else 'different'} MP4s",
        *([f"- ours / `{args.compare}` (the same command on that revision's engine), wall: "
           f"**{ours.wall / variants[3].wall:.2f}**, CPU {ours.cpu / variants[3].cpu:.2f}; "
           f"`{args.compare}` / floor, wall {variants[3].wall / floor.wall:.2f}"]
          if len(variants) > 3 else []),
        f"- peak RSS, 8 s / 4 s: **{long.rss_mb / ours.rss_mb:.2f}** ({long.rss_mb:.0f} vs "
        f"{ours.rss_mb:.0f} MB; flat in duration when ~1.0); 8 s / 4 s wall "
        f"{long.wall / ours.wall:.2f}",
        "",
        f"Engine stages in one process (the same plan, frames {STAGE_FROM}..{plan.frame_count - 1}"
        f", median per frame over {args.repeats} passes; the effects stage is camera + effects "
        "less the camera alone):",
        "",
        *stage_rows,
    ]
    if len(stages) == 2:
        (_, new), (rev, old) = stages.items()
        lines += ["", f"- effects stage, this tree / `{rev}`: "
                  f"**{new['effects_ms'] / old['effects_ms']:.2f}**; camera + effects: "
                  f"{new['full_ms'] / old['full_ms']:.2f}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
