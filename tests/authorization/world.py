"""The world the authorization matrix runs in: María (the member) owns one object of
every kind a URL can name; Gabriel (another member) owns his own, never hers; Lucía is
staff with no permission at all, Pedro staff who may only view (every ``view_…``
permission), Rosa staff with every permission.

``world.kwargs[key]`` are the URL arguments of María's object ``key`` — the keys the
table's rows name (tests/authorization/table.py)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import (
    Complaint,
    Device,
    Enrollment,
    Member,
    Operation,
    Passkey,
    TermsAcceptance,
    TermsDocument,
    User,
)
from cards.models import Card
from cards.payees import card_payee_add
from cards.payments import CardPaymentOrder, card_payment_execute
from cards.services import card_issue_credit, card_purchase, card_statement_close
from core.crypto import encrypt
from core.models import Cooperative, Notification
from ledger.books import books_open
from ledger.models import CalendarDay, Posting, Tariff
from ledger.services import hold_place
from payments.frequent import saved_service_add
from payments.models import Biller, BillPayment, ServiceCategory
from payments.schedules import TERMS_VERSION, SchedulePlan, schedule_create
from products.catalog import product_types_load
from products.documents import document_register
from products.investments import term_deposit_open
from products.loans import loan_grant
from products.models import (
    DocumentJob,
    LoanType,
    ProductRequest,
    ProductType,
    StatementDelivery,
    TermDepositType,
    VerifiedDocument,
)
from products.services import cash_deposit, deposit_account_open
from tests.cards.conftest import new_pan
from tests.factories import MemberFactory, UserFactory
from transfers.beneficiaries import beneficiary_add_internal
from transfers.catalog import transfer_catalog_load
from transfers.models import SettlementBatch, TransferKind
from transfers.services import TransferOrder, transfer_execute

D = Decimal


@dataclass
class World:
    member: Member
    other_member: Member
    staff: User
    viewer: User
    admin: User
    kwargs: dict[str, dict] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        """The user of one of the matrix's roles (``None``: anonymous)."""
        return {
            "anonymous": None,
            "member": self.member.user,
            "other_member": self.other_member.user,
            "staff": self.staff,
            "viewer": self.viewer,
            "admin": self.admin,
        }[role]


def _funded(member: Member, code: str = "AHO", amount: str = "1000.00"):
    account = deposit_account_open(member=member, product_type=ProductType.objects.get(code=code))
    cash_deposit(account=account, amount=D(amount), key=f"authz-fund-{account.pk}")
    return account


def _credit_card(member: Member, pan: str) -> Card:
    card = card_issue_credit(
        member=member, brand=Card.Brand.MASTERCARD, pan=pan, credit_limit=D("500.00")
    )
    card_purchase(card=card, amount=D("12.50"), description="SUPERMAXI", key=f"authz-{pan}")
    return card_statement_close(card=card)


