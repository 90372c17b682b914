"""The authorization table: what every URL answers to every role, GET and POST.

Each row is ``"url name": ("GET answers", "POST answers")``, one answer per role in the
order of ``ROLES``:

- ``anonymous``: nobody signed in;
- ``member``: María, who owns every object the URL names (tests/authorization/world.py);
- ``other_member``: Gabriel, signed in, with objects of his own — on María's objects he
  gets 404, never 403, so a URL does not tell whether an object exists;
- ``staff``: Lucía, branch staff with no permission at all (and no membership: a member's
  page is a 404 for her);
- ``viewer``: Pedro, staff with every ``view_…`` permission and nothing else;
- ``admin``: Rosa, staff with every permission.

The columns are headed by the roles' first letters (an, me, ot, st, vi, ad). An answer
is an HTTP status, or ``L``: a 302 to the sign-in page (the portal's, or the admin's,
which sends to the portal's). A POST carries no data: it must change no row
(``CHANGES`` lists the POSTs that are the action itself). ``OBJECTS`` names the world's
object whose ids fill a URL's arguments.

The admin's model pages follow one rule (``admin_row``) from what each model admin
allows (``ADMIN_MODELS``). A URL missing from this table, or a row whose URL is gone,
fails tests/authorization/test_matrix.py: a new feature adds its rows here.

The admin's actions (tests/authorization/test_admin_actions.py) follow another rule
(``action_row``) from the permission each action needs (``ADMIN_ACTIONS``): an action of
a registered model admin missing from it fails the suite too."""

ROLES = ("anonymous", "member", "other_member", "staff", "viewer", "admin")
LOGIN = "L"

