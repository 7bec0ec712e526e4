"""The media upload endpoints of the mock Kenar server.

:class:`MockUploads` is what :class:`~kenar_api_client.testing.MockKenarServer`
delegates to for uploads.  It serves, on the mock's own port:

* the chat upload host: ``POST /upload/{image|video|voice|file}``, checked as
  Divar does (an upload token this server issued, as ``Authorization: Bearer``;
  ``multipart/form-data`` with the file in the field ``file`` and a filename;
  the format and size limits), answering ``{"id": <media token>, "status": "ok"}``;
* the post and add-on upload URLs (``/mock-upload/post-image``, ``/mock-upload/post-video``,
  ``/mock-upload/addon-image``), which need the API key and take the raw bytes;

and it supplies the default answers of the operations that hand out upload
tokens and URLs, pointing back at the mock.  Every accepted upload is recorded
as a :class:`RecordedUpload`.  Answers are ``(status, JSON value)`` pairs; the
server turns them into HTTP.
"""

from __future__ import annotations

import email.message
import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

JSONAnswer = Tuple[int, Any]

CHAT_UPLOAD_PREFIX = "/upload/"
POST_IMAGE_PATH = "/mock-upload/post-image"
POST_VIDEO_PATH = "/mock-upload/post-video"
ADDON_IMAGE_PATH = "/mock-upload/addon-image"
#: the path prefixes the mock server hands to :meth:`MockUploads.handle`
UPLOAD_PREFIXES = (CHAT_UPLOAD_PREFIX, POST_IMAGE_PATH, POST_VIDEO_PATH, ADDON_IMAGE_PATH)
#: the methods the mock's upload-URL answers name
POST_IMAGE_METHOD = "POST"
POST_VIDEO_METHOD = "PUT"
ADDON_IMAGE_METHOD = "PUT"


@dataclass
class RecordedUpload:
    """One upload the mock accepted."""

    kind: str  #: "chat", "post_image", "post_video" or "addon_image"
    media_type: Optional[str]  #: for chat uploads: image, video, voice or file
    filename: Optional[str]  #: for chat uploads: the multipart filename
    content_type: str  #: of the file (the part's, for chat uploads)
    data: bytes
    headers: Dict[str, str] = field(repr=False)  #: the request headers as sent
    answer: Dict[str, Any] = field(default_factory=dict)  #: what the mock answered


def _error(status: int, code: int, message: str) -> JSONAnswer:
    return status, {"code": code, "message": message, "details": []}


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


