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
    "dolly_zoom": ("dolly zoom", "vertigo effect", "vertigo shot", "zolly", "contra zoom",
                   "hitchcock zoom", "hitchcock shot", "trombone shot"),
    "pull_out": ("zoom out", "zooms out", "zooming out", "pull out", "pulls out", "pulling out",
                 "pull back", "pulls back", "pulling back", "dolly out", "dolly back",
                 "move away", "moves away", "moving away", "widen", "widens", "widening",
                 "reveal", "reveals", "revealing", "retreat", "retreats", "retreating",
                 "move back", "moves back", "moving back", "move backward", "moves backward",
                 "moving backward", "pull away", "pulls away", "zoom back"),
    "push_in": ("zoom in", "zooms in", "zooming in", "push in", "pushes in", "pushing in",
                "dolly in", "dolly forward", "move closer", "moves closer", "moving closer",
                "move in", "moves in", "close up", "close-up", "closer", "approach",
                "approaches", "move forward", "moves forward", "moving forward",
                "creep in", "creeps in", "creeping in", "fly forward", "flies forward",
                "flying forward", "push forward", "pushes forward", "push", "zoom", "dolly"),
    "pan_left": ("pan left", "pans left", "panning left", "pan to the left", "pans to the left",
                 "camera turns left", "swivel left"),
    "pan_right": ("pan right", "pans right", "panning right", "pan to the right",
                  "pans to the right", "camera turns right", "swivel right"),
    "pan_?": ("pan", "pans", "panning", "panorama", "sweep", "sweeps", "sweeping"),
    "tilt_up": ("tilt up", "tilts up", "tilting up", "camera looks up", "look up", "pan up",
                "tilt upward", "tilt upwards", "tilts upward", "tilting upward"),
    "tilt_down": ("tilt down", "tilts down", "tilting down", "camera looks down", "look down",
                  "pan down", "tilt downward", "tilt downwards", "tilts downward",
                  "tilting downward"),
    "truck_left": ("truck left", "trucks left", "track left", "tracks left", "tracking left",
                   "slide left", "slides left", "camera moves left", "move left", "moves left",
                   "strafe left", "crab left"),
    "truck_right": ("truck right", "trucks right", "track right", "tracks right",
                    "tracking right", "slide right", "slides right", "camera moves right",
                    "move right", "moves right", "strafe right", "crab right"),
    "truck_?": ("truck", "trucking", "tracking shot", "lateral move", "sideways", "slide",
                "slider shot", "slider", "glide", "glides", "gliding"),
    "pedestal_up": ("pedestal up", "crane up", "cranes up", "boom up", "booms up", "jib up",
                    "camera rises", "drone rises", "camera rising", "drone rising",
                    "ascend", "ascends", "ascending", "elevate", "move up", "moves up"),
    "pedestal_down": ("pedestal down", "crane down", "cranes down", "boom down", "booms down",
                      "jib down", "camera lowers", "descend", "descends", "descending",
                      "move down", "moves down", "lower"),
    "orbit_left": ("orbit left", "orbits left", "arc left", "arcs left", "circle left"),
    "orbit_right": ("orbit right", "orbits right", "arc right", "arcs right", "circle right"),
    "orbit_?": ("orbit", "orbits", "orbiting", "arc shot", "arcs around", "circle around",
                "circles around", "circles", "circling", "revolve", "revolves",
                "around the subject", "360", "rotate around", "rotates around",
                "rotating around", "spin around", "spins around"),
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
              "sunbeam", "rays of light", "volumetric light", "light beams", "beams of light",
              "beam of light", "light beam", "glow", "glowing"),
    "golden": ("golden hour", "golden light", "sunset", "sunrise", "magic hour",
               "evening sun", "evening light", "warm light", "warm sunlight", "dusk",
               "sun rises", "sun is rising", "rising sun", "sun sets", "sun is setting",
               "setting sun"),
    "sparkles": ("sparkle", "sparkles", "sparkling", "glitter", "glittering", "fireflies",
                 "firefly", "twinkle",
                 "twinkling", "magic", "magical", "fairy dust", "stars twinkle"),
    "embers": ("embers", "ember", "sparks", "ash"),  # fire alone is the fire motion
    "bokeh": ("bokeh", "fairy lights", "defocused lights", "city lights", "string lights"),
    "steam": ("steam", "steaming", "steamy", "vapor", "vapour", "hot coffee", "hot tea"),
    "smoke": ("smoke", "smoking", "plume of smoke", "smoke rises", "rising smoke"),
}
# How much of a weather effect, from the words in front of it ("heavy rain", "a light
# drizzle", "blizzard"): 0.5 light, 1 as usual, 2 heavy.
_HEAVY = ("heavy", "pouring", "downpour", "torrential", "storm", "stormy", "blizzard",
          "thick", "dense", "intense")
