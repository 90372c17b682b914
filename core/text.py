"""Text a person sends: Unicode NFC and no control characters.

Control characters (Unicode category Cc: U+0000–U+001F, DEL and U+0080–U+009F) have no
place in a name, an alias, a search or a code, and a NUL even breaks PostgreSQL text.
Tab and line breaks are accepted only where a person can write several lines (a
``Textarea``). Where each rule applies:

- every form field of the portal and the admin, through the form renderer's bound field
  (``core.forms``): the form comes back with ``CONTROL_CHARACTERS_MESSAGE`` under
  the field (a choice or an amount with its own "not valid" message);
- the query string, by ``ControlCharactersMiddleware``: a 400 page before any view reads
  a search, a filter or ``next``;
- path parameters, by the URL converters: ``<int:…>``, ``<uuid:…>`` and ``<code:…>``
  (``core.converters``) match no control character, so such a URL is a 404.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

CONTROL_CHARACTERS_MESSAGE = (
    "Este campo contiene caracteres no permitidos (caracteres de control). Escríbelo de "
    "nuevo sin pegar texto copiado de otro programa."
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a control character (tab and line breaks allowed only if
    ``multiline``)."""
    return bool((_CONTROL_BUT_LINES if multiline else _CONTROL).search(value))


def without_control_characters(value, *, multiline: bool = False):
    """``value`` with its control characters removed, for showing it back in a page."""
    if isinstance(value, str):
        return (_CONTROL_BUT_LINES if multiline else _CONTROL).sub("", value)
    return value


def normalized(value):
    """``value`` in Unicode NFC (a string, or each string of a list)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return type(value)(normalized(v) for v in value)
    return value


@deconstructible
class ControlCharactersValidator:
    """Refuses text holding a control character, with a Spanish message."""

    message = CONTROL_CHARACTERS_MESSAGE
    code = "control_characters"

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, str) and has_control_characters(item, multiline=self.multiline):
                raise ValidationError(self.message, code=self.code)
