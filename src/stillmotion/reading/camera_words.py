"""How people name camera moves, their direction and their pace.

Moves whose direction the phrase leaves open end in "?": the reader binds a side said in
the same clause ("tracking shot to the right"), else the seed picks it. Clockwise is as
seen from above, the way an orbit is drawn on a plan: a camera in front of its subject
circling clockwise goes toward the camera's own left (6 o'clock -> 9 o'clock), so it is
orbit left.
"""

from __future__ import annotations

MOVES = (
    "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down", "truck_left",
    "truck_right", "pedestal_up", "pedestal_down", "orbit_left", "orbit_right", "dolly_zoom",
    "handheld", "static",
)
MOVE_PHRASES: dict[str, tuple[str, ...]] = {
    "dolly_zoom": ("dolly zoom", "vertigo effect", "vertigo shot", "zolly", "contra zoom",
                   "hitchcock zoom", "hitchcock shot", "trombone shot"),
    "pull_out": ("zoom out", "zooms out", "zooming out", "pull out", "pulls out", "pulling out",
                 "pull back", "pulls back", "pulling back", "dolly out", "dolly back",
                 "dollies out", "dollies back", "dollying out", "dollying back",
                 "move away", "moves away", "moving away", "widen", "widens", "widening",
                 "reveal", "reveals", "revealing", "retreat", "retreats", "retreating",
                 "move back", "moves back", "moving back", "move backward", "moves backward",
                 "moving backward", "pull away", "pulls away", "zoom back", "zoom back out",
                 "back out", "backs away", "backs out", "pull-back", "pullback",
                 "fly backward", "flies backward", "flying backward"),
    "push_in": ("zoom in", "zooms in", "zooming in", "push in", "pushes in", "pushing in",
                "dolly in", "dolly forward", "dollies in", "dollies forward", "dollying in",
                "move closer", "moves closer", "moving closer", "move in", "moves in",
                "closer", "approach", "approaches", "approaching", "move forward",
                "moves forward", "moving forward", "creep in", "creeps in", "creeping in",
                "fly forward", "flies forward", "flying forward", "push forward",
                "pushes forward", "pushing forward", "fly through", "flies through",
                "flying through", "fly over", "flies over", "flying over", "flyover",
                "fly-through", "flythrough", "drifts forward", "drift forward",
                "drifting forward", "glides forward", "zoom back in", "push", "pushes",
                "zoom", "zooms", "dolly", "dollies", "punch in", "punches in"),
    "pan_left": ("pan left", "pans left", "panning left", "pan to the left", "pans to the left",
                 "panning to the left", "turns left", "swivel left", "whip pan left"),
    "pan_right": ("pan right", "pans right", "panning right", "pan to the right",
                  "pans to the right", "panning to the right", "turns right", "swivel right",
                  "whip pan right"),
    "pan_?": ("pan", "pans", "panning", "panorama", "panoramic", "sweep", "sweeps",
              "sweeping", "whip pan", "whip pans", "whip-pan", "whip-pans", "swish pan"),
    "tilt_up": ("tilt up", "tilts up", "tilting up", "look up", "looks up", "pan up",
                "pans up", "tilt upward", "tilt upwards", "tilts upward", "tilting upward",
                "tilt back up", "tilts back up"),
    "tilt_down": ("tilt down", "tilts down", "tilting down", "look down", "looks down",
                  "pan down", "pans down", "tilt downward", "tilt downwards",
                  "tilts downward", "tilting downward", "tilt back down", "tilts back down"),
    "tilt_?": ("tilt", "tilts", "tilting", "tilt shot"),
    "truck_left": ("truck left", "trucks left", "trucking left", "track left", "tracks left",
                   "tracking left", "slide left", "slides left", "sliding left", "move left",
                   "moves left", "moving left", "strafe left", "strafes left", "crab left",
                   "crabs left"),
    "truck_right": ("truck right", "trucks right", "trucking right", "track right",
                    "tracks right", "tracking right", "slide right", "slides right",
                    "sliding right", "move right", "moves right", "moving right",
                    "strafe right", "strafes right", "crab right", "crabs right"),
    "truck_?": ("truck", "trucks", "trucking", "tracking shot", "tracking", "lateral move",
                "sideways", "slide", "slides", "sliding", "slider shot", "slider", "glide",
                "glides", "gliding", "crab", "crabs", "strafe", "strafes", "track", "tracks",
                "move the camera", "move camera", "moves the camera"),
    "pedestal_up": ("pedestal up", "crane up", "cranes up", "craning up", "boom up",
                    "booms up", "jib up", "jibs up", "rises", "rise", "rising", "ascend",
                    "ascends", "ascending", "elevate", "elevates", "move up", "moves up",
                    "moving up", "go up", "goes up", "going up", "lift up", "lifts up",
                    "fly up", "flies up", "flying up"),
    "pedestal_down": ("pedestal down", "crane down", "cranes down", "craning down",
                      "boom down", "booms down", "jib down", "jibs down", "lowers", "lower",
                      "lowering", "descend", "descends", "descending", "move down",
                      "moves down", "moving down", "go down", "goes down", "going down",
                      "drop down", "drops down", "sinks", "sink"),
    "pedestal_?": ("pedestal", "crane", "cranes", "crane shot", "boom", "jib", "jib shot"),
    "orbit_left": ("orbit left", "orbits left", "orbiting left", "arc left", "arcs left",
                   "circle left", "circles left"),
    "orbit_right": ("orbit right", "orbits right", "orbiting right", "arc right",
                    "arcs right", "circle right", "circles right"),
    "orbit_?": ("orbit", "orbits", "orbiting", "orbital", "arc shot", "arc", "arcs", "arcing",
                "circle around", "circles around", "circling around", "circles", "circling",
                "circle", "circular move", "circular motion", "circular shot", "revolve",
                "revolves", "revolving", "around the subject", "360", "360 degree",
                "rotate around", "rotates around", "rotating around", "spin around",
                "spins around", "spinning around", "goes around", "go around",
                "moves around", "move around", "moving around", "turntable"),
    "handheld": ("handheld", "hand-held", "hand held", "shaky cam", "shakycam",
                 "shaky camera", "documentary style", "found footage", "camera shake",
                 "shaky", "shaking", "shake", "wobbly", "jittery", "bodycam", "body cam",
                 "gopro", "vlog style", "run and gun"),
}
# The words that are camera language wherever they stand: a phrase made only of other
# words ("rises", "moves left", "circles", "approaches") is a move only when the camera
# does it ("the camera rises", "drone rises", or no one named: "move left"), else it is
# what a subject does ("the sun rises", "the bus moves left", "a dragon circles").
TECHNICAL = frozenset((
    "pan", "pans", "panning", "whip", "swish", "tilt", "tilts", "tilting", "dolly", "dollies",
    "dollying", "zoom", "zooms", "zooming", "truck", "trucks", "trucking", "track", "tracks",
    "tracking", "crane", "cranes", "craning", "boom", "booms", "jib", "jibs", "pedestal",
    "orbit", "orbits", "orbiting", "orbital", "arc", "arcs", "arcing", "handheld",
    "hand-held", "shaky", "shakycam", "zolly", "vertigo", "hitchcock", "trombone", "slider",
    "strafe", "strafes", "crab", "crabs", "flyover", "fly-through", "flythrough", "360",
    "turntable", "panorama", "panoramic", "bodycam", "gopro", "pull-back", "pullback", "punch",
    "punches", "contra",
    "documentary", "found", "static", "tripod", "steadicam"))
