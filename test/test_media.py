"""kenar_api_client.media over loopback HTTP: the API host is a MockKenarServer, the chat upload
host (and any hostile upload URL) a separate recording server on another port."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Deque, Dict, Iterator, List, Optional, Tuple

import pytest
import urllib3
from urllib3.fields import RequestField

from kenar_api_client import media, rest
from kenar_api_client._op_table import OPERATIONS
from kenar_api_client._op_types import Operation
from kenar_api_client.api_client import ApiClient
from kenar_api_client.exceptions import (
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    ResponseDecodeError,
    ServiceException,
    TooManyRequestsException,
)
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer
from kenar_api_client.testing._uploads import parse_multipart

REPO = Path(__file__).resolve().parent.parent
API_KEY = "test-api-key"
MiB = 1024 * 1024
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"png-bytes" * 10
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"mp4-bytes" * 10


# ---------------------------------------------------------------------------- a recording loopback server


class Recorded:
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.lower_headers = {k.lower(): v for k, v in headers.items()}
        self.body = body


class RecordingServer:
    """Answers every request from a queue (else a default) and records it."""

    def __init__(self, default: Tuple[int, Any] = (200, {"id": "media-token-1", "status": "ok"})) -> None:
        self.requests: List[Recorded] = []
        self.answers: Deque[Tuple[int, Any, Dict[str, str]]] = deque()
        self.default = default
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                status, payload, headers = owner.answers.popleft() if owner.answers else (*owner.default, {})
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def queue(self, status: int, payload: Any, headers: Optional[Dict[str, str]] = None) -> None:
        self.answers.append((status, payload, headers or {}))

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


#: the generated operation, once the SDK is generated from a spec that has it
GENERATED_ASSETS_OPERATION = OPERATIONS.get("assets_get_media_upload_urls")


@pytest.fixture(autouse=True)
def _older_sdk_unless_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests of the v2 path run as on an SDK without the assets operation, generated or not."""
    wants_assets = "assets_server" in request.fixturenames or request.node.name.startswith("test_the_generated_assets")
    if not wants_assets:
        monkeypatch.delitem(OPERATIONS, "assets_get_media_upload_urls", raising=False)
    yield
    media.forget_upload_urls()


@pytest.fixture
def chat_host() -> Iterator[RecordingServer]:
    host = RecordingServer()
    yield host
    host.close()


@pytest.fixture
def api(server: MockKenarServer, chat_host: RecordingServer) -> Iterator[ApiClient]:
    """A client whose API host is the mock and whose chat upload host is the separate recording server."""
    config = server.configuration(api_key=API_KEY)
    config.chat_upload_host = chat_host.url
    config.retries = RetryPolicy(sleep=lambda s: None, jitter=False)
    with ApiClient(config) as client:
        yield client
    media.forget_upload_urls()


def form_of(request: Recorded) -> Dict[str, Tuple[Optional[str], str, bytes]]:
    parsed = parse_multipart(request.lower_headers["content-type"], request.body)
    assert isinstance(parsed, dict), parsed
    return parsed


# ---------------------------------------------------------------------------- chat media


