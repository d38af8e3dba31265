"""Music benchmark: what `bgm: true` adds to a 4 s render, measured in the same run.

The same 4 s render (coffee photo, "slow push in", seed 1, the default motion engine and
encoder settings) runs with and without background music, alternating run by run in one
process, as a long-lived worker renders: the music libraries are preloaded once first,
exactly as `Worker.__init__` does. Reported: median wall seconds of each, the added seconds
and the ratio (medians, and the median of the paired differences), added CPU seconds, the
music work alone (compose + synthesise + master, on an idle thread), and the one-time cost
of loading the music libraries in a fresh process (what a worker pays once at start).

    .venv/bin/python -m bench.music_bench [--runs 7] [--resolution 360p]

Run from the repository root. `--no-write` skips updating bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from skimage import data as skdata

from stillmotion.engines import RenderRequest
from stillmotion.engines.motion import MotionEngine
from stillmotion.media.images import decode_rgb
from stillmotion.music import make_music, plan_for, preload
from stillmotion.pipeline import EncoderOptions, render_to_file

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "music_bench"
PROMPT = "slow push in"
SEED = 1
TARGET_ADDED_S = 0.5


def photo_png() -> tuple[bytes, int, int]:
    image = Image.fromarray(skdata.coffee())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), image.width, image.height


def render_once(bgm: bool, resolution: str, data: bytes, width: int, height: int,
                out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one full render to an MP4."""
    request = RenderRequest(prompt=PROMPT, duration=4, resolution=resolution,
                            movement_amplitude="auto", seed=SEED, image_width=width,
                            image_height=height, bgm=bgm)
    engine = MotionEngine()
    wall, cpu = time.perf_counter(), time.process_time()
    render_to_file(engine, request, data, out, EncoderOptions())
    return time.perf_counter() - wall, time.process_time() - cpu


def cold_load_s() -> float:
    """Seconds a fresh Python process spends importing the music stack and the soundfont."""
    code = ("import time; t = time.perf_counter(); from stillmotion.music import preload; "
            "preload(); print(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return float(result.stdout.strip())


def source() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def write_section(body: str, path: Path = RESULTS) -> None:
    """Replace (or append) this benchmark's section between its markers, re-reading the file
    right before writing because other benchmarks write their own sections to it."""
    start, end = f"<!-- {SECTION}:start -->", f"<!-- {SECTION}:end -->"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--resolution", default="360p", choices=("360p", "720p", "1080p"))
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    cold = cold_load_s()
    preload()
    data, width, height = photo_png()
    plan = plan_for(PROMPT, 4.0, SEED, "auto", decode_rgb(data))  # as the pipeline plans it
    started = time.perf_counter()
    make_music(plan)
    music_alone = time.perf_counter() - started
    load_before = os.getloadavg()[0]
    walls: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mp4"
        for bgm in (False, True):  # warm-up: first-call costs (caches, allocator) not counted
            render_once(bgm, args.resolution, data, width, height, out)
        for run in range(args.runs):
            # Alternate which goes first so a drift in machine load hits both alike.
            for bgm in ((False, True) if run % 2 == 0 else (True, False)):
                wall, cpu = render_once(bgm, args.resolution, data, width, height, out)
                walls[bgm].append(wall)
                cpus[bgm].append(cpu)
                print(f"run {run + 1}/{args.runs} bgm={str(bgm).lower():5} {wall:.3f} s wall, "
                      f"{cpu:.3f} s CPU", flush=True)
    load_after = os.getloadavg()[0]
    plain, music = statistics.median(walls[False]), statistics.median(walls[True])
    paired = statistics.median(b - a for a, b in zip(walls[False], walls[True], strict=True))
    added_cpu = statistics.median(cpus[True]) - statistics.median(cpus[False])
    verdict = "MET" if max(music - plain, paired) <= TARGET_ADDED_S else "MISSED"
    lines = [
        "## Music: what `bgm: true` adds to a 4 s render",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: nproc {os.cpu_count()}, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; 1-minute load average {load_before:.2f} at the "
        f"start, {load_after:.2f} at the end",
        f"- source: `{source()}`",
        f"- command: `.venv/bin/python -m bench.music_bench --runs {args.runs} --resolution "
        f"{args.resolution}`",
        f"- render: coffee photo ({width}x{height}) at {args.resolution}, 4 s, prompt "
        f"\"{PROMPT}\", seed {SEED}, default engine and encoder settings, in one process, "
        "music libraries preloaded (as a worker does at start); with and without bgm "
        f"alternating, {args.runs} runs each after one warm-up of each",
        f"- music of this clip: {plan.mood}, {plan.key}, {plan.tempo_bpm:g} bpm, "
        f"{' '.join(plan.chords)}",
        "",
        "| variant | median s | min s | max s | median CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for bgm, name in ((False, "bgm false"), (True, "bgm true")):
        lines.append(f"| {name} | {statistics.median(walls[bgm]):.3f} | {min(walls[bgm]):.3f} "
                     f"| {max(walls[bgm]):.3f} | {statistics.median(cpus[bgm]):.3f} |")
    lines += [
        "",
        f"- added by music: **{music - plain:+.3f} s** wall (medians; median of paired run "
        f"differences {paired:+.3f} s), ratio **{music / plain:.3f}**; "
        f"{added_cpu:+.3f} s CPU (target: at most {TARGET_ADDED_S} s added -> {verdict})",
        f"- the music work alone on an idle machine (compose, synthesise, room, master): "
        f"{music_alone:.3f} s; it runs on a thread beside the frames",
        f"- one-time load of the music stack in a fresh process (scipy, pyloudnorm, "
        f"pretty_midi, midirenderer, the 6 MB soundfont): {cold:.2f} s, paid once when a "
        "worker starts, never per task",
    ]
    body = "\n".join(lines)
    print()
    print(body)
    if not args.no_write:
        write_section(body)
        print(f"\nwrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
