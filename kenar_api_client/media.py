"""Uploading media: files for chat messages, photos and videos for posts, add-on images.

Chat media (an image, a video, a voice note or a document) is uploaded to the
chat upload host (``Configuration.chat_upload_host``, ``https://chat.divar.ir``
by default) with a one-time upload token; the returned media token then goes
into a message::

    from kenar_api_client import media

    media_token = media.upload_chat_media(client, "photo.jpg")
    ChatAPIApi(client).chat_api_chat_bot_send_message(conversation_id,
        ChatAPIChatBotSendMessageBody(text_message="Here it is", media_token=media_token))

Post media is uploaded as raw bytes to a URL Divar hands out, with the API key::

    image = media.upload_post_image(client, "front.jpg")      # image.path goes into the post
    video = media.upload_post_video(client, "tour.mp4")

Every check (media type, format, size, an upload URL that is not Divar's)
happens before the file is sent and fails with
:class:`~kenar_api_client.exceptions.ApiValueError`.  Uploads go through the
client's transport: its timeouts, its error classes, its secret redaction and
its retry loop, under which an upload is sent again only when nothing can
have reached the server (a refused connection, or a 429).  A file given as a
path or a file object is streamed from disk, never held in memory whole.

Chat limits (Divar's): image PNG/JPEG/JPG up to 5 MB; file PDF, DOC, DOCX,
XLS, XLSX, PPT, PPTX up to 5 MB; voice M4A/3GP up to 1.5 MB; video MP4 up to
50 MB (a megabyte being 1024 x 1024 bytes here; the server has the last word).
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
import weakref
from contextlib import ExitStack
from typing import IO, Any, Dict, NamedTuple, Optional, Tuple, Type, TypeVar, Union, cast
from urllib.parse import urlsplit

from pydantic import StrictStr, ValidationError

from kenar_api_client import rest
from kenar_api_client.api_client import ApiClient, PreparedRequest
from kenar_api_client.exceptions import (
    ApiException,
    ApiTypeError,
    ApiValueError,
    NotFoundException,
    ResponseDecodeError,
)
from kenar_api_client.models._base import KenarModel

__all__ = [
    "ASSETS_URLS_TTL",
    "CHAT_MEDIA_FORMATS",
    "CHAT_MEDIA_LIMITS",
    "CHAT_MEDIA_TYPES",
    "AddonImage",
    "PostImage",
    "PostVideo",
    "forget_upload_urls",
    "is_allowed_upload_url",
    "upload_addon_image",
    "upload_chat_media",
    "upload_post_image",
    "upload_post_video",
]

MiB = 1024 * 1024

#: the media types of the chat upload host, in its path: ``/upload/{media_type}``
CHAT_MEDIA_TYPES: Tuple[str, ...] = ("image", "video", "voice", "file")
#: the largest file, in bytes, Divar takes for each chat media type
CHAT_MEDIA_LIMITS: Dict[str, int] = {"image": 5 * MiB, "file": 5 * MiB, "voice": 3 * MiB // 2, "video": 50 * MiB}
#: file extension -> (chat media type, content type of the part)
CHAT_MEDIA_FORMATS: Dict[str, Tuple[str, str]] = {
    "png": ("image", "image/png"),
    "jpg": ("image", "image/jpeg"),
    "jpeg": ("image", "image/jpeg"),
    "pdf": ("file", "application/pdf"),
    "doc": ("file", "application/msword"),
    "docx": ("file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xls": ("file", "application/vnd.ms-excel"),
    "xlsx": ("file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ppt": ("file", "application/vnd.ms-powerpoint"),
    "pptx": ("file", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "m4a": ("voice", "audio/mp4"),
    "3gp": ("voice", "audio/3gpp"),
    "mp4": ("video", "video/mp4"),
}
_POST_IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}

#: seconds an answer of ``GET /v1/open-platform/assets/media-upload-urls`` is reused
#: by the same client (Divar suggests asking about once a day; the answer of the
#: older ``GET /v2/open-platform/post/upload-urls`` is never reused)
ASSETS_URLS_TTL = 3600.0
_ASSETS_OPERATION = "assets_get_media_upload_urls"

FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
_M = TypeVar("_M", bound=KenarModel)


# ----------------------------------------------------------------------------- answers


class PostImage(KenarModel):
    """The answer to a post image upload: ``path`` goes into the post's ``images``."""

    path: Optional[StrictStr] = None
    photo_url: Optional[StrictStr] = None
    thumbnail_url: Optional[StrictStr] = None


