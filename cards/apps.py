from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Tarjetas"

    def ready(self) -> None:
        # The operation kinds, so that a worker executes them by purpose.
        from cards import defer_operations, operations, pin_operations  # noqa: F401
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