# Camera language made of ordinary words.
TECHNICAL_PHRASES = frozenset((
    "push in", "pushes in", "pushing in", "push forward", "pushes forward", "pushing forward",
    "pull out", "pulls out", "pulling out", "pull back", "pulls back", "pulling back",
    "locked off", "locked-off", "punch in", "punches in", "fly-through", "flythrough",
    "circular move", "circular motion", "circular shot"))
# Where a technical word is the other word that looks like it ("frying pan", "fire
# truck", "a zoom call", "a handheld game console", "a TV full of static").
MOVE_COMPOUND_BEFORE: dict[str, tuple[str, ...]] = {
    "pan": ("frying", "peter", "sauce", "cake", "dust", "baking", "roasting", "sheet",
            "salt", "gold", "bed", "pots", "pot"),
    "truck": ("fire", "pickup", "food", "delivery", "garbage", "dump", "toy", "monster",
              "tow", "ice", "cream", "army", "big", "old", "red", "the", "a", "rusty",
              "semi", "cargo", "mail"),
    "trucks": ("fire", "pickup", "food", "delivery", "garbage", "dump", "toy", "monster",
               "tow", "army", "big", "old", "the", "cargo"),
    "track": ("race", "train", "railway", "running", "dirt", "the", "a", "music", "audio",
              "sound"),
    "tracks": ("train", "railway", "animal", "tire", "tyre", "the", "deer", "footprints",
               "paw"),
    "crane": ("a", "the", "white", "red-crowned", "paper", "origami", "construction",
              "grey", "gray"),
    "cranes": ("white", "paper", "origami", "construction", "flying", "red-crowned"),
    "boom": ("sonic", "baby", "the", "a", "loud"),
    "slider": ("the", "a", "mini", "beef", "chicken"),
    "arc": ("electric", "welding", "story"),
    "circle": ("a", "the", "stone", "crop", "fairy", "inner", "full"),
    "circles": ("stone", "crop", "dark", "bokeh", "large", "small", "concentric"),
    "static": ("of", "tv", "radio"),
    "orbit": ("in", "into", "low", "earth", "lunar"),
    "lower": ("the", "a", "its", "her", "his"),
    "push": ("a", "the", "final", "big"),
    "zoom": ("a", "on", "the"),
    "shake": ("milk", "milkshake", "protein", "a", "the"),
    "documentary": ("nature", "wildlife", "bbc", "history"),
}
MOVE_COMPOUND_AFTER: dict[str, tuple[str, ...]] = {
    "truck": ("driver", "drivers", "stop", "bed", "tire", "tires"),
    "zoom": ("call", "calls", "meeting", "meetings", "lens", "background"),
    "handheld": ("game", "console", "device", "phone", "fan", "mirror", "radio", "camera's",
                 "torch", "flashlight", "lamp", "mic", "microphone"),
    "pan": ("flute", "pipes", "pizza", "fried", "of", "on"),
    "static": ("electricity", "noise", "on", "electric", "charge", "tv"),
    "circles": ("of", "under"),
    "circle": ("of",),
    "crane": ("bird", "birds"),
    "track": ("suit", "record", "team", "and", "shoes", "field", "pants"),
    "push": ("up", "ups", "button", "pin", "notification"),
    "lower": ("left", "right", "half", "third", "part", "body", "floor", "level", "deck",
              "lip", "back", "leg", "legs"),
    "shaking": ("hands", "hand", "head", "his", "her", "its", "off", "their"),
    "shake": ("hands", "hand", "head", "his", "her", "its", "off", "their"),
    "shaky": ("hands", "hand", "voice", "legs"),
    "tilt": ("shift", "shifted"),
}
# A still camera: said as a property of the shot ("static camera", "locked off") or as a
# move ruled out ("no camera movement", which also lists camera_move as ruled out).
STATIC_PHRASES = (
    "static camera", "static shot", "static wide shot", "static frame", "static",
    "still camera", "locked off", "locked-off", "locked", "fixed camera", "fixed shot",
    "tripod shot", "on a tripod", "tripod", "stays still", "stay still", "holds still",
    "completely still", "perfectly still", "totally still", "absolutely still",
    "hold still", "stays put", "stays fixed", "remains still", "remains static",
    "stays static", "stand still", "stands still", "moment of stillness", "stillness",
    "hold", "holds", "holding on", "hold on", "holds on", "hold the shot", "hold the frame",
    "stop", "stops", "settles", "settle", "comes to rest", "freeze", "frozen frame",
    "stationary camera", "stationary", "motionless camera", "no movement",
)
NO_CAMERA_MOVE = (
    "no camera movement", "no camera motion", "no camera move", "no camera moves",
    "no camera movements", "camera doesn't move", "camera won't move",
    "camera never moves", "camera isn't moving", "don't move the camera",
    "doesn't move", "does not move", "without any camera motion",
    "without any camera movement", "without camera movement", "without camera motion",
    "no moving camera", "no movement of the camera", "not move at all",
    "don't move", "no movement at all",
)
# Static phrases that hold only at the edge of a clause, with nothing after them but
# words about the shot ("then hold", "stop and hold on the last one").
HOLD_WORDS = frozenset(("hold", "holds", "stop", "stops", "freeze", "holding on", "hold on",
                        "holds on"))
