"""Control characters in every path parameter, query string and form field: a clear
refusal, never a 500.

The walk covers, for an anonymous visitor, a visitor half-way through signing in and a
signed-in member (María, with an account, a loan, a póliza and a beneficiary):

- every route of the URLconf (``get_resolver()``, included ones too), with a NUL and
  then an ESC in each path parameter in turn: a 404 (the admin's 209 routes are walked
  for staff by path, with a NUL, and query only: the admin answers its own way);
- every one of those URLs with control characters in its query string: the 400 page;
- every POST form on the pages those URLs show (downloads aside), posted once per field
  (text, hidden, choice, textarea; not the CSRF token) with a NUL in it, and free-text
  fields again with an ESC: never a 500, never the character written back into a field,
  and a visible field comes back marked invalid — free text with the Spanish message;
- every route posted once with control characters under every field name seen, for the
  endpoints no page shows as a form (HTMX buttons, JSON endpoints).
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.text import CONTROL_CHARACTERS_MESSAGE
from tests.factories import PASSWORD

NUL, ESC = "\x00", "\x1b"
CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
NEVER_POSTED = {"/salir/"}  # would end the walk's session


def routes(patterns=None, prefix=""):
    """Every route of the URLconf as (route, pattern), included ones with their prefix."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        else:
            assert isinstance(entry, URLPattern)
            yield prefix + str(entry.pattern), entry


# --- Pages and their forms ---------------------------------------------------------------


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    text: set[str] = field(default_factory=set)  # free text: text inputs, textareas
    checkboxes: set[str] = field(default_factory=set)  # any value means "checked"


class Forms(HTMLParser):
    """The POST forms of a page: action, and each named field with its current value."""

    def __init__(self, page: str):
        super().__init__()
        self.page, self.forms, self._form, self._select, self._textarea = page, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = Form(action=a.get("action") or self.page)
            self.forms.append(self._form)
        if self._form is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        kind = (a.get("type") or "text").lower()
        if tag == "input" and kind not in {"submit", "button", "file", "image", "reset"}:
            if kind == "checkbox":
                self._form.checkboxes.add(a["name"])
            if kind in {"radio", "checkbox"} and "checked" not in a:
                self._form.fields.setdefault(a["name"], a.get("value") or "on")
                return
            self._form.fields[a["name"]] = a.get("value") or ""
            if kind == "hidden":
                self._form.hidden.add(a["name"])
            elif kind not in {"radio", "checkbox", "number"} and a.get("inputmode") != "decimal":
                self._form.text.add(a["name"])  # amounts are refused by their parser
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and ("selected" in a or "value" in a):
            if "selected" in a or not self._form.fields[self._select]:
                self._form.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""
            self._form.text.add(self._textarea)

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def written_back(char: str, html: str) -> bool:
    """Whether a page puts ``char`` back into a field's value or a textarea."""
    values = re.findall(r'value="([^"]*)"', html) + re.findall(r"<textarea[^>]*>([^<]*)", html)
    return any(char in value for value in values)


def page_forms(response, url: str) -> list[Form]:
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = Forms(url)
    parser.feed(response.content.decode())
    return [f for f in parser.forms if f.action not in NEVER_POSTED]


# --- María's products: real ids for the path parameters ----------------------------------


@pytest.fixture
def portfolio(member, other_member, staff_user):
    from ledger.books import books_open
    from ledger.models import Posting
    from products.catalog import product_types_load
    from products.documents import document_register
    from products.investments import term_deposit_open
    from products.loans import loan_grant
    from products.models import LoanType, TermDepositType, VerifiedDocument
    from tests.transfers.conftest import open_funded
    from transfers.beneficiaries import beneficiary_add_internal
    from transfers.catalog import transfer_catalog_load

    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    transfer_catalog_load(cooperative_slug="cooprogreso")
    savings = open_funded(member)
    loan = loan_grant(
        member=member,
        loan_type=LoanType.objects.get(code="CAG"),
        principal=Decimal("1000.00"),
        installments=12,
        disbursement_account=savings,
        granted_on=date(2025, 7, 1),
        first_due=date(2025, 7, 25),
        actor=staff_user,
        reason="Crédito de prueba",
    )
    deposit = term_deposit_open(
        member=member,
        deposit_type=TermDepositType.objects.get(code="DPF"),
        account=savings,
        capital=Decimal("100.00"),
        term_days=90,
        annual_rate=Decimal("0.0725"),
        key="walk-dpf",
        reason="Inversión de prueba",
    )
    beneficiary = beneficiary_add_internal(
        member=member, account_number=open_funded(other_member, amount="0").number
    )
    document = document_register(kind=VerifiedDocument.Kind.MOVEMENTS, fields=[("Total", "$1.00")])
    by_prefix = {
        "cuentas/": savings.public_id,
        "creditos/": loan.public_id,
        "inversiones/": deposit.public_id,
        "beneficiarios/": beneficiary.public_id,
    }
    posting = Posting.objects.filter(account=savings.ledger_account).first()
    return {"public_id": by_prefix, "posting_id": posting.pk, "code": document.code}


