"""`GET /documents/{id}`: follow a signed download link (HTTP glue over services.documents).

A bad, expired or no longer allowed link is 403 and an unknown document 404, both with an
empty body so nothing about the document leaks.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from services import documents
from services.errors import Forbidden, NotFound

NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]+", "_", ascii_name).strip(" ._") or "document.pdf"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def download_document(request: Request) -> Response:
    raw_id = request.path_params["id"]
    if not re.fullmatch(r"[0-9]{1,10}", raw_id) or int(raw_id) > 2**31 - 1:
        return Response(status_code=404, headers=NO_STORE)
    params = request.query_params
    try:
        download = await documents.open_download(
            request.app.state.policy,
            int(raw_id),
            account=params.get("account"),
            expires=params.get("expires"),
            signature=params.get("signature"),
            client_address=request.client.host if request.client else "",
        )
    except Forbidden:
        return Response(status_code=403, headers=NO_STORE)
    except NotFound:
        return Response(status_code=404, headers=NO_STORE)
    document = download.document
    return StreamingResponse(
        download.chunks,
        media_type="application/pdf",
        headers={
            **NO_STORE,
            "Content-Disposition": content_disposition(document.filename),
            "Content-Length": str(document.size),
        },
    )
