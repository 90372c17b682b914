"""Reading the PDFs the portal makes, with pypdf (a test dependency): the words a person
sees, laid out in lines as on the page, so assertions read like the paper."""

import io
import re
from html import unescape
from pathlib import Path

from pypdf import PdfReader


def pdf_text(content: bytes | Path | str) -> str:
    """The text of every page of ``content`` (the bytes of a PDF, or its path)."""
    if isinstance(content, Path | str):
        content = Path(content).read_bytes()
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


PAGE_ROWS = ("Documento", "Código", "Emitido")


def verification_fields(html: str) -> list[tuple[str, str]]:
    """The (label, value) pairs a verification page (``/verificar/<code>/``) shows."""
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html, re.S)
    return [(unescape(label).strip(), unescape(value).strip()) for label, value in pairs]


def assert_the_paper_says_what_the_page_says(pdf: bytes, page: str) -> list[tuple[str, str]]:
    """Every label and value the verification ``page`` shows is printed on the ``pdf``,
    exactly — only the page's own rows (the document's name, its code, when it was issued)
    may differ in case from the paper's sentence ("Documento emitido el …"). Returns the
    pairs."""
    text = " ".join(pdf_text(pdf).split())
    fields = verification_fields(page)
    assert len(fields) > len(PAGE_ROWS), "the page shows no fields of the document"
    missing = []
    for label, value in fields:
        label, value = " ".join(label.split()), " ".join(value.split())
        if label in PAGE_ROWS:
            printed = label.casefold() in text.casefold() and value.casefold() in text.casefold()
        else:
            printed = label in text and value in text
        if not printed:
            missing.append((label, value))
    assert not missing, f"the page shows what the paper does not: {missing}"
    return fields