class AddonImage(PostImage):
    """The answer to an add-on image upload (the same fields as :class:`PostImage`)."""


class PostVideo(KenarModel):
    """The answer to a post video upload: ``video_name`` goes into the post's ``video``."""

    video_name: Optional[StrictStr] = None
    video_url: Optional[StrictStr] = None
    thumbnail_name: Optional[StrictStr] = None
    thumbnail_url: Optional[StrictStr] = None


# ----------------------------------------------------------------------------- the transport


def _send(
    api_client: ApiClient, method: str, url: str, headers: Dict[str, str], body: rest.UploadBody
) -> rest.RESTResponse:
    """The one place where an upload reaches the transport.

    It goes through the ApiClient's retry loop (so timeouts, error mapping,
    redaction and the retry rules are the same as for every call), marked not
    idempotent: it is sent again only when nothing can have reached the server.
    """
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ApiValueError(f"upload header {name!r} contains a line break (CR/LF); refusing to send it")
    # PreparedRequest.body is typed bytes; rest.request streams an UploadBody as it is
    request = PreparedRequest(method, url, headers, cast(bytes, body), False)
    return api_client.send(request)


def _answer(response: rest.RESTResponse, model: Type[_M], what: str) -> _M:
    data = response.read()
    status = response.status
    if not 200 <= status <= 299:
        error = ApiException.from_response(http_resp=response, body=data.decode("utf-8", errors="replace"), data=None)
        error.attempts = response.attempts
        raise error
    content_type = response.getheader("Content-Type")
    if content_type is not None and "json" not in content_type.lower():
        raise ResponseDecodeError(
            status,
            f"{what}: expected a JSON answer, got Content-Type {content_type!r}",
            data,
            content_type=content_type,
            headers=response.headers,
        )
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        detail = error.errors()[0].get("msg", "invalid") if error.errors() else "invalid"
        raise ResponseDecodeError(status, f"{what}: {detail}", data, headers=response.headers) from None


def _user_agent(api_client: ApiClient) -> Dict[str, str]:
    agent = api_client.default_headers.get("User-Agent")
    return {"User-Agent": agent} if agent else {}


# ----------------------------------------------------------------------------- reading the file


class _Source(NamedTuple):
    name: Optional[str]  #: the file name (no directory), when known
    size: int
    data: Union[bytes, IO[bytes]]  #: the bytes, or a binary file positioned at the content's start


def _open_source(file: Any, filename: Optional[str], stack: ExitStack) -> _Source:
    if filename is not None and (not isinstance(filename, str) or not filename.strip()):
        raise ApiValueError(f"filename must be a non-empty string, got {filename!r}")
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        if not isinstance(path, str):
            raise ApiTypeError("give the file path as a str or a str PathLike, not bytes")
        try:
            handle = stack.enter_context(open(path, "rb"))  # noqa: SIM115 - closed by the stack
        except OSError as error:
            raise ApiValueError(f"cannot open {path!r}: {error.strerror or error}") from None
        size = os.fstat(handle.fileno()).st_size
        return _Source(filename or os.path.basename(path), size, handle)
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = file if isinstance(file, bytes) else bytes(file)
        return _Source(filename, len(data), data)
    if isinstance(file, io.TextIOBase):
        raise ApiTypeError("the file is open in text mode; open it with 'rb'")
    if not callable(getattr(file, "read", None)):
        raise ApiTypeError(f"file must be a path, bytes or a binary file object, got {type(file).__name__}")
    name = filename
    if name is None:
        own = getattr(file, "name", None)
        name = os.path.basename(own) if isinstance(own, str) and own else None
    seekable = getattr(file, "seekable", None)
    if callable(seekable) and seekable():
        start = file.tell()
        size = file.seek(0, io.SEEK_END) - start
        file.seek(start)
        return _Source(name, size, file)
    content = file.read()  # a pipe or a socket: it can be read once only, so keep what it gives
    if not isinstance(content, bytes):
        raise ApiTypeError("the file object must return bytes from read(); open it in binary mode")
    return _Source(name, len(content), content)


