"""Step 1, the director: read the prompt into a shot: camera beats, pace, effects, motion.

Phrases are matched on word boundaries, longest first, so "zoom out" is never read as
"zoom" and "sunrise" never as "rise". A prompt is split into clauses at "then" (and its
kin); each clause that names a move becomes one beat, so "pan left, then push in" is two
beats. Negations win: "static camera" stops the camera, "no rain" removes rain. Words that
decided anything are kept, so users can see how their prompt was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MOVES = (
    "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "truck_left",
    "truck_right", "pedestal_up", "pedestal_down", "orbit_left", "orbit_right", "dolly_zoom",
    "handheld", "static",
)
EFFECTS = ("rain", "snow", "fog", "light", "golden", "sparkles", "embers", "bokeh", "steam",
           "smoke")
MOTIONS = ("wind", "hair", "leaves", "water", "fire", "clouds", "breathing")
MAX_BEATS = {4: 2, 8: 3}

_STATIC = (
    "no camera movement", "no camera motion", "no camera move", "camera does not move",
    "camera doesn't move", "camera stays still", "static camera", "static shot", "still camera",
    "locked off", "locked-off", "fixed camera", "fixed shot", "tripod shot", "static",
)
# Moves whose direction the phrase leaves open end in "?": the seed picks the side.
_MOVES: dict[str, tuple[str, ...]] = {
    "dolly_zoom": ("dolly zoom", "vertigo effect", "vertigo shot", "zolly", "contra zoom"),
    "pull_out": ("zoom out", "zooms out", "zooming out", "pull out", "pulls out", "pulling out",
                 "pull back", "pulls back", "pulling back", "dolly out", "dolly back",
                 "move away", "moves away", "moving away", "widen", "widens", "reveal",
                 "reveals", "revealing"),
    "push_in": ("zoom in", "zooms in", "zooming in", "push in", "pushes in", "pushing in",
                "dolly in", "dolly forward", "move closer", "moves closer", "moving closer",
                "move in", "moves in", "close up", "close-up", "closer", "approach",
                "approaches", "push", "zoom", "dolly"),
    "pan_left": ("pan left", "pans left", "panning left", "pan to the left", "pans to the left",
                 "camera turns left", "swivel left"),
    "pan_right": ("pan right", "pans right", "panning right", "pan to the right",
                  "pans to the right", "camera turns right", "swivel right"),
    "pan_?": ("pan", "pans", "panning", "panorama", "sweep", "sweeps", "sweeping"),
    "tilt_up": ("tilt up", "tilts up", "tilting up", "camera looks up", "look up", "pan up",
                "tilt upward", "tilt upwards"),
    "tilt_down": ("tilt down", "tilts down", "tilting down", "camera looks down", "look down",
                  "pan down", "tilt downward", "tilt downwards"),
    "truck_left": ("truck left", "trucks left", "track left", "tracks left", "tracking left",
                   "slide left", "slides left", "camera moves left", "move left", "moves left",
                   "strafe left", "crab left"),
    "truck_right": ("truck right", "trucks right", "track right", "tracks right",
                    "tracking right", "slide right", "slides right", "camera moves right",
                    "move right", "moves right", "strafe right", "crab right"),
    "truck_?": ("truck", "trucking", "tracking shot", "lateral move", "sideways", "slide"),
    "pedestal_up": ("pedestal up", "crane up", "cranes up", "boom up", "booms up", "jib up",
                    "camera rises", "rise up", "rises", "rising", "ascend", "ascends",
                    "elevate", "move up", "moves up"),
    "pedestal_down": ("pedestal down", "crane down", "cranes down", "boom down", "booms down",
                      "jib down", "camera lowers", "descend", "descends", "descending",
                      "move down", "moves down", "lower"),
    "orbit_left": ("orbit left", "orbits left", "arc left", "arcs left", "circle left"),
    "orbit_right": ("orbit right", "orbits right", "arc right", "arcs right", "circle right"),
    "orbit_?": ("orbit", "orbits", "orbiting", "arc shot", "arcs around", "circle around",
                "circles around", "circles", "circling", "revolve", "revolves",
                "around the subject", "360"),
    "handheld": ("handheld", "hand-held", "hand held", "shaky cam", "shaky camera",
                 "documentary style", "found footage", "camera shake", "shaky"),
}
_SLOW = ("very slowly", "slowly", "slow", "gently", "gentle", "subtle", "subtly", "calm",
         "softly", "soft", "leisurely", "gradually", "smoothly", "smooth")
_FAST = ("very fast", "fast", "quickly", "quick", "rapid", "rapidly", "dramatic",
         "dramatically", "dynamic", "energetic", "swift", "swiftly", "sudden", "suddenly",
         "whip", "rush", "rushes")
_EFFECTS: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "raining", "rainy", "rainfall", "drizzle", "downpour", "raindrops",
             "storm", "stormy"),
    "snow": ("snow", "snowing", "snowy", "snowfall", "snowflakes", "snowflake", "blizzard"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy", "smoky"),
    "light": ("sunlight", "sun rays", "sunrays", "light rays", "god rays", "sunbeams",
              "sunbeam", "rays of light", "volumetric light", "glow", "glowing"),
    "golden": ("golden hour", "golden light", "sunset", "sunrise", "magic hour",
               "evening sun", "evening light", "warm light", "warm sunlight", "dusk"),
    "sparkles": ("sparkle", "sparkles", "sparkling", "glitter", "glittering", "twinkle",
                 "twinkling", "magic", "magical", "fairy dust", "stars twinkle"),
    "embers": ("embers", "ember", "sparks", "fire", "flames", "burning", "bonfire", "ash"),
    "bokeh": ("bokeh", "fairy lights", "defocused lights", "city lights", "string lights"),
    "steam": ("steam", "steaming", "steamy", "vapor", "vapour", "hot coffee", "hot tea"),
    "smoke": ("smoke", "smoking", "plume of smoke", "smoke rises", "rising smoke"),
}
# How much of a weather effect, from the words in front of it ("heavy rain", "a light
# drizzle", "blizzard"): 0.5 light, 1 as usual, 2 heavy.
_HEAVY = ("heavy", "pouring", "downpour", "torrential", "storm", "stormy", "blizzard",
          "thick", "dense", "intense")
_LIGHT = ("light", "gentle", "soft", "drizzle", "slight", "faint", "thin", "a little")
_MOTIONS: dict[str, tuple[str, ...]] = {
    "wind": ("wind", "windy", "breeze", "breezy", "gust", "gusts", "blowing"),
    "hair": ("hair", "mane", "fur"),
    "leaves": ("leaves", "foliage", "trees", "tree", "grass", "branches", "plants", "flowers",
               "sway", "sways", "swaying"),
    "water": ("water", "waves", "wave", "ocean", "sea", "river", "lake", "ripples", "ripple",
              "stream", "waterfall", "shimmer", "shimmering", "pond"),
    "fire": ("fire", "flames", "flame", "burning", "bonfire", "campfire", "fireplace",
             "flickering"),
    "clouds": ("clouds", "cloud", "cloudy", "sky", "drifting clouds"),
    "breathing": ("breathing", "breathes", "breathe", "breath", "alive", "lifelike",
                  "living portrait", "blinks", "blinking"),
}
# Words that give a move left open its side, anywhere in the move's clause ("tracking shot
# to the right", "orbit around her to the left"). Clockwise is as seen from above, the
# way an orbit is drawn on a plan: a camera in front of its subject circling clockwise
# goes toward the camera's own left (6 o'clock -> 9 o'clock), so it is orbit left.
_SIDES: dict[str, tuple[str, ...]] = {
    "left": ("to the left", "to the camera's left", "leftward", "leftwards", "left",
             "clockwise"),
    "right": ("to the right", "to the camera's right", "rightward", "rightwards", "right",
              "counterclockwise", "counter-clockwise", "anticlockwise", "anti-clockwise"),
}
_THEN = re.compile(r"\b(?:and then|then|followed by|after that|afterwards|next|finally)\b|;")


@dataclass(frozen=True)
class Beat:
    """One camera move of the shot, with the pace its clause asked for."""

    move: str
    pace: float = 1.0
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Direction:
    """How the prompt was read."""

    beats: tuple[Beat, ...]
    effects: tuple[str, ...] = ()
    motions: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default=())
    motion_sides: tuple[tuple[str, int], ...] = ()  # (motion, -1 left / +1 right) as said
    effect_levels: tuple[tuple[str, float], ...] = ()  # (rain, snow or fog, 0.5 or 2) as said

    @property
    def move(self) -> str:
        """The leading move (the only one in a single-beat shot)."""
        return self.beats[0].move if self.beats else "auto"


def _normalise(text: str) -> str:
    return " " + " ".join(text.lower().replace("’", "'").split()) + " "


def _find(text: str, phrase: str) -> int:
    m = re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text)
    return m.start() if m else -1


def _negated(text: str, position: int) -> bool:
    """'no rain', 'without fog', 'not snowing': a negation just before the phrase."""
    before = text[max(0, position - 12):position]
    return re.search(r"\b(no|without|not|never|zero)\s+(any\s+)?$", before) is not None


def _pace(clause: str) -> tuple[float, tuple[str, ...]]:
    slow = next((w for w in _SLOW if _find(clause, w) >= 0), None)
    fast = next((w for w in _FAST if _find(clause, w) >= 0), None)
    if slow and not fast:
        return (0.5 if slow.startswith("very") else 0.7), (slow,)
    if fast and not slow:
        return (1.6 if fast.startswith("very") else 1.35), (fast,)
    return 1.0, ()


def _first_move(clause: str) -> tuple[str, str] | None:
    """The earliest move phrase in a clause (longest phrase at equal position)."""
    best: tuple[int, int, str, str] | None = None
    for move, phrases in _MOVES.items():
        for phrase in phrases:
            position = _find(clause, phrase)
            if position >= 0 and not _negated(clause, position):
                key = (position, -len(phrase), move, phrase)
                if best is None or key < best:
                    best = key
    return (best[2], best[3]) if best else None


def _side(clause: str) -> tuple[str, str] | None:
    """The side a clause names for its move ("left" or "right") and the words, or None.
    The earliest word wins; at one place the longest ("counterclockwise" over "clockwise",
    which never match inside each other: matches are whole words)."""
    best: tuple[int, int, str, str] | None = None
    for side, phrases in _SIDES.items():
        for phrase in phrases:
            position = _find(clause, phrase)
            if position >= 0:
                key = (position, -len(phrase), side, phrase)
                if best is None or key < best:
                    best = key
    return (best[2], best[3]) if best else None


def _tagged(text: str, vocabulary: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str]]:
    found: list[str] = []
    words: list[str] = []
    for tag, phrases in vocabulary.items():
        for phrase in phrases:
            position = _find(text, phrase)
            if position >= 0:
                if not _negated(text, position):
                    found.append(tag)
                    words.append(phrase)
                break
    return found, words


def _motion_sides(text: str, motions: list[str]) -> list[tuple[str, int]]:
    """The way each local motion goes where its own clause says (split at commas and
    "then"): "clouds drifting to the left", "the river flows right". Unsaid: not listed
    (the seed decides)."""
    sides = []
    clauses = [" " + c + " " for part in _THEN.split(text) for c in part.split(",")]
    for motion in motions:
        for clause in clauses:
            if any(_find(clause, phrase) >= 0 for phrase in _MOTIONS[motion]):
                said = _side(clause)
                if said and "clockwise" not in said[1]:
                    sides.append((motion, -1 if said[0] == "left" else 1))
                break
    return sides


def _effect_levels(text: str, effects: list[str]) -> list[tuple[str, float]]:
    """How heavy each weather effect was asked to be, where its clause says (split at
    commas and "then"): "heavy rain" 2, "light snow" or "drizzle" 0.5; unsaid: not listed."""
    levels = []
    clauses = [" " + c + " " for part in _THEN.split(text) for c in part.split(",")]
    for effect in effects:
        if effect not in ("rain", "snow", "fog"):
            continue
        for clause in clauses:
            if any(_find(clause, phrase) >= 0 for phrase in _EFFECTS[effect]):
                if any(_find(clause, word) >= 0 for word in _HEAVY):
                    levels.append((effect, 2.0))
                elif any(_find(clause, word) >= 0 for word in _LIGHT):
                    levels.append((effect, 0.5))
                break
    return levels


def read_prompt(prompt: str, duration: int = 4, side: int = 1) -> Direction:
    """The shot the prompt asks for. `side` (+1 or -1, from the seed) settles moves the
    prompt leaves without a direction ("orbit", "pan")."""
    text = _normalise(prompt)
    effects, effect_words = _tagged(text, _EFFECTS)
    motions, motion_words = _tagged(text, _MOTIONS)
    static = next((p for p in _STATIC if _find(text, p) >= 0), None)
    words: list[str] = []
    beats: list[Beat] = []
    if static:
        pace, pace_words = _pace(text)
        beats.append(Beat("static", pace, (static,)))
        words.append(static)
    else:
        for clause in _THEN.split(text):
            found = _first_move(" " + clause + " ")
            if not found:
                continue
            move, phrase = found
            if move.endswith("_?"):
                said = _side(" " + clause + " ")
                move = f"{move[:-2]}_{said[0] if said else ('left' if side < 0 else 'right')}"
                if said:
                    phrase = f"{phrase} {said[1]}"
            pace, pace_words = _pace(" " + clause + " ")
            beats.append(Beat(move, pace, (phrase, *pace_words)))
            words.extend((phrase, *pace_words))
        beats = beats[: MAX_BEATS.get(duration, 2)]
        if not beats:  # no move named: the pace still applies to the move chosen later
            pace, pace_words = _pace(text)
            words.extend(pace_words)
            if pace != 1.0:
                beats = [Beat("auto", pace, pace_words)]
    return Direction(beats=tuple(beats), effects=tuple(effects), motions=tuple(motions),
                     words=tuple(words + effect_words + motion_words),
                     motion_sides=tuple(_motion_sides(text, motions)),
                     effect_levels=tuple(_effect_levels(text, effects)))
