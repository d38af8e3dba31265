"""The prompt reader against prompts as people write them (tests/support/corpus.py).

The development corpus (tests/data/prompt_corpus.jsonl) must read at 95 % or better on
every field (issue 15). The held-out set (prompt_heldout.jsonl) was written apart from the
reader, after it was built, and is never tuned on: its floors hold what the reader read
there when it was first scored (2026-12-07), so a change that generalises worse fails.
`.venv/bin/python -m tests.support.corpus FIELD` prints the development table and that
field's misses; `bench/reader_bench.py` compares both sets with the previous reader.
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
GOAL = 0.95  # issue 15, on the development corpus
# the held-out set as first scored (2026-12-07, 120 prompts), a hair under the measure
HELD_OUT_FLOORS = {"beats": 0.85, "pace": 0.95, "effects": 0.93, "motions": 0.87,
                   "actions": 0.71, "mood": 0.97, "negated": 0.95}


@pytest.fixture(scope="module")
def items() -> list[dict[str, object]]:
    return corpus.load()


@pytest.fixture(scope="module")
def held_out() -> list[dict[str, object]]:
    return corpus.load(corpus.HELD_OUT)


def _well_formed(item: dict[str, object]) -> None:
    assert set(item) >= {"prompt", *corpus.FIELDS}, item
    assert set(item["beats"]) <= MOVES, item  # type: ignore[arg-type]
    assert len(item["beats"]) <= 3, item  # type: ignore[arg-type]
    assert set(item["effects"]) <= EFFECTS, item  # type: ignore[arg-type]
    assert set(item["motions"]) <= MOTIONS, item  # type: ignore[arg-type]
    assert item["pace"] in ("slow", "normal", "fast"), item
    assert item["mood"] in MOODS, item


def test_the_corpus_is_large_varied_and_well_formed(items: list[dict[str, object]]) -> None:
    assert len(items) >= 300
    assert len({str(i["prompt"]) for i in items}) == len(items)  # no prompt twice
    for item in items:
        _well_formed(item)
    for move in SIDED | {"push_in", "pull_out", "dolly_zoom", "handheld", "static", "orbit_?"}:
        assert sum(move in i["beats"] for i in items) >= 8, move  # type: ignore[operator]


def test_the_held_out_set_is_apart_from_the_corpus(
        items: list[dict[str, object]], held_out: list[dict[str, object]]) -> None:
    assert len(held_out) >= 100
    for item in held_out:
        _well_formed(item)
    assert not {str(i["prompt"]) for i in held_out} & {str(i["prompt"]) for i in items}


def _table(name: str, result: corpus.Score, size: int) -> str:
    return f"{name} ({size} prompts): " + ", ".join(
        f"{f} {result.accuracy[f]:.1%}" for f in corpus.FIELDS)


def test_the_reader_reads_the_corpus_as_people_mean_it(
        items: list[dict[str, object]]) -> None:
    result = corpus.score(items)
    print(_table("prompt corpus", result, len(items)))
    for field in corpus.FIELDS:
        assert result.accuracy[field] >= GOAL, (field, result.accuracy[field],
                                                result.misses[field][:5])


def test_the_reader_generalises_to_prompts_it_was_not_built_on(
        held_out: list[dict[str, object]]) -> None:
    result = corpus.score(held_out)
    print(_table("held-out prompts", result, len(held_out)))
    for field in corpus.FIELDS:  # the misses are not printed: nobody tunes on them
        assert result.accuracy[field] >= HELD_OUT_FLOORS[field], (field, result.accuracy[field])
