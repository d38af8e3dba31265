"""The prompt as text the vocabularies can be matched against: normalised, typos mended,
cut into clauses, with negation and compound nouns recognised.

Why by hand: the reader must be weight-free, deterministic and fast (well under 5 ms a
prompt), and what it needs from English is small: whole-word phrases, the clause a word
sits in, who that clause is about, and whether a "no" or "don't" rules the word out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Typos and shorthand people type into prompt boxes, mended before anything is matched
# (only words no correctly spelt English word collides with).
TYPOS: dict[str, str] = {
    "pann": "pan", "panns": "pans", "upp": "up", "dwn": "down", "bakc": "back",
    "zom": "zoom", "zoon": "zoom", "rite": "right", "rigth": "right", "rigt": "right",
    "righ": "right", "lef": "left", "letf": "left", "crain": "crane", "movment": "movement",
    "movemnt": "movement", "orbitting": "orbiting", "orbting": "orbiting",
    "stil": "still", "arround": "around", "aroud": "around", "clockwize": "clockwise",
    "slowy": "slowly", "slowley": "slowly", "sloly": "slowly", "qiuckly": "quickly",
    "quikly": "quickly", "fastt": "fast", "cam": "camera", "pls": "please", "plz": "please",
    "dont": "don't", "doesnt": "doesn't", "cant": "can't", "wont": "won't",
    "shouldnt": "shouldn't", "isnt": "isn't", "tilit": "tilt", "titl": "tilt",
    "dolley": "dolly", "doly": "dolly", "zooming-in": "zooming in", "crashin": "crashing",
    "blowin": "blowing", "walkin": "walking", "flyin": "flying", "movin": "moving",
    "runnin": "running", "fallin": "falling", "camra": "camera", "thru": "through",
    "waterfal": "waterfall",
}
# Joined forms read as their parts.
_JOINED = (("counter clockwise", "counterclockwise"), ("anti clockwise", "anticlockwise"),
           ("do not", "don't"), ("does not", "doesn't"), ("should not", "shouldn't"),
           ("will not", "won't"), ("is not", "isn't"), ("are not", "aren't"),
           ("cannot", "can't"))
_REPEAT = re.compile(r"([a-z])\1{2,}")  # "zooom", "slowwww": a letter held down

# Words that rule out what follows them in their clause ("no rain", "don't pan", "the
# camera never tilts", "without any camera motion", "should not turn her head").
NEGATORS = ("no", "not", "never", "without", "don't", "doesn't", "shouldn't", "won't",
            "isn't", "aren't", "can't", "zero", "nor", "avoid", "nothing")
_NEGATOR = "|".join(re.escape(n) for n in NEGATORS)
# A negator reaches over at most two words ("do not add rain", "no camera shake") and on
# through a list ("no sparkles or glitter", "no embers or sparks"), never past "but",
# "just", "only" or "instead", which turn the sentence back.
_NEGATED = re.compile(
    rf"(?<![a-z'])(?:{_NEGATOR})\s+(?:(?!but\b|just\b|only\b|instead\b|and\b)[a-z'-]+\s+){{0,2}}"
    rf"(?:(?:or|nor|and)\s+(?:[a-z'-]+\s+){{0,1}})?$")

# Where one piece of a prompt ends and the next begins: punctuation and the words that
# sequence a shot ("then", "followed by", "and end with").
_THEN = re.compile(r"\b(?:and then|then|followed by|after that|afterwards|next|finally|"
                   r"and end with|and ends with|ending with|and finish with|"
                   r"and finishes with|finishing with|before)\b|[,.;:!?]")
# Inside a clause, where another actor may take over ("the camera retreats as the zombie
# walks", "tilt down to the square where pigeons take off").
_SUBCLAUSE = re.compile(r"\b(?:as|while|where|when|who|which|whilst|until|and|but|"
                        r"so that|because)\b")


def normalise(text: str) -> str:
    """Lower case, one space between words, typographic apostrophes straightened, typos
    mended, padded with a space each side so every phrase has word boundaries."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[\"“”()\[\]{}*_#]", " ", text)
    text = " ".join(text.split())
    text = _REPEAT.sub(r"\1\1", text)
    words = [TYPOS.get(word, word) for word in re.split(r"(\W)", text)]
    text = "".join(words)
    text = " ".join(_mend_doubles(text).split())
    for joined, single in _JOINED:
        text = re.sub(rf"\b{joined}\b", single, text)
    return " " + text + " "


def _mend_doubles(text: str) -> str:
    """A letter typed twice where the word has one ("zoom" stays, "slowww" became
    "sloww", which is mended here to "slow")."""
    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        single = re.sub(r"([a-z])\1", r"\1", word)
        return single if single in _DOUBLED_TYPOS else word
    return re.sub(r"[a-z]+", one, text)


_DOUBLED_TYPOS = frozenset(("slow", "fast", "pan", "tilt", "left", "right", "up", "down",
                            "in", "out", "orbit", "crane", "snow", "rain", "wind", "fog"))


@functools.lru_cache(maxsize=4096)
def pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as whole words: a hyphen joins words, so "rain" is not in "rain-soaked"."""
    return re.compile(r"(?<![a-z0-9'-])" + re.escape(phrase) + r"(?![a-z0-9-])")


def alternation(phrases: Iterable[str]) -> re.Pattern[str]:
    """All phrases as one pattern, longest first so "zoom out" wins over "zoom"."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9'-])(?:" + "|".join(re.escape(p) for p in ordered)
                      + r")(?![a-z0-9-])")


def negated(text: str, position: int) -> bool:
    """Whether a negator in the same clause rules out the phrase starting at `position`."""
    start = max(0, position - 48)
    return _NEGATED.search(text[start:position]) is not None


def word_after(text: str, end: int) -> str:
    match = re.match(r"\s*([a-z']+)", text[end:])
    return match.group(1) if match else ""


def word_before(text: str, start: int) -> str:
    match = re.search(r"([a-z']+)\s*$", text[:start])
    return match.group(1) if match else ""


@dataclass(frozen=True)
class Span:
    """A piece of the prompt: its text (space-padded) and where it begins in the whole."""

    text: str
    start: int


def clauses(text: str) -> list[Span]:
    """The prompt's clauses, split at punctuation and at the words that sequence a shot."""
    spans = []
    last = 0
    for match in _THEN.finditer(text):
        spans.append(Span(" " + text[last:match.start()].strip() + " ", last))
        last = match.end()
    spans.append(Span(" " + text[last:].strip() + " ", last))
    return [span for span in spans if span.text.strip()]


def subclauses(clause: Span) -> Iterator[Span]:
    """A clause cut where another actor may take over ("as", "while", "where", "and")."""
    last = 0
    text = clause.text
    for match in _SUBCLAUSE.finditer(text):
        yield Span(" " + text[last:match.start()].strip() + " ", clause.start + last)
        last = match.start()
    yield Span(" " + text[last:].strip() + " ", clause.start + last)
