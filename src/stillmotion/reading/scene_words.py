"""The weather, light and local motion people ask for, and the words that only look like
them.

A weather word inside a compound noun is not the weather ("fire truck", "rain boots",
"snow-capped" is joined by its hyphen); a noun that can move ("trees", "the lake", "her
hair") asks for motion only with a verb of motion in its clause ("trees swaying"), so
"the lone tree in the field" stands still.
"""

from __future__ import annotations

EFFECTS = ("rain", "snow", "fog", "light", "golden", "sparkles", "embers", "bokeh", "steam",
           "smoke")
MOTIONS = ("wind", "hair", "leaves", "water", "fire", "clouds", "breathing", "flag")
EFFECT_PHRASES: dict[str, tuple[str, ...]] = {
    "rain": ("rain", "raining", "rainy", "rainfall", "drizzle", "downpour", "raindrops",
             "rainstorm", "thunderstorm", "stormy"),
    "snow": ("snow", "snowing", "snowfall", "snowflakes", "snowflake", "blizzard"),
    "fog": ("fog", "foggy", "mist", "misty", "haze", "hazy"),
    "light": ("sunlight", "sun rays", "sunrays", "light rays", "god rays", "sunbeams",
              "sunbeam", "rays of light", "volumetric light", "light beams", "beams of light",
              "beam of light", "light beam", "light glows", "light glowing", "light streams",
              "light streaming", "light pours", "light pouring", "light shines", "light spills",
              "shafts of light", "light shafts"),
    "golden": ("golden hour", "golden light", "sunset", "sunrise", "magic hour",
               "evening sun", "evening light", "warm light", "warm sunlight",
               "sun rises", "sun is rising", "rising sun", "sun sets", "sun is setting",
               "setting sun"),
    "sparkles": ("sparkle", "sparkles", "sparkling", "glitter", "glittering", "fireflies",
                 "firefly", "twinkle",
                 "twinkling", "magic", "magical", "fairy dust", "stars twinkle"),
    "embers": ("embers", "ember", "sparks", "ash"),  # fire alone is the fire motion
    "bokeh": ("bokeh", "fairy lights", "defocused lights", "city lights", "string lights"),
    "steam": ("steam", "steaming", "steamy", "vapor", "vapour", "hot coffee", "hot tea"),
    "smoke": ("smoke", "smoking", "smoky", "plume of smoke", "smoke rises", "rising smoke"),
}
# How much of a weather effect, from the words in front of it ("heavy rain", "a light
# drizzle", "blizzard"): 0.5 light, 1 as usual, 2 heavy.
HEAVY = ("heavy", "pouring", "downpour", "torrential", "storm", "stormy", "blizzard",
         "thick", "dense", "intense")
