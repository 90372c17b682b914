"""Recomputes the ledger from its postings and reports every disagreement.

There must be none: a drift means something wrote money outside ``journal_post``.
"""

from dataclasses import dataclass, field

from django.db import connection

from core.money import from_minor


@dataclass
class LedgerReport:
    accounts: int = 0
    journals: int = 0
    postings: int = 0
    balance_drift: list[tuple[str, object, object]] = field(default_factory=list)
    held_drift: list[tuple[str, object, object]] = field(default_factory=list)
    unbalanced_journals: list[int] = field(default_factory=list)
    currency_totals: dict[str, object] = field(default_factory=dict)
    negative_forbidden: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.balance_drift
            or self.held_drift
            or self.unbalanced_journals
            or any(self.currency_totals.values())
            or self.negative_forbidden
        )

    def lines(self) -> list[str]:
        out = [
            f"{self.accounts} cuentas, {self.journals} comprobantes, {self.postings} movimientos"
        ]
        for code, stored, computed in self.balance_drift:
            out.append(f"DESCUADRE de saldo en {code}: guardado {stored}, movimientos {computed}")
        for code, stored, computed in self.held_drift:
            out.append(
                f"DESCUADRE de retenido en {code}: guardado {stored}, retenciones {computed}"
            )
        for journal_id in self.unbalanced_journals:
            out.append(f"Comprobante {journal_id} no cuadra")
        for currency, total in self.currency_totals.items():
            if total:
                out.append(f"La suma de todas las cuentas en {currency} es {total}, no cero")
        for code in self.negative_forbidden:
            out.append(f"Saldo disponible negativo no permitido en {code}")
        out.append("Libro contable cuadrado." if self.ok else "EL LIBRO CONTABLE NO CUADRA.")
        return out


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def ledger_check() -> LedgerReport:
    report = LedgerReport()
    report.accounts, report.journals, report.postings = _rows(
        "SELECT (SELECT count(*) FROM ledger_account), (SELECT count(*) FROM ledger_journal),"
        " (SELECT count(*) FROM ledger_posting)"
    )[0]
    for code, stored, computed in _rows(
        """
        SELECT a.code, a.balance_minor,
               coalesce(sum(CASE WHEN a.normal_side = 'D' THEN p.amount_minor
                                 ELSE -p.amount_minor END), 0) AS computed
        FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id
        GROUP BY a.id, a.code, a.balance_minor
        HAVING a.balance_minor <> coalesce(sum(CASE WHEN a.normal_side = 'D' THEN p.amount_minor
                                                    ELSE -p.amount_minor END), 0)
        ORDER BY a.id
        """
    ):
        report.balance_drift.append((code, from_minor(stored), from_minor(computed)))
    for code, stored, computed in _rows(
        """
        SELECT a.code, a.held_minor, coalesce(sum(h.amount_minor), 0)
        FROM ledger_account a
        LEFT JOIN ledger_hold h ON h.account_id = a.id AND h.status = 'active'
        GROUP BY a.id, a.code, a.held_minor
        HAVING a.held_minor <> coalesce(sum(h.amount_minor), 0)
        ORDER BY a.id
        """
    ):
        report.held_drift.append((code, from_minor(stored), from_minor(computed)))
    report.unbalanced_journals = [
        row[0]
        for row in _rows(
            """
            SELECT j.id FROM ledger_journal j
            LEFT JOIN ledger_posting p ON p.journal_id = j.id
            GROUP BY j.id
            HAVING count(p.id) < 2
            UNION
            SELECT journal_id FROM ledger_posting
            GROUP BY journal_id, currency HAVING sum(amount_minor) <> 0
            """
        )
    ]
    for currency, total in _rows(
        "SELECT currency, sum(amount_minor) FROM ledger_posting GROUP BY currency"
    ):
        report.currency_totals[currency] = from_minor(total)
    report.negative_forbidden = [
        row[0]
        for row in _rows(
            "SELECT code FROM ledger_account WHERE forbid_negative"
            " AND balance_minor - held_minor < 0"
        )
    ]
    return report
