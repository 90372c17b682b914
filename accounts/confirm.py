"""The portal's one confirmation dialog: form → review → factor de seguridad → done.

The dialog only drives steps and renders; what is asked, checked and done belongs to an
operation kind (``accounts.operations.OperationKind``, declared by its app). Each
submission of the form becomes an ``Operation`` row (``accounts.operations``); the page
carries only the row's public id, so the operation outlives the session:

1. the form (``step-form``): shape checks only;
2. the kind's ``prepare`` checks the operation against the owner's data; a challenge
   bound to the payload is opened (its code sent), then the row is stored with its
   payload, awaiting that code;
3. the code (``step-confirm``): ``challenge_verify`` uses the code up — a second
   submission of the same dialog cannot run the operation again; a kind whose
   ``acceptance`` names terms shows them there, and the code counts only with them
   accepted;
4. ``operation_execute`` runs the kind's ``execute`` once and stores the result, so a
   double click or a back-button replay shows the same receipt (``step-done``).

With HTMX each step swaps only the dialog (``flow/steps.html#step-…``); without
JavaScript the same steps are whole pages.
"""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
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
from accounts.models import Operation
from accounts.operations import (
    Actor,
    OperationKind,
    operation_check_open,
    operation_create,
    operation_execute,
    operation_get,
    operation_kind_register,
    operation_payload,
    operation_refuse,
)
from accounts.owners import request_actor
from accounts.views.login import challenge_context
from core.errors import DomainError
from core.ratelimit import too_many_requests

# How long the second of two simultaneous confirmations waits for the first one's result.
ALREADY_DONE_WAIT = 3.0
ALREADY_DONE = "Esta operación ya se realizó."

State = Operation.State


