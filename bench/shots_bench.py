"""Camera moves as a viewer judges them, before and after a change, in one run.

    .venv/bin/python -m bench.shots_bench [--before REF] [--resolution 720p]
        [--photos astronaut,china] [--moves "orbit right,dolly zoom"] [--no-write]

Renders each move (4 s, seed 7, medium amplitude) on the development photos and, reported
apart, the held-out ones (tests/support/shots.py), twice: with the engine as it was at git
REF (default HEAD: the last commit) and as the working tree has it. Each version runs in a
child process that imports its own copy of `src/stillmotion`. Per clip:

- burst: the fastest half-second's mean flow over the clip's mean (<= 1.6 asked);
- speed: mean flow, % of the diagonal per second (the amplitude bands' unit);
- subject scale at the end and its largest on the way, background scale at the end, from
  Lucas-Kanade tracks inside / outside the photo's hand-drawn subject box;
- rel: how far subject and background slid against each other (share of the larger);
- dir: whether the picture moved the way the words say (see EXPECTED_DIRECTION);
- ms/frame: the engine's frames alone (no encoding), median over the clip; and the time
  of the whole shot in the engine (planning and every frame) before against after.

Prints both tables and, with --write (default), replaces its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.render_bench import REPO, command_line, machine, write_section

MOVES = (
    "pan right", "truck left", "tracking shot to the right", "orbit right",
    "orbit around her to the left", "push in", "pull out to reveal the scene", "dolly zoom",
    "pedestal up",
)
# the sign of the picture's horizontal shift at the frame's centre (px, the background's
# similarity) the words ask for, or of the background's shift against the subject's,
# where the words say a side:
# truck/tracking right -> the camera goes right, the picture moves left (-1);
# orbit right -> the background slides right behind a subject held in place (+1).
EXPECTED_DIRECTION: dict[str, tuple[str, int]] = {
    "pan right": ("background", -1),
    "truck left": ("background", +1),
    "tracking shot to the right": ("background", -1),
    "orbit right": ("relative", +1),
    "orbit around her to the left": ("relative", -1),
}
SEED = 7


def measure(prompt: str, name: str, resolution: str) -> dict[str, Any]:
    """One clip's figures (runs in the child, against the child's engine)."""
    from tests.support import shots

    from stillmotion.engines.base import RenderRequest
    from stillmotion.engines.motion import MotionEngine

    image = shots.real_photo(name)
    engine = MotionEngine()
    request = RenderRequest(prompt, 4, resolution, "medium", SEED, image.shape[1],
                            image.shape[0])
    engine.analysis(image)  # the scene analysis is the same in both versions: not timed
    start = time.perf_counter()
    plan = engine.plan(request, image)
    plan_s = time.perf_counter() - start
    frames, times = [], []
    iterator = engine.frames(plan, image)
    while True:
        start = time.perf_counter()
        try:
            frame = next(iterator)
        except StopIteration:
            break
        times.append(time.perf_counter() - start)
        frames.append(frame)
    box = shots.subject_box(name)
    try:
        subject = shots.group_motion(frames, box, inside=True)
        background = shots.group_motion(frames, box, inside=False)
    except ValueError:  # nothing trackable (a blurred background): no figures to give
        nothing = shots.GroupMotion(np.full(len(frames), np.nan),
                                    np.full((len(frames), 2), np.nan),
                                    np.zeros((len(frames), 2)), 0)
        subject = background = nothing
    speeds = shots.flow_speeds(frames)
    figures: dict[str, Any] = {
        "move": plan.move,
        "burst": shots.burst_ratio(frames),
        "speed": float(speeds.mean()) * 24 / shots.diagonal(frames) * 100,
        "subject_end": float(subject.scale[-1]),
        "subject_max": float(subject.scale.max()),
        "background_end": float(background.scale[-1]),
        "rel": shots.relative_displacement(subject, background),
        "ms_per_frame": float(np.median(times[1:])) * 1000,
        "shot_s": plan_s + float(np.sum(times)),
    }
    expected = EXPECTED_DIRECTION.get(prompt)
    if expected is not None:
        kind, sign = expected
        shift = (-shots.parallax_shift(subject, background)[0] if kind == "relative"
                 else shots.camera_shift(background, frames)[0])
        figures["direction_ok"] = None if np.isnan(shift) else bool(np.sign(shift) == sign)
    return figures


def child_main(photos: list[str], moves: list[str], resolution: str) -> None:
    results = {f"{name}|{move}": measure(move, name, resolution)
               for name in photos for move in moves}
    print(json.dumps(results))


def run_version(src: Path, photos: list[str], moves: list[str], resolution: str,
                ) -> dict[str, Any]:
    """The child run against the stillmotion package under `src`."""
    env_path = f"{src}:{REPO}"
    out = subprocess.run(
        [sys.executable, "-m", "bench.shots_bench", "--child", "--photos", ",".join(photos),
         "--moves", ",".join(moves), "--resolution", resolution],
        cwd=REPO, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"the {src} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def snapshot(ref: str | None, work: Path) -> Path:
    """`src/` as it is at git `ref`, or as the working tree has it (None)."""
    target = work / ("before" if ref else "after")
    if ref is None:
        shutil.copytree(REPO / "src", target / "src")
    else:
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", ref, "src"], cwd=REPO,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def table(results: dict[str, dict[str, Any]], photos: list[str], moves: list[str]) -> str:
    lines = ["| photo | prompt | move | burst | speed | subject end / max | background end "
             "| rel | dir | ms/frame |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name in photos:
        for move in moves:
            r = results[f"{name}|{move}"]
            direction = {True: "ok", False: "WRONG", None: ""}[r.get("direction_ok")]
            lines.append(
                f"| {name} | {move} | {r['move']} | {r['burst']:.2f} | {r['speed']:.2f} "
                f"| {r['subject_end']:.3f} / {r['subject_max']:.3f} | {r['background_end']:.3f} "
                f"| {r['rel']:.2f} | {direction} | {r['ms_per_frame']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    from tests.support.shots import DEVELOPMENT, HELD_OUT

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="HEAD",
                        help="git ref of the 'before' engine ('none': the working tree alone)")
    parser.add_argument("--resolution", default="720p")
    parser.add_argument("--photos", default=",".join([*DEVELOPMENT, *HELD_OUT]))
    parser.add_argument("--moves", default=",".join(MOVES))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    photos, moves = args.photos.split(","), args.moves.split(",")
    if args.child:
        child_main(photos, moves, args.resolution)
        return
    with tempfile.TemporaryDirectory() as work:
        wanted = [("after", None)] if args.before == "none" else [("before", args.before),
                                                                    ("after", None)]
        versions = {label: run_version(snapshot(ref, Path(work)), photos, moves,
                                       args.resolution) for label, ref in wanted}
    sections = [f"Command: `{command_line()}`  \nMachine: {machine()}  \n"
                f"Before: `{args.before}` (git ref); after: the working tree. 4 s "
                f"{args.resolution}, medium amplitude, seed {SEED}."]
    for label, names in (("development photos", [p for p in photos if p in DEVELOPMENT]),
                         ("held-out photos", [p for p in photos if p in HELD_OUT])):
        if not names:
            continue
        for version, results in versions.items():
            sections.append(f"**{version}, {label}**\n\n{table(results, names, moves)}")
    worst = {v: max(r["burst"] for r in results.values()) for v, results in versions.items()}
    if "before" in versions:
        ratios = [versions["after"][k]["shot_s"] / versions["before"][k]["shot_s"]
                  for k in versions["after"]]
        before_s = sum(r["shot_s"] for r in versions["before"].values())
        after_s = sum(r["shot_s"] for r in versions["after"].values())
        sections.append(
            f"Engine time per shot (planning and every frame, no encoding; the scene "
            f"analysis, shared by both, left out): after / before = {after_s / before_s:.2f} "
            f"over all clips ({after_s:.1f} s vs {before_s:.1f} s), worst clip "
            f"{max(ratios):.2f}. Worst burst: before {worst['before']:.2f}, after "
            f"{worst['after']:.2f}.")
    body = "## shots_bench\n\n" + "\n\n".join(sections)
    print(body)
    if not args.no_write:
        write_section("shots_bench", body)


if __name__ == "__main__":
    main()