class TestChatUpload:
    def test_end_to_end_on_two_hosts(self, api: ApiClient, server: MockKenarServer, chat_host: RecordingServer) -> None:
        token = media.upload_chat_media(api, PNG, filename="photo.png")

        assert token == "media-token-1"
        (token_call,) = server.requests
        assert token_call.operation == "chat_api_generate_upload_token"
        assert token_call.headers["X-API-Key"] == API_KEY and token_call.json == {}
        (upload,) = chat_host.requests
        assert upload.method == "POST" and upload.path == "/upload/image"
        assert upload.lower_headers["authorization"] == "Bearer mock-upload-token-1"
        assert upload.lower_headers["accept"] == "*/*"
        assert "x-api-key" not in upload.lower_headers
        assert API_KEY not in repr(upload.headers) and API_KEY.encode() not in upload.body
        assert upload.lower_headers["content-type"].startswith("multipart/form-data; boundary=")
        assert int(upload.lower_headers["content-length"]) == len(upload.body)
        assert form_of(upload) == {"file": ("photo.png", "image/png", PNG)}

    @pytest.mark.parametrize("extension", sorted(media.CHAT_MEDIA_FORMATS))
    def test_every_format_goes_to_its_media_type(
        self, extension: str, api: ApiClient, chat_host: RecordingServer
    ) -> None:
        kind, part_type = media.CHAT_MEDIA_FORMATS[extension]
        media.upload_chat_media(api, b"content", filename=f"name.{extension.upper()}")
        (upload,) = chat_host.requests
        assert upload.path == f"/upload/{kind}"
        assert form_of(upload)["file"] == (f"name.{extension.upper()}", part_type, b"content")

    def test_the_formats_and_limits_are_divars(self) -> None:
        by_type: Dict[str, List[str]] = {}
        for extension, (kind, _) in media.CHAT_MEDIA_FORMATS.items():
            by_type.setdefault(kind, []).append(extension)
        assert {k: sorted(v) for k, v in by_type.items()} == {
            "image": ["jpeg", "jpg", "png"],
            "file": ["doc", "docx", "pdf", "ppt", "pptx", "xls", "xlsx"],
            "voice": ["3gp", "m4a"],
            "video": ["mp4"],
        }
        assert media.CHAT_MEDIA_LIMITS == {"image": 5 * MiB, "file": 5 * MiB, "voice": 1572864, "video": 50 * MiB}

    @pytest.mark.parametrize("kind, extension", [("image", "jpg"), ("file", "pdf"), ("voice", "m4a"), ("video", "mp4")])
    def test_one_byte_over_the_limit_is_refused_with_nothing_sent(
        self,
        kind: str,
        extension: str,
        api: ApiClient,
        server: MockKenarServer,
        chat_host: RecordingServer,
        tmp_path: Path,
    ) -> None:
        limit = media.CHAT_MEDIA_LIMITS[kind]
        path = tmp_path / f"big.{extension}"
        with open(path, "wb") as handle:
            handle.truncate(limit + 1)  # sparse: no real disk use
        with pytest.raises(ApiValueError, match=rf"limited to .*\({limit} bytes\)"):
            media.upload_chat_media(api, path)
        with pytest.raises(ApiValueError, match="limited to"):
            media.upload_chat_media(api, str(path), media_type=kind)
        assert server.requests == [] and chat_host.requests == []

    @pytest.mark.parametrize(
        "kind, extension", [("image", "png"), ("file", "docx"), ("voice", "3gp"), ("video", "mp4")]
    )
    def test_exactly_the_limit_is_sent_streamed_from_disk(
        self, kind: str, extension: str, server: MockKenarServer, tmp_path: Path
    ) -> None:
        # the mock's chat host checks the limit too, as Divar's does
        limit = media.CHAT_MEDIA_LIMITS[kind]
        path = tmp_path / f"exact.{extension}"
        with open(path, "wb") as handle:
            handle.seek(limit - 4)
            handle.write(b"tail")
        with server.api_client() as client:
            assert media.upload_chat_media(client, path).startswith("mock-media-")
        (upload,) = server.uploads.of_kind("chat")
        assert upload.media_type == kind and len(upload.data) == limit and upload.data.endswith(b"tail")
        assert upload.filename == f"exact.{extension}"

    @pytest.mark.parametrize(
        "call, error, message",
        [
            (lambda c: media.upload_chat_media(c, b"x", filename="anim.gif"), ApiValueError, "formats"),
            (lambda c: media.upload_chat_media(c, b"x", filename="noextension"), ApiValueError, "formats"),
            (lambda c: media.upload_chat_media(c, b"x"), ApiValueError, "filename="),
            (
                lambda c: media.upload_chat_media(c, b"x", filename="a.jpg", media_type="voice"),
                ApiValueError,
                "not voice",
            ),
            (
                lambda c: media.upload_chat_media(c, b"x", filename="a.jpg", media_type="photo"),
                ApiValueError,
                "media_type",
            ),
            (lambda c: media.upload_chat_media(c, b"", filename="a.jpg"), ApiValueError, "empty"),
            (lambda c: media.upload_chat_media(c, b"x", filename=""), ApiValueError, "filename"),
            (lambda c: media.upload_chat_media(c, "/no/such/file.jpg"), ApiValueError, "cannot open"),
            (lambda c: media.upload_chat_media(c, io.StringIO("text"), filename="a.pdf"), ApiTypeError, "text mode"),
            (lambda c: media.upload_chat_media(c, 42), ApiTypeError, "path, bytes or a binary file"),  # type: ignore[arg-type]
        ],
    )
    def test_bad_input_is_refused_with_nothing_sent(
        self, call: Any, error: type, message: str, api: ApiClient, server: MockKenarServer, chat_host: RecordingServer
    ) -> None:
        with pytest.raises(error, match=message):
            call(api)
        assert server.requests == [] and chat_host.requests == []

    def test_a_file_object_is_read_from_its_position_and_named_by_its_file(
        self, api: ApiClient, chat_host: RecordingServer, tmp_path: Path
    ) -> None:
        path = tmp_path / "notes.pdf"
        path.write_bytes(b"HEADER%PDF-body")
        with open(path, "rb") as handle:
            handle.seek(6)
            media.upload_chat_media(api, handle)
            assert handle.tell() == len(b"HEADER%PDF-body")
        (upload,) = chat_host.requests
        assert upload.path == "/upload/file"
        assert form_of(upload)["file"] == ("notes.pdf", "application/pdf", b"%PDF-body")

    def test_an_unseekable_stream_is_read_once(self, api: ApiClient, chat_host: RecordingServer) -> None:
        read_fd, write_fd = os.pipe()
        os.write(write_fd, b"voice-data")
        os.close(write_fd)
        with os.fdopen(read_fd, "rb", buffering=0) as stream:
            media.upload_chat_media(api, stream, filename="note.m4a")
        assert form_of(chat_host.requests[0])["file"] == ("note.m4a", "audio/mp4", b"voice-data")

    def test_a_filename_with_quotes_is_encoded_by_urllib3(self, api: ApiClient, chat_host: RecordingServer) -> None:
        media.upload_chat_media(api, b"x", filename='my "best".jpg')
        head = chat_host.requests[0].body.split(b"\r\n\r\n", 1)[0]
        assert b'filename="my %22best%22.jpg"' in head

    def test_the_streamed_body_is_exactly_urllib3s_encoding(self) -> None:
        body, content_type = rest.multipart_file_body("file", "a b.jpg", "image/jpeg", io.BytesIO(JPEG))
        boundary = content_type.split("boundary=", 1)[1]
        field = RequestField(name="file", data=JPEG, filename="a b.jpg")
        field.make_multipart(content_type="image/jpeg")
        expected, expected_type = urllib3.encode_multipart_formdata([field], boundary=boundary)
        assert content_type == expected_type
        assert b"".join(body) == expected and len(body) == len(expected)
        assert b"".join(body) == expected  # a second pass (a retry) gives the same bytes

    def test_error_answers_are_the_sdks_errors(self, api: ApiClient, chat_host: RecordingServer) -> None:
        chat_host.queue(400, {"code": 3, "message": "bad file", "details": []})
        with pytest.raises(BadRequestException) as caught:
            media.upload_chat_media(api, JPEG, filename="a.jpg")
        assert caught.value.status == 400 and "bad file" in str(caught.value)
        chat_host.queue(200, b"<html>not json</html>", {"Content-Type": "text/html"})
        with pytest.raises(ResponseDecodeError, match="expected a JSON answer"):
            media.upload_chat_media(api, JPEG, filename="a.jpg")
        chat_host.queue(200, {"status": "ok"})
        with pytest.raises(ResponseDecodeError, match="no media id"):
            media.upload_chat_media(api, JPEG, filename="a.jpg")

    def test_no_upload_token_in_the_answer(
        self, api: ApiClient, server: MockKenarServer, chat_host: RecordingServer
    ) -> None:
        server.respond("chat_api_generate_upload_token", json={})
        with pytest.raises(ResponseDecodeError, match="no upload token"):
            media.upload_chat_media(api, JPEG, filename="a.jpg")
        assert chat_host.requests == []

    def test_a_503_is_not_retried_but_a_429_is_with_the_same_bytes(
        self, api: ApiClient, chat_host: RecordingServer, tmp_path: Path
    ) -> None:
        path = tmp_path / "clip.mp4"
        path.write_bytes(MP4 * 1000)
        chat_host.queue(503, {"code": 14, "message": "unavailable", "details": []})
        with pytest.raises(ServiceException):
            media.upload_chat_media(api, path)
        assert len(chat_host.requests) == 1  # the server may have stored it: not sent again

        chat_host.requests.clear()
        chat_host.queue(429, {"code": 8, "message": "slow down", "details": []}, {"Retry-After": "0"})
        assert media.upload_chat_media(api, path) == "media-token-1"
        first, second = chat_host.requests
        assert form_of(first)["file"][2] == form_of(second)["file"][2] == MP4 * 1000

    def test_a_refused_connection_is_retried_since_nothing_was_sent(
        self, server: MockKenarServer, tmp_path: Path
    ) -> None:
        dead = RecordingServer()
        dead_url = dead.url
        dead.close()
        attempts: List[float] = []
        config = server.configuration()
        config.chat_upload_host = dead_url
        config.retries = RetryPolicy(max_attempts=3, sleep=attempts.append, jitter=False)
        with ApiClient(config) as client:
            from kenar_api_client.exceptions import ApiConnectionError

            with pytest.raises(ApiConnectionError) as caught:
                media.upload_chat_media(client, JPEG, filename="a.jpg")
        assert caught.value.attempts == 3 and len(attempts) == 2

    def test_secrets_stay_out_of_the_logs(self, api: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.DEBUG, logger="kenar_api_client"):
            media.upload_chat_media(api, JPEG, filename="a.jpg")
            media.upload_post_image(api, JPEG)
        text = caplog.text
        assert "/upload/image" in text and "mock-upload" in text
        assert "mock-upload-token-1" not in text and API_KEY not in text

    def test_the_chat_upload_host_comes_from_the_configuration(self) -> None:
        from kenar_api_client.configuration import Configuration

        assert Configuration().chat_upload_host == "https://chat.divar.ir"