class OperationView(View):
    kind: OperationKind
    owner_required: bool = True

    def _actor(self, request) -> Actor:
        return request_actor(request, owner_required=self.owner_required)

    def _render(self, request, step: str, actor: Actor, **extra):
        kind = self.kind
        context = {
            "op": kind,
            "action_url": kind.action_url(request),
            "back_url": kind.back_url(request),
            "step": step,
            **extra,
        }
        if step == "form":
            context.update(kind.extra_context(request, actor))
        if step == "done":  # «Realizar otra…» starts the same dialog again
            context["again_url"] = context["action_url"]
        template = "flow/steps.html#step-" + step if request.htmx else "flow/page.html"
        context["step_template"] = "flow/steps.html#step-" + step
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def _form(self, request, actor: Actor, data=None):
        kind = self.kind
        if data is None:
            return kind.form_class(initial=kind.initial(request, actor), **kind.form_kwargs(actor))
        return kind.form_class(data, request.FILES or None, **kind.form_kwargs(actor))

    def get(self, request, *args, **kwargs):
        actor = self._actor(request)
        return self._render(request, "form", actor, form=self._form(request, actor))

    def post(self, request, *args, **kwargs):
        actor = self._actor(request)
        step = request.POST.get("step", "form")
        if step == "form" and "refresh" in request.POST:
            return self._refresh(request, actor)
        if step == "form":
            return self._submit_form(request, actor)
        operation = operation_get(
            user=request.user, public_id=request.POST.get("op", ""), purpose=self.kind.purpose
        )
        if operation.state in (State.EXECUTED, State.PARTIALLY_EXECUTED):
            return self._done(request, actor, operation)
        if step == "cancel":
            operation_refuse(operation=operation, message="Cancelada por el usuario.")
            return self.get(request)
        try:
            operation_check_open(operation)
        except DomainError as exc:
            return self._failed(request, actor, exc.message)
        if operation.state == State.EXECUTING:
            return self._already_confirmed(request, actor, operation)
        if step == "resend":
            return self._resend(request, actor, operation)
        return self._confirm(request, actor, operation)

    def _refresh(self, request, actor: Actor):
        """The form again with what was typed, nothing prepared: for a button that looks
        something up before the member goes on (bills to pay for a reference). The kind's
        ``initial`` and ``extra_context`` read the submitted values from ``request.POST``."""
        form = self.kind.form_class(
            initial=self.kind.initial(request, actor), **self.kind.form_kwargs(actor)
        )
        return self._render(request, "form", actor, form=form)

    def _submit_form(self, request, actor: Actor):
        kind = self.kind
        form = self._form(request, actor, request.POST)
        if not form.is_valid():
            return self._render(request, "form", actor, form=form)
        undelivered = None
        try:
            prepared = kind.prepare(actor, form, kind.context(request))
            try:
                challenge = challenges.challenge_start(
                    user=request.user,
                    purpose=kind.purpose,
                    payload=prepared.payload,
                    summary=prepared.summary,
                    request=request,
                )
            except CodeNotDelivered as exc:  # the code step, saying so, with «Reenviar»
                challenge, undelivered = exc.context["challenge"], exc.message
        except DomainError as exc:  # a rule, or the send caps: nothing stored
            form.add_error(None, exc.message)
            return self._render(request, "form", actor, form=form)
        # Stored awaiting the code it is bound to: one INSERT.
        operation = operation_create(
            kind=kind,
            actor=actor,
            prepared=prepared,
            state=State.AWAITING_CODE,
            challenge=challenge,
        )
        return self._confirm_page(request, actor, operation, challenge, error=undelivered)

    def _confirm_page(
        self, request, actor, operation, challenge, *, form=None, error=None, **extra
    ):
        from accounts.forms import ChallengeForm

        if form is None:
            form = ChallengeForm(data={"answer": ""}) if error else ChallengeForm()
            if error:
                form.is_valid()
                form.errors["answer"] = form.error_class([error])
        elif error:
            form.add_error("answer", error)
        return self._render(
            request,
            "confirm",
            actor,
            op_id=operation.public_id.hex,
            review=operation.review,
            notes=operation.notes,
            acceptance=self.kind.acceptance(operation_payload(operation)),
            accepted=bool(request.POST.get("acepto")),
            form=form,
            **challenge_context(challenge, resend_url=request.path),
            **extra,
        )

    def _confirm(self, request, actor: Actor, operation: Operation):
        from accounts.forms import ChallengeForm

        def challenge():  # read only for a page that shows the code step again
            return challenges.challenge_get(
                user=request.user, public_id=operation.challenge.public_id
            )

        form = ChallengeForm(request.POST)
        if not form.is_valid():
            return self._confirm_page(request, actor, operation, challenge(), form=form)
        acceptance = self.kind.acceptance(operation_payload(operation))
        if acceptance is not None and not request.POST.get("acepto"):
            # Refused before the code is looked at: the same code works once accepted.
            return self._confirm_page(
                request, actor, operation, challenge(), acceptance_error=acceptance.error
            )
        try:
            challenges.challenge_verify(
                user=request.user,
                public_id=operation.challenge.public_id,  # verify checks it is the user's
                purpose=operation.purpose,
                payload=operation_payload(operation),
                answer=form.cleaned_data["answer"],
                request=request,
            )
        except ChallengeUsed:
            return self._already_confirmed(request, actor, operation)
        except SecretsLocked as exc:
            operation_refuse(operation=operation, message=exc.message)
            logout(request)
            messages.error(request, exc.message)
            return redirect("accounts:login")
        except ChallengeExhausted as exc:
            operation_refuse(operation=operation, message=exc.message)
            return self._failed(request, actor, exc.message)
        except TooManyGuesses as exc:
            return too_many_requests(request, message=exc.message)
        except ChallengeError as exc:
            return self._confirm_page(request, actor, operation, challenge(), error=exc.message)
        try:
            operation = operation_execute(operation=operation, request=request)
        except DomainError as exc:
            return self._failed(request, actor, exc.message)
        if operation.state == State.EXECUTING:  # another request executes it
            return self._already_confirmed(request, actor, operation)
        return self._done(request, actor, operation)

    def _done(self, request, actor: Actor, operation: Operation):
        return self._render(
            request, "done", actor, op_id=operation.public_id.hex, result=operation.result
        )

    def _already_confirmed(self, request, actor: Actor, operation: Operation):
        """The code was used by a simultaneous confirmation of this same operation (a
        double click, a second tab): wait briefly for the other one's result on the row and
        show the same receipt; if it does not come in time, say the operation was done,
        never to start it again."""
        deadline = time.monotonic() + ALREADY_DONE_WAIT
        while True:
            operation.refresh_from_db()
            if operation.state in (State.EXECUTED, State.PARTIALLY_EXECUTED):
                return self._done(request, actor, operation)
            if operation.state in (State.REFUSED, State.EXPIRED, State.REJECTED):
                return self._failed(
                    request,
                    actor,
                    operation.error or "La operación no se realizó. Vuelve a iniciarla.",
                )
            if time.monotonic() >= deadline:
                return self._render(
                    request,
                    "done",
                    actor,
                    op_id=operation.public_id.hex,
                    result={
                        "title": ALREADY_DONE,
                        "message": "La confirmaste en otra ventana o con un doble clic: no "
                        "la repitas. Con «Cerrar» vuelves a donde puedes revisarla.",
                    },
                )
            time.sleep(0.2)

    def _resend(self, request, actor: Actor, operation: Operation):
        challenge = challenges.challenge_get(
            user=request.user, public_id=operation.challenge.public_id
        )
        error = None
        try:
            challenge = challenges.challenge_resend(
                user=request.user, public_id=challenge.public_id, request=request
            )
        except ChallengeExhausted as exc:
            operation_refuse(operation=operation, message=exc.message)
            return self._failed(request, actor, exc.message)
        except ChallengeError as exc:
            error = exc.message
        return self._confirm_page(
            request, actor, operation, challenge, error=error, resent=error is None
        )

    def _failed(self, request, actor: Actor, message: str):
        """Back to a fresh form, saying why the previous attempt ended."""
        return self._render(request, "form", actor, form=self._form(request, actor), notice=message)


def operation_view(kind: OperationKind, *, owner_required: bool = True):
    """The dialog of ``kind`` (registered for workers too), for signed-in users only."""
    operation_kind_register(kind)
    view = type(
        f"{type(kind).__name__}View",
        (OperationView,),
        {"kind": kind, "owner_required": owner_required},
    )
    return method_decorator(login_required, name="dispatch")(view).as_view()