# fmt: off
TABLE: dict[str, tuple[str, str]] = {
    # GET, then POST:                       an  me  ot  st  vi  ad      an  me  ot  st  vi  ad
    # The shell: public, and the same for everyone
    "brand_stylesheet":                   ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    "dev_outbox":                         ("404 404 404 404 404 404", "405 405 405 405 405 405"),
    "healthz":                            ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    "home":                               ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "logo":                               ("302 302 302 302 302 302", "405 405 405 405 405 405"),
    "manifest":                           ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    "offline":                            ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    "service_worker":                     ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    # accounts: sign-in, recovery, enrollment, profile
    "accounts:activity":                  ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "accounts:authenticator_add":         ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:authenticator_remove":      ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:complaint":                 ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "accounts:complaint_attachment":      ("L   L   L   403 200 200", "L   L   L   403 405 405"),
    "accounts:device_remove":             ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "accounts:devices":                   ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "accounts:enroll":                    ("200 302 302 302 302 302", "200 302 302 302 302 302"),
    "accounts:enroll_code":               ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:enroll_document":           ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:enroll_resend":             ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "accounts:faq":                       ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    "accounts:forgot_password":           ("200 200 200 200 200 200", "200 200 200 200 200 200"),
    "accounts:forgot_username":           ("200 200 200 200 200 200", "200 200 200 200 200 200"),
    "accounts:image_change":              ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:keepalive":                 ("405 405 405 405 405 405", "401 204 204 204 204 204"),
    "accounts:login":                     ("200 302 302 302 302 302", "200 302 302 302 302 302"),
    "accounts:login_cancel":              ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "accounts:login_challenge":           ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:login_device":              ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:login_password":            ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:login_resend":              ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "accounts:logout":                    ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "accounts:passkey_add":               ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:passkey_login":             ("405 405 405 405 405 405", "400 400 400 400 400 400"),
    "accounts:passkey_login_options":     ("405 405 405 405 405 405", "200 200 200 200 200 200"),
    "accounts:passkey_options":           ("L   405 405 405 405 405", "L   403 403 403 403 403"),
    "accounts:passkey_register":          ("L   405 405 405 405 405", "L   403 403 403 403 403"),
    "accounts:passkey_remove":            ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "accounts:passkeys":                  ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "accounts:password_change":           ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:personal_data":             ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "accounts:personalize":               ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:personalize_resend":        ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "accounts:pin_change":                ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:profile":                   ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "accounts:questions_change":          ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    "accounts:recovery_challenge":        ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:recovery_image":            ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:recovery_password":         ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "accounts:recovery_resend":           ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "accounts:subscriptions":             ("L   200 200 200 200 200", "L   302 302 302 302 302"),
    "accounts:support":                   ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "accounts:terms":                     ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "accounts:theme":                     ("L   405 405 405 405 405", "L   302 302 302 302 302"),
    "accounts:unlock":                    ("200 200 200 200 200 200", "200 200 200 200 200 200"),
    "accounts:username_change":           ("L   200 200 200 200 200", "L   200 200 200 200 200"),
    # products
    "products:account":                   ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:account_download":          ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:amounts_toggle":            ("L   405 405 405 405 405", "L   302 302 302 302 302"),
    "products:contact":                   ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "products:document_job":              ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:document_job_download":     ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:loan":                      ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:loan_pay":                  ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "products:loan_schedule":             ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:loan_schedule_download":    ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:position":                  ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "products:receipt":                   ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:requests":                  ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "products:services":                  ("L   200 200 200 200 200", "L   405 405 405 405 405"),
    "products:statement":                 ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "products:term_deposit":              ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "products:verify":                    ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    # transfers
    "transfers:beneficiaries":            ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "transfers:beneficiary_add_external": ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "transfers:beneficiary_add_internal": ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "transfers:beneficiary_delete":       ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "transfers:beneficiary_edit":         ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "transfers:beneficiary_validate":     ("L   405 405 405 405 405", "L   200 200 404 404 404"),
    "transfers:index":                    ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "transfers:interbank":                ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "transfers:internal":                 ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "transfers:limits":                   ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "transfers:own":                      ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    # payments
    "payments:frequent":                  ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "payments:frequent_delete":           ("L   405 405 405 405 405", "L   302 404 404 404 404"),
    "payments:history":                   ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "payments:history_download":          ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "payments:index":                     ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "payments:new":                       ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "payments:schedule_delete":           ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "payments:schedule_edit":             ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "payments:schedule_new":              ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "payments:scheduled":                 ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    # cards
    "cards:defer":                        ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "cards:defer_card":                   ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "cards:detail":                       ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "cards:index":                        ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "cards:lock":                         ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "cards:payee_add":                    ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "cards:payee_delete":                 ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "cards:payment_new":                  ("L   200 200 404 404 404", "L   200 200 404 404 404"),
    "cards:payments":                     ("L   200 200 404 404 404", "L   405 405 405 405 405"),
    "cards:pin_change":                   ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "cards:pin_recover":                  ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    "cards:statement":                    ("L   200 404 404 404 404", "L   405 405 405 405 405"),
    "cards:unlock":                       ("L   200 404 404 404 404", "L   200 404 404 404 404"),
    # admin: the site's own pages (the model pages follow the rule below)
    "admin:<catch-all>":                  ("L   L   L   404 404 404", "L   L   L   404 404 404"),
    "admin:app_list":                     ("L   L   L   404 200 200", "L   L   L   404 200 200"),
    "admin:auth_user_password_change":    ("L   L   L   403 403 200", "L   L   L   403 403 200"),
    "admin:autocomplete":                 ("L   L   L   403 403 403", "L   L   L   405 405 405"),
    "admin:index":                        ("L   L   L   200 200 200", "L   L   L   200 200 200"),
    "admin:jsi18n":                       ("L   L   L   200 200 200", "L   L   L   405 405 405"),
    "admin:login":                        ("L   L   L   L   L   L  ", "L   L   L   L   L   L  "),
    "admin:logout":                       ("302 302 302 405 405 405", "302 302 302 302 302 302"),
    "admin:password_change":              ("L   L   L   200 200 200", "L   L   L   200 200 200"),
    "admin:password_change_done":         ("L   L   L   200 200 200", "L   L   L   405 405 405"),
    "admin:view_on_site":                 ("L   L   L   404 404 404", "L   L   L   404 404 404"),
}
# fmt: on

# The world's object (tests/authorization/world.py, María's) whose ids fill the URL.
OBJECTS = {
    "accounts:complaint_attachment": "complaint",
    "accounts:device_remove": "device",
    "accounts:enroll_document": "enrollment_document",
    "accounts:passkey_remove": "passkey",
    "admin:app_list": "admin_app",
    "admin:auth_user_password_change": "admin_user",
    "admin:view_on_site": "admin_view_on_site",
    "cards:defer_card": "card",
    "cards:detail": "card",
    "cards:lock": "card",
    "cards:payee_delete": "card_payee",
    "cards:pin_change": "card",
    "cards:pin_recover": "card",
    "cards:statement": "card_statement",
    "cards:unlock": "card",
    "payments:frequent_delete": "saved_service",
    "payments:schedule_delete": "schedule",
    "payments:schedule_edit": "schedule",
    "products:account": "account",
    "products:account_download": "account",
    "products:document_job": "document_job",
    "products:document_job_download": "document_job",
    "products:loan": "loan",
    "products:loan_pay": "loan",
    "products:loan_schedule": "loan",
    "products:loan_schedule_download": "loan",
    "products:receipt": "receipt",
    "products:term_deposit": "term_deposit",
    "products:verify": "verified_document",
    "transfers:beneficiary_delete": "beneficiary",
    "transfers:beneficiary_edit": "beneficiary",
}

