"""The prompt corpus (tests/data/prompt_corpus.jsonl) and how the prompt reader scores on it.

Each line holds a prompt as people write them for image-to-video and its reading as a
careful human editor would give it: camera beats in order ("pan_?" where the text leaves
the side open), pace, effects, local motions, subject actions a camera cannot perform,
mood, and what the prompt rules out. The expectations were written from how people write,
not from the reader's vocabulary (issue 15).

`reading(prompt)` turns what the engine's reader (director.read_prompt) and the music's
mood reader make of a prompt into the same fields, so the two can be compared field by
field. A field the reader does not produce yet reads as empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stillmotion.engines.motion.director import read_prompt
from stillmotion.music.mood import DEFAULT_MOOD, prompt_scores

CORPUS = Path(__file__).resolve().parent.parent / "data" / "prompt_corpus.jsonl"
FIELDS = ("beats", "pace", "effects", "motions", "actions", "mood", "negated")


def load() -> list[dict[str, Any]]:
    """The corpus, one dict per prompt."""
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _beats(prompt: str) -> list[str]:
    """The reader's beats, with "?" where the side came from the seed: read once with each
    side, a move that changes with it was left open by the words."""
    left = read_prompt(prompt, 8, -1).beats  # 8 s: the most beats a shot may have
    right = read_prompt(prompt, 8, 1).beats
    beats = []
    for a, b in zip(left, right, strict=True):
        if a.move == "auto":
            continue
        beats.append(a.move if a.move == b.move else a.move.rsplit("_", 1)[0] + "_?")
    return beats


def _pace(prompt: str) -> str:
    beats = read_prompt(prompt, 8, 1).beats
    pace = beats[0].pace if beats else 1.0
    return "slow" if pace < 1.0 else ("fast" if pace > 1.0 else "normal")


def _mood(prompt: str) -> str | None:
    scores, matched = prompt_scores(prompt)
    if not matched:
        return None
    best = max(scores.values())
    return next((m for m, s in scores.items() if s == best), DEFAULT_MOOD)


def reading(prompt: str) -> dict[str, Any]:
    """The readers' answer for every field (empty where they have none yet)."""
    direction = read_prompt(prompt, 8, 1)
    return {"beats": _beats(prompt), "pace": _pace(prompt),
            "effects": sorted(direction.effects), "motions": sorted(direction.motions),
            "actions": sorted(getattr(direction, "actions", ())),
            "mood": _mood(prompt), "negated": sorted(getattr(direction, "negated", ()))}


@dataclass(frozen=True)
class Score:
    """Per field, the share of prompts read exactly as expected, and the misses."""

    accuracy: dict[str, float]
    misses: dict[str, list[tuple[str, Any, Any]]]  # field -> (prompt, expected, read)


def score(corpus: list[dict[str, Any]]) -> Score:
    hits = dict.fromkeys(FIELDS, 0)
    misses: dict[str, list[tuple[str, Any, Any]]] = {f: [] for f in FIELDS}
    for item in corpus:
        got = reading(item["prompt"])
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

    result = score(load())
    for name in FIELDS:
        print(f"{name:8s} {result.accuracy[name]:6.1%}  ({len(result.misses[name])} missed)")
    for name in sys.argv[1:]:
        for prompt, expected, got in result.misses[name]:
            print(f"- {prompt!r}\n    expected {expected!r}, read {got!r}")
