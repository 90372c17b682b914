"""The base of every anticipated business refusal: it carries the Spanish message."""


class DomainError(Exception):
    """A refusal a person can understand. Views show ``message``; nothing was changed."""

    message = "No se pudo completar la operación."

    def __init__(self, message: str | None = None, **context):
        if message is not None:
            self.message = message
        self.context = context
        super().__init__(self.message)