# The whole clip played slowly: the shot's pace whoever acts in the clause.
SLOW_MOTION = ("slow motion", "slow mo", "slow-mo", "slowmo", "slow-motion")
SIDE_PHRASES: dict[str, tuple[str, ...]] = {
    "left": ("to the left", "to the camera's left", "leftward", "leftwards", "left",
             "clockwise", "from right to left", "right to left", "westward"),
    "right": ("to the right", "to the camera's right", "rightward", "rightwards", "right",
              "counterclockwise", "anticlockwise", "anti-clockwise", "counter-clockwise",
              "from left to right", "left to right", "eastward"),
}
# "and back again", "then back": the previous move, reversed.
BACK_AGAIN = ("back again", "and back", "back the other way", "reverse", "reverses")
SLOW = ("very slowly", "very slow", "super slow", "slowly", "slow", "gently", "gentle",
        "subtle", "subtly", "softly", "leisurely", "gradually", "gradual", "barely",
        "slightly", "a little", "tiny", "lazily", "lazy", "unhurried", "creeping",
        "creeps", "creep", "drifting", "drifts", "drift", "delicately", "minimal",
        "almost imperceptible", "imperceptibly", "nice and slow")
FAST = ("very fast", "super fast", "fast", "quickly", "quick", "rapid", "rapidly", "swift",
        "swiftly", "sudden", "suddenly", "whip", "rush", "rushes", "rushing", "speeding",
        "high speed", "at speed", "hurtles", "zips", "zooms quickly", "snappy", "aggressive",
        "aggressively", "crash zoom", "crash", "punch in", "punches in", "burst", "bursts",
        "dramatic", "dramatically")
