"""What subjects do in prompts: the actions a person, an animal or a thing is asked to
perform, each under one plain label ("gallops", "trots" and "runs" are all "runs").

The motion engine moves a camera and the things that drift, flow and sway; it cannot make
anyone smile or walk. These actions are listed in the plan as asked for and not rendered
(a generative engine hands them to its model), and they are never read as camera moves:
"the bus moves left" is the bus, not a truck left.

Each label maps to patterns (regular-expression fragments matched as whole words); `_v`
spells a regular verb's forms so the tables stay readable.
"""

from __future__ import annotations


def _ing(base: str) -> str:
    if base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")):
        return base[:-1] + "ing"
    if (len(base) >= 3 and base[-1] in "bdgmnprt" and base[-2] in "aeiou"
            and base[-3] not in "aeiou" and base not in _NO_DOUBLE):
        return base + base[-1] + "ing"
    return base + "ing"


def _s(base: str) -> str:
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


_NO_DOUBLE = frozenset(("open", "listen", "gallop", "howl", "yawn", "happen", "enter",
                        "visit", "turn", "hover", "wander", "glisten", "blossom"))


def _v(*bases: str) -> str:
    """The forms of regular verbs ("walk" -> walk|walks|walking|walked|walkin)."""
    forms: list[str] = []
    for base in bases:
        ing = _ing(base)
        forms += [base, _s(base), ing, ing[:-1],
                  base + "d" if base.endswith("e") else base + "ed"]
    return "(?:" + "|".join(sorted(set(forms), key=len, reverse=True)) + ")"


_POSS = r"(?:her|his|its|their|the|a|one|my|your)"
_TRAVEL = _v("move", "drive", "pass", "roll", "walk", "slide", "drift", "race", "run")
_ACROSS = r"(?: off| out| past| by| across(?: the frame)?| through the frame)?"
_CAM = r"(?:the |my |your )?(?:camera|lens|viewer|us|u|me|you)"

