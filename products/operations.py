"""The operations of the products app: "Pagar cuota", the next installment of one of the
owner's loans from one of the owner's accounts (``accounts.operations``)."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.operations import Actor, OperationKind, Prepared, operation_kind_register
from core.masking import mask_number
from core.money import format_money
from ledger.exceptions import InsufficientFunds
from ledger.models import Channel
from products.forms import LoanPayForm
from products.loans import installment_pay, loan_due
from products.receipts import receipt_result
from products.selectors import member_deposit_account, member_deposit_accounts, member_loan


class LoanPay(OperationKind):
    """Pagar cuota: checks that the account covers the installment, describes it (capital,
    interest, insurance, late interest) and pays it through ``installment_pay``."""

    purpose = "loan_payment"
    title = _("Pago de crédito")
    intro = _("Pagarás la próxima cuota de tu crédito, con su interés y seguro.")
    form_class = LoanPayForm
    form_template = "accounts/profile/fields_form.html"
    submit_label = _("Continuar")
    done_title = _("Pago realizado")
    done_template = "products/partials/receipt.html"

    def back_url(self, request) -> str:
        return reverse("products:loan", args=[request.resolver_match.kwargs["public_id"]])

    def context(self, request) -> dict:
        return {"loan": str(request.resolver_match.kwargs["public_id"])}

    def form_kwargs(self, actor: Actor) -> dict:
        return {"accounts": member_deposit_accounts(member=actor.owner)}

    def extra_context(self, request, actor: Actor) -> dict:
        return {"loan": member_loan(member=actor.owner, public_id=self.context(request)["loan"])}

    def initial(self, request, actor: Actor) -> dict:
        member_loan(member=actor.owner, public_id=self.context(request)["loan"])  # else 404
        return {}

    def prepare(self, actor: Actor, form, context: dict) -> Prepared:
        loan = member_loan(member=actor.owner, public_id=context["loan"])
        due = loan_due(loan=loan)
        account = form.cleaned_data["cuenta"]
        if account.ledger_account.available < due.total:
            raise InsufficientFunds
        installment = due.installment
        currency = loan.ledger_account.currency
        review = [
            (_("Crédito"), f"{loan.number} · {loan.loan_type.name}"),
            (_("Cuota"), f"{installment.number} de {loan.installments_count}"),
            (_("Fecha de pago"), installment.due_date.strftime("%d/%m/%Y")),
            (_("Capital"), format_money(installment.capital, currency)),
            (_("Interés"), format_money(installment.interest, currency)),
            (_("Seguro Desgravamen"), format_money(installment.insurance, currency)),
        ]
        if due.late:
            review.append((_("Interés de mora"), format_money(due.late, currency)))
        review += [
            (_("Valor a pagar"), format_money(due.total, currency)),
            (_("Cuenta de origen"), account.masked_name),
        ]
        return Prepared(
            payload={
                "loan": str(loan.public_id),
                "number": installment.number,
                "amount": str(due.total),
                "account": str(account.public_id),
            },
            review=review,
            summary=f"Pago de cuota del crédito {mask_number(loan.number)} por "
            f"{format_money(due.total, currency)}",
        )

    def execute(self, actor: Actor, payload: dict, key: str) -> dict:
        loan = member_loan(member=actor.owner, public_id=payload["loan"])
        account = member_deposit_account(member=actor.owner, public_id=payload["account"])
        posted = installment_pay(
            loan=loan,
            number=payload["number"],
            amount=Decimal(payload["amount"]),
            account=account,
            user=actor.user,
            channel=actor.channel or Channel.WEB,
            key=key,
        )
        return receipt_result(posted.journal, viewer=actor.owner)


loan_pay = operation_kind_register(LoanPay())