# POSTs that may change rows with no data, and why. Nothing else may change a row.
CHANGES = {
    "accounts:logout": "«Salir» is the POST itself: the sign-out is audited",
    "payments:frequent_delete": "«Eliminar» a saved service: the POST is the confirmation",
    "products:amounts_toggle": "«Ocultar montos» is the POST itself: it flips the preference",
    # A dialog whose form has no required field: the empty POST is «Continuar», which
    # stores the operation awaiting its code; nothing is done before the code.
    "cards:lock": "the operation awaits its code",
    "cards:payee_delete": "the operation awaits its code",
    "cards:pin_recover": "the operation awaits its code",
    "payments:schedule_delete": "the operation awaits its code",
    "transfers:beneficiary_delete": "the operation awaits its code",
    "transfers:beneficiary_edit": "the operation awaits its code",
}

# What each model admin allows staff holding the permission to do; every model admin
# lets them view. A model registered in the admin and missing here fails the matrix.
ADMIN_MODELS = {
    "accounts.auditevent": "view",
    "accounts.complaint": "view change delete",
    "accounts.device": "view change delete",
    "accounts.enrollment": "view change delete",
    "accounts.faqentry": "view add change delete",
    "accounts.member": "view add change delete",
    "accounts.operation": "view",
    "accounts.securityimage": "view add change delete",
    "accounts.securityquestion": "view add change delete",
    "accounts.termsacceptance": "view",
    "accounts.termsdocument": "view add change delete",
    "accounts.user": "view add change delete",
    "auth.group": "view add change delete",
    "cards.card": "view add change",
    "cards.cardpayee": "view",
    "cards.cardpayment": "view",
    "core.cooperative": "view add change",
    "core.notification": "view retry",
    "ledger.account": "view",
    "ledger.calendarday": "view add change delete",
    "ledger.hold": "view",
    "ledger.journal": "view",
    "ledger.posting": "view",
    "ledger.tariff": "view add change delete",
    "payments.biller": "view add change delete",
    "payments.billpayment": "view",
    "payments.savedservice": "view",
    "payments.servicecategory": "view add change delete",
    "products.depositaccount": "view add change",
    "products.loan": "view add change",
    "products.loantype": "view add change delete",
    "products.productrequest": "view change",
    "products.producttype": "view add change delete",
    "products.statementdelivery": "view",
    "products.termdeposit": "view add change",
    "products.termdeposittype": "view add change delete",
    "transfers.beneficiary": "view",
    "transfers.institution": "view add change",
    "transfers.settlementbatch": "view",
    "transfers.transfer": "view",
    "transfers.transferlimit": "view add change",
}

# Change forms whose every field is read-only or optional: a POST without data is a
# valid form that saves the object as it was and redirects (302), changing nothing.
ADMIN_EMPTY_CHANGE_SAVES = {
    "accounts.device",
    "accounts.enrollment",
    "accounts.termsdocument",
    "products.termdeposit",
}

ADMIN_PAGES = ("changelist", "add", "change", "delete", "history", "object")


def admin_row(label: str, page: str) -> tuple[str, str]:
    """The answers of one admin page of model ``label``: nobody outside staff reaches it
    (``L``); staff with no permission get 403; viewing needs ``view``, adding, changing
    and deleting need their own permission and an admin that allows it; the bare
    ``<id>/`` redirects to the change page for everyone signed in as staff."""
    allows = set(ADMIN_MODELS[label].split())
    outside = "L L L"

    def staff(viewer: str, admin: str) -> str:
        return f"{outside} 403 {viewer} {admin}"

    def allowed(op: str, answer: str = "200") -> str:
        return answer if op in allows else "403"

    if page in ("changelist", "history"):
        return staff("200", "200"), staff("200", "200")
    if page == "add":
        return staff("403", allowed("add")), staff("403", allowed("add"))
    if page == "change":
        saved = "302" if label in ADMIN_EMPTY_CHANGE_SAVES else "200"
        return staff("200", "200"), staff("403", allowed("change", saved))
    if page == "delete":
        return staff("403", allowed("delete")), staff("403", allowed("delete"))
    assert page == "object", page
    return f"{outside} 302 302 302", f"{outside} 302 302 302"


