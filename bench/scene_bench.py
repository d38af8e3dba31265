"""Scene analysis cost on 12 MP photos (issue 3's budget: under 1.5 s on this machine).

The motion engine analyses every photo once per task (saliency, GrabCut, depth proxy) at a
fixed thumbnail size, so the cost should not grow with the photo. This takes five
scikit-image photos, enlarges each to 4000x3000 (12 MP), and times `analyse` (median of
`--runs`), next to the time to decode the same photo from PNG, the work every render does
anyway; it prints the ratio of the two.

    .venv/bin/python -m bench.scene_bench [--runs 3] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import date

import cv2
import numpy as np
from PIL import Image
from skimage import data

from bench.render_bench import command_line, load_average, machine, source_version, write_section
from stillmotion.engines.motion.scene import ANALYSIS_SIZE, analyse
from stillmotion.media.images import decode_rgb

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera")
BUDGET_S = 1.5


def twelve_megapixels(name: str) -> np.ndarray:
    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return cv2.resize(np.ascontiguousarray(image[..., :3]), (4000, 3000),
                      interpolation=cv2.INTER_CUBIC)


def median_seconds(work: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    load_start = load_average()
    rows = ["| photo (4000x3000) | analyse s | PNG decode s | analyse / decode | confidence |",
            "|---|---:|---:|---:|---:|"]
    worst = 0.0
    for name in PHOTOS:
        image = twelve_megapixels(name)
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
        png = buffer.getvalue()
        analysis_s = median_seconds(lambda image=image: analyse(image), args.runs)
        decode_s = median_seconds(lambda png=png: decode_rgb(png), args.runs)
        confidence = analyse(image).subject.confidence
        worst = max(worst, analysis_s)
        rows.append(f"| {name} | {analysis_s:.2f} | {decode_s:.2f} | {analysis_s / decode_s:.2f} "
                    f"| {confidence:.2f} |")
        print(rows[-1], flush=True)
    verdict = "met" if worst < BUDGET_S else "MISSED"
    body = "\n".join([
        "## Scene analysis of 12 MP photos (motion engine)", "",
        f"{date.today().isoformat()}, {machine()}, load average {load_start} at the start, "
        f"source {source_version()}. Command: `{command_line()}`. Analysis runs at "
        f"{ANALYSIS_SIZE} px on the long side; median of {args.runs} runs.", "",
        *rows, "",
        f"- slowest analysis: **{worst:.2f} s** (budget < {BUDGET_S} s -> {verdict})",
    ])
    print(body)
    if not args.no_write:
        write_section("scene_bench", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
