"""The domain errors services raise; `str(error)` is the message to show a person."""


class ModerationError(Exception):
    """Base of the domain errors."""


class NotAllowed(ModerationError):
    """The acting user lacks the capability, or the thing is not theirs to change."""


class Conflict(ModerationError):
    """The state changed under the user (a stale version, already done by someone)."""


class Invalid(ModerationError):
    """The request itself is wrong (an empty note, a span outside the text, …)."""