def _extension(name: Optional[str]) -> Optional[str]:
    if not name or "." not in name:
        return None
    return name.rsplit(".", 1)[1].lower()


def _head(source: _Source, count: int) -> bytes:
    if isinstance(source.data, bytes):
        return source.data[:count]
    start = source.data.tell()
    head = source.data.read(count)
    source.data.seek(start)
    return head


def _size_text(size: float) -> str:
    return f"{size / MiB:g} MB" if size >= MiB // 2 else f"{size:g} bytes"


# ----------------------------------------------------------------------------- chat media


def upload_chat_media(
    api_client: ApiClient,
    file: FileInput,
    *,
    media_type: Optional[str] = None,
    filename: Optional[str] = None,
) -> str:
    """Upload a file for a chat message; return its media token.

    ``file`` is a path, bytes or a binary file object (read from its current
    position).  The format comes from the file name's extension (``filename``
    names bytes and overrides the file's own name); ``media_type`` (``image``,
    ``video``, ``voice`` or ``file``) is inferred from it when not given and
    must agree with it when given.  Format and size are checked before
    anything is sent.  Then an upload token is asked for
    (``ChatAPIApi.chat_api_generate_upload_token``) and the file is POSTed as
    ``multipart/form-data`` to ``{Configuration.chat_upload_host}/upload/{media_type}``
    with that token; the API key is not sent there.
    """
    if media_type is not None and media_type not in CHAT_MEDIA_TYPES:
        raise ApiValueError(f"media_type must be one of {', '.join(CHAT_MEDIA_TYPES)}, got {media_type!r}")
    with ExitStack() as stack:
        source = _open_source(file, filename, stack)
        if not source.name:
            raise ApiValueError(
                "the chat upload needs a file name with its extension: pass filename=, e.g. 'photo.jpg'"
            )
        extension = _extension(source.name)
        known = CHAT_MEDIA_FORMATS.get(extension or "")
        if known is None:
            allowed = ", ".join(sorted(CHAT_MEDIA_FORMATS))
            raise ApiValueError(f"{source.name!r}: chat media must be one of these formats: {allowed}")
        kind, part_type = known
        if media_type is not None and media_type != kind:
            formats = ", ".join(ext for ext, (t, _) in CHAT_MEDIA_FORMATS.items() if t == media_type)
            raise ApiValueError(f"{source.name!r} is not {media_type} media: {media_type} is {formats}")
        limit = CHAT_MEDIA_LIMITS[kind]
        if source.size > limit:
            raise ApiValueError(
                f"{source.name!r} is {source.size} bytes; chat {kind} uploads are limited to {_size_text(limit)} ({limit} bytes)"
            )
        if source.size == 0:
            raise ApiValueError(f"{source.name!r} is empty")
        host = str(api_client.configuration.chat_upload_host).rstrip("/")
        if not re.match(r"https?://[^/?#\s]+\Z", host):
            raise ApiValueError(
                f"Configuration.chat_upload_host must be a URL like 'https://chat.divar.ir', got {host!r}"
            )

        from kenar_api_client.api.chat_api_api import ChatAPIApi

        token = ChatAPIApi(api_client).chat_api_generate_upload_token({}).token
        if not token:
            raise ResponseDecodeError(200, "chat_api_generate_upload_token: the answer has no upload token", None)
        body, form_type = rest.multipart_file_body("file", source.name, part_type, source.data)
        headers = {"Authorization": "Bearer " + token, "Accept": "*/*", "Content-Type": form_type}
        headers.update(_user_agent(api_client))
        response = _send(api_client, "POST", f"{host}/upload/{kind}", headers, body)
        answer = _answer(response, _ChatUploadAnswer, "chat upload")
        if not answer.id:
            raise ResponseDecodeError(response.status, "chat upload: the answer has no media id", response.read())
        return answer.id


class _ChatUploadAnswer(KenarModel):
    id: Optional[StrictStr] = None
    status: Optional[StrictStr] = None


# ----------------------------------------------------------------------------- where post media goes