LIGHT = ("light", "gentle", "soft", "drizzle", "slight", "faint", "thin", "a little")
# Words that, right after an effect's or a motion's word, make it something else: a
# compound noun ("fire truck", "rain boots", "steam iron", "smoky eyes") or a gesture ("she
# waves at the camera"); and words that do so right before it ("breathing fire": a
# dragon's, no campfire)
COMPOUND_AFTER: dict[str, tuple[str, ...]] = {
    "fire": ("truck", "trucks", "engine", "hydrant", "escape", "station", "alarm", "exit",
             "extinguisher", "department", "ant", "ants", "fighter", "fighters"),
    "rain": ("boots", "coat", "coats", "jacket", "gear", "forest"),
    "raining": ("down",),
    "shimmering": ("god", "light", "rays", "sunlight", "heat", "gold", "silver", "dress"),
    "glittering": ("snow", "water", "sea", "lake", "river", "ocean", "city", "lights"),
    "breathing": ("fire",),
    "breathes": ("fire",),
    "waves": ("hello", "goodbye", "at", "to", "toward", "towards", "back", "from", "her",
              "his", "its", "their", "a", "the"),
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
}
COMPOUND_BEFORE: dict[str, tuple[str, ...]] = {
    "fire": ("open", "opens", "cease"),
    "haze": ("heat",),
    "shimmering": ("heat",),
    "snow": ("like",),
    "waves": ("in", "and", "she", "he", "who", "hand", "it", "flag", "flags", "banner",
              "banners", "scarf", "curtain", "curtains", "cape", "sail"),
    "ripples": ("grass", "wheat", "field", "fabric", "muscles", "silk"),
}
# Words that ask for a local motion by themselves ("waves", "swaying", "breeze") ...
MOTION_PHRASES: dict[str, tuple[str, ...]] = {
    "wind": ("wind", "windy", "breeze", "breezy", "gust", "gusts", "windswept"),
    "hair": ("hair blowing", "hair flowing", "hair moving", "hair moves", "hair blows",
             "hair flows", "blowing hair", "flowing hair", "windblown hair"),
    "leaves": ("leaves", "foliage", "rustling", "rustle", "rustles"),
    "water": ("waves", "ripples", "ripple", "rippling", "waterfall", "waterfalls", "shimmer",
              "shimmering", "rapids", "splashing", "splashes", "surf", "fountain", "flowing water",
              "running water", "tide", "river", "rivers", "stream", "creek", "brook",
              "waterfal"),
    "fire": ("fire", "flames", "flame", "burning", "bonfire", "campfire",
             "candlelight flickering", "candle flickering", "candles flickering"),
    "clouds": ("drifting clouds", "rolling clouds", "moving clouds", "passing clouds",
               "racing clouds", "clouds drifting", "clouds rolling", "cloud timelapse"),
    "breathing": ("breathing", "breathes", "breathe", "breath", "alive", "lifelike",
                  "living portrait", "rising and falling", "rises and falls"),
    "flag": ("flag waving", "flags waving", "waving flag", "waving flags", "flag flutters",
             "flag fluttering", "flag flapping", "billowing", "billows"),
}
# ... and things that move only when the clause says so: a noun with a verb of motion in
# the same clause ("the lone tree in the field" stands still; "trees swaying" does not)
MOVING: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "leaves": (("tree", "trees", "grass", "branches", "branch", "plants", "flowers", "bushes",
                "palms", "palm", "wheat", "reeds", "bamboo", "lavender", "sunflowers", "stalks",
                "ferns", "vines", "willow", "willows", "corn", "crops", "meadow", "sunflower",
                "field", "fields"),
               ("move", "moves", "moving", "blow", "blows", "blowing", "wave", "waves",
                "sway", "sways", "swaying", "swayed", "tremble", "trembles", "trembling",
                "rustle", "rustles", "rustling", "ripples",
                "waving", "flutter", "flutters", "fluttering", "dance", "dances", "dancing",
                "shake", "shakes", "shaking", "bend", "bends", "bending", "ripple", "rippling",
                "wind", "breeze")),
    "water": (("water", "sea", "ocean", "lake", "river", "pond", "stream", "creek", "brook"),
              ("flow", "flows", "flowing", "moves", "moving", "crash", "crashing", "crashes",
               "lapping", "laps", "rushes", "rushing", "churning", "glistens", "glistening",
               "sparkles", "sparkling", "rolls", "rolling", "swirls", "swirling", "gurgles",
               "gurgling", "babbling", "move", "spraying", "sprays", "rocking", "bobbing",
               "lapping", "washing", "washes", "wind", "breeze", "blowing")),
    "hair": (("hair", "mane", "fur", "curls", "locks"),
             ("blow", "blows", "blowing", "flow", "flows", "flowing", "move", "moves",
              "moving", "flutter", "flutters", "fluttering", "wave", "waves", "waving",
              "sway", "sways", "swaying", "whips", "whipping", "dances", "dancing",
              "ruffled", "tousled", "streaming", "lifts", "lifting", "wind", "breeze")),
    "clouds": (("sky", "clouds", "cloud"),
               ("drift", "drifts", "drifting", "roll", "rolls", "rolling", "pass", "passes",
                "passing", "race", "racing", "moving", "move", "moves", "float", "floating",
                "gather", "gathering", "swirl", "swirling", "timelapse", "time-lapse")),
    "flag": (("flag", "flags", "banner", "banners", "curtain", "curtains", "scarf", "robe",
              "dress", "shirt", "shirts", "coat", "jacket", "veil", "cape", "cloak", "sail",
              "sails", "laundry", "kimono", "skirt", "ribbons", "ribbon", "drapes", "sheets",
              "tutu", "clothes", "fabric", "silk"),
             ("wave", "waves", "waving", "flutter", "flutters", "fluttering", "flap", "flaps",
              "flapping", "billow", "billows", "billowing", "blow", "blows", "blowing", "sway",
              "sways", "swaying", "swirls", "swirling", "ripple", "ripples", "rippling",
              "move", "moves", "moving", "whips", "whipping", "streaming", "flow", "flows",
              "flowing", "wind", "breeze")),
}
