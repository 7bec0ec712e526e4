"""Receiving what Divar sends to an app: events and synchronous callbacks.

After an app subscribes to events with
:meth:`~kenar_api_client.api.events_api.EventsApi.events_register_event_subscription`,
Divar POSTs every event to the app's events URL.  It also calls the app while a
user is waiting: the session-initialisation request of a server link and the
dynamic-action request of a button.  Every one of these requests carries the
app's identification key (set in the Kenar panel) as the raw value of the
``Authorization`` header.

This module is framework neutral: hand it the body bytes and the
``Authorization`` header value, get back a typed object or one of two errors::

    from kenar_api_client import webhooks

    try:
        event = webhooks.parse_event(body, headers.get("Authorization"), KEY)
    except webhooks.WebhookError as exc:
        return exc.http_status          # 401, 400 or 413
    if isinstance(event, webhooks.NewMessageEvent):
        print(event.new_message.text)

Nothing here opens a socket; :func:`build_delivery` produces the exact
request Divar would send, for tests of a receiver.
"""

import hashlib
import hmac
import ipaddress
import json
import re
from datetime import datetime
from types import MappingProxyType
from typing import (
    Any,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PrivateAttr,
    StrictStr,
    ValidationError,
    field_serializer,
    field_validator,
)

from kenar_api_client._decode import describe_validation_error
from kenar_api_client._wire import json_kind
from kenar_api_client._wire_forms import WireModel, to_microseconds
from kenar_api_client.chat import StartCommand, parse_start_command
from kenar_api_client.exceptions import OpenApiException
from kenar_api_client.models._base import KenarEnum, KenarModel
from kenar_api_client.models.addons_action import AddonsAction
from kenar_api_client.models.chatapi_message import ChatapiMessage
from kenar_api_client.models.finder_get_post_response import FinderGetPostResponse
from kenar_api_client.models.payment_transaction import PaymentTransaction

__all__ = [
    "ChatbotStart",
    "DEFAULT_MAX_BODY_SIZE",
    "DIVAR_SOURCE_NETWORKS",
    "DynamicActionRequest",
    "DynamicActionResponse",
    "EVENT_TYPES",
    "Event",
    "EventType",
    "NewChatbotMessageEvent",
    "NewMessageEvent",
    "PaymentTransactionEvent",
    "PostUpdate",
    "PostUpdateEvent",
    "PostUpdateType",
    "SessionInitRequest",
    "SessionInitResponse",
    "StartCommand",
    "UserAccessRevocation",
    "UserAccessRevocationEvent",
    "WebhookAuthenticationError",
    "WebhookChatMessage",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookPaymentTransaction",
    "WebhookPost",
    "build_delivery",
    "is_divar_address",
    "parse_dynamic_action",
    "parse_event",
    "parse_session_init",
    "parse_start_command",
    "verify",
]

#: Bodies longer than this many bytes are refused before any parsing (1 MiB).
DEFAULT_MAX_BODY_SIZE = 1024 * 1024

#: The networks Divar documents as the sources of its webhook requests.
DIVAR_SOURCE_NETWORKS: Tuple[ipaddress.IPv4Network, ...] = (
    ipaddress.IPv4Network("78.111.6.41/32"),
    ipaddress.IPv4Network("78.111.6.42/32"),
    ipaddress.IPv4Network("78.111.6.43/32"),
    ipaddress.IPv4Network("31.214.250.128/27"),
)

#: Objects and arrays nested deeper than this are refused: no event needs it,
#: and pydantic could not serialise the result back.
_MAX_DEPTH = 64

Body = Union[bytes, bytearray, memoryview, str]
Header = Union[str, bytes, None]


# ----------------------------------------------------------------------------- errors


class WebhookError(OpenApiException):
    """A request claiming to come from Divar was refused.

    ``http_status`` is the status a receiver should answer with.
    """

    http_status = 400


class WebhookAuthenticationError(WebhookError):
    """The ``Authorization`` header is missing or does not match the key.

    The message never contains the received value or the configured key.
    """

    http_status = 401


