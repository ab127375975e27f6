"""QR codes of source addresses, drawn offline with segno, so a visitor can open a source on their phone.

The kiosk never leaves its page: a citation shows a card with the address as text and as a QR
code. Only the addresses of the corpus's sources are encoded (the route takes a source id, not an
address), so the server is no open QR generator.
"""

from __future__ import annotations

import io
from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_svg(address: str) -> bytes:
    """An SVG of the address; error correction M survives a scratched or glossy screen."""
    code = segno.make(address, error="m", micro=False)
    buffer = io.BytesIO()
    # Dark on white with the standard quiet zone of four modules: phones read it on any background.
    code.save(buffer, kind="svg", scale=1, border=4, dark="#000", light="#fff", xmldecl=False, omitsize=True,
              svgclass=None, lineclass=None)
    return buffer.getvalue()
