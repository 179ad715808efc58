"""Serving a stored file (Django storage) from a view, with HTTP Range support.

Browsers ask for videos in ranges (`Range: bytes=0-`, then wherever the viewer seeks),
and Safari plays none without a 206 answer. The file is streamed in chunks, never read
whole into memory. In production a server in front (nginx X-Accel-Redirect) or the
object storage itself (presigned URLs) can take this over: see the README.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 64 * 1024
# How long the browser alone may keep a file it was sent (never a shared cache).
PRIVATE_MAX_AGE = 3600

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _ascii_filename(name: str) -> str:
    """The RFC 6266 `filename=` fallback: plain ASCII, no quote, backslash or control
    character (so never a header split), accents dropped ("reçu.pdf" -> "recu.pdf")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c if c.isprintable() and c not in '"\\;' else "_" for c in ascii_name).strip() or "file"


def content_disposition(filename: str, *, inline: bool) -> str:
    kind = "inline" if inline else "attachment"
    # Never a path: only what follows the last slash names the file.
    name = re.split(r"[/\\]", filename or "")[-1].strip()
    name = "".join(c for c in name if c.isprintable())
    if not name:
        return kind
    fallback = _ascii_filename(name)
    header = f'{kind}; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte of a single satisfiable range, None when the header is absent,
    malformed or asks for several ranges (the whole file is then sent, as RFC 9110
    allows), False when the range cannot be satisfied (416)."""
    match = _RANGE.match(header.replace(" ", ""))
    if not match:
        return None
    start, end = match.groups()
    if not start and not end:
        return None
    if not start:  # the last `end` bytes
        length = int(end)
        if length == 0 or size == 0:
            return False
        return max(size - length, 0), size - 1
    first = int(start)
    last = int(end) if end else size - 1
    if end and last < first:
        return None  # invalid: ignored, the whole file
    if first >= size:
        return False
    return first, min(last, size - 1)


def _chunks(file, start: int, length: int):
    try:
        file.seek(start)
        left = length
        while left > 0:
            chunk = file.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        file.close()


def file_response(
    request: HttpRequest, *, file, content_type: str, filename: str = "", inline: bool = True, private: bool = True
) -> HttpResponse | StreamingHttpResponse:
    """`file` (a stored File: a model's FieldFile or any django.core.files.File) as the
    answer to `request`: 200 with the whole file, 206 with the one range a `Range:
    bytes=a-b | a- | -n` header asks for (Content-Range), 416 for a range past the end
    (Content-Range: bytes */size); several or malformed ranges get the whole file.

    `content_type` is the type decided when the file was accepted (core.uploads),
    never guessed from its name; X-Content-Type-Options: nosniff keeps browsers to it.
    `filename` (optional) names it in Content-Disposition, `inline` (shown in the
    browser) or as an attachment (downloaded). `private`: the browser alone may keep it
    for an hour (Cache-Control: private, max-age=3600); False: nobody stores it
    (no-store)."""
    file.open("rb")
    size = file.size
    headers = {
        "Content-Disposition": content_disposition(filename, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": f"private, max-age={PRIVATE_MAX_AGE}" if private else "private, no-store",
        "Accept-Ranges": "bytes",
    }
    # A conditional range (If-Range) would need validators this response does not send:
    # the whole file is always a correct answer to it.
    wanted = None if request.headers.get("If-Range") else _byte_range(request.headers.get("Range", ""), size)
    if wanted is False:
        file.close()
        response = HttpResponse(status=416, content_type=content_type, headers=headers)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted if wanted else (0, size - 1)
    length = max(last - first + 1, 0)
    if request.method == "HEAD":
        file.close()
        body = iter(())
    else:
        body = _chunks(file, first, length)
    response = StreamingHttpResponse(body, status=206 if wanted else 200, content_type=content_type, headers=headers)
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return response
