"""Path converters beyond Django's: only what a parameter can be reaches a view.

Django's ``int`` and ``uuid`` match no control character; ``str`` and ``path`` match
anything but ``/``, so the portal's own routes do not use them (a test checks).
"""


class CodeConverter:
    """``<code:…>``: a code a person reads off a document and types (``/verificar/…``):
    letters, digits and hyphens. Anything else — a control character, a quote, a space —
    is a 404 before the view runs."""

    regex = r"[A-Za-z0-9-]{1,40}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
