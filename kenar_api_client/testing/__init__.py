"""Test servers on 127.0.0.1: the mock Kenar API, its OAuth endpoints, webhook delivery.

:class:`MockKenarServer` knows every operation of the SDK from the same
operation table the API classes use.  It checks each request as the real API
would (known path, credentials, a JSON body that fits the body model),
answers a valid response built from the response model unless a test queued
something else, records every request, and misbehaves on command::

    from kenar_api_client.testing import MockKenarServer

    with MockKenarServer() as server:
        with server.api_client() as client:
            api = kenar_api_client.EventsApi(client)
            server.respond("events_send_event", status=503)    # the next answer
            ...
        assert server.requests[0].operation == "events_send_event"

The same port serves Divar's OAuth endpoints (``server.oauth``), and
:class:`WebhookReceiver` is a small app that receives the events
:meth:`MockKenarServer.deliver_event` POSTs.  All of them are built on one
loopback HTTP core, :class:`LoopbackServer`.  Only the standard library is
used to serve; models come from the SDK.
"""

from kenar_api_client.testing._core import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY_SIZE,
    FAULTS,
    Answer,
    Handler,
    Headers,
    LoopbackServer,
    RecordedRequest,
)
from kenar_api_client.testing._kenar import GRPC_CODE_FOR_STATUS, MockKenarServer, iter_operations
from kenar_api_client.testing._oauth import Grant, OAuthProvider, OAuthServer
from kenar_api_client.testing._samples import sample_value
from kenar_api_client.testing._webhooks import WebhookReceiver

__all__ = [
    "Answer",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BODY_SIZE",
    "FAULTS",
    "GRPC_CODE_FOR_STATUS",
    "Grant",
    "Handler",
    "Headers",
    "LoopbackServer",
    "MockKenarServer",
    "OAuthProvider",
    "OAuthServer",
    "RecordedRequest",
    "WebhookReceiver",
    "iter_operations",
    "sample_value",
]