class WebhookPayloadError(WebhookError, ValueError):
    """The body is not a JSON object of the expected shape, or is too large.

    ``http_status`` is 413 for an oversized body and 400 otherwise.
    """

    def __init__(self, message: str, *, http_status: int = 400) -> None:
        super().__init__(message)
        self.http_status = http_status


# ----------------------------------------------------------------------- verification


_BLANKS = " \t\r\n"


def _header_candidates(authorization: Header) -> List[bytes]:
    """The byte strings the client may have sent as the header value.

    WSGI servers and ``http.server`` hand over header values decoded as
    ISO-8859-1, so a UTF-8 key arrives as mojibake; encoding such a string
    back to ISO-8859-1 recovers the bytes on the wire.
    """
    if isinstance(authorization, bytes):
        return [authorization.strip(_BLANKS.encode())]
    if not isinstance(authorization, str):
        return []
    value = authorization.strip(_BLANKS)
    candidates = [value.encode("utf-8", "surrogatepass")]
    try:
        as_latin1 = value.encode("latin-1")
    except UnicodeEncodeError:
        return candidates
    if as_latin1 != candidates[0]:
        candidates.append(as_latin1)
    return candidates


def _key_bytes(identification_key: Union[str, bytes]) -> bytes:
    if isinstance(identification_key, bytes):
        return identification_key.strip(_BLANKS.encode())
    if isinstance(identification_key, str):
        return identification_key.strip(_BLANKS).encode("utf-8", "surrogatepass")
    return b""


def verify(authorization: Header, identification_key: Union[str, bytes]) -> bool:
    """Whether ``authorization`` (the header value, or None) equals the key.

    The comparison takes the same time whatever the content or length of
    either value: both sides are hashed with SHA-256 and the digests are
    compared with :func:`hmac.compare_digest`.  Surrounding blanks are
    ignored.  An empty key never verifies anything.
    """
    expected = _key_bytes(identification_key)
    candidates = _header_candidates(authorization)
    if not expected or not candidates:
        return False
    expected_digest = hashlib.sha256(expected).digest()
    matched = False
    for candidate in candidates:
        digest = hashlib.sha256(candidate).digest()
        matched |= hmac.compare_digest(digest, expected_digest)
    return matched


def _authenticate(authorization: Header, identification_key: Union[str, bytes]) -> None:
    if not _key_bytes(identification_key):
        raise WebhookAuthenticationError("no identification key is configured; every request is refused")
    candidates = _header_candidates(authorization)
    if not candidates or not candidates[0]:
        raise WebhookAuthenticationError("the request has no Authorization header")
    if not verify(authorization, identification_key):
        raise WebhookAuthenticationError("the Authorization header does not match the identification key")


