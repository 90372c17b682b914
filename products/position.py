"""The consolidated position's sections that other apps contribute.

Products shows the member's accounts, loans and investments itself. An app above it whose
products belong on the same page — cards: the member's credit and debit cards — registers a
section in its AppConfig.ready: the template that renders it and a function that reads, for
one member, what the template finds as ``section``. Products never imports those apps; the
page shows their sections after its own, in the order registered. Each section reads with
a fixed number of queries, so the page's count stays flat (tested).
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Member


@dataclass(frozen=True)
class PositionSection:
    template: str
    context: Callable[[Member], dict]


_sections: list[PositionSection] = []


def position_section_register(*, template: str, context: Callable[[Member], dict]) -> None:
    """Adds a section to the position (once per template)."""
    if all(section.template != template for section in _sections):
        _sections.append(PositionSection(template=template, context=context))


def position_sections(*, member: Member) -> list[tuple[str, dict]]:
    """``(template, section)`` for each registered section, read for ``member``."""
    return [(section.template, section.context(member)) for section in _sections]
