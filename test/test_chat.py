"""kenar_api_client.chat: the /start command and chat buttons; and the new modules stay lazy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, List, Optional

import pytest

import kenar_api_client
from kenar_api_client import chat, webhooks
from kenar_api_client.chat import ChatButton, StartCommand, Touchpoint, button_grid, parse_start_command
from kenar_api_client.exceptions import ApiTypeError, ApiValueError
from kenar_api_client.models.chat_api_chat_bot_send_message_body import ChatAPIChatBotSendMessageBody
from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody
from kenar_api_client.models.chatapi_chat_button import ChatapiChatButton
from kenar_api_client.models.chatapi_chat_button_grid import ChatapiChatButtonGrid
from kenar_api_client.models.divar_icons_icon_name import DivarIconsIconName
from kenar_api_client.testing import MockKenarServer

REPO = Path(__file__).resolve().parent.parent
CONVERSATION = "b0c1d2e3-0000-4000-8000-000000000001"


# ---------------------------------------------------------------------------- /start


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/start MY_POST gZd7omnS", StartCommand("MY_POST", "gZd7omnS")),
        (f"/start CHAT {CONVERSATION}", StartCommand("CHAT", CONVERSATION)),
        ("/start MY_DIVAR", StartCommand("MY_DIVAR", None)),
        ("/start DIVAR_PRO", StartCommand("DIVAR_PRO", None)),
        ("/start DEMAND_POST QYz_0a9B", StartCommand("DEMAND_POST", "QYz_0a9B")),
        ("/start NEW_TOUCHPOINT_2 x1", StartCommand("NEW_TOUCHPOINT_2", "x1")),  # a name Divar adds later
        ("  /start   MY_POST\tgZd7omnS \n", StartCommand("MY_POST", "gZd7omnS")),
    ],
)
def test_every_start_form(text: str, expected: StartCommand) -> None:
    command = parse_start_command(text)
    assert command == expected
    assert command is not None and command.touchpoint == expected.touchpoint
    assert command.resource_id == expected.resource_id


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "hello",
        "/start",
        "/start ",
        "/Start MY_POST x",
        "/START MY_POST x",
        "start MY_POST x",
        "/start my_post x",
        "/start MY_POST x extra",
        "hi /start MY_POST x",
        "/startMY_POST",
        "/start MY-POST x",
        "/start MY_POST <script>",
        "/start 1ABC",
    ],
)
def test_anything_else_is_not_a_start_command(text: Optional[str]) -> None:
    assert parse_start_command(text) is None


def test_touchpoint_names() -> None:
    assert [Touchpoint.MY_POST, Touchpoint.MY_DIVAR, Touchpoint.DIVAR_PRO, Touchpoint.CHAT, Touchpoint.DEMAND_POST] == [
        "MY_POST",
        "MY_DIVAR",
        "DIVAR_PRO",
        "CHAT",
        "DEMAND_POST",
    ]


def test_reachable_from_webhooks_and_on_the_typed_event() -> None:
    assert webhooks.parse_start_command is parse_start_command
    assert webhooks.StartCommand is StartCommand and webhooks.ChatbotStart is StartCommand
    event = {
        "type": "NEW_CHATBOT_MESSAGE",
        "new_chatbot_message": {
            "id": "m1",
            "conversation": {"id": CONVERSATION, "type": "BOT"},
            "sender": {"type": "HUMAN"},
            "type": "TEXT",
            "sent_at": 1729429926140000,
            "text": "/start MY_POST gZd7omnS",
        },
    }
    headers, body = webhooks.build_delivery(event, "identification-key")
    parsed = webhooks.parse_event(body, headers["Authorization"], "identification-key")
    assert isinstance(parsed, webhooks.NewChatbotMessageEvent)
    assert parsed.new_chatbot_message.start_command == StartCommand("MY_POST", "gZd7omnS")
    assert webhooks.WebhookChatMessage(text="just chatting").start_command is None


# ---------------------------------------------------------------------------- buttons


def test_each_button_is_the_model_the_api_takes() -> None:
    link = ChatButton.link("Open", "https://example.com/a?b=1", icon="INFO_OUTLINE")
    assert type(link) is ChatapiChatButton
    assert link.to_dict() == {
        "caption": "Open",
        "icon": "INFO_OUTLINE",
        "action": {"open_direct_link": "https://example.com/a?b=1"},
    }
    assert ChatButton.server_link("Book", {"slot": 10}).to_dict() == {
        "caption": "Book",
        "action": {"open_server_link": {"data": {"slot": 10}}},
    }
    assert ChatButton.server_link("Book").to_dict() == {"caption": "Book", "action": {"open_server_link": {}}}
    assert ChatButton.dynamic_action("Refresh", {"k": "v"}, icon=DivarIconsIconName.REFRESH).to_dict() == {
        "caption": "Refresh",
        "icon": "REFRESH",
        "action": {"get_dynamic_action": {"data": {"k": "v"}}},
    }
    assert ChatButton.post_page("The post", "gZd7omnS").to_dict() == {
        "caption": "The post",
        "action": {"open_post_page": {"post_token": "gZd7omnS"}},
    }
    assert ChatButton.post_manage_page("Manage", "gZd7omnS").to_dict() == {
        "caption": "Manage",
        "action": {"open_post_manage_page": {"post_token": "gZd7omnS"}},
    }
    assert ChatButton.link("x", "http://e.com", icon="A_NEW_ICON").icon.value == "A_NEW_ICON"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: ChatButton.link("", "https://e.com"), ApiValueError, "caption"),
        (lambda: ChatButton.link("   ", "https://e.com"), ApiValueError, "caption"),
        (lambda: ChatButton.link(None, "https://e.com"), ApiTypeError, "caption"),  # type: ignore[arg-type]
        (lambda: ChatButton.link("Go", "example.com"), ApiValueError, "absolute http"),
        (lambda: ChatButton.link("Go", "javascript:alert(1)"), ApiValueError, "absolute http"),
        (lambda: ChatButton.link("Go", "https://e.com/a b"), ApiValueError, "absolute http"),
        (lambda: ChatButton.link("Go", "https://e.com", icon="info outline"), ApiValueError, "icon"),
        (lambda: ChatButton.server_link("Go", ["not", "a", "dict"]), ApiTypeError, "dict"),  # type: ignore[arg-type]
        (lambda: ChatButton.post_page("Go", ""), ApiValueError, "post token"),
        (lambda: ChatButton.post_manage_page("Go", None), ApiValueError, "post token"),  # type: ignore[arg-type]
        (lambda: ChatButton(), TypeError, "namespace"),
    ],
)
def test_bad_buttons_are_refused(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def buttons(count: int) -> List[ChatapiChatButton]:
    return [ChatButton.server_link(f"b{i}", {"i": i}) for i in range(count)]


def captions(grid: ChatapiChatButtonGrid) -> List[List[str]]:
    return [[b.caption for b in row.buttons or []] for row in grid.rows or []]  # type: ignore[misc]


def test_a_full_3_by_3_grid() -> None:
    b = buttons(9)
    grid = button_grid([b[0:3], b[3:6], b[6:9]])
    assert type(grid) is ChatapiChatButtonGrid
    assert captions(grid) == [["b0", "b1", "b2"], ["b3", "b4", "b5"], ["b6", "b7", "b8"]]
    assert captions(button_grid(b)) == captions(grid)  # a flat list is laid out in rows of three
    assert captions(button_grid(b[:4])) == [["b0", "b1", "b2"], ["b3"]]
    assert captions(button_grid((b[0], b[1]))) == [["b0", "b1"]]
    assert captions(button_grid([])) == []
    assert (chat.MAX_BUTTON_ROWS, chat.MAX_BUTTONS_PER_ROW) == (3, 3)


@pytest.mark.parametrize(
    "rows, error, message",
    [
        (lambda b: [b[0:1], b[1:2], b[2:3], b[3:4]], ApiValueError, "at most 3 rows"),
        (lambda b: [b[0:4]], ApiValueError, "row 1 has 4 buttons"),
        (lambda b: [b[0:3], b[3:7]], ApiValueError, "row 2 has 4 buttons"),
        (lambda b: b[0:10], ApiValueError, "at most 9 buttons"),
        (lambda b: [b[0:2], []], ApiValueError, "row 2 is empty"),
        (lambda b: [b[0:2], b[2]], ApiTypeError, "row 2 must be a list"),
        (lambda b: [[b[0], "not a button"]], ApiTypeError, "row 1, button 2"),
        (lambda b: [[{"caption": "dict"}]], ApiTypeError, "ChatapiChatButton"),
        (lambda b: b[0], ApiTypeError, "list of rows"),
        (lambda b: "abc", ApiTypeError, "list of rows"),
    ],
)
def test_grids_over_the_limit_or_malformed_are_refused(rows: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        button_grid(rows(buttons(10)))


def test_buttons_go_out_as_the_api_expects(server: MockKenarServer) -> None:
    grid = button_grid([[ChatButton.link("Site", "https://example.com")], [ChatButton.post_page("Post", "gZd7omnS")]])
    with server.api_client() as client:
        api = kenar_api_client.ChatAPIApi(client)
        api.chat_api_chat_bot_send_message(CONVERSATION, ChatAPIChatBotSendMessageBody(text_message="Hi", buttons=grid))
        api.chat_api_conversation_send_message(
            CONVERSATION, ChatAPIConversationSendMessageBody(message="Hi", sender_buttons=grid, receiver_buttons=grid)
        )
    first, second = server.requests
    wire_grid = {
        "rows": [
            {"buttons": [{"caption": "Site", "action": {"open_direct_link": "https://example.com"}}]},
            {"buttons": [{"caption": "Post", "action": {"open_post_page": {"post_token": "gZd7omnS"}}}]},
        ]
    }
    assert first.json == {"text_message": "Hi", "buttons": wire_grid}
    assert second.json == {"message": "Hi", "sender_buttons": wire_grid, "receiver_buttons": wire_grid}


# ---------------------------------------------------------------------------- lazy


def test_the_workflow_modules_stay_lazy() -> None:
    code = (
        "import json, sys, kenar_api_client; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[-1] in "
        "('media', 'pagination', 'semantic', 'chat', '_mock_uploads', 'webhooks', 'testing'))))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=str(REPO)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