def is_divar_address(ip: Union[str, ipaddress.IPv4Address, ipaddress.IPv6Address]) -> bool:
    """Whether ``ip`` lies in one of :data:`DIVAR_SOURCE_NETWORKS`.

    An extra check on top of :func:`verify`, never a replacement: addresses
    change, and behind a proxy the peer address is the proxy's.  IPv4-mapped
    IPv6 addresses (``::ffff:78.111.6.41``) count as their IPv4 address;
    anything that is not an address gives False.
    """
    try:
        address = ipaddress.ip_address(ip.strip() if isinstance(ip, str) else ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            return False
        address = address.ipv4_mapped
    return any(address in network for network in DIVAR_SOURCE_NETWORKS)


# ----------------------------------------------------------------------------- models


#: the earlier name of :class:`~kenar_api_client.chat.StartCommand`
ChatbotStart = StartCommand


class WebhookChatMessage(WireModel, ChatapiMessage):
    """A chat message as delivered in an event.

    The same fields as :class:`~kenar_api_client.models.chatapi_message.ChatapiMessage`;
    ``sent_at`` is read from microseconds since the epoch or from RFC 3339
    text and is always timezone-aware.  In JSON it is written back as
    microseconds, the form events use.
    """

    @field_serializer("sent_at", when_used="json-unless-none")
    def _sent_at_to_wire(self, value: datetime) -> int:
        return to_microseconds(value)

    @property
    def start_command(self) -> Optional[ChatbotStart]:
        """The touchpoint and optional id of a ``/start`` message, else None.

        A user's first message to a chatbot reads, for example,
        ``/start MY_POST gZd7omnS``.
        """
        return parse_start_command(self.text)


class UserAccessRevocation(WireModel):
    """A user withdrew the access they had granted to the app."""

    user_id: StrictStr


class PostUpdateType(KenarEnum):
    """What happened to a post (values Divar adds later parse too)."""

    PUBLISH = "PUBLISH"
    RETIRE = "RETIRE"
    ONGOING = "ONGOING"
    ARCHIVE = "ARCHIVE"


class WebhookPost(WireModel, FinderGetPostResponse):
    """The post carried by a ``POST_UPDATE`` event.

    The fields of :class:`~kenar_api_client.models.finder_get_post_response.FinderGetPostResponse`;
    for ``RETIRE`` and ``ARCHIVE`` only ``token`` is filled.
    """


class PostUpdate(WireModel):
    """The payload of a ``POST_UPDATE`` event."""

    type: PostUpdateType
    post: WebhookPost


class WebhookPaymentTransaction(WireModel, PaymentTransaction):
    """A payment transaction as delivered in a ``PAYMENT_TRANSACTION`` event.

    ``cost_rials`` stays a string of digits, as in the REST model, even when
    the event carries a JSON number.
    """


class EventType(KenarEnum):
    """The event types this SDK knows; ``Event.type`` may hold others."""

    NEW_MESSAGE = "NEW_MESSAGE"
    NEW_CHATBOT_MESSAGE = "NEW_CHATBOT_MESSAGE"
    USER_ACCESS_REVOCATION = "USER_ACCESS_REVOCATION"
    POST_UPDATE = "POST_UPDATE"
    PAYMENT_TRANSACTION = "PAYMENT_TRANSACTION"


class Event(WireModel):
    """An event Divar delivered to the app.

    ``type`` names the event, ``metadata`` is the object given when
    subscribing (or None).  ``raw`` is the whole decoded body, whatever the
    type; events of a type this SDK does not know are plain :class:`Event`
    instances whose payload is readable there (and as an extra attribute).
    """

    type: StrictStr
    metadata: Optional[Dict[str, Any]] = None
    _raw: Dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def raw(self) -> Dict[str, Any]:
        """The decoded JSON body the event was read from."""
        return self._raw


class NewMessageEvent(Event):
    """``NEW_MESSAGE``: a message in a conversation the app listens to."""

    new_message: WebhookChatMessage

    @property
    def message(self) -> WebhookChatMessage:
        """The message (same as ``new_message``)."""
        return self.new_message


class NewChatbotMessageEvent(Event):
    """``NEW_CHATBOT_MESSAGE``: a user wrote to the app's chatbot."""

    new_chatbot_message: WebhookChatMessage

    @property
    def message(self) -> WebhookChatMessage:
        """The message (same as ``new_chatbot_message``)."""
        return self.new_chatbot_message


class UserAccessRevocationEvent(Event):
    """``USER_ACCESS_REVOCATION``: a user withdrew the app's access."""

    user_access_revocation: UserAccessRevocation


class PostUpdateEvent(Event):
    """``POST_UPDATE``: a post was published, changed, retired or archived."""

    post_update: PostUpdate


class PaymentTransactionEvent(Event):
    """``PAYMENT_TRANSACTION``: a transaction of the app changed state.

    Divar's documentation names the payload field both ``payment_transaction``
    and ``transaction``; either is read into ``payment_transaction``.
    """

    payment_transaction: WebhookPaymentTransaction = Field(
        validation_alias=AliasChoices("payment_transaction", "transaction")
    )


#: Event type -> the class its events are parsed into.
EVENT_TYPES: Mapping[str, Type[Event]] = MappingProxyType(
    {
        EventType.NEW_MESSAGE.value: NewMessageEvent,
        EventType.NEW_CHATBOT_MESSAGE.value: NewChatbotMessageEvent,
        EventType.USER_ACCESS_REVOCATION.value: UserAccessRevocationEvent,
        EventType.POST_UPDATE.value: PostUpdateEvent,
        EventType.PAYMENT_TRANSACTION.value: PaymentTransactionEvent,
    }
)


# ---------------------------------------------------------------- synchronous callbacks


class SessionInitRequest(WireModel):
    """The body of Divar's session-initialisation (server link) request.

    Divar sends it with an ``API-Version: 2`` header while the user waits;
    answer with :class:`SessionInitResponse`.  ``user_side`` is ``SUPPLY``
    (the post's owner) or ``DEMAND`` (a visitor); ``provider_data`` carries
    the data the app attached to the ``open_server_link`` action.
    """

    completion_url: Optional[StrictStr] = None
    post_token: Optional[StrictStr] = None
    conversation_id: Optional[StrictStr] = None
    user_side: Optional[StrictStr] = None
    source: Optional[StrictStr] = None
    provider_data: Optional[Dict[str, Any]] = None
    extra_data: Optional[Dict[str, Any]] = None
    user_id: Optional[StrictStr] = None


class DynamicActionRequest(WireModel):
    """The body of Divar's dynamic-action request (a ``get_dynamic_action`` button).

    ``extra_data`` is the data the app attached to the button; answer with
    :class:`DynamicActionResponse`.
    """

    touchpoint: Optional[StrictStr] = None
    post_token: Optional[StrictStr] = None
    conversation_id: Optional[StrictStr] = None
    user_side: Optional[StrictStr] = None
    extra_data: Optional[Dict[str, Any]] = None
    user_id: Optional[StrictStr] = None


class _CallbackResponse(KenarModel):
    content_type: ClassVar[str] = "application/json"

    def to_body(self) -> bytes:
        """The UTF-8 JSON body to answer with (fields that are None left out)."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8")


class SessionInitResponse(_CallbackResponse):
    """The answer to a session-initialisation request: where to send the user.

    ``url`` must be an absolute ``http`` or ``https`` address.
    """

    url: StrictStr

    @field_validator("url")
    @classmethod
    def _absolute_web_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/?#\s]+", value, re.ASCII | re.IGNORECASE) or any(ch in value for ch in "\r\n\t "):
            raise ValueError("url must be an absolute http(s) URL without blanks")
        return value


class DynamicActionResponse(_CallbackResponse):
    """The answer to a dynamic-action request: the action to run, and an
    optional text shown to the user."""

    action: AddonsAction
    text_message: Optional[StrictStr] = None


# ----------------------------------------------------------------------------- parsing


def _body_limit(max_body_size: Optional[int]) -> Optional[int]:
    """``max_body_size`` checked: a non-negative int, or None for no limit (a mistake here is the caller's bug)."""
    if max_body_size is None:
        return None
    if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
        raise TypeError(f"max_body_size must be an int (bytes) or None, not {type(max_body_size).__name__}")
    if max_body_size < 0:
        raise ValueError(f"max_body_size must not be negative, not {max_body_size}")
    return max_body_size


def _too_large(size: int, max_body_size: Optional[int]) -> None:
    if max_body_size is not None and size > max_body_size:
        raise WebhookPayloadError(f"the body is larger than {max_body_size} bytes", http_status=413)


#: a JSON escape of a UTF-16 surrogate; only a lone one (not half of a pair) is refused
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _decode_object(body: Any, max_body_size: Optional[int]) -> Dict[str, Any]:
    if isinstance(body, str):
        _too_large(len(body), max_body_size)
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookPayloadError("the body is not valid UTF-8 text") from None
    elif isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
    else:
        raise WebhookPayloadError(f"the body must be bytes or str, not {type(body).__name__}")
    _too_large(len(raw), max_body_size)
    try:
        # JSON on the wire is UTF-8: UTF-16/32 and encoded surrogates are refused, a UTF-8 BOM is ignored
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WebhookPayloadError("the body is not UTF-8 text") from None
    try:
        decoded = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise WebhookPayloadError(f"the body is nested more than {_MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # JSONDecodeError, duplicate keys, oversized integers
        raise WebhookPayloadError(f"the body is not valid JSON: {_short(str(exc))}") from None
    if not isinstance(decoded, dict):
        raise WebhookPayloadError(f"the body must be a JSON object, not {json_kind(decoded)}")
    if _nesting_exceeds(decoded, _MAX_DEPTH):
        raise WebhookPayloadError(f"the body is nested more than {_MAX_DEPTH} levels deep")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(decoded):
        raise WebhookPayloadError("the body has a string with a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return decoded


def _unique_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {_short(repr(key), 60)} appears more than once in an object")
            seen.add(key)
    return result


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _nesting_exceeds(value: Any, limit: int) -> bool:
    stack: List[Tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


M = TypeVar("M", bound=BaseModel)


def _validate(model: Type[M], data: Dict[str, Any], what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise WebhookPayloadError(
            f"{what} has the wrong shape: {describe_validation_error(exc, root='body')}"
        ) from None
    except RecursionError:
        raise WebhookPayloadError(f"{what} is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise WebhookPayloadError(f"{what} has the wrong shape: {_short(str(exc))}") from None


def parse_event(
    body: Body,
    authorization: Header,
    identification_key: Union[str, bytes],
    *,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
) -> Event:
    """Check that an event request came from Divar, then read it.

    ``body`` is the request body (bytes or text), ``authorization`` the value
    of its ``Authorization`` header (None when absent), ``identification_key``
    the app's key from the Kenar panel.  The header is checked first, then the
    size, then the JSON.  The result is an instance of the class registered
    for its type in :data:`EVENT_TYPES`, or a plain :class:`Event` for a type
    this SDK does not know.

    Raises :class:`WebhookAuthenticationError` or :class:`WebhookPayloadError`,
    and nothing else.
    """
    limit = _body_limit(max_body_size)
    _authenticate(authorization, identification_key)
    data = _decode_object(body, limit)
    event_type = data.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookPayloadError("the event has no 'type' string")
    event = _validate(EVENT_TYPES.get(event_type, Event), data, f"the {event_type} event")
    event._raw = data
    return event


def parse_session_init(
    body: Body,
    authorization: Header,
    identification_key: Union[str, bytes],
    *,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
) -> SessionInitRequest:
    """Check and read a session-initialisation request (same checks and
    errors as :func:`parse_event`)."""
    limit = _body_limit(max_body_size)
    _authenticate(authorization, identification_key)
    data = _decode_object(body, limit)
    return _validate(SessionInitRequest, data, "the session-initialisation request")


def parse_dynamic_action(
    body: Body,
    authorization: Header,
    identification_key: Union[str, bytes],
    *,
    max_body_size: Optional[int] = DEFAULT_MAX_BODY_SIZE,
) -> DynamicActionRequest:
    """Check and read a dynamic-action request (same checks and errors as
    :func:`parse_event`)."""
    limit = _body_limit(max_body_size)
    _authenticate(authorization, identification_key)
    data = _decode_object(body, limit)
    return _validate(DynamicActionRequest, data, "the dynamic-action request")


# ---------------------------------------------------------------------------- delivery


def build_delivery(event: Union[Event, Mapping[str, Any]], identification_key: str) -> Tuple[Dict[str, str], bytes]:
    """The headers and body of the POST Divar makes to deliver ``event``.

    ``event`` is a decoded event (a mapping) or an :class:`Event`; an event
    that was parsed is sent exactly as it was received (its ``raw``).  Use it
    to test a receiver end to end, or from the mock Kenar server.
    """
    if not isinstance(identification_key, str) or not identification_key:
        raise ValueError("identification_key must be a non-empty string")
    if any(ch in identification_key for ch in "\r\n\0"):
        raise ValueError("identification_key must not contain CR, LF or NUL")
    if isinstance(event, Event):
        payload: Any = event.raw or event.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif isinstance(event, Mapping):
        payload = dict(event)
    else:
        raise TypeError(f"event must be an Event or a mapping, not {type(event).__name__}")
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the event has text that UTF-8 cannot carry (a lone surrogate)") from None
    headers = {"Content-Type": "application/json", "Authorization": identification_key}
    return headers, body