def sample(route: str, kind: str, name: str, portfolio: dict) -> str:
    """A value that resolves: the member's own object where the route names one."""
    known = portfolio.get(name)
    if isinstance(known, dict):
        known = next((v for prefix, v in known.items() if route.startswith(prefix)), None)
    if known is not None:
        return str(known)
    if kind == "regex":
        return REGEX_SAMPLES[name]
    return {"int": "1", "uuid": str(uuid.uuid4()), "code": "ABCD-EFGH"}.get(kind, "1")


REGEX_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
REGEX_SAMPLES = {"app_label": "accounts", "url": "no-existe/"}  # the admin's two re_paths


def urls_of(route: str, portfolio: dict, chars=(NUL, ESC)) -> tuple[str, list[str]]:
    """The route's URL with real values, and one URL per parameter with a control
    character inside that parameter."""
    route = REGEX_GROUP.sub(r"<regex:\1>", route).replace("^", "").replace("$", "")
    params = list(CONVERTER.finditer(route))
    values = [sample(route, m["kind"], m["name"], portfolio) for m in params]

    def build(vals):
        url, last = "/", 0
        for m, v in zip(params, vals, strict=True):
            url += route[last : m.start()] + quote(v, safe="")
            last = m.end()
        return url + route[last:]

    hostile = []
    for i, value in enumerate(values):
        for char in chars:
            changed = list(values)
            changed[i] = value[:1] + char + value[1:]
            hostile.append(build(changed))
    return build(values), hostile


PORTAL_ROUTES = [(r, p) for r, p in routes() if not r.startswith("admin/")]
DOWNLOADS = {"account_download", "loan_schedule_download"}  # PDF/XLSX: no forms to post
ADMIN_ROUTES = [(r, p) for r, p in routes() if r.startswith("admin/")]
HOSTILE_QUERY = "?" + urlencode({"q": f"a{NUL}b", "next": f"/{ESC}[2J", "tab": "x\x07"})


@dataclass
class Walk:
    portfolio: dict
    seen_fields: set[str] = field(default_factory=set)
    requests: int = 0
    refused_fields: int = 0

    def answer(self, response, what: str):
        self.requests += 1
        assert response.status_code != 500, f"500 for {what}"
        return response

    def path_and_query(self, browser, route: str, *, admin: bool = False) -> str:
        """The portal's converters make such a path a 404; the admin's
        ``<path:object_id>`` reaches the admin, which answers "does not exist" its way."""
        url, hostile = urls_of(route, self.portfolio, chars=(NUL,) if admin else (NUL, ESC))
        for bad in hostile:
            response = self.answer(browser.get(bad), f"GET {bad!r}")
            assert response.status_code == 404 or admin, (bad, response.status_code)
        response = self.answer(browser.get(url + HOSTILE_QUERY), f"GET {url}{HOSTILE_QUERY!r}")
        assert response.status_code == 400, (url, response.status_code)
        assert "Solicitud no válida" in response.content.decode()
        return url

    def forms(self, browser, url: str) -> None:
        for form in page_forms(self.answer(browser.get(url), f"GET {url}"), url):
            self.seen_fields |= set(form.fields)
            for name in form.fields:
                for char in (NUL, ESC) if name in form.text else (NUL,):
                    data = dict(form.fields, **{name: f"a{char}b"})
                    response = self.answer(
                        browser.post(form.action, data), f"POST {form.action} {name}={char!r}"
                    )
                    html = response.content.decode()
                    assert not written_back(char, html), (form.action, name)
                    if response.status_code != 200 or name in form.hidden | form.checkboxes:
                        continue  # refused otherwise: a 400/403/404, or back to a step
                    widget = re.search(
                        rf'<(?:input|select|textarea)\b[^>]*name="{name}"[^>]*>', html
                    )
                    if widget is not None:  # the form again: this field says why
                        assert 'aria-invalid="true"' in widget[0], (form.action, name, char)
                        self.refused_fields += name in form.text
                        if name in form.text:
                            assert CONTROL_CHARACTERS_MESSAGE in html, (form.action, name)

    def posts(self, browser, url: str) -> None:
        data = dict.fromkeys(sorted(self.seen_fields), f"a{NUL}{ESC}b")
        self.answer(browser.post(url, data), f"POST {url} (every field name)")


