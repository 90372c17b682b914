"""The text rules (``core.text``) on every form, without touching any form.

``FORM_RENDERER`` names ``PortalFormRenderer``; Django 5.2 lets a renderer choose the
``BoundField`` class of every form that uses it — the portal's, the admin's, any added
later. ``TextRulesBoundField``:

- normalizes what a field receives to NFC (passwords excepted: they are checked as typed);
- gives the field a ``ControlCharactersValidator`` before it cleans (tab and line breaks
  allowed only in a ``Textarea``), in place of Django's NUL-only validator, so a refused
  field shows one Spanish message;
- never writes a control character back into the page it renders.
"""

from django import forms
from django.core.validators import ProhibitNullCharactersValidator as NulValidator
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates

from core.text import ControlCharactersValidator, normalized, without_control_characters


class TextRulesBoundField(BoundField):
    def __init__(self, form, field, name):
        super().__init__(form, field, name)
        self.multiline = isinstance(field.widget, forms.Textarea)
        if not any(isinstance(v, ControlCharactersValidator) for v in field.validators):
            # ``field`` is this form instance's own copy: other forms are not affected.
            kept = [v for v in field.validators if not isinstance(v, NulValidator)]
            field.validators = [*kept, ControlCharactersValidator(multiline=self.multiline)]

    @property
    def data(self):
        value = super().data
        if isinstance(self.field.widget, forms.PasswordInput):
            return value
        return normalized(value)

    def value(self):
        return without_control_characters(super().value(), multiline=self.multiline)


class PortalFormRenderer(DjangoTemplates):
    bound_field_class = TextRulesBoundField
