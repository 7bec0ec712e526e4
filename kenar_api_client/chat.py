"""Chat helpers: chat buttons in one line, and the chatbot's ``/start`` command.

Buttons::

    from kenar_api_client.chat import ChatButton, button_grid

    buttons = button_grid([
        [ChatButton.link("Open the site", "https://example.com/offer")],
        [ChatButton.server_link("Book a visit", {"slot": "10:00"}), ChatButton.post_page("The post", token)],
    ])
    api.chat_api_chat_bot_send_message(conversation_id, ChatAPIChatBotSendMessageBody(
        text_message="Hello", buttons=buttons))

Each ``ChatButton`` constructor returns the
:class:`~kenar_api_client.models.chatapi_chat_button.ChatapiChatButton` model
the API classes take, and :func:`button_grid` the
:class:`~kenar_api_client.models.chatapi_chat_button_grid.ChatapiChatButtonGrid`.
Divar shows at most 3 rows of at most 3 buttons; a larger grid is refused
with :class:`~kenar_api_client.exceptions.ApiValueError` when it is built,
before anything is sent.

The start command: a chatbot conversation opened from a touchpoint begins with
the message ``/start <TOUCHPOINT> [id]`` (``/start MY_POST <post token>``,
``/start CHAT <conversation id>``, ``/start MY_DIVAR``, ...);
:func:`parse_start_command` splits it.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from kenar_api_client.exceptions import ApiTypeError, ApiValueError
from kenar_api_client.models.addons_action import AddonsAction
from kenar_api_client.models.addons_get_dynamic_action import AddonsGetDynamicAction
from kenar_api_client.models.addons_open_post_manage_page import AddonsOpenPostManagePage
from kenar_api_client.models.addons_open_post_page import AddonsOpenPostPage
from kenar_api_client.models.addons_open_server_link import AddonsOpenServerLink
from kenar_api_client.models.chatapi_chat_button import ChatapiChatButton
from kenar_api_client.models.chatapi_chat_button_grid import ChatapiChatButtonGrid
from kenar_api_client.models.chatapi_chat_button_row import ChatapiChatButtonRow
from kenar_api_client.models.divar_icons_icon_name import DivarIconsIconName

__all__ = [
    "MAX_BUTTONS_PER_ROW",
    "MAX_BUTTON_ROWS",
    "ChatButton",
    "StartCommand",
    "Touchpoint",
    "button_grid",
    "parse_start_command",
]

#: Divar shows at most this many rows of chat buttons ...
MAX_BUTTON_ROWS = 3
#: ... of at most this many buttons each
MAX_BUTTONS_PER_ROW = 3

Icon = Union[DivarIconsIconName, str, None]


# ----------------------------------------------------------------------------- the start command


class Touchpoint:
    """The touchpoints Divar names in a start command (a newer one arrives as its own text)."""

    MY_POST = "MY_POST"
    MY_DIVAR = "MY_DIVAR"
    DIVAR_PRO = "DIVAR_PRO"
    CHAT = "CHAT"
    DEMAND_POST = "DEMAND_POST"


class StartCommand(NamedTuple):
    """The parts of a chatbot's first message ``/start <TOUCHPOINT> [resource id]``."""

    touchpoint: str  #: e.g. ``"MY_POST"`` (see :class:`Touchpoint`), or a name Divar adds later
    resource_id: Optional[str]  #: the post token or conversation id, or None when there is none


# a touchpoint is an upper-case name; an id is one word of token characters
_TOUCHPOINT = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9_\-.:=+/]+\Z")


def parse_start_command(text: Optional[str]) -> Optional[StartCommand]:
    """The touchpoint and id of a ``/start`` message; None for any other text.

    Accepted: ``/start`` (exactly, lower case), one or more spaces, an upper-case
    touchpoint name, optionally one more word (the id); whitespace around the
    text is ignored.  ``/start`` alone, a lower-case or extra word, or text
    before ``/start`` gives None.
    """
    if not isinstance(text, str):
        return None
    parts = text.split()
    if not 2 <= len(parts) <= 3 or parts[0] != "/start" or not _TOUCHPOINT.match(parts[1]):
        return None
    if len(parts) == 3 and not _RESOURCE_ID.match(parts[2]):
        return None
    return StartCommand(parts[1], parts[2] if len(parts) == 3 else None)


# ----------------------------------------------------------------------------- buttons


def _caption(caption: Any) -> str:
    if not isinstance(caption, str):
        raise ApiTypeError(f"a chat button caption must be a string, got {type(caption).__name__}")
    if not caption.strip():
        raise ApiValueError("a chat button caption must not be empty")
    return caption


