"""Step 2: the plan and the notes, seeded and fitted to the clip."""

from __future__ import annotations

import json

import pytest

from stillmotion.music import plan_for
from stillmotion.music.composition import STYLES, chord_pitch_classes, compose
from stillmotion.music.mood import MOODS


@pytest.mark.parametrize("duration", [4.0, 8.0])
@pytest.mark.parametrize("mood", MOODS)
def test_the_phrase_fills_the_clip_and_lands_on_the_tonic(mood: str, duration: float) -> None:
    for seed in range(6):
        plan = plan_for("", duration, seed, mood=mood)
        style = STYLES[mood]
        assert style.tempo[0] <= plan.tempo_bpm <= style.tempo[1]
        assert sum(plan.chord_beats) == pytest.approx(duration * plan.tempo_bpm / 60, abs=2e-3)
        assert len(plan.chords) == len(plan.chord_beats) >= 3
        assert plan.chords[-1] in ("I", "i")  # the landing
        assert plan.chords[-2] != plan.chords[-1]  # a cadence, not a held tonic
        landing_s = plan.chord_beats[-1] * 60 / plan.tempo_bpm
        assert landing_s >= 0.8 * plan.fade_out_s  # the tonic arrives before the fade is over
        score = compose(plan)
        assert {p.name for p in score.parts} >= {"pad", "bass"}
        for part in score.parts:
            assert part.notes, part.name
            for note in part.notes:
                assert 0 <= note.start < note.end <= duration + 1e-9
                assert 1 <= note.velocity <= 127 and 0 <= note.pitch <= 127
        bass = next(p for p in score.parts if p.name == "bass")
        last = max(bass.notes, key=lambda n: n.start)
        assert last.pitch % 12 == plan.tonic and last.end == pytest.approx(duration)


def test_same_seed_same_piece_other_seed_other_piece() -> None:
    a = compose(plan_for("", 8, 42, mood="happy"))
    b = compose(plan_for("", 8, 42, mood="happy"))
    assert a == b
    others = {compose(plan_for("", 8, s, mood="happy")).parts for s in range(43, 48)}
    assert a.parts not in others and len(others) == 5


def test_drums_only_where_the_mood_wants_them() -> None:
    for mood in MOODS:
        names = {p.name for p in compose(plan_for("", 8, 1, mood=mood)).parts}
        assert ("drums" in names) == (mood in ("happy", "epic", "energetic")), mood
        assert {"arp", "melody"} & names, mood  # every mood has a line over the chords


def test_movement_amplitude_moves_the_tempo() -> None:
    small = plan_for("", 8, 9, "small", mood="epic").tempo_bpm
    large = plan_for("", 8, 9, "large", mood="epic").tempo_bpm
    assert large / small == pytest.approx(1.08 / 0.94, rel=0.01)


def test_roman_numerals() -> None:
    assert chord_pitch_classes("I", 0, "major") == (0, 4, 7)
    assert chord_pitch_classes("vi", 0, "major") == (9, 0, 4)
    assert chord_pitch_classes("i", 9, "minor") == (9, 0, 4)
    assert chord_pitch_classes("V", 9, "minor") == (4, 8, 11)  # harmonic minor's E major
    assert chord_pitch_classes("ii°", 9, "minor") == (11, 2, 5)


def test_the_plan_is_json_and_says_why() -> None:
    plan = plan_for("a calm lake", 4, 3)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["mood"] == "calm" and data["mode"] == "major"
    assert data["key"].endswith("major") and data["tempo_bpm"] > 0
    assert any("calm" in reason for reason in data["reasons"])
    assert all("(" in name for name in data["instruments"].values())