def keys() -> set[str]:
    """Every URL key the table declares (tests/authorization/urlconf.py spells them)."""
    admin = {f"admin:{label}:{page}" for label in ADMIN_MODELS for page in ADMIN_PAGES}
    return set(TABLE) | admin


def answers(key: str, method: str) -> list[str]:
    if key.count(":") == 2 and key.startswith("admin:"):
        _, label, page = key.split(":")
        row = admin_row(label, page)
    else:
        row = TABLE[key]
    return (row[0] if method == "GET" else row[1]).split()


# --- The admin's actions -------------------------------------------------------------------

# An action's answers, beside L and 403: REFUSED, the role is not offered the action — the
# changelist answers (200, or 302 back to it) and no row changes; DONE, the action runs
# (302 back to the changelist) and changes rows.
REFUSED, DONE = "no", "ok"

# The permission each action of a model admin needs (``@admin.action(permissions=…)``);
# Django's "Eliminar … seleccionados/as" (``delete_selected``), on every model admin,
# needs ``delete``. An action that needs none would be offered to whoever may view the
# list: none may.
ADMIN_ACTIONS = {
    "accounts.enrollment:approve": "change",
    "accounts.enrollment:reject": "change",
    "accounts.member:activate": "change",
    "accounts.member:block": "change",
    "accounts.member:issue_credentials": "change",
    "accounts.member:reset_credentials": "change",
    "accounts.member:unlock": "change",
    "cards.card:activate": "change",
    "cards.card:block": "change",
    "cards.card:cancel": "change",
    "core.cooperative:activate": "change",
    "core.notification:retry": "retry",
    "ledger.account:block": "change",
    "ledger.account:close": "change",
    "ledger.account:reactivate": "change",
    "products.depositaccount:cash_deposit": "change",
    "products.depositaccount:cash_withdrawal": "change",
}

# Actions Rosa (every permission) runs on the world's first object of the model that
# change nothing there, and why.
ADMIN_ACTIONS_IDLE = {
    # The object is in use: Django's confirmation lists what protects it, deletes nothing.
    "accounts.member:delete_selected": "María has accounts, cards, loans…",
    "accounts.user:delete_selected": "the first user is in use",
    "payments.biller:delete_selected": "María has paid the biller",
    "payments.servicecategory:delete_selected": "its billers",
    "products.loantype:delete_selected": "loans of the type",
    "products.producttype:delete_selected": "accounts of the type",
    "products.termdeposittype:delete_selected": "deposits of the type",
    # The service refuses, or has nothing to do, for the world's object.
    "cards.card:activate": "the card is active already",
    "cards.card:cancel": "the credit card owes its statement (CardHasBalance)",
    "core.notification:retry": "only a failed notification is retried; the world's first is not",
    "ledger.account:close": "only an account without balance closes",
    "ledger.account:reactivate": "the account is active already",
}


def action_key(label: str, action: str) -> str:
    return f"{label}:{action}"


def action_keys() -> set[str]:
    return {action_key(label, "delete_selected") for label in ADMIN_MODELS} | set(ADMIN_ACTIONS)


def action_row(label: str, action: str) -> str:
    """An action's answers: nobody outside staff reaches the changelist (``L``); staff
    with no permission get 403; the viewer holds only ``view_…``, which no action needs;
    Rosa runs it when the model admin lets the permission it needs be used (a deletion
    where the admin allows deleting; every other action: the admin grants its own
    permission at the list)."""
    key = action_key(label, action)
    needs = "delete" if action == "delete_selected" else ADMIN_ACTIONS[key]
    viewer = DONE if needs == "view" else REFUSED
    allowed = needs in ADMIN_MODELS[label].split() if action == "delete_selected" else True
    admin = DONE if allowed and key not in ADMIN_ACTIONS_IDLE else REFUSED
    return f"L L L 403 {viewer} {admin}"


def action_answers(label: str, action: str) -> list[str]:
    return action_row(label, action).split()