def _owned(member: Member, water: Biller, pan: str, beneficiary_account) -> dict[str, dict]:
    """One object of each kind for ``member``, as URL kwargs by key."""
    savings = _funded(member)
    loan = loan_grant(
        member=member,
        loan_type=LoanType.objects.get(code="CAG"),
        principal=D("1000.00"),
        installments=12,
        disbursement_account=savings,
        granted_on=timezone.localdate() - timedelta(days=40),
        first_due=timezone.localdate() - timedelta(days=10),
        reason="Crédito aprobado en comité",
    )
    deposit = term_deposit_open(
        member=member,
        deposit_type=TermDepositType.objects.get(code="DPF"),
        account=savings,
        capital=D("400.00"),
        term_days=180,
        annual_rate=D("0.0725"),
        key=f"authz-td-{member.pk}",
        reason="Inversión en ventanilla",
    )
    card = _credit_card(member, pan)
    statement = card.statements.get()
    posting = Posting.objects.filter(account=savings.ledger_account).earliest("pk")
    beneficiary = beneficiary_add_internal(
        member=member, account_number=beneficiary_account.number, email="b@example.com"
    )
    saved = saved_service_add(member=member, biller=water, reference=f"4101120{member.pk:05d}")
    schedule = schedule_create(
        member=member,
        biller=water,
        reference=f"4101120{member.pk:05d}",
        plan=SchedulePlan(
            origin=savings,
            max_amount=D("20.00"),
            frequency="available",
            start_date=timezone.localdate(),
        ),
        terms_version=TERMS_VERSION,
        key=f"authz-schedule-{member.pk}",
    )
    payee = card_payee_add(
        member=member,
        institution="0010",
        pan="4111111111111111",
        id_type="cedula",
        id_number="1710034065",
        name="Ana Lucía Torres",
    )
    device = Device.objects.create(
        user=member.user, token_hash=f"{member.pk:064d}", alias="Portátil"
    )
    passkey = Passkey.objects.create(
        user=member.user, credential_id=f"authz-{member.pk}", public_key=b"k", name="Llave"
    )
    complaint = Complaint.objects.create(
        member=member,
        product="Cuenta de ahorros",
        full_name=member.full_name,
        id_number=member.id_number,
        phone="0991234567",
        email="reclamo@example.com",
        detail="Un cobro que no reconozco.",
        claim_amount=D("10.00"),
        returned_amount=D("0.00"),
        attachment=SimpleUploadedFile("comprobante.pdf", b"%PDF-1.4\n%%EOF"),
        attachment_name="comprobante.pdf",
        data_consent=True,
    )
    job = DocumentJob.objects.create(
        member=member,
        kind=DocumentJob.Kind.MOVEMENTS_XLSX,
        params={"account": str(savings.public_id)},
        key=f"{member.pk:064d}",
        status=DocumentJob.Status.READY,
        progress=100,
        filename="movimientos.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body=b"PK",
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    if member.user.username == "mariaperez":
        _branch_records(member, savings, card, water)
    return {
        "account": {"public_id": savings.public_id},
        "receipt": {"public_id": savings.public_id, "posting_id": posting.pk},
        "loan": {"public_id": loan.public_id},
        "term_deposit": {"public_id": deposit.public_id},
        "card": {"public_id": card.public_id},
        "card_statement": {"public_id": card.public_id, "statement_id": statement.public_id},
        "beneficiary": {"public_id": beneficiary.public_id},
        "saved_service": {"public_id": saved.public_id},
        "schedule": {"public_id": schedule.public_id},
        "card_payee": {"public_id": payee.public_id},
        "device": {"public_id": device.public_id},
        "passkey": {"public_id": passkey.public_id},
        "complaint": {"pk": complaint.pk},
        "document_job": {"public_id": job.public_id},
    }


def _branch_records(maria: Member, savings, card: Card, water: Biller) -> None:
    """What staff read in the admin and no member page creates: one row of each."""
    now = timezone.now()
    certificates = _funded(maria, code="CER", amount="1.00")
    transfer_execute(
        member=maria,
        order=TransferOrder(
            kind=TransferKind.OWN, origin=savings, destination=certificates, amount=D("5.00")
        ),
        key="authz-transfer",
        user=maria.user,
    )
    card_payment_execute(
        member=maria,
        order=CardPaymentOrder(origin=savings, amount=D("2.00"), card=card),
        key="authz-card-payment",
    )
    payment = BillPayment.objects.create(
        member=maria,
        origin=savings,
        biller=water,
        reference="410112060750",
        amount=D("7.13"),
        commission=D("0.31"),
        total=D("7.44"),
        currency="USD",
        key="authz-bill",
    )
    hold_place(
        account=savings.ledger_account,
        amount=payment.total,
        key="authz-bill-hold",
        description="PAGO AGUA",
        source=payment,
    )
    Enrollment.objects.create(member=maria)
    TermsAcceptance.objects.create(member=maria, document=TermsDocument.objects.first())
    Operation.objects.create(
        purpose="device_remove",
        channel="web",
        digest="0" * 64,
        key="authz-operation",
        expires_at=now + timedelta(minutes=5),
    )
    Notification.objects.create(
        kind="Aviso",
        channel=Notification.Channel.EMAIL,
        recipient_masked="m***@example.com",
        recipient_encrypted=encrypt("maria@example.com"),
    )
    CalendarDay.objects.create(
        country="EC", date=date(2026, 12, 25), kind=CalendarDay.Kind.HOLIDAY, name="Navidad"
    )
    Tariff.objects.create(
        code=Tariff.Code.BILL_PAYMENT,
        subject="EPMAPA",
        valid_from=date(2024, 4, 1),
        commission=D("0.31"),
        iva_rate=D("0"),
        commission_description="COMISIÓN PAGO DE SERVICIOS",
        iva_description="IVA PAGO DE SERVICIOS",
    )
    ProductRequest.objects.create(member=maria, kind=ProductRequest.Kind.ACCOUNT)
    StatementDelivery.objects.create(account=savings, year=2026, month=1)
    SettlementBatch.objects.create(number="000001", business_date=date(2026, 1, 5), file="")


def world_build() -> World:
    books_open(currency="USD")
    product_types_load(cooperative_slug="cooprogreso")
    transfer_catalog_load(cooperative_slug="cooprogreso")
    category = ServiceCategory.objects.create(
        cooperative=Cooperative.objects.get(is_active=True), name="AGUA", position=1
    )
    water = Biller.objects.create(
        category=category,
        code="EPMAPA",
        name="AGUA EPMAPA PEDERNALES",
        mode=Biller.Mode.BILLS,
        reference_label="CONTRATO/CÉDULA/RUC",
        reference_min_length=4,
    )
    maria = MemberFactory(user__username="mariaperez", user__first_name="María")
    gabriel = MemberFactory(user__username="gabrielsilva")
    gabriel_savings = _funded(gabriel, amount="50.00")
    kwargs = _owned(maria, water, new_pan(), gabriel_savings)
    _owned(gabriel, water, new_pan(), _funded(maria, amount="10.00"))
    document = document_register(
        kind=VerifiedDocument.Kind.RECEIPT, fields=[("Cuenta", "XXXX1234")]
    )
    kwargs["verified_document"] = {"code": document.code}
    kwargs["enrollment_document"] = {"index": 0}
    kwargs["admin_app"] = {"app_label": "accounts"}
    kwargs["admin_user"] = {"id": maria.user.pk}
    kwargs["admin_view_on_site"] = {
        "content_type_id": ContentType.objects.get_for_model(Member).pk,
        "object_id": maria.pk,
    }
    staff = UserFactory(username="lucia01", is_staff=True)
    viewer = UserFactory(username="pedro01", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    admin = UserFactory(username="rosa01", is_staff=True)
    every = Group.objects.create(name="Agencia: todos los permisos")
    every.permissions.set(Permission.objects.all())
    admin.groups.add(every)
    return World(
        member=maria,
        other_member=gabriel,
        staff=staff,
        viewer=viewer,
        admin=admin,
        kwargs=kwargs,
    )
