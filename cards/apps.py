from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Tarjetas"

    def ready(self) -> None:
        # The operation kinds, so that a worker executes them by purpose.
        from cards import defer_operations, operations, pin_operations  # noqa: F401
        from cards.position import member_cards_position
        from cards.selectors import account_debit_cards
        from products.account_tabs import account_tab_register
        from products.position import position_section_register

        position_section_register(template="cards/_position.html", reading=member_cards_position)
        account_tab_register(
            slug="tarjeta-debito",
            label="Tarjeta débito",
            template="cards/_account_tab.html",
            context=account_debit_cards,
        )
        # Pago de tarjetas: its operation kinds, the receipts of card payments (and of the
        # refund of a rejected one), payments to other banks' cards on the interbank rail,
        # and the cards registered to pay as the beneficiaries' "Pago Tarjetas" tab.
        from cards import payee_operations, payment_operations  # noqa: F401
        from cards.payment_settlement import CARD_PAYMENTS
        from products.settlement_items import settlement_source_register

        settlement_source_register(CARD_PAYMENTS)
        from cards.payment_receipts import (
            CARD_PAYMENT_SOURCE,
            card_payment_describe,
            card_payment_refund_describe,
        )
        from core.receipts import UNSOURCED, describer_register

        describer_register(CARD_PAYMENT_SOURCE, card_payment_describe)
        describer_register(UNSOURCED, card_payment_refund_describe)
        from cards.payees import payees_tab
        from products.beneficiary_tabs import beneficiary_tab_register

        beneficiary_tab_register(
            slug="tarjetas", template="cards/_payees_tab.html", context=payees_tab
        )
