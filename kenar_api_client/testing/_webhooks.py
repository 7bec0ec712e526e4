"""Webhook delivery for tests: POST an event as Divar does, and a receiver app that reads them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple, Union

from kenar_api_client.testing._core import DEFAULT_IDLE_TIMEOUT, Answer, LoopbackServer, RecordedRequest

if TYPE_CHECKING:
    from kenar_api_client.webhooks import Event


def deliver_event(url: str, event: Any, identification_key: str, timeout: float = 5.0) -> Tuple[int, bytes]:
    """POST ``event`` (a dict or a parsed webhook Event) to ``url`` as Divar does.

    Returns the receiver's status and body; an error status is returned, not raised.
    """
    from kenar_api_client.webhooks import build_delivery

    headers, payload = build_delivery(event, identification_key)
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - loopback tests only
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())


class WebhookReceiver(LoopbackServer):
    """A minimal app on a loopback port that receives Divar's webhook events.

    Every POST to ``path`` is read with :func:`kenar_api_client.webhooks.parse_event`
    and the app's ``identification_key``: a good event is kept in
    :attr:`events` (and passed to ``on_event``) and answered 200 ``ok``; a
    refused one is answered with the error's ``http_status`` and a JSON
    ``{"error": ...}`` body.  Every request is kept in :attr:`requests`.
    Other paths can be served with :meth:`add_handler`.
    """

    thread_name = "kenar-webhook-receiver"

    def __init__(
        self,
        identification_key: Union[str, bytes],
        *,
        path: str = "/kenar/events",
        max_body_size: int = 1024 * 1024,
        on_event: Optional[Callable[[Event], None]] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        # bodies a little over the webhook limit are still read, so that parse_event gives the 413
        super().__init__(host, port, max_body_size=max_body_size + 1, idle_timeout=idle_timeout)
        self.identification_key = identification_key
        self.path = path
        self.webhook_max_body_size = max_body_size
        self.on_event = on_event
        #: the events received and accepted, oldest first
        self.events: List[Event] = []

    @property
    def events_url(self) -> str:
        """The URL to deliver events to."""
        return self.url + self.path

    def refused(self, status: int, message: str) -> Answer:
        return Answer(status, {"error": message})

    def answer(self, request: RecordedRequest) -> Answer:
        from kenar_api_client import webhooks

        self.record(request)
        if request.path != self.path:
            return Answer(404, {"error": f"nothing at {request.path}"})
        if request.method != "POST":
            return Answer(405, {"error": "events are POSTed"}, headers={"Allow": "POST"})
        try:
            event = webhooks.parse_event(
                request.body,
                request.headers.get("Authorization"),
                self.identification_key,
                max_body_size=self.webhook_max_body_size,
            )
        except webhooks.WebhookError as error:
            return Answer(error.http_status, body=json.dumps({"error": str(error)}).encode("utf-8"))
        with self._lock:
            self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return Answer(200, body=b"ok", headers={"Content-Type": "text/plain"})


__all__ = ["WebhookReceiver", "deliver_event"]