ACTIONS: dict[str, tuple[str, ...]] = {
    "looks at camera": (
        rf"{_v('look', 'stare', 'gaze', 'glance', 'peer')}(?: straight| directly| right| up)?"
        rf" (?:at|into|in|to|toward|towards) {_CAM}",
        rf"{_v('face')} {_CAM}", rf"(?:turn|turns|turning|turned) to {_CAM}",
        rf"head (?:to|toward|towards) {_CAM}",
        rf"(?:eye contact with|meets the gaze of) {_CAM}",
        rf"(?:smile|smiles|smiling|smiled)(?= at {_CAM})"),
    "looks away": (rf"{_v('look', 'glance', 'turn')} away",),
    "looks up": (rf"{_v('look', 'glance', 'gaze')} up(?:ward|wards)?",),
    "looks down": (rf"{_v('look', 'glance', 'gaze')} down(?:ward|wards)?",),
    "looks back": (rf"{_v('look', 'glance')} back", rf"{_v('glance')} over {_POSS} shoulder"),
    "turns head": (rf"{_v('turn')} {_POSS} head",),
    "turns around": (rf"{_v('turn', 'spin')} around(?! the)",),
    "smiles": (_v("smile", "grin"),),
    "laughs": (_v("laugh", "giggle", "chuckle"), "laughter"),
    "blinks": (_v("blink"),),
    "winks": (_v("wink"),),
    "nods": (_v("nod"),),
    "cries": (r"(?:cry|cries|crying|cried|weep|weeps|weeping|sob|sobs|sobbing)",
              r"tears (?:roll|rolling|run|running|stream|streaming)"),
    "talks": (_v("talk", "speak", "chat") + "|(?:spoke|spoken)",),
    "sings": (r"(?:sing|sings|singing|sang)",),
    "shouts": (_v("shout", "yell", "scream"),),
    "howls": (_v("howl"),),
    "roars": (_v("roar"),),
    "yawns": (_v("yawn"),),
    "sniffs": (_v("sniff"),),
    "kisses": (_v("kiss"),),
    "hugs": (r"(?:hug|hugs|hugging|hugged|embrace|embraces|embracing)",),
    "claps": (_v("clap"),),
    "cheers": (_v("cheer"),),
    "listens": (_v("listen"),),
    "gestures": (_v("gesture"),),
    "waves": (rf"{_v('wave')}(?= (?:at|to|hello|goodbye|from|back|her|his))",
              rf"(?<=[a-z] ){_v('wave')}(?=\s*$)"),  # "the driver waves", not "waves"
    "opens eyes": (rf"{_v('open')} {_POSS} eyes",),
    "closes eyes": (rf"{_v('close')} {_POSS} eyes",),
    "walks": (_v("walk", "stroll", "trot", "waddle", "wander", "march", "hurry", "step",
                 "tiptoe", "stride") + r"|(?:strides|strode|takes? (?:her|his|its|their) "
              r"first steps)",),
    "runs": (r"(?:run|runs|running|runnin|ran|sprint|sprints|sprinting|gallop|gallops|"
             r"galloping|jog|jogs|jogging|dash|dashes|dashing)",),
    "jumps": (_v("jump", "leap", "hop", "bounce", "dunk") + "|leapt",),
    "dances": (_v("dance", "twirl"),),
    "spins": (r"(?:spin|spins|spinning|spun|pirouette|pirouettes|mid-spin)(?! around)",),
    "swims": (r"(?:swim|swims|swimming|swam|dives|diving)",),
    "flies": (r"(?:fly|flies|flying|flyin|flew|soar|soars|soaring|takes? off|taking off|"
              r"scatter|scatters|scattering)",),
    "lands": (_v("land"),),
    "hovers": (_v("hover"),),
    "floats": (_v("float"),),
    "drifts": (_v("drift"),),
    "rises": (r"(?:rise|rises|rising|rose|ascend|ascends|ascending|lifts off|climbs up)",),
    "falls": (r"(?:fall|falls|falling|fell|drop|drops|dropping|tumbles|tumbling)",),
    "climbs": (_v("climb"), r"pushes upward"),
    "circles": (_v("circle"),),
    "rotates": (_v("rotate", "revolve") + r"|turns slowly|turning slowly",),
    "moves": (r"(?<!nothing else )(?<!everything else )(?:moves|moving|moved|"
              r"(?:starts?|starting|begins?|beginning) to move)",),
    "moves left": (rf"{_TRAVEL}{_ACROSS} (?:to the left|left|from right to left|right to left)",),
    "moves right": (rf"{_TRAVEL}{_ACROSS} (?:to the right|right|from left to right|"
                    r"left to right)",),
    "drives": (r"(?:drive|drives|driving|drove|driven)",),
    "drives away": (r"(?:drive|drives|driving|drove|speeds) away",),
    "enters frame": (rf"{_v('enter')} (?:the )?(?:frame|shot|picture)",
                     r"(?:walks|comes) into (?:the )?(?:frame|shot)"),
    "rides bike": (r"(?:ride|rides|riding|rode) (?:a |his |her |their )?(?:bike|bikes|bicycle|"
                   r"bicycles)", _v("cycle", "pedal"),),
    "snowboards": (r"(?:snowboard|snowboards|snowboarding|carving|carves)",),
    "skates": (r"(?:skate|skates|skating|skateboarding)",),
    "surfs": (r"(?:surfing|surfs)",),
    "rows": (r"(?:rows|rowing|paddles|paddling)",),
    "cooks": (r"(?:cook|cooks|cooking|cooked|sautes|sauteing|grills|grilling)",),
    "pours": (_v("pour") + r"(?= \w+ into| wine| coffee| tea| water| milk| a | the )",),
    "drinks": (r"(?:drink|drinks|drinking|drank|sip|sips|sipping)",),
    "eats": (r"(?:eat|eats|eating|ate|bites|biting|chews|chewing)",),
    "stirs": (_v("stir"),),
    "tosses food": (rf"{_v('toss', 'flip')} (?:the |some )?(?:vegetables|food|pancakes?|"
                    r"noodles|rice|salad|pizza)",),
    "throws rice": (rf"{_v('throw')} rice",),
    "throws": (r"(?:throw|throws|throwing|threw|tosses|tossing)(?! rice)",),
    "catches": (r"(?:catch|catches|catching|caught)",),
    "kicks ball": (rf"{_v('kick')} (?:the |a )?(?:ball|football|soccer ball)",),
    "dribbles": (_v("dribble"),),
    "plays guitar": (rf"{_v('play', 'strum')} (?:the |a |his |her )?guitar",),
    "plays violin": (rf"{_v('play')} (?:the |a |his |her )?violin",),
    "plays piano": (rf"{_v('play')} (?:the |a |his |her )?piano",),
    "plays video game": (rf"{_v('play')} (?:a |the )?(?:handheld )?(?:video )?game",),
    "reaches out": (rf"{_v('reach')}(?: out)?(?= toward| towards| for| out| to)",),
    "stretches": (_v("stretch"),),
    "sits down": (r"(?:sits down|sitting down|sat down)",),
    "stands up": (r"(?:stands up|standing up|stood up|gets up|rises to (?:her|his) feet)",),
    "writes": (r"(?:writes|writing|scribbles|scribbling)",),
    "reads": (r"(?:reads|reading)(?! lamp| glasses| room| nook| corner)",),
    "turns page": (rf"{_v('turn', 'flip')} (?:the |a )?pages?",),
    "opens door": (rf"{_v('open')} (?:the |a )?door", r"door (?:opens|swings open)",
                   r"as it opens"),
    "cuts hair": (rf"{_v('cut', 'trim')} (?:a |the |her |his |\w+'s )?(?:client's )?hair",),
    "lights lantern": (rf"{_v('light')} (?:a |the )?(?:paper )?lantern",),
    "releases lantern": (rf"{_v('release', 'let')}(?: go)? (?:of )?(?:a |the )?(?:paper )?"
                         r"lantern",),
    "draws sword": (r"(?:draw|draws|drawing|drew|unsheathes|unsheathing) (?:his |her |a |the )?"
                    r"(?:sword|katana|blade)",),
    "swings": (r"(?:on a swing|swinging|swings (?:back|high|on))",),
    "breathes fire": (r"breath(?:ing|es|e)? fire",),
    "wags tail": (rf"{_v('wag')} (?:its |his |her |the )?tail",),
    "blows bubbles": (rf"{_v('blow')} bubbles",),
    "builds snowman": (rf"{_v('build', 'make')} (?:a )?snowman",),
    "hammers": (_v("hammer"),),
    "knits": (_v("knit"),),
    "changes tires": (rf"{_v('change')} (?:the )?(?:tires|tyres|wheels)",),
    "checks phone": (rf"{_v('check')} (?:her|his|their|a|the) phone",),
    "spreads wings": (rf"{_v('spread', 'open')} (?:its|her|his|their) wings",),
    "touches wheat": (r"(?:runs|running|ran) (?:his|her) hands? (?:over|through) (?:the )?"
                      r"(?:tops of the )?(?:wheat|stalks)",),
    "erupts": (_v("erupt"),),
    "fights": (r"(?:fight|fights|fighting|fought|duel|duels|dueling|punches|punching)",),
    "types": (r"(?:types|typing)",),
    "paints": (r"(?:paints|painting a|painting the)",),
    "sways": (r"(?:she|he|they) (?:sway|sways)",),
}
# Things whose motion is local motion or an effect, never an action: "sparks flying",
# "leaves fall", "smoke rises" are the engine's to draw.
STUFF = frozenset((
    "smoke", "steam", "sparks", "spray", "dust", "particles", "snow", "snowflakes", "rain",
    "raindrops", "leaves", "petals", "confetti", "embers", "ash", "fog", "mist", "clouds",
    "cloud", "water", "waves", "wave", "glitter", "light", "rays", "hair", "flag", "fire",
    "flames", "flame", "bubbles", "fireflies", "stars", "sand", "grass", "wheat", "branches",
    "trees", "tree", "curtains", "curtain", "scarf", "dress", "veil", "tutu", "coat",
    "jacket", "shadows", "reflections", "ripples", "plants", "flowers", "feathers", "net",
    "ink", "sweat", "tears", "ocean", "sea", "lake", "evening", "night", "darkness", "vapor",
    "wind", "breeze",
    "chest", "side", "chimney", "chimneys", "robe", "shirts", "shirt", "cape", "cloak",
    "waterfalls", "fountain", "ears", "tail", "wings", "haze", "spark", "drops", "droplets",
    "bokeh", "lights", "river", "stream", "waterfall", "tide", "tether", "balloon", "kites",
    "sparkles", "glow",
))
# Nobody: words that may look like a subject but act for the camera or the scene.
PEOPLE_WORDS = ("people", "person", "humans", "human", "crowd", "crowds", "pedestrians",
                "figures", "anyone", "anybody", "tourists")
TEXT_WORDS = ("text", "words", "letters", "watermark", "watermarks", "captions", "subtitles",
              "titles", "logo", "logos", "writing", "signature")
