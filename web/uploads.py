"""Photos from the widget (returns, delivery problems): a signed-in shopper uploads one image, the shop
stores it under an unguessable name and answers its URL, which the widget sends to the bot.

Only JPEG, PNG, WebP and GIF (told by their first bytes, not by the name or the declared type), at most
5 MB, 20 an hour per shopper, with a valid customer token (Authorization: Bearer <JWT>). Any origin may
call it (a shop embeds the widget on its own pages); no cookie is involved.
"""

from __future__ import annotations

import re
import secrets

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, file, json

from addons.rate_limits import RateLimiter
from shop.errors import DomainError
from shop.tokens import verify_token
from web.settings import MAX_UPLOAD_BYTES, web_settings

uploads = Blueprint("uploads")
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization",
    "Access-Control-Max-Age": "600",
}
# Each shopper may store 20 photos an hour (bursts of 10): a valid token must not be a way to fill the disk.
UPLOADS_PER_SHOPPER = RateLimiter(per_minute=20 / 60, burst=10)
IMAGE_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp|gif)")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


def image_kind(data: bytes) -> str | None:
    """The file's image type from its magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _error(status: int, code: str) -> HTTPResponse:
    return json({"error": code}, status=status, headers=CORS)


@uploads.options("/api/uploads")
async def upload_preflight(request: Request) -> HTTPResponse:
    return empty(headers=CORS)


@uploads.post("/api/uploads")
async def upload_photo(request: Request) -> HTTPResponse:
    authorization = request.headers.get("authorization", "")
    token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    try:
        customer_id = verify_token(token)
    except DomainError:
        return _error(401, "invalid_token")
    if UPLOADS_PER_SHOPPER.retry_after(str(customer_id)):
        return _error(429, "too_many_uploads")
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES + 64 * 1024:
        return _error(413, "too_large")
    photos = request.files.get("photo") if request.files else None
    if photos is None:
        return _error(400, "no_photo")
    data = photos.body
    if len(data) > MAX_UPLOAD_BYTES:
        return _error(413, "too_large")
    kind = image_kind(data)
    if kind is None:
        return _error(415, "not_an_image")
    folder = web_settings().upload_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{kind}"
    (folder / name).write_bytes(data)
    return json({"url": f"{request.scheme}://{request.host}/uploads/{name}"}, status=201, headers=CORS)


@uploads.get("/uploads/<name:str>")
async def uploaded_photo(request: Request, name: str) -> HTTPResponse:
    if not IMAGE_NAME.fullmatch(name):
        return json({"error": "not_found"}, status=404)
    path = web_settings().upload_dir / name
    if not path.is_file():
        return json({"error": "not_found"}, status=404)
    return await file(path, mime_type=CONTENT_TYPES[name.rsplit(".", 1)[1]],
                      headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"})