# Words that carry nothing about who acts or what happens: a clause made only of these,
# pace words and camera words is about the camera ("nice and gradual", "keep it subtle").
FILLER = frozenset((
    "a", "an", "the", "and", "but", "then", "so", "very", "really", "super", "quite", "bit",
    "little", "just", "only", "also", "too", "it", "its", "it's", "this", "that", "make",
    "makes", "keep", "keeps", "let", "lets", "let's", "please", "now", "first", "start",
    "starts", "starting", "begin", "begins", "beginning", "end", "ends", "ending", "finish",
    "finally", "with", "of", "on", "in", "at", "to", "from", "into", "onto", "toward",
    "towards", "for", "nice", "should", "be", "is", "are", "was", "all", "way", "shot",
    "move", "moves", "movement", "motion", "camera", "pace", "speed", "smooth", "smoothly",
    "steady", "steadily", "continuous", "continuously", "even", "constant", "as", "while",
    "where", "when", "after", "before", "over", "i", "want", "would", "like", "can", "you",
    "could", "lol", "pls", "please", "okay", "ok", "some", "instead", "again", "back",
    "go", "goes", "do", "does", "then", "out", "up", "down", "left", "right", "cinematic",
    "wide", "close", "close-up", "medium", "long", "establishing", "aerial", "drone",
    "moment", "few", "seconds", "second", "one", "two", "long", "slowly", "camera's",
    "switches", "switch", "turns", "into", "transition", "transitions", "itself", "by",
    "around", "eye", "level", "height", "high", "low", "angle", "view", "frame", "framing",
    "stays", "stay", "remains", "remain", "keeps", "is", "completely", "perfectly",
    "effect", "look", "style", "feel", "off",
))
# Who acts: a clause with one of these before its verb is about the camera; a clause
# with another noun there is about a subject ("the bus moves left", "smoke rises").
CAMERA_AGENTS = frozenset(("camera", "cam", "we", "drone", "shot", "lens", "gimbal",
                           "steadicam", "viewer", "pov", "view", "crane", "dolly", "us",
                           "frame", "i", "cameraman", "operator", "camera's", "footage"))
