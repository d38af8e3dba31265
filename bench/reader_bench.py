"""Prompt reader benchmark: accuracy per field on the development corpus and on the
held-out set, and the time to read a prompt, for our reader (stillmotion.reading) and for
the reader it replaced, in the same run.

The competitor is the previous reader as it was at REV (default f24b0ff, the last commit
before stillmotion.reading): the motion engine's director (camera beats, pace, effects,
local motion) with the music's mood words, both loaded from `git show REV:...` as
standalone modules. It had no subject actions and no ruled-out list, so those fields read
as empty for it (which is right for every prompt that asks for none).

Time is the mean, 99th percentile and maximum of one `read_prompt(prompt, 8, 1)` call per
prompt over both sets, best of `--repeats` passes, on one core.

    .venv/bin/python -m bench.reader_bench [--compare f24b0ff] [--repeats 5] [--no-write]

Run from the repository root; it appends its table to bench/RESULTS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from tests.support import corpus

from stillmotion.reading import read_prompt

ROOT = Path(__file__).resolve().parent.parent
OLD_READER = "src/stillmotion/engines/motion/director.py"
OLD_MOOD = "src/stillmotion/music/mood.py"


def _module(rev: str, path: str, name: str) -> ModuleType:
    """A file of the repository at `rev`, imported as a module of its own."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being made
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)  # noqa: S102
    return module


def old_reader(rev: str) -> corpus.Reader:
    """The previous reader with read_prompt's shape: the director's reading plus the mood
    its music read from the prompt's words (None where no word spoke)."""
    director = _module(rev, OLD_READER, "old_director")
    mood = _module(rev, OLD_MOOD, "old_mood")

    def read(prompt: str, duration: int, side: int) -> Any:
        direction = director.read_prompt(prompt, duration, side)
        scores, matched = mood.prompt_scores(prompt)
        best = max(scores.values())
        said = next(m for m, s in scores.items() if s == best) if matched else None
        return SimpleNamespace(beats=direction.beats, effects=direction.effects,
                               motions=direction.motions, mood=said)
    return read


def timing(read: corpus.Reader, prompts: list[str], repeats: int) -> dict[str, float]:
    """ms per prompt: mean, 99th percentile and max, each the best over `repeats` passes."""
    passes = []
    for _ in range(repeats):
        times = []
        for prompt in prompts:
            start = time.perf_counter()
            read(prompt, 8, 1)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        passes.append((statistics.fmean(times), times[int(0.99 * (len(times) - 1))],
                       times[-1]))
    return {"mean": min(p[0] for p in passes), "p99": min(p[1] for p in passes),
            "max": min(p[2] for p in passes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", default="f24b0ff", help="the previous reader's revision")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sets = {"corpus": corpus.load(), "held-out": corpus.load(corpus.HELD_OUT)}
    readers = {"ours": read_prompt, f"previous ({args.compare})": old_reader(args.compare)}
    lines = [f"| set | reader | {' | '.join(corpus.FIELDS)} |",
             "|---|---|" + "---|" * len(corpus.FIELDS)]
    for set_name, items in sets.items():
        for reader_name, read in readers.items():
            result = corpus.score(items, read)
            cells = " | ".join(f"{result.accuracy[f]:.1%}" for f in corpus.FIELDS)
            lines.append(f"| {set_name} ({len(items)}) | {reader_name} | {cells} |")
    prompts = [str(i["prompt"]) for items in sets.values() for i in items]
    times = {name: timing(read, prompts, args.repeats) for name, read in readers.items()}
    ours, previous = times["ours"], times[f"previous ({args.compare})"]
    lines += ["", "| reader | mean ms/prompt | p99 | max |", "|---|---|---|---|"]
    lines += [f"| {name} | {t['mean']:.2f} | {t['p99']:.2f} | {t['max']:.2f} |"
              for name, t in times.items()]
    lines.append(f"\nours / previous: mean {ours['mean'] / previous['mean']:.2f}x, "
                 f"max {ours['max'] / previous['max']:.2f}x ({len(prompts)} prompts)")
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write(f"\n### reader_bench, {dt.date.today()}\n\n"
                          f"`.venv/bin/python -m bench.reader_bench --compare {args.compare}`"
                          f"\n\n{table}\n")


if __name__ == "__main__":
    main()