# ---------------------------------------------------------------------------- post media


HOSTILE_URLS = [
    "http://open-api.divar.ir/v8/upload",  # not https
    "https://evildivar.ir/upload",
    "https://divar.ir.evil.com/upload",
    "https://divar.ir@evil.com/upload",
    "https://user:pass@open-api.divar.ir/upload",
    "https://evil.com\\@divar.ir/upload",
    "https://evil.com#@divar.ir/",
    "https://evil.com?.divar.ir/",
    "https://divar.ir./upload",
    "https://xn--divar.ir/upload",
    "https://divar.ir /upload",
    "https://\u0434ivar.ir/upload",
    "//divar.ir/upload",
    "/v8/upload",
    "",
]


class TestPostUpload:
    def test_image_via_the_v2_urls_asked_before_every_upload(self, api: ApiClient, server: MockKenarServer) -> None:
        first = media.upload_post_image(api, JPEG)
        second = media.upload_post_image(api, PNG)

        assert isinstance(first, media.PostImage) and first.path and first.photo_url and first.thumbnail_url
        assert first.path != second.path
        operations = [r.operation for r in server.requests]
        assert operations == ["post_get_upload_urls_v2", "post_get_upload_urls_v2"]  # the uploads are recorded apart
        one, two = server.uploads.of_kind("post_image")
        assert one.data == JPEG and one.content_type == "image/jpeg"
        assert two.data == PNG and two.content_type == "image/png"
        headers = {k.lower(): v for k, v in one.headers.items()}
        assert headers["x-api-key"] == API_KEY and headers["authorization"] == ""

    @pytest.mark.parametrize(
        "name, content_type, expected",
        [
            ("a.JPG", None, "image/jpeg"),
            ("a.jpeg", None, "image/jpeg"),
            ("a.png", None, "image/png"),
            ("a.webp", "image/webp", "image/webp"),
        ],
    )
    def test_image_content_type(
        self,
        name: str,
        content_type: Optional[str],
        expected: str,
        api: ApiClient,
        server: MockKenarServer,
        tmp_path: Path,
    ) -> None:
        path = tmp_path / name
        path.write_bytes(b"not really an image")
        media.upload_post_image(api, path, content_type=content_type)
        assert server.uploads.of_kind("post_image")[0].content_type == expected

    @pytest.mark.parametrize(
        "call, message",
        [
            (lambda c, p: media.upload_post_image(c, b"GIF89a..."), "cannot tell the image type"),
            (lambda c, p: media.upload_post_image(c, p / "anim.gif"), "not a JPEG or PNG"),
            (lambda c, p: media.upload_post_image(c, JPEG, content_type="video/mp4"), "content_type"),
            (lambda c, p: media.upload_post_image(c, JPEG, content_type="image/jpeg\r\nX: y"), "content_type"),
            (lambda c, p: media.upload_post_image(c, b""), "empty"),
            (lambda c, p: media.upload_post_video(c, p / "clip.mov"), "not an MP4"),
            (lambda c, p: media.upload_post_video(c, b"not a video at all"), "not an MP4"),
            (lambda c, p: media.upload_addon_image(c, JPEG), "assets/media-upload-urls"),
        ],
    )
    def test_bad_input_is_refused_with_nothing_sent(
        self, call: Any, message: str, api: ApiClient, server: MockKenarServer, tmp_path: Path
    ) -> None:
        (tmp_path / "anim.gif").write_bytes(b"GIF89a")
        (tmp_path / "clip.mov").write_bytes(b"mov")
        with pytest.raises(ApiValueError, match=message):
            call(api, tmp_path)
        assert server.requests == [] and server.uploads.recorded == []

    def test_video_streamed_from_a_path(self, api: ApiClient, server: MockKenarServer, tmp_path: Path) -> None:
        path = tmp_path / "tour.mp4"
        path.write_bytes(MP4 * 5000)
        video = media.upload_post_video(api, path)
        assert isinstance(video, media.PostVideo)
        assert video.video_name and video.video_url and video.thumbnail_name and video.thumbnail_url
        (upload,) = server.uploads.of_kind("post_video")
        assert upload.data == MP4 * 5000 and upload.content_type == "video/mp4"
        assert {k.lower(): v for k, v in upload.headers.items()}["content-length"] == str(len(MP4) * 5000)

    @pytest.mark.parametrize("url", HOSTILE_URLS)
    def test_a_hostile_upload_url_is_refused_and_the_key_not_sent(
        self, url: str, api: ApiClient, server: MockKenarServer
    ) -> None:
        server.respond("post_get_upload_urls_v2", json={"image": {"url": url, "http_method": "POST"}})
        with pytest.raises((ApiValueError, ResponseDecodeError)) as caught:
            media.upload_post_image(api, JPEG)
        if url:
            assert isinstance(caught.value, ApiValueError) and "refusing the upload URL" in str(caught.value)
            assert "pass" not in str(caught.value)  # user info is not repeated in the message
        assert [r.operation for r in server.requests] == ["post_get_upload_urls_v2"]
        assert server.uploads.recorded == []

    def test_another_loopback_port_is_not_the_api_host(self, api: ApiClient, server: MockKenarServer) -> None:
        evil = RecordingServer()
        try:
            server.respond(
                "post_get_upload_urls_v2", json={"image": {"url": evil.url + "/steal", "http_method": "PUT"}}
            )
            with pytest.raises(ApiValueError, match="refusing the upload URL"):
                media.upload_post_image(api, JPEG)
            server.respond(
                "post_get_upload_urls_v2",
                json={"image": {"url": server.url.replace("http:", "https:") + "/x", "http_method": "PUT"}},
            )
            with pytest.raises(ApiValueError, match="refusing the upload URL"):
                media.upload_post_image(api, JPEG)
            assert evil.requests == []
        finally:
            evil.close()

    def test_an_upload_method_other_than_post_or_put_is_refused(self, api: ApiClient, server: MockKenarServer) -> None:
        server.respond(
            "post_get_upload_urls_v2",
            json={"video": {"url": server.url + "/mock-upload/post-video", "http_method": "DELETE"}},
        )
        with pytest.raises(ApiValueError, match="DELETE"):
            media.upload_post_video(api, MP4)
        assert server.uploads.recorded == []

    @pytest.mark.parametrize(
        "url, allowed",
        [
            ("https://divar.ir/upload", True),
            ("https://open-api.divar.ir/v8/upload/post/live-post-image", True),
            ("https://OPEN-API.DIVAR.IR/v1/upload-video/", True),
            ("https://a.b.divar.ir:8443/x?y=1", True),
            ("http://127.0.0.1:8080/x", True),  # the configured API host below
            ("http://127.0.0.1:8081/x", False),
            ("https://127.0.0.1:8080/x", False),
            ("http://localhost:8080/x", False),
            *[(url, False) for url in HOSTILE_URLS],
        ],
    )
    def test_is_allowed_upload_url(self, url: str, allowed: bool) -> None:
        assert media.is_allowed_upload_url(url, "http://127.0.0.1:8080") is allowed

    def test_a_put_upload_answered_503_is_not_sent_again(self, api: ApiClient, server: MockKenarServer) -> None:
        target = RecordingServer(default=(503, {"code": 14, "message": "busy", "details": []}))
        try:
            # the target must be the configured API host to be allowed: point the client there
            api.configuration.host = target.url
            target.queue(200, {"video": {"url": target.url + "/put-here", "http_method": "PUT"}})
            with pytest.raises(ServiceException):
                media.upload_post_video(api, MP4)
            assert [r.method for r in target.requests] == ["GET", "PUT"]  # PUT, yet not repeated: an upload
        finally:
            target.close()

    def test_a_429_on_the_post_upload_is_retried(self, api: ApiClient, server: MockKenarServer) -> None:
        target = RecordingServer(default=(200, {"path": "p/1.jpg"}))
        try:
            api.configuration.host = target.url
            target.queue(200, {"image": {"url": target.url + "/img", "http_method": "POST"}})
            target.queue(429, {"code": 8, "message": "later", "details": []}, {"Retry-After": "0"})
            assert media.upload_post_image(api, JPEG).path == "p/1.jpg"
            get, first, second = target.requests
            assert first.body == second.body == JPEG
        finally:
            target.close()

    def test_rate_limited_past_the_retries(self, server: MockKenarServer) -> None:
        target = RecordingServer(default=(429, {"code": 8, "message": "later", "details": []}))
        config = server.configuration()
        config.retries = 0
        try:
            config.host = target.url
            target.queue(200, {"image": {"url": target.url + "/img", "http_method": "POST"}})
            with ApiClient(config) as client, pytest.raises(TooManyRequestsException):
                media.upload_post_image(client, JPEG)
        finally:
            target.close()


