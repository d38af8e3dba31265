"""The one error type of media intake: a message a user can act on."""


class InputError(ValueError):
    """The user's input breaks a contract rule; the message names the field and the rule."""
