"""The portal's one confirmation dialog: form → review → factor de seguridad → done.

Every operation that needs a second factor — changing a password, removing a device, a
transfer, a beneficiary — is an ``Operation`` with a form, a ``prepare`` that validates
and describes it, and an ``execute`` that does it. ``OperationView`` drives the steps:

1. the form (``step-form``): shape checks only;
2. ``prepare`` checks the operation against the member's data and returns its payload,
   the review lines ("Verifica que todos los datos estén correctos") and a summary for
   the code message; a challenge bound to that payload is opened;
3. the code (``step-confirm``): ``challenge_verify`` uses the code up — a second
   submission of the same dialog cannot run the operation again;
4. ``execute`` runs once and its result is kept, so a double click or a back-button
   replay shows the same receipt (``step-done``).

The prepared payload lives on the server (in the session, or in the operation's own
model): nothing that matters travels in hidden fields. With HTMX each step swaps only
the dialog (``flow/steps.html#step-…``); without JavaScript the same steps are whole
pages.
"""

import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views import View

from accounts import challenges
from accounts.exceptions import (
    ChallengeError,
    ChallengeExhausted,
    ChallengeUsed,
    CodeNotDelivered,
    SecretsLocked,
    TooManyGuesses,
)
from accounts.views.login import challenge_context
from core.errors import DomainError
from core.ratelimit import too_many_requests

SESSION_KEY = "operations"
KEEP = 10  # prepared operations kept per session
# How long the second of two simultaneous confirmations waits for the first one's result.
ALREADY_DONE_WAIT = 3.0
ALREADY_DONE = "Esta operación ya se realizó."


@dataclass
class Prepared:
    payload: dict
    review: list[tuple[str, str]] = field(default_factory=list)
    summary: str = ""
    notes: list[str] = field(default_factory=list)  # warnings shown under the review


class Operation(ABC):
    purpose: str = ""
    title: str = ""
    intro: str = ""
    form_class = None
    form_template: str = ""
    done_template: str = ""
    review_first: bool = True
    review_title: str = "Verifica que todos los datos estén correctos"
    submit_label: str = "Continuar"
    done_title: str = "El proceso se realizó correctamente."
    back_url_name: str = ""

    def form_kwargs(self, request) -> dict:
        return {}

    def back_url(self, request) -> str:
        """Where "Cancelar" and "Cerrar" lead."""
        return reverse(self.back_url_name) if self.back_url_name else ""

    def action_url(self, request) -> str:
        """Where each step posts: this page (an operation that must remember where the
        member came from adds that, validated, to the query)."""
        return request.path

    def extra_context(self, request) -> dict:
        """More for the form step's template (a QR code, the item concerned…)."""
        return {}

    def initial(self, request) -> dict:
        return {}

    @abstractmethod
    def prepare(self, request, form) -> Prepared:
        """Checks the operation against the member's data; raises a DomainError or
        returns what the code will be bound to and what the member reviews."""

    @abstractmethod
    def execute(self, request, payload: dict) -> dict:
        """Does it — once — and returns what the done step shows."""

    def executed(self, request, payload: dict) -> dict | None:
        """What the done step shows if this operation already ran (found by a key in
        ``payload``), else ``None``. Lets the second of two simultaneous confirmations
        show the first one's receipt."""
        return None


