"""The one error type of media intake: a message a user can act on."""


class InputError(ValueError):
    """The user's input breaks a contract rule; the message names the field and the rule."""


def human_bytes(count: int) -> str:
    """1048576 -> '1 MB', 65536 -> '64 KB': limits in messages as a person writes them."""
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"
