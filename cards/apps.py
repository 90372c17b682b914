from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Tarjetas"

    def ready(self) -> None:
        # The operation kinds, so that a worker executes them by purpose.
        from cards import operations, payee_operations, pin_operations  # noqa: F401
        from cards.selectors import account_debit_cards, member_cards_position
        from products.account_tabs import account_tab_register
        from products.position import position_section_register

        position_section_register(template="cards/_position.html", context=member_cards_position)
        account_tab_register(
            slug="tarjeta-debito",
            label="Tarjeta débito",
            template="cards/_account_tab.html",
            context=account_debit_cards,
        )
        # "Pago Tarjetas" of Administración de Beneficiarios: the cards registered to pay.
        from cards.payees import payees_tab
        from products.beneficiary_tabs import beneficiary_tab_register

        beneficiary_tab_register(
            slug="tarjetas", template="cards/_payees_tab.html", context=payees_tab
        )
