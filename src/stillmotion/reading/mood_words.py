"""The moods a prompt can ask for, by name ("calm", "eerie", "cozy") or by the scene it
describes ("sunset", "storm").

A mood word asks for the mood; it is what the prompt's reading reports as its mood. A
scene word only suggests one: it does not make the reading's mood, but the music weighs
it with the photo when nothing asked. Words about pace ("fast", "gentle"), light ("warm",
"bright", "dark") or style ("cinematic") are not moods: "zoom in fast" asks for a fast
zoom, not energetic music.
"""

from __future__ import annotations

MOODS = ("calm", "happy", "epic", "mysterious", "sad", "romantic", "energetic")

MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "calm": ("calm", "calming", "peaceful", "peace", "serene", "serenity", "tranquil",
             "relaxing", "relaxed", "soothing", "meditative", "zen", "lazy",
             "idyllic", "placid", "cozy", "cosy", "restful", "quiet mood", "chill", "chilled",
             "laid-back", "hygge", "contemplative"),
    "happy": ("happy", "happiness", "joy", "joyful", "joyous", "cheerful", "cheery",
              "playful", "fun", "upbeat", "glad", "delightful", "festive", "whimsical",
              "lighthearted", "light-hearted", "uplifting", "carefree", "wholesome",
              "happy vibe", "feel-good"),
    "epic": ("epic", "heroic", "majestic", "grand", "powerful", "triumphant", "triumph",
             "monumental", "glorious", "legendary", "awe", "awesome", "mighty", "awe-inspiring",
             "breathtaking", "grandiose", "larger than life"),
    "mysterious": ("mysterious", "mystery", "mystical", "mystic", "eerie", "spooky",
                   "enigmatic", "suspense", "suspenseful", "haunting", "haunted", "ominous",
                   "uncanny", "ghostly", "creepy", "surreal", "scary", "unsettling",
                   "sinister", "menacing", "dread", "foreboding", "tense", "tension",
                   "thriller", "noir", "otherworldly", "moody", "brooding"),
    "sad": ("sad", "sadness", "melancholy", "melancholic", "sorrow", "sorrowful", "lonely",
            "loneliness", "tragic", "grief", "grieving", "mournful", "gloomy", "somber",
            "sombre", "nostalgic", "nostalgia", "wistful", "heartbroken", "bittersweet",
            "desolate", "forlorn", "bleak"),
    "romantic": ("romantic", "romance", "love", "loving", "lovers", "tender", "intimate",
                 "passionate", "affectionate", "valentine", "sensual", "dreamy romance"),
    "energetic": ("energetic", "energy", "exciting", "excited", "excitement", "dynamic",
                  "vibrant", "lively", "intense", "hype", "hyped", "electric", "thrilling",
                  "wild", "high-energy", "high energy", "frenetic", "adrenaline", "pumped",
                  "action-packed"),
}
SCENE_WORDS: dict[str, tuple[str, ...]] = {
    "calm": ("lake", "ocean", "sea", "beach", "meadow", "clouds", "sky", "garden", "morning",
             "breeze", "water", "river", "field", "snowfall", "gentle", "quiet", "still",
             "dreamy"),
    "happy": ("sunshine", "flowers", "picnic", "birthday", "children", "kids", "puppy",
              "summer", "spring", "balloons", "holiday", "smile", "smiling", "laugh",
              "laughing", "bright", "sunny"),
    "epic": ("mountain", "mountains", "storm", "battle", "castle", "army", "dragon", "canyon",
             "volcano", "space", "galaxy", "thunder", "lightning", "waves", "cliff", "empire",
             "cinematic", "vast", "hero", "colossal"),
    "mysterious": ("night", "fog", "mist", "misty", "foggy", "shadow", "shadows", "forest",
                   "cave", "moon", "moonlight", "ruins", "alley", "candle", "smoke", "dark",
                   "magic", "magical", "secret"),
    "sad": ("rain", "rainy", "funeral", "goodbye", "farewell", "autumn", "empty", "abandoned",
            "grave", "winter", "alone", "tears", "crying"),
    "romantic": ("sunset", "candlelight", "roses", "rose", "paris", "heart", "hearts",
                 "dinner", "embrace", "hug", "bride", "kiss", "kissing", "couple", "wedding",
                 "sweet", "warm"),
    "energetic": ("city", "traffic", "car", "cars", "street", "crowd", "concert", "club",
                  "neon", "skate", "skateboard", "surf", "surfing", "bike", "stadium", "fast",
                  "action", "rush", "racing", "party", "dance", "dancing", "sport", "sports",
                  "running", "speed"),
}
