from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Tarjetas"

    def ready(self) -> None:
        from cards.selectors import member_cards_position
        from products.position import position_section_register

        position_section_register(template="cards/_position.html", context=member_cards_position)
        # Its operation kinds, so that a worker can execute one by purpose.
        from cards import defer_operations  # noqa: F401
