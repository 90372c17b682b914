"""``core.templatetags.constants``: the portal's ``{% translate %}``, ``{% url %}`` and
``{% static %}`` render exactly what Django's render, remembering only what a literal
argument gives, and forget it when a setting changes."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from core.templatetags.constants import StaticNode, TranslateNode, URLNode

BODIES = [
    '{% translate "Cuentas" %}',
    '{% trans "Saldo & disponible" %}',
    '{% translate "Comisión 5%% mínima" as label %}[{{ label }}]',
    '{% translate "Tom & Jerry" as label %}{% autoescape off %}{{ label }}{% endautoescape %}',
    '{% translate "Home" %}|{% translate "Home" noop %}',  # a text Django's catalog has
    "{% translate text %}",
    '{% translate "May" context "month name" %}',
    "{% url 'home' %}|{% url 'products:position' %}",
    "{% url 'home' as home %}[{{ home }}]",
    "{% url 'products:account' public_id %}",
    "{% static 'css/portal.css' %}|{% static path %}|{% static 'img/a b&c.png' as s %}{{ s }}",
    "{% autoescape off %}{% static 'img/a b&c.png' %}{% endautoescape %}",
]
CONTEXT = {
    "text": "Préstamos <b>",
    "public_id": "2c7b6c4e-94a0-4c1e-8d4b-1a2b3c4d5e6f",
    "path": "js/portal.js",
}


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("language", ["es", "en"])
def test_each_tag_renders_what_djangos_renders(body, language):
    ours = Template(body)  # the builtins: these tags
    djangos = Template("{% load i18n static %}" + body)
    with translation.override(language):
        for _ in range(2):  # worked out, then remembered
            assert ours.render(Context(CONTEXT)) == djangos.render(Context(CONTEXT))


def test_only_a_literal_argument_is_remembered():
    nodes = Template(
        '{% translate "Cuentas" %}{% translate text %}{% translate "A"|upper %}'
        "{% url 'home' %}{% url 'products:account' public_id %}"
        "{% static 'css/portal.css' %}{% static path %}"
    ).nodelist
    constant = {
        (type(node).__name__, node.constant)
        for node in nodes
        if isinstance(node, TranslateNode | URLNode | StaticNode)
    }
    assert ("TranslateNode", True) in constant and ("TranslateNode", False) in constant
    assert ("URLNode", True) in constant and ("URLNode", False) in constant
    assert ("StaticNode", True) in constant and ("StaticNode", False) in constant


def test_a_remembered_answer_is_forgotten_when_a_setting_changes():
    template = Template("{% static 'css/portal.css' %}|{% url 'home' %}")
    before = template.render(Context())
    with override_settings(STATIC_URL="/otros/", FORCE_SCRIPT_NAME=None):
        changed = template.render(Context())
    assert changed != before and changed.startswith("/otros/css/portal")
    assert template.render(Context()) == before


def test_the_language_is_part_of_what_is_remembered():
    template = Template('{% translate "Home" %}')
    with translation.override("en"):
        english = template.render(Context())
    with translation.override("es"):
        spanish = template.render(Context())
    assert (english, spanish) == ("Home", "Inicio")
