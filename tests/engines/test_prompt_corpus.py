"""The prompt reader against a corpus of prompts as people write them (tests/support/corpus.py,
tests/data/prompt_corpus.jsonl).

Issue 15 asks for 95 % on every field. Until the reader gets there, FLOORS holds what it
reads correctly today (measured as this file's date says): a change that reads worse on any
field fails, and a change that reads better raises the floor with it. `.venv/bin/python -m
tests.support.corpus FIELD` prints the table and that field's misses.
"""

from __future__ import annotations

import pytest

from tests.support import corpus

SIDED = {"pan_left", "pan_right", "tilt_up", "tilt_down", "truck_left", "truck_right",
         "pedestal_up", "pedestal_down", "orbit_left", "orbit_right"}
MOVES = SIDED | {"push_in", "pull_out", "dolly_zoom", "handheld", "static", "pan_?", "tilt_?",
                 "truck_?", "pedestal_?", "orbit_?"}  # "?": the words leave the side open
EFFECTS = {"rain", "snow", "fog", "light", "golden", "sparkles", "embers", "bokeh", "steam",
           "smoke"}
MOTIONS = {"wind", "hair", "leaves", "water", "fire", "clouds", "breathing", "flag"}
MOODS = {"calm", "happy", "epic", "mysterious", "sad", "romantic", "energetic", None}
GOAL = 0.95  # issue 15
# what the reader reads right today (2026-12-07, 457 prompts), a hair under the measure
FLOORS = {"beats": 0.833, "pace": 0.925, "effects": 0.955, "motions": 0.912,
          "actions": 0.686, "mood": 0.649, "negated": 0.885}


@pytest.fixture(scope="module")
def items() -> list[dict[str, object]]:
    return corpus.load()


def test_the_corpus_is_large_varied_and_well_formed(items: list[dict[str, object]]) -> None:
    assert len(items) >= 300
    assert len({str(i["prompt"]) for i in items}) == len(items)  # no prompt twice
    for item in items:
        assert set(item) >= {"prompt", *corpus.FIELDS}, item
        assert set(item["beats"]) <= MOVES, item  # type: ignore[arg-type]
        assert set(item["effects"]) <= EFFECTS, item  # type: ignore[arg-type]
        assert set(item["motions"]) <= MOTIONS, item  # type: ignore[arg-type]
        assert item["pace"] in ("slow", "normal", "fast"), item
        assert item["mood"] in MOODS, item
    for move in SIDED | {"push_in", "pull_out", "dolly_zoom", "handheld", "static", "orbit_?"}:
        assert sum(move in i["beats"] for i in items) >= 8, move  # type: ignore[operator]


def test_the_reader_reads_no_field_worse_than_it_did(items: list[dict[str, object]]) -> None:
    result = corpus.score(items)
    table = ", ".join(f"{f} {result.accuracy[f]:.1%}" for f in corpus.FIELDS)
    print(f"prompt corpus ({len(items)} prompts): {table}")
    for field in corpus.FIELDS:
        assert result.accuracy[field] >= FLOORS[field], (field, result.accuracy[field],
                                                         result.misses[field][:5])
