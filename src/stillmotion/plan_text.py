"""A task's plan (Plan.to_dict() plus "music") as lines a person reads in a terminal.

`stillmotion generate --show-plan` prints it with the render and `--plan-only` instead of
it, so a prompt can be iterated on without rendering: what the reader understood, what
the engine chose for what the prompt left open, and what was asked for and not rendered.
"""

from __future__ import annotations

from typing import Any


def _label(label: str) -> str:
    """"pan_?" -> "pan (either way)", "camera_move" -> "camera move"."""
    return label.replace("_?", " (either way)").replace("_", " ")


def _beats(plan: dict[str, Any]) -> str:
    seconds = plan["frame_count"] / plan["fps"]
    return ", then ".join(
        f"{_label(b['move'])} ({b['start'] * seconds:.1f}-{b['end'] * seconds:.1f} s)"
        for b in plan["beats"]) or "static"


def describe(plan: dict[str, Any]) -> list[str]:
    """The plan, one "name: value" line per thing it decided."""
    lines = [f"engine: {plan['engine']}, {plan['width']}x{plan['height']}, "
             f"{plan['frame_count']} frames at {plan['fps']} fps, seed {plan['seed']}"]
    if "beats" in plan:  # the motion engine
        chosen = plan.get("chosen_by", "prompt")
        lines.append(f"camera: {_beats(plan)}"
                     + ("" if chosen == "prompt" else f"; no move asked for: {chosen}"))
        speed = plan["target_speed"]
        lines.append(f"movement: {plan['amplitude']} " + (
            f"(target {speed:.2f} % of the diagonal per second)" if speed > 0
            else "(the camera holds still)"))
    else:  # a generative model
        lines.append(f"model: {plan.get('model')} ({plan.get('family')})")
        lines.append("camera: " + (", then ".join(_label(m) for m in plan.get("camera", ()))
                                   or "the model's choice"))
        lines.append(f"movement: {plan['amplitude']}")
    if plan.get("effects"):
        levels = dict(plan.get("effect_levels", ()))
        lines.append("effects: " + ", ".join(
            e + (" (heavy)" if levels.get(e, 1) > 1 else " (light)" if levels.get(e, 1) < 1
                 else "") for e in plan["effects"]))
    if plan.get("motions"):
        sides = dict(plan.get("motion_sides", ()))
        lines.append("local motion: " + ", ".join(
            m + {-1: " (to the left)", 1: " (to the right)"}.get(sides.get(m, 0), "")
            for m in plan["motions"]))
    if plan.get("actions"):
        lines.append("subject actions asked for: " + ", ".join(plan["actions"]))
    for note in plan.get("not_rendered", ()):
        lines.append(f"not rendered: {note}")
    for note in plan.get("fallbacks", ()):
        lines.append(f"not as asked: {note}")
    if plan.get("negated"):
        lines.append("ruled out: " + ", ".join(_label(n) for n in plan["negated"]))
    if plan.get("prompt"):
        lines.append(f"prompt given to the model: {plan['prompt']}")
    if plan.get("prompt_words"):
        lines.append("words understood: " + ", ".join(plan["prompt_words"]))
    music = plan.get("music")
    if music:
        lines.append(f"music: {music['mood']}, {music['key']}, "
                     f"{round(music['tempo_bpm'])} bpm")
    return lines
