"""Read a prompt into what it asks of the shot: camera beats in order with their pace,
weather and light, local motion, what subjects do, what it rules out, and its mood.

How: the prompt is cut into clauses (punctuation, "then" and its kin) and each clause
into subclauses where another actor may take over ("as", "while", "and"). Every phrase
from the vocabularies is found as whole words; a phrase counts where it is not negated
("don't pan", "no rain": those go to `negated`), not part of a compound noun ("frying
pan", "fire truck"), and, for a camera word that is also an ordinary verb ("rises",
"moves left", "circles"), where the camera is who acts: the nearest actor before the verb
is the camera ("the drone rises"), or nobody is named ("move left"). Otherwise it is the
subject's action ("the sun rises", "the bus moves left"), which the plan lists as asked
for and the camera never stands in for. Words that decided anything are kept, so users
can see how their prompt was read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from stillmotion.reading import action_words, camera_words, mood_words, scene_words
from stillmotion.reading.text import (
    Span,
    alternation,
    clauses,
    negated,
    normalise,
    pattern,
    subclauses,
    word_after,
    word_before,
)

MOVES = camera_words.MOVES
EFFECTS = scene_words.EFFECTS
MOTIONS = scene_words.MOTIONS
MOODS = mood_words.MOODS
MAX_BEATS = {4: 2, 8: 3}
SLOW_PACE, VERY_SLOW_PACE, FAST_PACE, VERY_FAST_PACE = 0.7, 0.5, 1.35, 1.6
MOOD_WORD_WEIGHT = 3.0  # a mood word asks; it outweighs anything the photo says (<= 1.0)
SCENE_WORD_WEIGHT = 1.5  # a scene word suggests: more than the photo, half a mood word


@dataclass(frozen=True)
class Beat:
    """One camera move of the shot, with the pace its clause asked for."""

    move: str
    pace: float = 1.0
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reading:
    """How the prompt was read. Everything is plain data, shown to users in the plan."""

    beats: tuple[Beat, ...]
    effects: tuple[str, ...] = ()
    motions: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default=())
    motion_sides: tuple[tuple[str, int], ...] = ()  # (motion, -1 left / +1 right) as said
    effect_levels: tuple[tuple[str, float], ...] = ()  # (rain, snow or fog, 0.5 or 2) as said
    actions: tuple[str, ...] = ()  # what subjects are asked to do ("smiles", "runs")
    negated: tuple[str, ...] = ()  # what the prompt rules out ("rain", "pan_?", "camera_move")
    mood: str | None = None  # the mood the prompt asks for by name, if any
    mood_scores: tuple[tuple[str, float], ...] = ()  # every mood's weight from the words
    mood_words: tuple[str, ...] = ()  # "word->mood" for each word that weighed

    @property
    def move(self) -> str:
        """The leading move (the only one in a single-beat shot); "auto" when none named."""
        return self.beats[0].move if self.beats else "auto"

    @property
    def pace(self) -> float:
        """The shot's pace: the geometric mean of its moving beats' (a held beat has none),
        so "pan left, then push in fast" is a fast shot and "slow pan, quick whip" an even
        one; 1 when no beat says one."""
        paced = [b.pace for b in self.beats if b.move != "static"] or [
            b.pace for b in self.beats]
        if not paced:
            return 1.0
        return math.exp(sum(math.log(p) for p in paced) / len(paced))


_MOVE_OF = {phrase: move for move, phrases in camera_words.MOVE_PHRASES.items()
            for phrase in phrases}
_MOVE_OF.update({phrase: "static" for phrase in camera_words.STATIC_PHRASES})
_MOVE_OF.update({phrase: "static" for phrase in camera_words.NO_CAMERA_MOVE})
_MOVE_OF.update({phrase: "back" for phrase in camera_words.BACK_AGAIN})
_MOVE_RE = alternation(_MOVE_OF)
_SIDE_OF = {phrase: side for side, phrases in camera_words.SIDE_PHRASES.items()
            for phrase in phrases}
_SIDE_RE = alternation(_SIDE_OF)
_PACE_OF = {**{w: (VERY_SLOW_PACE if w.startswith(("very", "super")) else SLOW_PACE)
               for w in camera_words.SLOW},
            **{w: (VERY_FAST_PACE if w.startswith(("very", "super")) else FAST_PACE)
               for w in camera_words.FAST}}
_PACE_RE = alternation(_PACE_OF)
_SLOW_MOTION_RE = alternation(camera_words.SLOW_MOTION)
_ACTION_RES = {label: re.compile(r"(?<![a-z'-])(?:" + "|".join(patterns) + r")(?![a-z-])")
               for label, patterns in action_words.ACTIONS.items()}
_WORD = re.compile(r"[a-z0-9'-]+")
MOVING_REACH = 64  # characters after a noun in which its verb of motion may follow
_MOVING_SPLIT = re.compile(r"\b(?:as|while|where|when|whilst|who|which)\b")
_MOVING_VERBS = {motion: alternation(verbs)
                 for motion, (_, verbs) in scene_words.MOVING.items()}
_MOVING_NOUNS = {motion: alternation(nouns)
                 for motion, (nouns, _) in scene_words.MOVING.items()}
# Each tag vocabulary as (phrase -> tag, one pattern of all its phrases).
_VOCABULARIES = {
    id(vocabulary): ({phrase: tag for tag, phrases in vocabulary.items() for phrase in phrases},
                     alternation(p for phrases in vocabulary.values() for p in phrases))
    for vocabulary in (scene_words.EFFECT_PHRASES, scene_words.MOTION_PHRASES)}
# Verbs that move a noun from before it ("wind in her hair", "spraying water", "boats
# rocking on the water"); an adjective there does not ("sparkling water" in a glass).
_MOVED_BY = alternation(("wind", "breeze", "blowing", "blows", "blow", "spraying", "sprays",
                         "rocking", "bobbing", "gusting"))
_OUT = re.compile(r"\s+(?:is|has gone|went|was|has burned|burned) out\b")  # "the fire is out"
_REVERSE = {"left": "right", "right": "left", "up": "down", "down": "up", "in": "out",
            "out": "in"}
_NO_CAMERA = frozenset(camera_words.NO_CAMERA_MOVE)
_DETERMINERS = frozenset(("the", "a", "an", "his", "its", "their", "my", "your", "this",
                          "that", "each", "every", "one"))
_PRONOUNS = frozenset(("it", "she", "he", "they", "her", "him", "them", "its"))
_PREPOSITIONS = frozenset(("in", "with", "on", "of", "from", "at", "by", "under", "near",
                           "behind", "beside", "inside", "wearing"))
# Breathing read as two verbs ("its chest rising and falling"): local motion, no action.
_BREATHING = re.compile(r"(?:rising and falling|rises and falls|rise and fall)")
_PACE_WORDS = frozenset(w for phrase in _PACE_OF for w in phrase.split())
_NEUTRAL = camera_words.FILLER | _PACE_WORDS | frozenset(
    ("no", "not", "never", "don't", "doesn't", "without", "any", "at", "all", "n"))


@dataclass
class _Piece:
    """A subclause with what the reader has decided about it."""

    span: Span
    end: int
    sentence: int
    agent: str | None = None  # "camera", "subject" or None (nobody named)
    doer: str | None = None  # the word that does its first verb ("leaves" fall)


@dataclass
class _Found:
    position: int
    end: int
    move: str
    phrase: str
    piece: int
    pace: float = 1.0
    pace_words: tuple[str, ...] = ()


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    sentence = 0
    for clause in clauses(text):
        if clause.start > 0 and text[clause.start - 1] in ".!?:":
            sentence += 1
        for span in subclauses(clause):
            if span.text.strip():
                pieces.append(_Piece(span, span.start + len(span.text), sentence))
    return pieces


def _piece_at(pieces: list[_Piece], position: int) -> int:
    for index in range(len(pieces) - 1, -1, -1):
        if pieces[index].span.start <= position:
            return index
    return 0


def _actor_before(text: str, start: int, position: int) -> str | None:
    """Who acts at `position`, from the nearest actor word before it in its piece:
    "camera" (camera words, camera language), "subject" (any other content word), or
    None when the piece names nobody before it."""
    words = _WORD.findall(text[start:position])
    for at in range(len(words) - 1, -1, -1):
        word = words[at]
        before = words[at - 1] if at else ""
        after = words[at + 1] if at + 1 < len(words) else ""
        if (word in camera_words.TECHNICAL
                and (before in camera_words.MOVE_COMPOUND_BEFORE.get(word, ())
                     or after in camera_words.MOVE_COMPOUND_AFTER.get(word, ()))):
            return "subject"  # "a fire truck drives past": the truck, not a camera move
        if word in camera_words.CAMERA_AGENTS or word in camera_words.TECHNICAL:
            return "camera"
        if word in _PRONOUNS:
            return "subject"
        if word in _NEUTRAL or word.endswith("ly") or word.isdigit():
            continue
        return "subject"
    return None


def _agent(text: str, pieces: list[_Piece], index: int, position: int) -> str | None:
    """Who acts at `position`: its piece's nearest actor, else whoever acted last in the
    sentence ("a bus pulls away and moves left": the bus; "the drone rises, then flies
    forward": the drone)."""
    piece = pieces[index]
    actor = _actor_before(text, piece.span.start, position)
    if actor is not None:
        return actor
    for earlier in range(index - 1, -1, -1):
        if pieces[earlier].sentence != piece.sentence:
            break
        if pieces[earlier].agent is not None:
            return pieces[earlier].agent
    return None


def _actor_first(text: str, start: int, end: int) -> str | None:
    """The first actor word of a piece that names no action ("the drone starts behind
    the car": the drone; "a glass on the table": a subject)."""
    for word in _WORD.findall(text[start:end]):
        if word in camera_words.CAMERA_AGENTS or word in camera_words.TECHNICAL:
            return "camera"
        if word in _NEUTRAL or word.endswith("ly") or word.isdigit():
            continue
        return "subject"
    return None


def _assign_agents(text: str, pieces: list[_Piece], verbs: list[tuple[int, bool]]) -> None:
    """Each piece's actor, in order: the camera if its first verb is camera language,
    else who acts there; a piece with no verb, its first actor word; a piece that names
    nobody inherits (_agent)."""
    verbs = sorted(verbs)
    at = 0
    for index, piece in enumerate(pieces):
        while at < len(verbs) and verbs[at][0] < piece.span.start:
            at += 1
        inside = [verb for verb in verbs[at:] if verb[0] < piece.end]
        if inside:
            last = inside[-1]  # who acts last is who the next piece goes on with
            piece.agent = "camera" if last[1] else _agent(text, pieces, index, last[0])
            piece.doer = _doer(text, piece.span.start, inside[0][0])
        else:
            piece.agent = _actor_first(text, piece.span.start, piece.end) or _agent(
                text, pieces, index, piece.span.start)


def _compound(text: str, start: int, end: int, phrase: str) -> bool:
    """Whether a move phrase is only a word inside another noun ("frying pan")."""
    words = phrase.split()
    after = word_after(text, end)
    before = word_before(text, start)
    return (after in camera_words.MOVE_COMPOUND_AFTER.get(words[-1], ())
            or before in camera_words.MOVE_COMPOUND_BEFORE.get(words[0], ()))


def _technical(phrase: str) -> bool:
    """Whether a move phrase is camera language wherever it stands."""
    return phrase in camera_words.TECHNICAL_PHRASES or any(
        word in camera_words.TECHNICAL or word in camera_words.CAMERA_AGENTS
        for word in phrase.split())


def _ruled_out(move: str, phrase: str) -> list[str]:
    """What a negated move phrase rules out: "zoom" both zooms, "pan" either side."""
    if phrase in ("zoom", "zooms", "zooming", "dolly", "push", "camera movement"):
        return ["push_in", "pull_out"]
    if move == "static":
        return []
    return [move]


def _pace_in(text: str, start: int, end: int) -> tuple[float, tuple[str, ...]]:
    """The pace a stretch of text asks for: slow and fast words, not negated; both or
    neither: as usual."""
    slow = fast = None
    for match in _PACE_RE.finditer(text, start, end):
        word = match.group(0)
        if negated(text, match.start()) or _SLOW_MOTION_RE.match(text, match.start()):
            continue
        pace = _PACE_OF[word]
        if pace < 1.0 and slow is None:
            slow = (pace, word)
        elif pace > 1.0 and fast is None:
            fast = (pace, word)
    if slow and not fast:
        return slow[0], (slow[1],)
    if fast and not slow:
        return fast[0], (fast[1],)
    return 1.0, ()


def _about_camera(text: str, piece: _Piece) -> bool:
    """Whether a piece without a move is about the camera or the shot: only neutral words
    ("nice and gradual", "make the move subtle", "keep it smooth")."""
    return all(w in _NEUTRAL or w in camera_words.CAMERA_AGENTS or w.endswith("ly")
               for w in _WORD.findall(piece.span.text))


def _camera(text: str, pieces: list[_Piece], negated_out: list[str],
            words: list[str]) -> list[_Found]:
    """The camera's moves in order, each with its pace; fills `negated_out`."""
    found: list[_Found] = []
    for match in _MOVE_RE.finditer(text):
        phrase = match.group(0)
        move = _MOVE_OF[phrase]
        start, end = match.start(), match.end()
        if _compound(text, start, end, phrase):
            continue
        index = _piece_at(pieces, start)
        if not _technical(phrase):
            agent = _agent(text, pieces, index, start)
            if agent == "subject":
                continue
        if move in ("pull_out", "truck_?") and word_before(text, start) == "to" and found:
            continue  # "pan right to reveal the bedroom": the pan's purpose, not a move
        if phrase in _NO_CAMERA:
            if not re.match(r"\s*(?:at first|for the first|for a moment|until|before)",
                            text[end:]):
                negated_out.append("camera_move")
        elif negated(text, start):
            negated_out.extend(_ruled_out(move, phrase))
            continue
        if move == "static" and phrase in camera_words.HOLD_WORDS:
            rest = _WORD.findall(text[end:pieces[index].end])
            if any(w not in _NEUTRAL and w not in ("last", "there", "frame", "on") for w in rest):
                continue  # "stop" in "stop motion animation", "holds" a cup
        found.append(_Found(start, end, move, phrase, index))
    return found


def _bind_sides(text: str, pieces: list[_Piece], found: list[_Found],
                side: int) -> list[_Found]:
    """Give each open move ("pan_?") the side its words say: after it in its clause up to
    the next move, else in the clauses after it that name no move (the orbit's
    ", counterclockwise"); else the seed's."""
    found = _merged(pieces, found)
    for number, item in enumerate(found):
        if item.move == "back" or not item.move.endswith("_?"):
            continue
        limit = found[number + 1].position if number + 1 < len(found) else len(text)
        piece = pieces[item.piece]
        end = piece.end if number + 1 >= len(found) or found[number + 1].piece != item.piece \
            else limit
        said = _SIDE_RE.search(text, item.position + len(item.phrase), end)
        if said is None:
            for later in range(item.piece + 1, len(pieces)):
                if pieces[later].sentence != piece.sentence or pieces[later].span.start >= limit:
                    break
                said = _SIDE_RE.search(text, pieces[later].span.start, pieces[later].end)
                if said is not None:
                    break
        if said is None:
            said = _SIDE_RE.search(text, piece.span.start, item.position)
        family = item.move[:-2]
        if said is not None:
            item.move = f"{family}_{_SIDE_OF[said.group(0)]}"
            item.phrase = f"{item.phrase} {said.group(0)}"
        elif family in ("tilt", "pedestal"):
            item.move = f"{family}_{'up' if side > 0 else 'down'}"
        else:
            item.move = f"{family}_{'left' if side < 0 else 'right'}"
    return found


def _merged(pieces: list[_Piece], found: list[_Found]) -> list[_Found]:
    """One move said twice in a row in one sentence is one move ("tracking shot moving
    right", "orbit ... circling to the left"): the side said wins over the side left open."""
    merged: list[_Found] = []
    for item in found:
        if merged:
            last = merged[-1]
            same_family = last.move.rpartition("_")[0] == item.move.rpartition("_")[0]
            if (same_family and last.move != "back" and "_" in last.move
                    and pieces[last.piece].sentence == pieces[item.piece].sentence
                    and (last.move.endswith("_?") or item.move.endswith("_?"))):
                if last.move.endswith("_?"):
                    last.move, last.phrase = item.move, f"{last.phrase} {item.phrase}"
                continue
        merged.append(item)
    return merged


def _paced(text: str, pieces: list[_Piece], found: list[_Found]) -> None:
    """Each move's pace: from its own piece, or from a piece after it that is only about
    the camera ("crane down into the courtyard, nice and gradual")."""
    moved = {item.piece for item in found}
    overall = _slow_motion(text)
    for number, item in enumerate(found):
        piece = pieces[item.piece]
        item.pace, item.pace_words = _pace_in(text, piece.span.start, piece.end)
        if item.pace == 1.0 and overall and item.move != "static":
            item.pace, item.pace_words = SLOW_PACE, (overall,)
        if item.pace != 1.0:
            continue
        following = found[number + 1].piece if number + 1 < len(found) else len(pieces)
        for later in range(item.piece + 1, following):
            if later in moved or not _about_camera(text, pieces[later]):
                continue
            item.pace, item.pace_words = _pace_in(text, pieces[later].span.start,
                                                  pieces[later].end)
            if item.pace != 1.0:
                break


def _slow_motion(text: str) -> str | None:
    """"slow motion" if the prompt plays the whole clip slowly: every move is slow."""
    said = _SLOW_MOTION_RE.search(text)
    return said.group(0) if said and not negated(text, said.start()) else None


def _beats(found: list[_Found], duration: int, words: list[str]) -> list[Beat]:
    beats: list[Beat] = []
    for item in found:
        move = item.move
        if move == "back":
            if not beats:
                continue
            previous = beats[-1].move
            family, _, way = previous.rpartition("_")
            move = f"{family}_{_REVERSE[way]}" if way in _REVERSE else previous
        if beats and beats[-1].move == move:  # said twice in a row: one beat
            if item.pace != 1.0 and beats[-1].pace == 1.0:
                beats[-1] = Beat(beats[-1].move, item.pace, beats[-1].words + item.pace_words)
            continue
        beats.append(Beat(move, item.pace, (item.phrase, *item.pace_words)))
        words.extend((item.phrase, *item.pace_words))
    return beats[: MAX_BEATS.get(duration, 2)]


def _actions(text: str, pieces: list[_Piece], found: list[_Found],
             hits: list[tuple[str, re.Match[str]]], ruled_out: list[str],
             words: list[str]) -> list[str]:
    """What subjects are asked to do. Where two labels read the same words, the one that
    reads more of them wins ("drives away" over "drives", "looks up at the camera" is
    "looks at camera")."""
    taken = [(item.position, item.end) for item in found]
    said: list[tuple[int, int, str]] = []
    for label, match in hits:
        start = match.start()
        if any(a <= start < b for a, b in taken) or _a_noun(text, start):
            continue
        index = _piece_at(pieces, start)
        if _agent(text, pieces, index, start) == "camera":
            continue
        if _stuff_acts(text, pieces, index, start, match.end()):
            continue
        if negated(text, start):
            if label not in ruled_out and label != "moves":
                ruled_out.append(label)
            continue
        said.append((start, match.end(), label))
    actions: list[str] = []
    for start, end, label in said:
        if any(s <= start and end <= e and e - s > end - start for s, e, _ in said):
            continue  # a longer reading of the same words
        if label not in actions:
            actions.append(label)
            words.append(text[start:end].strip())
    return sorted(actions)


def _a_noun(text: str, start: int) -> bool:
    """Whether a verb's word is used as a noun ("during the jump", "a walk")."""
    return word_before(text, start) in _DETERMINERS


def _doer(text: str, start: int, position: int) -> str | None:
    """The word that does the verb at `position`: the nearest content word before it,
    past any prepositional phrase ("a woman in a red coat walks": woman; "smoke from the
    chimneys rises": smoke)."""
    words = _WORD.findall(text[start:position])
    candidate = None
    for word in reversed(words):
        if word in _PREPOSITIONS:
            candidate = None  # what came after the preposition was its object
            continue
        if word in _NEUTRAL or word.endswith("ly"):
            continue
        if candidate is None:  # the nearest; words before it only qualify it
            candidate = word
    return candidate


def _stuff_acts(text: str, pieces: list[_Piece], index: int, start: int, end: int) -> bool:
    """Whether the verb's doer is weather, light or matter ("sparks flying", "smoke
    rises", "falling snow", "leaves fall and land"): local motion, not an action."""
    if word_after(text, end) in action_words.STUFF or _BREATHING.match(text, start) or (
            _BREATHING.search(text, max(0, start - 12), end)):
        return True
    piece = pieces[index]
    doer = _doer(text, piece.span.start, start)
    for earlier in range(index - 1, -1, -1):
        if doer is not None or pieces[earlier].sentence != piece.sentence:
            break
        doer = pieces[earlier].doer
    return doer in action_words.STUFF


def _tagged(text: str, vocabulary: dict[str, tuple[str, ...]],
            ruled_out: list[str]) -> tuple[list[str], list[str]]:
    """The tags whose phrases the text says, each with the phrase that first said it: a
    phrase counts where it is neither negated nor part of a compound noun; negated, the
    tag is ruled out."""
    tag_of, regex = _VOCABULARIES[id(vocabulary)]
    said: dict[str, str] = {}
    for m in regex.finditer(text):
        phrase = m.group(0)
        tag = tag_of[phrase]
        if tag in said or not _as_itself(text, m.start(), m.end(), phrase):
            continue
        if negated(text, m.start()) or _OUT.match(text, m.end()):
            if tag not in ruled_out:
                ruled_out.append(tag)
            continue
        said[tag] = phrase
    found = [tag for tag in vocabulary if tag in said]
    words = [said[tag] for tag in found]
    if "golden" in found and "light" in found:  # a sunset's glow is the sunset's
        at = found.index("light")
        if words[at] in ("glow", "glowing"):
            del found[at], words[at]
    return found, words


def _as_itself(text: str, start: int, end: int, phrase: str) -> bool:
    """Whether a phrase names the thing itself, not a compound noun that only borrows its
    word ("fire truck", "steam iron", "smoky eyes", "breathing fire" of a dragon)."""
    after = word_after(text, end)
    before = word_before(text, start)
    words = phrase.split()
    return not (after in scene_words.COMPOUND_AFTER.get(words[-1], ())
                or before in scene_words.COMPOUND_BEFORE.get(words[0], ()))


def _moving(text: str, ruled_out: list[str]) -> list[tuple[str, str]]:
    """(motion, "noun verb") for each noun that a verb of motion follows closely in its
    clause ("trees swaying", "her scarf and hair flutter"); with the verb negated ("her
    hair doesn't move"), ruled out (unless the verb is the wind's: "no wind in the trees"
    rules out the wind)."""
    found = []
    spans = [piece for clause in clauses(text) for piece in _MOVING_SPLIT.split(clause.text)]
    for motion, (_, verbs) in scene_words.MOVING.items():
        verb_re = _MOVING_VERBS[motion]
        for span in spans:
            said: list[tuple[str, bool]] = []
            for m in _MOVING_NOUNS[motion].finditer(span):
                if negated(span, m.start()):
                    if word_before(span, m.start()) == "no" and motion not in ruled_out:
                        ruled_out.append(motion)  # "clear blue sky, no clouds"
                    continue
                window = span[m.end():m.end() + MOVING_REACH]
                said += [(v.group(0), negated(span, m.end() + v.start()))
                         for v in verb_re.finditer(window)]
                start = max(0, m.start() - MOVING_REACH // 2)
                said += [(v.group(0), negated(span, start + v.start()))
                         for v in _MOVED_BY.finditer(span[start:m.start()])
                         if v.group(0) in verbs]
            if any(not no for _, no in said):
                found.append((motion, next(v for v, no in said if not no)))
                break
            if (any(v not in ("wind", "breeze") for v, _ in said)
                    and motion not in ruled_out):
                ruled_out.append(motion)
    return found


def _motion_sides(text: str, motions: list[str]) -> list[tuple[str, int]]:
    """The way each local motion goes where its own clause says: "clouds drifting to the
    left", "the river flows right". Unsaid: not listed (the seed decides)."""
    sides = []
    for motion in motions:
        said_by = scene_words.MOTION_PHRASES[motion] + (
            scene_words.MOVING[motion][0] if motion in scene_words.MOVING else ())
        for clause in clauses(text):
            if any(pattern(phrase).search(clause.text) for phrase in said_by):
                said = _SIDE_RE.search(clause.text)
                if said and "clockwise" not in said.group(0):
                    sides.append((motion, -1 if _SIDE_OF[said.group(0)] == "left" else 1))
                break
    return sides


def _effect_levels(text: str, effects: list[str]) -> list[tuple[str, float]]:
    """How heavy each weather effect was asked to be, where its clause says: "heavy rain"
    2, "light snow" or "drizzle" 0.5; unsaid: not listed."""
    levels = []
    for effect in effects:
        if effect not in ("rain", "snow", "fog"):
            continue
        for clause in clauses(text):
            if any(pattern(p).search(clause.text) for p in scene_words.EFFECT_PHRASES[effect]):
                if any(pattern(w).search(clause.text) for w in scene_words.HEAVY):
                    levels.append((effect, 2.0))
                elif any(pattern(w).search(clause.text) for w in scene_words.LIGHT):
                    levels.append((effect, 0.5))
                break
    return levels


_MOOD_RES = [(weight, mood, alternation(vocabulary))
             for weight, table in ((MOOD_WORD_WEIGHT, mood_words.MOOD_WORDS),
                                   (SCENE_WORD_WEIGHT, mood_words.SCENE_WORDS))
             for mood, vocabulary in table.items()]


def _moods(text: str) -> tuple[str | None, dict[str, float], list[str]]:
    """The mood asked for by name (None if none), every mood's weight from the words
    (names and scene words, not negated: "not sad" counts for nothing), and the words."""
    scores = dict.fromkeys(MOODS, 0.0)
    asked = dict.fromkeys(MOODS, 0.0)
    said: list[str] = []
    for weight, mood, regex in _MOOD_RES:
        for match in regex.finditer(text):
            if negated(text, match.start()):
                continue
            scores[mood] += weight
            said.append(f"{match.group(0)}->{mood}")
            if weight == MOOD_WORD_WEIGHT:
                asked[mood] += weight
    best = max(asked.values())
    named = next(m for m in MOODS if asked[m] == best) if best > 0 else None
    return named, scores, said


def _others(text: str, ruled_out: list[str]) -> None:
    """People and text ruled out ("no people", "no text or watermark")."""
    for tag, vocabulary in (("people", action_words.PEOPLE_WORDS),
                            ("text", action_words.TEXT_WORDS)):
        if any(negated(text, m.start()) for phrase in vocabulary
               for m in pattern(phrase).finditer(text)):
            ruled_out.append(tag)


def read_prompt(prompt: str, duration: int = 4, side: int = 1) -> Reading:
    """The shot the prompt asks for. `side` (+1 or -1, from the seed) settles moves the
    prompt leaves without a direction ("orbit", "pan")."""
    text = normalise(prompt)
    pieces = _pieces(text)
    verbs = [(m.start(), _technical(m.group(0))
              and not _compound(text, m.start(), m.end(), m.group(0)))
             for m in _MOVE_RE.finditer(text)]
    hits = [(label, m) for label, regex in _ACTION_RES.items() for m in regex.finditer(text)]
    verbs += [(m.start(), False) for _, m in hits if not _a_noun(text, m.start())]
    _assign_agents(text, pieces, verbs)
    ruled_out: list[str] = []
    words: list[str] = []
    found = _bind_sides(text, pieces, _camera(text, pieces, ruled_out, words), side)
    _paced(text, pieces, found)
    beats = _beats(found, duration, words)
    if not beats:  # no move named: a pace said about the shot applies to the one chosen
        pace, pace_words = 1.0, tuple[str, ...]()
        for piece in pieces:
            if _about_camera(text, piece):
                pace, pace_words = _pace_in(text, piece.span.start, piece.end)
                if pace != 1.0:
                    break
        if pace == 1.0 and _slow_motion(text):
            pace, pace_words = SLOW_PACE, (_slow_motion(text) or "",)
        if pace != 1.0:
            beats = [Beat("auto", pace, pace_words)]
            words.extend(pace_words)
    effects, effect_words = _tagged(text, scene_words.EFFECT_PHRASES, ruled_out)
    motions, motion_words = _tagged(text, scene_words.MOTION_PHRASES, ruled_out)
    for motion, noun_and_verb in _moving(text, ruled_out):
        if motion not in motions:
            motions.append(motion)
            motion_words.append(noun_and_verb)
    motions = [m for m in MOTIONS if m in motions]  # one order, whatever said them
    actions = _actions(text, pieces, found, hits, ruled_out, words)
    _others(text, ruled_out)
    mood, scores, said_moods = _moods(text)
    return Reading(
        beats=tuple(beats), effects=tuple(effects), motions=tuple(motions),
        words=tuple(words + effect_words + motion_words),
        motion_sides=tuple(_motion_sides(text, motions)),
        effect_levels=tuple(_effect_levels(text, effects)), actions=tuple(actions),
        negated=tuple(sorted(set(ruled_out))), mood=mood,
        mood_scores=tuple(scores.items()), mood_words=tuple(said_moods))