class MockUploads:
    """Issues upload tokens and URLs, accepts uploads, records them."""

    def __init__(self) -> None:
        self.recorded: List[RecordedUpload] = []
        self._tokens: Set[str] = set()
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.recorded.clear()
            self._tokens.clear()

    def of_kind(self, kind: str) -> List[RecordedUpload]:
        """The recorded uploads of one kind (``"chat"``, ``"post_image"``, ...)."""
        with self._lock:
            return [u for u in self.recorded if u.kind == kind]

    # ------------------------------------------------------------------ default answers of API operations
    def default_answer(self, operation: str, base_url: str) -> Optional[JSONAnswer]:
        """The mock's default 200 answer to an operation that hands out upload tokens or URLs, else None."""
        if operation == "chat_api_generate_upload_token":
            token = f"mock-upload-token-{next(self._counter)}"
            with self._lock:
                self._tokens.add(token)
            return 200, {"token": token}
        if operation == "post_get_upload_urls_v2":
            return 200, {
                "image": {"url": base_url + POST_IMAGE_PATH, "http_method": POST_IMAGE_METHOD},
                "video": {"url": base_url + POST_VIDEO_PATH, "http_method": POST_VIDEO_METHOD},
            }
        if operation == "assets_get_media_upload_urls":
            return 200, {
                "addon_images": {"url": base_url + ADDON_IMAGE_PATH, "http_method": ADDON_IMAGE_METHOD},
                "submit_post_images": {"url": base_url + POST_IMAGE_PATH, "http_method": POST_IMAGE_METHOD},
                "submit_post_videos": {"url": base_url + POST_VIDEO_PATH, "http_method": POST_VIDEO_METHOD},
            }
        return None

    # ------------------------------------------------------------------ the upload endpoints
    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, base_url: str, api_key: Optional[str]
    ) -> Optional[JSONAnswer]:
        """The answer to an upload request, or None when ``path`` is not an upload endpoint."""
        if path.startswith(CHAT_UPLOAD_PREFIX):
            return self._chat(method, path[len(CHAT_UPLOAD_PREFIX) :], headers, body)
        raw = {
            POST_IMAGE_PATH: ("post_image", POST_IMAGE_METHOD),
            POST_VIDEO_PATH: ("post_video", POST_VIDEO_METHOD),
            ADDON_IMAGE_PATH: ("addon_image", ADDON_IMAGE_METHOD),
        }.get(path)
        if raw is None:
            return None
        return self._raw(raw[0], raw[1], method, headers, body, base_url, api_key)

    def _chat(self, method: str, media_type: str, headers: Mapping[str, str], body: bytes) -> JSONAnswer:
        from kenar_api_client.media import CHAT_MEDIA_FORMATS, CHAT_MEDIA_LIMITS

        if media_type not in CHAT_MEDIA_LIMITS:
            return _error(404, 5, f"unknown media type {media_type!r}")
        if method != "POST":
            return _error(405, 12, "chat uploads are POSTed")
        auth = _header(headers, "Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with self._lock:
            known = token in self._tokens
        if not known:
            return _error(401, 16, "missing or unknown upload token")
        parsed = parse_multipart(_header(headers, "Content-Type") or "", body)
        if isinstance(parsed, str):
            return _error(400, 3, parsed)
        part = parsed.get("file")
        if part is None:
            return _error(400, 3, "the form has no 'file' field")
        filename, part_type, data = part
        if not filename:
            return _error(400, 3, "the 'file' field has no filename")
        extension = filename.rsplit(".", 1)[1].lower() if "." in filename else ""
        fmt = CHAT_MEDIA_FORMATS.get(extension)
        if fmt is None or fmt[0] != media_type:
            return _error(400, 3, f"{filename!r} is not {media_type} media")
        if len(data) > CHAT_MEDIA_LIMITS[media_type]:
            return _error(413, 3, f"{media_type} uploads are limited to {CHAT_MEDIA_LIMITS[media_type]} bytes")
        media_id = f"mock-media-{next(self._counter)}"
        answer = {"id": media_id, "status": "ok"}
        self._record(RecordedUpload("chat", media_type, filename, part_type, data, dict(headers), answer))
        return 200, answer

    def _raw(
        self,
        kind: str,
        expected_method: str,
        method: str,
        headers: Mapping[str, str],
        body: bytes,
        base_url: str,
        api_key: Optional[str],
    ) -> JSONAnswer:
        if method != expected_method:
            return _error(405, 12, f"this upload URL takes {expected_method}")
        key = _header(headers, "X-API-Key")
        if not key or (api_key is not None and key != api_key):
            return _error(401, 16, "missing or invalid API key")
        content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        wanted = "video/" if kind == "post_video" else "image/"
        if not content_type.startswith(wanted):
            return _error(400, 3, f"the body must be {wanted}*, got {content_type or 'no content type'!r}")
        if not body:
            return _error(400, 3, "the body is empty")
        number = next(self._counter)
        if kind == "post_video":
            answer: Dict[str, Any] = {
                "video_name": f"mock-video-{number}",
                "video_url": f"{base_url}/mock-media/video-{number}.mp4",
                "thumbnail_name": f"mock-video-{number}-thumbnail",
                "thumbnail_url": f"{base_url}/mock-media/video-{number}.jpg",
            }
        else:
            folder = "addon-images" if kind == "addon_image" else "post-images"
            answer = {
                "path": f"{folder}/mock-{number}.jpg",
                "photo_url": f"{base_url}/mock-media/{folder}/mock-{number}.jpg",
                "thumbnail_url": f"{base_url}/mock-media/{folder}/mock-{number}-thumbnail.jpg",
            }
        self._record(RecordedUpload(kind, None, None, content_type, body, dict(headers), answer))
        return 200, answer

    def _record(self, upload: RecordedUpload) -> None:
        with self._lock:
            self.recorded.append(upload)


def parse_multipart(content_type: str, body: bytes) -> Any:
    """``{field name: (filename, content type, data)}`` of a multipart/form-data body, or an error text."""
    header = email.message.Message()
    header["Content-Type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        return "the body must be multipart/form-data"
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return "the multipart body has no boundary"
    delimiter = b"--" + boundary.encode("latin-1")
    if not body.startswith(delimiter + b"\r\n"):
        return "the multipart body does not start with its boundary"
    closing = b"\r\n" + delimiter + b"--"
    end = body.rfind(closing)
    if end < 0:
        return "the multipart body is not closed"
    fields: Dict[str, Tuple[Optional[str], str, bytes]] = {}
    for chunk in body[len(delimiter) + 2 : end].split(b"\r\n" + delimiter + b"\r\n"):
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            return "a multipart part has no header end"
        part = email.message.Message()
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            header_name, colon, value = line.partition(":")
            if not colon:
                return f"a malformed part header {line!r}"
            part[header_name.strip()] = value.strip()
        disposition = part.get("Content-Disposition", "")
        if not re.match(r"form-data\b", disposition):
            return "a part is not form-data"
        field_name = part.get_param("name", header="content-disposition")
        if not isinstance(field_name, str):
            return "a part has no field name"
        filename = part.get_param("filename", header="content-disposition")
        fields[field_name] = (filename if isinstance(filename, str) else None, part.get_content_type(), data)
    return fields