# ---------------------------------------------------------------------------- the newer upload-URLs operation

ASSETS_OPERATION = Operation(
    name="assets_get_media_upload_urls",
    api="AssetsApi",
    operation_id="Assets_GetMediaUploadURLs",
    method="GET",
    path="/v1/open-platform/assets/media-upload-urls",
    params=(),
    returns="object",
    returns_module=None,
    auth=("APIKey",),
)


@pytest.fixture
def assets_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockKenarServer]:
    """A mock that knows the assets operation, standing in for the generated one until the spec brings it."""
    monkeypatch.setitem(OPERATIONS, "assets_get_media_upload_urls", GENERATED_ASSETS_OPERATION or ASSETS_OPERATION)
    with MockKenarServer() as mock:
        yield mock
    media.forget_upload_urls()


class TestAssetsUploadUrls:
    def test_used_and_cached_per_client_instead_of_v2(self, assets_server: MockKenarServer) -> None:
        with assets_server.api_client() as client, assets_server.api_client() as other:
            media.upload_post_image(client, JPEG)
            media.upload_post_video(client, MP4)
            media.upload_addon_image(client, PNG)
            media.upload_post_image(other, JPEG)
        operations = [r.operation for r in assets_server.requests]
        assert operations == ["assets_get_media_upload_urls", "assets_get_media_upload_urls"]  # once per client
        kinds = [u.kind for u in assets_server.uploads.recorded]
        assert kinds == ["post_image", "post_video", "addon_image", "post_image"]

    def test_the_cache_expires(self, assets_server: MockKenarServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(media, "ASSETS_URLS_TTL", 0.0)
        with assets_server.api_client() as client:
            media.upload_post_image(client, JPEG)
            media.upload_post_image(client, JPEG)
        assert [r.operation for r in assets_server.requests].count("assets_get_media_upload_urls") == 2

    def test_a_404_falls_back_to_v2_and_is_remembered(self, assets_server: MockKenarServer) -> None:
        assets_server.respond("assets_get_media_upload_urls", status=404)
        with assets_server.api_client() as client:
            media.upload_post_image(client, JPEG)
            media.upload_post_video(client, MP4)
            with pytest.raises(ApiValueError, match="add-on image uploads need"):
                media.upload_addon_image(client, JPEG)
        operations = [r.operation for r in assets_server.requests]
        assert operations == ["assets_get_media_upload_urls", "post_get_upload_urls_v2", "post_get_upload_urls_v2"]
        assert [u.kind for u in assets_server.uploads.recorded] == ["post_image", "post_video"]

    def test_an_answer_without_the_post_urls_falls_back_to_v2(self, assets_server: MockKenarServer) -> None:
        assets_server.respond("assets_get_media_upload_urls", json={"addon_images": {}})
        with assets_server.api_client() as client:
            media.upload_post_image(client, JPEG)
        assert [r.operation for r in assets_server.requests] == [
            "assets_get_media_upload_urls",
            "post_get_upload_urls_v2",
        ]

    def test_a_hostile_url_in_the_assets_answer_is_refused(self, assets_server: MockKenarServer) -> None:
        assets_server.respond(
            "assets_get_media_upload_urls",
            json={"addon_images": {"url": "https://divar.ir.evil.com/x", "http_method": "PUT"}},
        )
        with assets_server.api_client() as client, pytest.raises(ApiValueError, match="refusing"):
            media.upload_addon_image(client, JPEG)
        assert assets_server.uploads.recorded == []

    def test_a_failed_upload_drops_the_cached_urls(self, assets_server: MockKenarServer) -> None:
        moved = assets_server.url + "/mock-upload/moved"
        assets_server.respond(
            "assets_get_media_upload_urls", json={"submit_post_images": {"url": moved, "http_method": "POST"}}
        )
        with assets_server.api_client() as client:
            with pytest.raises(Exception):  # the mock has no such upload URL  # noqa: B017
                media.upload_post_image(client, JPEG)
            media.upload_post_image(client, JPEG)  # asks again, gets the mock's working URL
        assert [r.operation for r in assets_server.requests].count("assets_get_media_upload_urls") == 2
        assert len(assets_server.uploads.of_kind("post_image")) == 1


def test_the_generated_assets_operation_serves_every_post_and_addon_upload(server: MockKenarServer) -> None:
    import kenar_api_client

    assert OPERATIONS["assets_get_media_upload_urls"].api == "AssetsApi"
    with server.api_client() as client:
        answer = kenar_api_client.AssetsApi(client).assets_get_media_upload_urls()
        assert answer.addon_images.url == server.url + "/mock-upload/addon-image"
        image = media.upload_post_image(client, JPEG)
        video = media.upload_post_video(client, MP4)
        addon = media.upload_addon_image(client, PNG)
    media.forget_upload_urls()
    assert image.path and video.video_name and addon.path
    operations = [r.operation for r in server.requests]
    assert "post_get_upload_urls_v2" not in operations
    assert operations.count("assets_get_media_upload_urls") == 2  # the direct call above, then one cached answer
    assert [u.kind for u in server.uploads.recorded] == ["post_image", "post_video", "addon_image"]


# ---------------------------------------------------------------------------- memory


def test_a_50_mb_video_is_never_held_twice(server: MockKenarServer, tmp_path: Path) -> None:
    """The client side runs in a child process, so its allocations are its own; the mock (here) takes the bytes."""
    code = textwrap.dedent(
        f"""
        import json, resource, tracemalloc
        from kenar_api_client import media
        from kenar_api_client.api_client import ApiClient
        from kenar_api_client.configuration import Configuration

        config = Configuration(host={server.url!r})
        config.api_key["APIKey"] = "k"
        config.chat_upload_host = {server.url!r}
        config.timeout = 60
        path = {str(tmp_path / "big.mp4")!r}
        with open(path, "wb") as f:
            f.write(b"\\x00\\x00\\x00\\x18ftypmp42")
            f.truncate(50 * 1024 * 1024)
        result = {{}}
        with ApiClient(config) as client:
            media.upload_post_video(client, "{tmp_path / "warm.mp4"}")  # imports and connections first
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            media.upload_post_video(client, path)
            result["path_post_peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            media.upload_chat_media(client, path)
            result["path_chat_peak"] = tracemalloc.get_traced_memory()[1]
            result["rss_max_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            result["rss_growth_kb"] = result["rss_max_kb"] - rss_before
            tracemalloc.stop()
            data = open(path, "rb").read()
            tracemalloc.start()
            media.upload_chat_media(client, data, filename="big.mp4")
            result["bytes_chat_peak"] = tracemalloc.get_traced_memory()[1]
        print(json.dumps(result))
        """
    )
    (tmp_path / "warm.mp4").write_bytes(MP4)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print("upload memory:", result)
    for key in ("path_post_peak", "path_chat_peak", "bytes_chat_peak"):
        assert result[key] < 4 * MiB, (key, result)  # streamed: a few chunks, never a 50 MB copy
    assert result["rss_growth_kb"] < 20 * 1024, result
    assert len(server.uploads.of_kind("post_video")) == 2 and len(server.uploads.of_kind("chat")) == 2
    assert all(len(u.data) == 50 * MiB for u in server.uploads.recorded if u.kind == "chat")


def test_the_mock_answers_point_back_at_itself(server: MockKenarServer) -> None:
    import kenar_api_client

    with server.api_client() as client:
        urls = kenar_api_client.PostApi(client).post_get_upload_urls_v2()
        assert urls.image.url.startswith(server.url) and urls.video.url.startswith(server.url)
        assert client.configuration.chat_upload_host == server.url
        token = kenar_api_client.ChatAPIApi(client).chat_api_generate_upload_token({}).token
        assert token and token != kenar_api_client.ChatAPIApi(client).chat_api_generate_upload_token({}).token


def test_the_mock_refuses_what_divar_would(server: MockKenarServer) -> None:
    pool = urllib3.PoolManager()
    try:

        def post(path: str, headers: Dict[str, str], body: bytes = b"x") -> int:
            return pool.request("POST", server.url + path, body=body, headers=headers).status

        assert post("/upload/image", {"Authorization": "Bearer never-issued"}) == 401
        with server.api_client() as client:
            import kenar_api_client

            token = kenar_api_client.ChatAPIApi(client).chat_api_generate_upload_token({}).token
        auth = {"Authorization": "Bearer " + token}
        assert post("/upload/image", {**auth, "Content-Type": "image/jpeg"}) == 400  # not multipart
        body, form_type = rest.multipart_file_body("photo", "a.jpg", "image/jpeg", b"x")
        assert post("/upload/image", {**auth, "Content-Type": form_type}, b"".join(body)) == 400  # no 'file' field
        body, form_type = rest.multipart_file_body("file", "a.pdf", "application/pdf", b"x")
        assert post("/upload/image", {**auth, "Content-Type": form_type}, b"".join(body)) == 400  # not an image
        assert post("/upload/sticker", auth) == 404
        assert post("/mock-upload/post-image", {"Content-Type": "image/jpeg"}) == 401  # no API key
        assert post("/mock-upload/post-image", {"X-API-Key": "k", "Content-Type": "text/plain"}) == 400
        assert pool.request("GET", server.url + "/mock-upload/post-image").status == 405
        assert server.uploads.recorded == []
    finally:
        pool.clear()


def test_a_delayed_default_answer_is_still_the_upload_hooks(server: MockKenarServer) -> None:
    server.respond("chat_api_generate_upload_token", delay=0.01)
    with server.api_client() as client:
        assert media.upload_chat_media(client, JPEG, filename="a.jpg").startswith("mock-media-")
