"""Reading the PDFs the portal makes, with pypdf (a test dependency): the words a person
sees, laid out in lines as on the page, so assertions read like the paper."""

import io
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