class OperationView(View):
    operation: Operation

    def _ops(self, request) -> dict:
        return request.session.setdefault(SESSION_KEY, {})

    def _store(self, request, op_id: str, record: dict) -> None:
        ops = self._ops(request)
        ops[op_id] = record
        for stale in list(ops)[:-KEEP]:
            ops.pop(stale, None)
        request.session.modified = True

    def _context(self, request, **extra) -> dict:
        op = self.operation
        return {
            "op": op,
            "action_url": op.action_url(request),
            "back_url": op.back_url(request),
            **extra,
        }

    def _render(self, request, step: str, **extra):
        context = self._context(request, step=step, **extra)
        if step == "form":
            context.update(self.operation.extra_context(request))
        template = "flow/steps.html#step-" + step if request.htmx else "flow/page.html"
        context["step_template"] = "flow/steps.html#step-" + step
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get(self, request, *args, **kwargs):
        form = self.operation.form_class(
            initial=self.operation.initial(request), **self.operation.form_kwargs(request)
        )
        return self._render(request, "form", form=form)

    def post(self, request, *args, **kwargs):
        step = request.POST.get("step", "form")
        if step == "form":
            return self._submit_form(request)
        op_id = request.POST.get("op", "")
        record = self._ops(request).get(op_id)
        if record is None or record["purpose"] != self.operation.purpose:
            raise Http404
        if record.get("done") is not None:
            return self._render(request, "done", op_id=op_id, result=record["done"])
        if step == "resend":
            return self._resend(request, op_id, record)
        if step == "cancel":
            self._ops(request).pop(op_id, None)
            request.session.modified = True
            return self.get(request)
        return self._confirm(request, op_id, record)

    def _submit_form(self, request):
        op = self.operation
        form = op.form_class(request.POST, request.FILES or None, **op.form_kwargs(request))
        if not form.is_valid():
            return self._render(request, "form", form=form)
        undelivered = None
        try:
            prepared = op.prepare(request, form)
            try:
                challenge = challenges.challenge_start(
                    user=request.user,
                    purpose=op.purpose,
                    payload=prepared.payload,
                    summary=prepared.summary,
                    request=request,
                )
            except CodeNotDelivered as exc:  # the code step, saying so, with «Reenviar»
                challenge, undelivered = exc.context["challenge"], exc.message
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self._render(request, "form", form=form)
        op_id = uuid.uuid4().hex
        self._store(
            request,
            op_id,
            {
                "purpose": op.purpose,
                "payload": prepared.payload,
                "review": [[str(label), str(value)] for label, value in prepared.review],
                "notes": [str(note) for note in prepared.notes],
                "challenge": str(challenge.public_id),
                "done": None,
            },
        )
        return self._confirm_page(request, op_id, challenge, prepared.review, error=undelivered)

    def _confirm_page(self, request, op_id, challenge, review, *, form=None, error=None, **extra):
        from accounts.forms import ChallengeForm

        if form is None:
            form = ChallengeForm(data={"answer": ""}) if error else ChallengeForm()
            if error:
                form.is_valid()
                form.errors["answer"] = form.error_class([error])
        elif error:
            form.add_error("answer", error)
        resend = request.path
        return self._render(
            request,
            "confirm",
            op_id=op_id,
            review=review,
            notes=self._ops(request).get(op_id, {}).get("notes", []),
            form=form,
            **challenge_context(challenge, resend_url=resend),
            **extra,
        )

    def _confirm(self, request, op_id: str, record: dict):
        from accounts.forms import ChallengeForm

        op = self.operation
        challenge = challenges.challenge_get(user=request.user, public_id=record["challenge"])
        form = ChallengeForm(request.POST)
        if not form.is_valid():
            return self._confirm_page(request, op_id, challenge, record["review"], form=form)
        try:
            challenges.challenge_verify(
                user=request.user,
                public_id=challenge.public_id,
                purpose=op.purpose,
                payload=record["payload"],
                answer=form.cleaned_data["answer"],
                request=request,
            )
        except ChallengeUsed:
            return self._already_confirmed(request, op_id, record)
        except SecretsLocked as exc:
            from django.contrib import messages
            from django.contrib.auth import logout
            from django.shortcuts import redirect

            logout(request)
            messages.error(request, exc.message)
            return redirect("accounts:login")
        except ChallengeExhausted as exc:
            self._ops(request).pop(op_id, None)
            request.session.modified = True
            return self._failed(request, exc.message)
        except TooManyGuesses as exc:
            return too_many_requests(request, message=exc.message)
        except ChallengeError as exc:
            return self._confirm_page(
                request, op_id, challenge, record["review"], error=exc.message
            )
        try:
            result = op.execute(request, record["payload"])
        except DomainError as exc:
            self._ops(request).pop(op_id, None)
            request.session.modified = True
            return self._failed(request, exc.message)
        record["done"] = result
        self._store(request, op_id, record)
        return self._render(request, "done", op_id=op_id, result=result)

    def _already_confirmed(self, request, op_id: str, record: dict):
        """The code was used by a simultaneous confirmation of this same operation (a
        double click, a second tab). Each request works on its own copy of the session, so
        wait briefly for the other one's result — its record in the stored session, or the
        operation found by its key — and show the same receipt; if it does not come in
        time, say the operation was done, never to start it again."""
        deadline = time.monotonic() + ALREADY_DONE_WAIT
        while True:
            stored = type(request.session)(request.session.session_key)
            ops = stored.load().get(SESSION_KEY, {})
            # A session gone (its key rotated) tells nothing; a record gone means the other
            # confirmation ended without a result (its execution was refused).
            current = ops.get(op_id) if stored.session_key else record
            if current is None:
                return self._failed(request, "La operación no se realizó. Vuelve a iniciarla.")
            result = current.get("done")
            if result is None:
                result = self.operation.executed(request, record["payload"])
            if result is not None:
                return self._render(request, "done", op_id=op_id, result=result)
            if time.monotonic() >= deadline:
                return self._render(
                    request,
                    "done",
                    op_id=op_id,
                    result={
                        "title": ALREADY_DONE,
                        "message": "La confirmaste en otra ventana o con un doble clic: no "
                        "la repitas. Con «Cerrar» vuelves a donde puedes revisarla.",
                    },
                )
            time.sleep(0.2)

    def _resend(self, request, op_id: str, record: dict):
        challenge = challenges.challenge_get(user=request.user, public_id=record["challenge"])
        error = None
        try:
            challenge = challenges.challenge_resend(
                user=request.user, public_id=challenge.public_id, request=request
            )
        except ChallengeExhausted as exc:
            return self._failed(request, exc.message)
        except ChallengeError as exc:
            error = exc.message
        return self._confirm_page(
            request, op_id, challenge, record["review"], error=error, resent=error is None
        )

    def _failed(self, request, message: str):
        """Back to a fresh form, saying why the previous attempt ended."""
        form = self.operation.form_class(
            initial=self.operation.initial(request), **self.operation.form_kwargs(request)
        )
        return self._render(request, "form", form=form, notice=message)


def operation_view(operation: Operation):
    """The view for ``operation``, for signed-in users only."""
    from django.contrib.auth.decorators import login_required
    from django.utils.decorators import method_decorator

    return method_decorator(login_required, name="dispatch")(
        type(f"{type(operation).__name__}View", (OperationView,), {"operation": operation})
    ).as_view()
