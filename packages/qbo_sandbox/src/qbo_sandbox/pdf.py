"""Sales forms as PDF documents (``GET /v3/company/{realm}/invoice/{id}/pdf``), as Intuit serves them.

``render_sales_form_pdf`` writes a one-page PDF 1.4 file by hand: a catalog, a page tree, one page, two
standard fonts (Courier, so amounts line up; Helvetica-Bold for the stamp) and one content stream of text
lines (the form's number, dates, customer, lines, totals; "VOID" across a voided form). No library is
needed for that, and the output is deterministic for a given row. Text is Latin-1; other characters print
as "?". Long forms are cut after the lines that fit on the page, with a note saying how many were left out.
"""

from __future__ import annotations

from decimal import Decimal

_PAGE_WIDTH, _PAGE_HEIGHT = 612, 792  # US Letter, points
_LEFT, _TOP, _LINE = 54, 738, 16
_MAX_LINES = 30


def _text(value: object) -> str:
    """A PDF string literal body: Latin-1, with backslash and parentheses escaped."""
    raw = str(value).encode("latin-1", "replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\r", " ").replace("\n", " ")


def _amount(value: object) -> str:
    return f"${Decimal(str(value)):,.2f}"


def _content(entity: str, row: dict, company_name: str, voided: bool) -> bytes:
    title = "INVOICE" if entity == "Invoice" else "SALES RECEIPT"
    customer = (row.get("CustomerRef") or {}).get("name") or ""
    lines = [(16, f"{company_name}"), (20, f"{title} {row.get('DocNumber') or row['Id']}"), (11, "")]
    lines.append((11, f"Bill to: {customer}"))
    lines.append((11, f"Date: {row.get('TxnDate', '')}" + (f"    Due: {row['DueDate']}" if row.get("DueDate") else "")))
    terms = (row.get("SalesTermRef") or {}).get("name")
    if terms:
        lines.append((11, f"Terms: {terms}"))
    lines.append((11, ""))
    sales = [line for line in row.get("Line", []) if line.get("DetailType") != "SubTotalLineDetail"]
    for line in sales[:_MAX_LINES]:
        detail = line.get(line.get("DetailType")) or {}
        item = (detail.get("ItemRef") or {}).get("name") or line.get("DetailType", "")
        description = str(line.get("Description") or item)
        lines.append((10, f"{description[:70]:<70} {_amount(line.get('Amount', 0)):>14}"))
    if len(sales) > _MAX_LINES:
        lines.append((10, f"... and {len(sales) - _MAX_LINES} more lines"))
    lines.append((11, ""))
    lines.append((12, f"Total: {_amount(row.get('TotalAmt', 0))}"))
    if entity == "Invoice":
        lines.append((12, f"Balance due: {_amount(row.get('Balance', 0))}"))
    commands = ["BT", f"{_LEFT} {_TOP} Td"]
    for size, text in lines:
        commands.append(f"/F1 {size} Tf ({_text(text)}) Tj 0 -{_LINE + max(0, size - 11)} Td")
    commands.append("ET")
    if voided:
        commands.append("BT /F2 96 Tf 0.8 0.1 0.1 rg 1 0 0 1 180 380 Tm (VOID) Tj ET")
    return "\n".join(commands).encode("latin-1")


def render_sales_form_pdf(entity: str, row: dict, company_name: str, *, voided: bool = False) -> bytes:
    """A one-page PDF of an Invoice or SalesReceipt ``row`` (as stored) from ``company_name``."""
    stream = _content(entity, row, company_name, voided)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_WIDTH} {_PAGE_HEIGHT}] "
         "/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>").encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
