"""The prompt corpus (tests/data/prompt_corpus.jsonl) and how the prompt reader scores on it.

Each line holds a prompt as people write them for image-to-video and its reading as a
careful human editor would give it: camera beats in order ("pan_?" where the text leaves
the side open), pace, effects, local motions, subject actions a camera cannot perform,
mood, and what the prompt rules out. The expectations were written from how people write,
not from the reader's vocabulary (issue 15).

`reading(prompt)` turns what the reader (stillmotion.reading.read_prompt) makes of a
prompt into the same fields, so the two can be compared field by field. The held-out set
(prompt_heldout.jsonl) was written by someone who had not seen the reader, after it was
built; it is scored and reported apart and never tuned on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.reading import read_prompt

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = DATA / "prompt_corpus.jsonl"  # the reader was developed against this set
HELD_OUT = DATA / "prompt_heldout.jsonl"  # written apart from the reader; never tuned on
FIELDS = ("beats", "pace", "effects", "motions", "actions", "mood", "negated")
Reader = Callable[[str, int, int], Any]  # read_prompt's shape: (prompt, duration, side)


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    """A prompt set, one dict per prompt."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _beats(prompt: str, read: Reader) -> list[str]:
    """The reader's beats, with "?" where the side came from the seed: read once with each
    side, a move that changes with it was left open by the words."""
    left = read(prompt, 8, -1).beats  # 8 s: the most beats a shot may have
    right = read(prompt, 8, 1).beats
    beats = []
    for a, b in zip(left, right, strict=True):
        if a.move == "auto":
            continue
        beats.append(a.move if a.move == b.move else a.move.rsplit("_", 1)[0] + "_?")
    return beats


def _pace(prompt: str, read: Reader) -> str:
    """The pace of the shot's first move (a held opening has none)."""
    moving = [b for b in read(prompt, 8, 1).beats if b.move != "static"]
    pace = moving[0].pace if moving else 1.0
    return "slow" if pace < 1.0 else ("fast" if pace > 1.0 else "normal")


def reading(prompt: str, read: Reader = read_prompt) -> dict[str, Any]:
    """A reader's answer for every field (empty where it has none)."""
    said = read(prompt, 8, 1)
    return {"beats": _beats(prompt, read), "pace": _pace(prompt, read),
            "effects": sorted(said.effects), "motions": sorted(said.motions),
            "actions": sorted(getattr(said, "actions", ())), "mood": getattr(said, "mood", None),
            "negated": sorted(getattr(said, "negated", ()))}


@dataclass(frozen=True)
class Score:
    """Per field, the share of prompts read exactly as expected, and the misses."""

    accuracy: dict[str, float]
    misses: dict[str, list[tuple[str, Any, Any]]]  # field -> (prompt, expected, read)


def score(corpus: list[dict[str, Any]], read: Reader = read_prompt) -> Score:
    hits = dict.fromkeys(FIELDS, 0)
    misses: dict[str, list[tuple[str, Any, Any]]] = {f: [] for f in FIELDS}
    for item in corpus:
        got = reading(item["prompt"], read)
        for field in FIELDS:
            expected = item[field]
            if isinstance(expected, list) and field != "beats":
                expected = sorted(expected)
            if got[field] == expected:
                hits[field] += 1
            else:
                misses[field].append((item["prompt"], expected, got[field]))
    return Score({f: hits[f] / max(1, len(corpus)) for f in FIELDS}, misses)


if __name__ == "__main__":  # .venv/bin/python -m tests.support.corpus [FIELD]: the table, misses
    import sys

    result = score(load())  # the development set only: the held-out set's misses stay unread
    for name in FIELDS:
        print(f"{name:8s} {result.accuracy[name]:6.1%}  ({len(result.misses[name])} missed)")
    for name in sys.argv[1:]:
        for prompt, expected, got in result.misses[name]:
            print(f"- {prompt!r}\n    expected {expected!r}, read {got!r}")