def is_allowed_upload_url(url: str, api_host: str) -> bool:
    """True when an upload URL from an answer may receive the API key.

    That is an ``https`` URL on ``divar.ir`` or one of its subdomains, or a URL
    on the configured API host (same scheme, host and port; so tests and the
    mock server work).  A URL with user info, a backslash, whitespace or
    anything but printable ASCII is never allowed.
    """
    if not isinstance(url, str) or not url or any(not 0x21 <= ord(c) <= 0x7E for c in url) or "\\" in url:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
        api = urlsplit(api_host)
        api_port = api.port
    except ValueError:
        return False
    if "@" in parts.netloc or not parts.hostname:
        return False
    host = parts.hostname.lower()
    scheme = parts.scheme.lower()
    if scheme == "https" and re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*divar\.ir", host):
        return True
    defaults = {"http": 80, "https": 443}
    return (
        "@" not in api.netloc
        and scheme == (api.scheme or "").lower()
        and host == (api.hostname or "").lower()
        and (port or defaults.get(scheme)) == (api_port or defaults.get(scheme))
    )


def _checked_target(api_client: ApiClient, url: Any, method: Any, what: str) -> Tuple[str, str]:
    method_text = str(getattr(method, "value", method) or "").upper()
    if not isinstance(url, str) or not url:
        raise ResponseDecodeError(200, f"{what}: the upload-URLs answer has no URL", None)
    if not is_allowed_upload_url(url, api_client.configuration.host):
        raise ApiValueError(
            f"{what}: refusing the upload URL {rest.safe_url(url)!r} from the answer: the API key goes only to "
            "https URLs on divar.ir or to the configured API host; nothing was sent"
        )
    if method_text not in ("POST", "PUT"):
        raise ApiValueError(
            f"{what}: the answer asks for an upload with {method_text or 'no'} method; only POST or PUT is used"
        )
    return url, method_text


_ASSETS_CACHE: weakref.WeakKeyDictionary[ApiClient, Tuple[float, Any]] = weakref.WeakKeyDictionary()
_ASSETS_LOCK = threading.Lock()


def forget_upload_urls(api_client: Optional[ApiClient] = None) -> None:
    """Drop the cached media-upload-URLs answer of ``api_client`` (of every client when None)."""
    with _ASSETS_LOCK:
        if api_client is None:
            _ASSETS_CACHE.clear()
        else:
            _ASSETS_CACHE.pop(api_client, None)


def _assets_urls(api_client: ApiClient) -> Any:
    """The media-upload-URLs answer (cached per client), or None when the SDK or the server lacks it."""
    from kenar_api_client._op_table import OPERATIONS

    op = OPERATIONS.get(_ASSETS_OPERATION)
    if op is None:
        return None
    now = time.monotonic()
    with _ASSETS_LOCK:
        cached = _ASSETS_CACHE.get(api_client)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        answer: Any = api_client.call_operation(op, ()).data
    except NotFoundException:
        answer = None  # a server without the newer operation: use the older one until the entry expires
    with _ASSETS_LOCK:
        _ASSETS_CACHE[api_client] = (now + ASSETS_URLS_TTL, answer)
    return answer


