"""What of a number or a name a person may see: the one way each is masked, for pages,
receipts, e-mails and logs alike."""

import re

from stdnum import luhn

_CARD_CANDIDATE = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def mask_number(number: str) -> str:
    """An account, loan or investment number as receipts show it: ``*****1234``."""
    return "*****" + number[-4:]


def mask_email(address: str) -> str:
    """An e-mail address as staff lists show it: ``m***@example.com``."""
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(full_name: str) -> str:
    """Another person's name as the portal shows it to a member: the first word whole,
    every other word by its initial — enough to recognise someone, not enough to learn a
    name from an account number ("MARÍA E*** P*** G***")."""
    words = full_name.upper().split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0]}***" for word in words[1:])])


def mask_card(bin: str, last4: str, *, length: int = 16) -> str:
    """A card number as every screen, receipt, e-mail and log shows it, from the two
    parts kept of it: first six, X's, last four (``513744XXXXXX0395``)."""
    return bin + "X" * (length - 10) + last4


def mask_card_number(number: str) -> str:
    """``5137440000000395`` → ``513744XXXXXX0395``."""
    return mask_card(number[:6], number[-4:], length=len(number))


def mask_card_numbers_in(text: str) -> str:
    """``text`` with whatever looks like a card number (13–19 digits passing Luhn)
    masked."""

    def replace(match: re.Match) -> str:
        digits = match.group(0)
        return mask_card_number(digits) if luhn.is_valid(digits) else digits

    return _CARD_CANDIDATE.sub(replace, text)