@pytest.fixture
def walk(portfolio):
    return Walk(portfolio)


def test_anonymous_visitors_meet_no_500(walk, db):
    browser = Client(raise_request_exception=False)
    urls = [walk.path_and_query(browser, route) for route, _ in PORTAL_ROUTES]
    for url in urls:
        walk.forms(browser, url)
    # Half-way through signing in: the password, device and code steps have forms too.
    browser.post("/ingresar/", {"username": "mariaperez"})
    walk.forms(browser, "/ingresar/clave/")
    browser.post("/ingresar/clave/", {"password": PASSWORD})
    walk.forms(browser, "/ingresar/dispositivo/")
    browser.post("/ingresar/dispositivo/", {"save": "no"})
    walk.forms(browser, "/ingresar/verificacion/")
    for url in urls:
        if url not in NEVER_POSTED:
            walk.posts(Client(raise_request_exception=False), url)
    assert {"username", "password", "answer", "id_number"} <= walk.seen_fields
    assert walk.refused_fields >= 8


def test_a_signed_in_member_meets_no_500(walk, member):
    browser = Client(raise_request_exception=False)
    browser.force_login(member.user)
    urls = [walk.path_and_query(browser, route) for route, _ in PORTAL_ROUTES]
    for url, (_, pattern) in zip(urls, PORTAL_ROUTES, strict=True):
        if pattern.name not in DOWNLOADS:
            walk.forms(browser, url)
    for url in urls:
        if url not in NEVER_POSTED:
            walk.posts(browser, url)
    assert {"monto", "motivo", "numero_cuenta", "alias", "comment"} <= walk.seen_fields
    assert walk.refused_fields >= 30


def test_staff_meet_no_500_in_the_admin_paths_and_queries(walk, staff_user):
    browser = Client(raise_request_exception=False)
    browser.force_login(staff_user)
    for route, _ in ADMIN_ROUTES:
        walk.path_and_query(browser, route, admin=True)
    assert len(ADMIN_ROUTES) > 150 and walk.requests > len(ADMIN_ROUTES)


# --- The rules themselves ----------------------------------------------------------------


def test_the_reported_urls_are_refused_instead_of_failing(client, member_client):
    assert client.get("/verificar/AB%00C/").status_code == 404
    assert member_client.get("/beneficiarios/?q=%00").status_code == 400


def test_a_verification_code_is_still_found_as_typed(client, portfolio):
    code = portfolio["code"]
    assert client.get(f"/verificar/{code}/").status_code == 200
    assert client.get(f"/verificar/{code.lower()}/").status_code == 200
    assert client.get("/verificar/NOPE-NOPE/").status_code == 404


class Sample(forms.Form):
    name = forms.CharField(max_length=40)
    comment = forms.CharField(widget=forms.Textarea, required=False)
    secret = forms.CharField(widget=forms.PasswordInput, required=False, strip=False)
    kind = forms.ChoiceField(choices=[("a", "A")], required=False)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\t", "\n"])
def test_any_form_refuses_a_control_character_in_a_line_of_text(char):
    form = Sample({"name": f"Ana{char}Mora"})
    assert form.errors["name"] == [CONTROL_CHARACTERS_MESSAGE]


def test_a_textarea_takes_tabs_and_line_breaks_but_no_other_control_character():
    assert Sample({"name": "Ana", "comment": "Uno\r\n\tdos"}).is_valid()
    form = Sample({"name": "Ana", "comment": "Uno\x00dos"})
    assert form.errors["comment"] == [CONTROL_CHARACTERS_MESSAGE]


def test_text_arrives_in_nfc_but_passwords_as_typed():
    decomposed = "Jose\u0301"
    form = Sample({"name": decomposed, "secret": decomposed})
    assert form.is_valid()
    assert form.cleaned_data["name"] == "José"
    assert form.cleaned_data["secret"] == decomposed


def test_a_refused_value_is_not_written_back_into_the_page():
    form = Sample({"name": "Ana\x00\x1b[2JMora", "comment": "a\x07\nb"})
    form.is_valid()
    html = str(form)
    assert 'value="Ana[2JMora"' in html
    assert ">\na\nb</textarea>" in html


def test_no_form_of_the_portal_opts_out_of_the_rules():
    from django.apps import apps

    project = {c.name for c in apps.get_app_configs() if not c.name.startswith("django")}

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    portal_forms = [c for c in subclasses(forms.BaseForm) if c.__module__.split(".")[0] in project]
    assert len(portal_forms) > 20
    for form_class in portal_forms:
        assert form_class.default_renderer is None, form_class
        assert form_class.bound_field_class is None, form_class
        for name, form_field in form_class.base_fields.items():
            assert form_field.bound_field_class is None, (form_class, name)