_LIGHT = ("light", "gentle", "soft", "drizzle", "slight", "faint", "thin", "a little")
# Words that, right after an effect's or a motion's word, make it something else: a
# compound noun ("fire truck", "rain boots", "steam iron", "smoky eyes") or a gesture ("she
# waves at the camera"); and words that do so right before it ("breathing fire": a
# dragon's, no campfire)
_COMPOUND_AFTER: dict[str, tuple[str, ...]] = {
    "fire": ("truck", "trucks", "engine", "hydrant", "escape", "station", "alarm", "exit",
             "extinguisher", "department", "ant", "ants", "fighter", "fighters"),
    "rain": ("boots", "coat", "coats", "jacket", "gear", "forest"),
    "snow": ("globe", "leopard", "white", "boots", "plow", "plough", "mobile", "board"),
    "snowflake": ("tattoo", "pattern", "print", "earrings", "necklace", "sweater",
                  "decoration", "decorations", "ornament"),
    "steam": ("iron", "locomotive", "train", "engine", "punk", "deck", "room"),
    "smoke": ("detector", "alarm", "alarms", "detectors"),
    "smoky": ("eye", "eyes", "quartz", "voice", "makeup"),
    "sparkling": ("water", "wine", "eyes", "juice", "lemonade"),
    "fog": ("light", "lights", "lamp", "machine"),
    "ash": ("tree", "trees", "blonde", "wood"),
    "flame": ("tree", "trees"),
    "wave": ("hello", "goodbye", "at", "to"),
    "waves": ("hello", "goodbye", "at", "to"),
}
_COMPOUND_BEFORE: dict[str, tuple[str, ...]] = {
    "fire": ("breathing", "breathes", "breathe", "open", "opens", "cease"),
}
# Words that ask for a local motion by themselves ("waves", "swaying", "breeze") ...
_MOTIONS: dict[str, tuple[str, ...]] = {
    "wind": ("wind", "windy", "breeze", "breezy", "gust", "gusts", "windswept"),
    "hair": ("hair blowing", "hair flowing", "hair moving", "hair moves", "hair blows",
             "hair flows", "blowing hair", "flowing hair", "windblown hair"),
    "leaves": ("leaves", "foliage", "sway", "sways", "swaying", "rustling", "rustle",
               "rustles"),
    "water": ("waves", "ripples", "ripple", "rippling", "waterfall", "waterfalls", "shimmer",
              "shimmering", "rapids", "splashing", "splashes", "surf", "fountain", "flowing water",
              "running water", "current", "tide"),
    "fire": ("fire", "flames", "flame", "burning", "bonfire", "campfire", "fireplace",
             "flickering"),
    "clouds": ("clouds", "cloud", "cloudy", "drifting clouds"),
    "breathing": ("breathing", "breathes", "breathe", "breath", "alive", "lifelike",
                  "living portrait"),
}
# ... and things that move only when the clause says so: a noun with a verb of motion in
# the same clause ("the lone tree in the field" stands still; "trees swaying" does not)
_MOVING: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "leaves": (("tree", "trees", "grass", "branches", "branch", "plants", "flowers", "bushes",
                "palms", "palm", "wheat", "reeds", "bamboo", "lavender", "sunflowers"),
               ("move", "moves", "moving", "blow", "blows", "blowing", "wave", "waves",
                "waving", "flutter", "flutters", "fluttering", "dance", "dances", "dancing",
                "shake", "shakes", "shaking", "bend", "bends", "bending", "ripple", "rippling",
                "wind", "breeze")),
    "water": (("water", "sea", "ocean", "lake", "river", "pond", "stream", "creek", "brook"),
              ("flow", "flows", "flowing", "moves", "moving", "crash", "crashing", "crashes",
               "lapping", "laps", "rushes", "rushing", "churning", "glistens", "glistening",
               "sparkles", "sparkling", "rolls", "rolling", "swirls", "swirling", "gurgles",
               "gurgling", "babbling")),
    "hair": (("hair", "mane", "fur", "curls", "locks"),
             ("blow", "blows", "blowing", "flow", "flows", "flowing", "move", "moves",
              "moving", "flutter", "flutters", "fluttering", "wave", "waves", "waving",
              "sway", "sways", "swaying", "whips", "whipping", "dances", "dancing",
              "ruffled", "tousled", "streaming", "lifts", "lifting", "wind", "breeze")),
    "clouds": (("sky", "clouds", "cloud"),
               ("drift", "drifts", "drifting", "roll", "rolls", "rolling", "pass", "passes",
                "passing", "race", "racing", "moving", "move", "moves", "float", "floating",
                "gather", "gathering", "swirl", "swirling", "timelapse", "time-lapse")),
}
# Words that give a move left open its side, anywhere in the move's clause ("tracking shot
# to the right", "orbit around her to the left"). Clockwise is as seen from above, the
# way an orbit is drawn on a plan: a camera in front of its subject circling clockwise
# goes toward the camera's own left (6 o'clock -> 9 o'clock), so it is orbit left.
_SIDES: dict[str, tuple[str, ...]] = {
    "left": ("to the left", "to the camera's left", "leftward", "leftwards", "left",
             "clockwise", "from right to left", "right to left"),
    "right": ("to the right", "to the camera's right", "rightward", "rightwards", "right",
              "counterclockwise", "counter-clockwise", "anticlockwise", "anti-clockwise",
              "from left to right", "left to right"),
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


def _pattern(phrase: str) -> re.Pattern[str]:
    """A phrase as whole words: a hyphen joins words, so "rain" is not in "rain-soaked"."""
    return re.compile(r"(?<![a-z0-9-])" + re.escape(phrase) + r"(?![a-z0-9-])")


def _find(text: str, phrase: str) -> int:
    m = _pattern(phrase).search(text)
    return m.start() if m else -1


def _as_itself(text: str, start: int, end: int, phrase: str) -> bool:
    """Whether a phrase found at text[start:end] names the thing itself, not a compound
    noun that only borrows its word ("fire truck", "steam iron", "smoky eyes", "breathing
    fire" of a dragon)."""
    after = re.match(r"\s*([a-z]+)", text[end:])
    before = re.search(r"([a-z]+)\s*$", text[:start])
    word = phrase.split()[-1]
    first = phrase.split()[0]
    return not ((after is not None and after.group(1) in _COMPOUND_AFTER.get(word, ()))
                or (before is not None and before.group(1) in _COMPOUND_BEFORE.get(first, ())))


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
    """The tags whose phrases the text says, each with the phrase that said it: a phrase
    counts where it is neither negated nor part of a compound noun (_as_itself)."""
    found: list[str] = []
    words: list[str] = []
    for tag, phrases in vocabulary.items():
        said = next((phrase for phrase in phrases for m in _pattern(phrase).finditer(text)
                     if not _negated(text, m.start())
                     and _as_itself(text, m.start(), m.end(), phrase)), None)
        if said is not None:
            found.append(tag)
            words.append(said)
    if "golden" in found and "light" in found:  # a sunset's glow is the sunset's
        at = found.index("light")
        if words[at] in ("glow", "glowing"):
            del found[at], words[at]
    return found, words


def _clauses(text: str) -> list[str]:
    """The text's clauses: split at "then" and its kin, and at commas, periods, semicolons."""
    return [" " + c + " " for part in _THEN.split(text) for c in re.split(r"[,.;:!?]", part)]


def _moving(text: str) -> list[tuple[str, str]]:
    """(motion, "noun ... verb") for each _MOVING noun that a verb of motion accompanies in
    its clause, neither negated."""
    found = []
    for motion, (nouns, verbs) in _MOVING.items():
        for clause in _clauses(text):
            noun = next((n for n in nouns for m in _pattern(n).finditer(clause)
                         if not _negated(clause, m.start())), None)
            verb = next((v for v in verbs for m in _pattern(v).finditer(clause)
                         if not _negated(clause, m.start())), None) if noun else None
            if noun and verb:
                found.append((motion, f"{noun} {verb}"))
                break
    return found


def _motion_sides(text: str, motions: list[str]) -> list[tuple[str, int]]:
    """The way each local motion goes where its own clause says (_clauses): "clouds
    drifting to the left", "the river flows right". Unsaid: not listed (the seed decides)."""
    sides = []
    for motion in motions:
        said_by = _MOTIONS[motion] + (_MOVING[motion][0] if motion in _MOVING else ())
        for clause in _clauses(text):
            if any(_find(clause, phrase) >= 0 for phrase in said_by):
                said = _side(clause)
                if said and "clockwise" not in said[1]:
                    sides.append((motion, -1 if said[0] == "left" else 1))
                break
    return sides


def _effect_levels(text: str, effects: list[str]) -> list[tuple[str, float]]:
    """How heavy each weather effect was asked to be, where its clause says (_clauses):
    "heavy rain" 2, "light snow" or "drizzle" 0.5; unsaid: not listed."""
    levels = []
    for effect in effects:
        if effect not in ("rain", "snow", "fog"):
            continue
        for clause in _clauses(text):
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
    for motion, noun_and_verb in _moving(text):
        if motion not in motions:
            motions.append(motion)
            motion_words.append(noun_and_verb)
    motions = [m for m in MOTIONS if m in motions]  # one order, whatever said them
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