def _field(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _post_target(api_client: ApiClient, kind: str) -> Tuple[str, str, bool]:
    """(url, method, from the cached assets answer) for ``kind``: ``image``, ``video`` or ``addon_image``."""
    assets_field = {"image": "submit_post_images", "video": "submit_post_videos", "addon_image": "addon_images"}[kind]
    what = {"image": "post image upload", "video": "post video upload", "addon_image": "add-on image upload"}[kind]
    target = _field(_assets_urls(api_client), assets_field)
    if _field(target, "url"):
        url, method = _checked_target(api_client, _field(target, "url"), _field(target, "http_method"), what)
        return url, method, True
    if kind == "addon_image":
        raise ApiValueError(
            "add-on image uploads need the URL from GET /v1/open-platform/assets/media-upload-urls, which "
            "this SDK version or the server does not offer (or its answer has no addon_images URL); nothing was sent"
        )
    from kenar_api_client.api.post_api import PostApi

    urls = PostApi(api_client).post_get_upload_urls_v2()  # asked before every upload: the URLs can change
    fmt = urls.image if kind == "image" else urls.video
    url, method = _checked_target(api_client, _field(fmt, "url"), _field(fmt, "http_method"), what)
    return url, method, False


def _upload_raw(api_client: ApiClient, kind: str, source: _Source, content_type: str, model: Type[_M]) -> _M:
    url, method, cached = _post_target(api_client, kind)
    headers: Dict[str, str] = {"Content-Type": content_type, "Accept": "application/json", "Authorization": ""}
    key = api_client.configuration.get_api_key_with_prefix("APIKey")
    if key is not None:
        headers["X-API-Key"] = key
    headers.update(_user_agent(api_client))
    try:
        response = _send(api_client, method, url, headers, rest.UploadBody(source.data))
        return _answer(response, model, kind.replace("_", " ") + " upload")
    except ApiException:
        if cached:  # the URL may have moved: ask again next time
            forget_upload_urls(api_client)
        raise


def _check_nonempty(source: _Source, what: str) -> None:
    if source.size == 0:
        raise ApiValueError(f"{what}: the file is empty")


def _image_content_type(source: _Source, content_type: Optional[str], what: str) -> str:
    if content_type is not None:
        if not isinstance(content_type, str) or not re.fullmatch(r"image/[A-Za-z0-9.+-]+", content_type):
            raise ApiValueError(
                f"{what}: content_type must be an image type such as 'image/jpeg', got {content_type!r}"
            )
        return content_type
    extension = _extension(source.name)
    if extension is not None:
        known = _POST_IMAGE_TYPES.get(extension)
        if known is None:
            raise ApiValueError(
                f"{what}: {source.name!r} is not a JPEG or PNG file (pass content_type= to send another image type)"
            )
        return known
    head = _head(source, 8)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    raise ApiValueError(f"{what}: cannot tell the image type (not JPEG or PNG); pass content_type=")


def upload_post_image(api_client: ApiClient, file: FileInput, *, content_type: Optional[str] = None) -> PostImage:
    """Upload a photo for a post; its ``path`` goes into the post's images.

    The upload URL comes from ``GET /v1/open-platform/assets/media-upload-urls``
    when this SDK has that operation (its answer reused for
    :data:`ASSETS_URLS_TTL` seconds), else from ``PostApi.post_get_upload_urls_v2()``,
    asked before every upload.  The raw bytes are sent there with the API key
    (only to a Divar URL, see :func:`is_allowed_upload_url`).  The content type
    is ``content_type``, else taken from the file name (``.jpg``/``.jpeg``/``.png``)
    or, for bytes, from the data.
    """
    with ExitStack() as stack:
        source = _open_source(file, None, stack)
        _check_nonempty(source, "post image upload")
        kind = _image_content_type(source, content_type, "post image upload")
        return _upload_raw(api_client, "image", source, kind, PostImage)


def upload_post_video(api_client: ApiClient, file: FileInput) -> PostVideo:
    """Upload an MP4 video for a post; its ``video_name`` goes into the post.

    The URL is found as for :func:`upload_post_image`; the file is streamed
    from disk with ``Content-Type: video/mp4``.
    """
    with ExitStack() as stack:
        source = _open_source(file, None, stack)
        _check_nonempty(source, "post video upload")
        extension = _extension(source.name)
        if extension is not None and extension != "mp4":
            raise ApiValueError(f"post video upload: {source.name!r} is not an MP4 file")
        if extension is None and _head(source, 8)[4:8] != b"ftyp":
            raise ApiValueError("post video upload: the data is not an MP4 video")
        return _upload_raw(api_client, "video", source, "video/mp4", PostVideo)


def upload_addon_image(api_client: ApiClient, file: FileInput, *, content_type: Optional[str] = None) -> AddonImage:
    """Upload an image for an add-on widget.

    Its URL comes only from ``GET /v1/open-platform/assets/media-upload-urls``
    (``addon_images``); when this SDK version does not have that operation, or
    the server answers 404 for it, ``ApiValueError`` is raised and nothing is
    uploaded.  Otherwise as :func:`upload_post_image`.
    """
    with ExitStack() as stack:
        source = _open_source(file, None, stack)
        _check_nonempty(source, "add-on image upload")
        kind = _image_content_type(source, content_type, "add-on image upload")
        return _upload_raw(api_client, "addon_image", source, kind, AddonImage)
