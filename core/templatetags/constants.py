"""``{% translate %}``, ``{% url %}`` and ``{% static %}`` that work out a constant once.

Django's tags do their whole work on every render: a ``{% translate "Cuentas" %}`` finds
the active catalog and looks the text up, a ``{% url 'home' %}`` walks the resolver, a
``{% static 'css/portal.css' %}`` asks the storage's manifest. With a literal argument
the answer only changes with the language, the URLconf and script prefix, or the
settings; on the position page these tags were a third of the Python a request ran
(docs/performance.md). These nodes are Django's own, parsed by Django's own functions;
with a literal argument (and no filters, no context, no ``noop``) they remember the
answer under what it depends on, and every remembered answer is forgotten when a
setting changes (tests). Anything else renders exactly as Django renders it.

Listed in ``TEMPLATES["OPTIONS"]["builtins"]`` after Django's libraries, so the portal's
templates and the admin's use these without a ``{% load %}``.
"""

from django import template
from django.core.signals import setting_changed
from django.template import defaulttags
from django.template.base import Variable, render_value_in_context
from django.templatetags import i18n, static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

register = template.Library()
_remembered: list[dict] = []


def _memory() -> dict:
    memory: dict = {}
    _remembered.append(memory)
    return memory


def _forget(**kwargs) -> None:
    for memory in _remembered:
        memory.clear()


setting_changed.connect(_forget, dispatch_uid="core.templatetags.constants")


class TranslateNode(i18n.TranslateNode):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        expression = self.filter_expression
        self.constant = (
            not self.noop
            and self.message_context is None
            and not expression.filters
            and isinstance(expression.var, Variable)
            and expression.var.literal is not None
        )
        self.memory = _memory()

    def render(self, context):
        if not self.constant:
            return super().render(context)
        key = (translation.get_language(), context.autoescape)
        value = self.memory.get(key)
        if value is None:  # as Django's node renders it
            self.filter_expression.var.translate = True
            value = render_value_in_context(self.filter_expression.resolve(context), context)
            is_safe = isinstance(value, SafeData)
            value = value.replace("%%", "%")
            value = self.memory[key] = mark_safe(value) if is_safe else value  # noqa: S308 - safe only if it was
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


class URLNode(defaulttags.URLNode):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.view_name
        self.constant = (
            not self.args and not self.kwargs and isinstance(name.var, str) and not name.filters
        )
        self.memory = _memory()

    def render(self, context):
        if not self.constant:
            return super().render(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        key = (get_urlconf(), get_script_prefix(), current_app)
        url = self.memory.get(key)
        if url is None:
            try:
                url = reverse(self.view_name.var, current_app=current_app)
            except NoReverseMatch:
                return super().render(context)  # Django's answer, with Django's error
            self.memory[key] = url
        if self.asvar:  # the rest as Django's node does it
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


class StaticNode(static.StaticNode):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.constant = isinstance(self.path.var, str) and not self.path.filters
        self.memory = _memory()

    def url(self, context):
        if not self.constant:
            return super().url(context)
        url = self.memory.get(None)
        if url is None:
            url = self.memory[None] = super().url(context)
        return url


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    return TranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)


@register.tag("url")
def do_url(parser, token):
    node = defaulttags.url(parser, token)
    return URLNode(node.view_name, node.args, node.kwargs, node.asvar)


@register.tag("static")
def do_static(parser, token):
    node = static.do_static(parser, token)
    return StaticNode(varname=node.varname, path=node.path)