def _icon(icon: Icon) -> Optional[DivarIconsIconName]:
    if icon is None:
        return None
    if isinstance(icon, DivarIconsIconName):
        return icon
    if isinstance(icon, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", icon):
        return DivarIconsIconName(icon)  # a name this SDK does not know yet still passes
    raise ApiValueError(f"a chat button icon must be a DivarIconsIconName (e.g. 'INFO_OUTLINE'), got {icon!r}")


def _data(data: Optional[Dict[str, Any]], what: str) -> Optional[Dict[str, Any]]:
    if data is not None and not isinstance(data, dict):
        raise ApiTypeError(f"{what} data must be a dict, got {type(data).__name__}")
    return data


def _token(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ApiValueError(f"{what} needs a post token (a non-empty string), got {value!r}")
    return value


def _button(caption: str, action: AddonsAction, icon: Icon) -> ChatapiChatButton:
    return ChatapiChatButton(caption=_caption(caption), action=action, icon=_icon(icon))


class ChatButton:
    """Builds chat buttons: each method returns a ``ChatapiChatButton`` with one action."""

    def __init__(self) -> None:
        raise TypeError("ChatButton is a namespace: use ChatButton.link(...), ChatButton.server_link(...), ...")

    @staticmethod
    def link(caption: str, url: str, *, icon: Icon = None) -> ChatapiChatButton:
        """A button that opens ``url`` (``http`` or ``https``) in the user's browser."""
        if not isinstance(url, str) or not re.match(r"https?://[^\s/]+", url) or any(c.isspace() for c in url):
            raise ApiValueError(f"ChatButton.link needs an absolute http(s) URL without spaces, got {url!r}")
        return _button(caption, AddonsAction(open_direct_link=url), icon)

    @staticmethod
    def server_link(caption: str, data: Optional[Dict[str, Any]] = None, *, icon: Icon = None) -> ChatapiChatButton:
        """A button that opens the app's server link; Divar passes ``data`` to the app's session-init call."""
        return _button(
            caption, AddonsAction(open_server_link=AddonsOpenServerLink(data=_data(data, "server_link"))), icon
        )

    @staticmethod
    def dynamic_action(caption: str, data: Optional[Dict[str, Any]] = None, *, icon: Icon = None) -> ChatapiChatButton:
        """A button whose action the app decides when it is pressed (the dynamic-action callback gets ``data``)."""
        action = AddonsAction(get_dynamic_action=AddonsGetDynamicAction(data=_data(data, "dynamic_action")))
        return _button(caption, action, icon)

    @staticmethod
    def post_page(caption: str, post_token: str, *, icon: Icon = None) -> ChatapiChatButton:
        """A button that opens a post."""
        action = AddonsAction(open_post_page=AddonsOpenPostPage(post_token=_token(post_token, "post_page")))
        return _button(caption, action, icon)

    @staticmethod
    def post_manage_page(caption: str, post_token: str, *, icon: Icon = None) -> ChatapiChatButton:
        """A button that opens a post's management page (for its owner)."""
        page = AddonsOpenPostManagePage(post_token=_token(post_token, "post_manage_page"))
        return _button(caption, AddonsAction(open_post_manage_page=page), icon)


ButtonRows = Sequence[Union[ChatapiChatButton, Sequence[ChatapiChatButton]]]


def _check_button(value: Any, where: str) -> ChatapiChatButton:
    if not isinstance(value, ChatapiChatButton):
        raise ApiTypeError(
            f"{where}: expected a ChatapiChatButton (e.g. from ChatButton.link), got {type(value).__name__}"
        )
    return value


def button_grid(rows: ButtonRows) -> ChatapiChatButtonGrid:
    """A ``ChatapiChatButtonGrid`` from rows of buttons, e.g. ``[[a, b], [c]]``.

    A flat list of buttons (``[a, b, c, d]``) is laid out in rows of three.
    More than 3 rows, more than 3 buttons in a row, or an empty row is refused
    with ``ApiValueError``.
    """
    if isinstance(rows, (str, bytes, ChatapiChatButton)) or not isinstance(rows, Sequence):
        raise ApiTypeError(f"button_grid() takes a list of rows (lists of buttons), got {type(rows).__name__}")
    if rows and all(isinstance(item, ChatapiChatButton) for item in rows):
        flat = list(rows)
        limit = MAX_BUTTON_ROWS * MAX_BUTTONS_PER_ROW
        if len(flat) > limit:
            raise ApiValueError(f"a chat message shows at most {limit} buttons (3 rows of 3), got {len(flat)}")
        grouped: List[Sequence[Any]] = [
            flat[i : i + MAX_BUTTONS_PER_ROW] for i in range(0, len(flat), MAX_BUTTONS_PER_ROW)
        ]
    else:
        grouped = []
        for number, row in enumerate(rows, 1):
            if isinstance(row, (str, bytes, ChatapiChatButton)) or not isinstance(row, Sequence):
                raise ApiTypeError(
                    f"button_grid(): row {number} must be a list of buttons, got {type(row).__name__} "
                    "(pass either rows of buttons or one flat list of buttons)"
                )
            grouped.append(row)
        if len(grouped) > MAX_BUTTON_ROWS:
            raise ApiValueError(f"a chat message shows at most {MAX_BUTTON_ROWS} rows of buttons, got {len(grouped)}")
    result: List[ChatapiChatButtonRow] = []
    for number, row in enumerate(grouped, 1):
        if not row:
            raise ApiValueError(f"button_grid(): row {number} is empty")
        if len(row) > MAX_BUTTONS_PER_ROW:
            raise ApiValueError(
                f"button_grid(): row {number} has {len(row)} buttons; a row shows at most {MAX_BUTTONS_PER_ROW}"
            )
        buttons = [_check_button(b, f"button_grid(): row {number}, button {i}") for i, b in enumerate(row, 1)]
        result.append(ChatapiChatButtonRow(buttons=buttons))
    return ChatapiChatButtonGrid(rows=result)
