"""``python -m kenar_api_client``: a short tour of the SDK.

With no ``KENAR_API_KEY`` in the environment the tour starts a
:class:`~kenar_api_client.testing.MockKenarServer` on 127.0.0.1 and runs
against it, so it works on a fresh machine with no Divar app and no network.
With ``KENAR_API_KEY`` (and optionally ``KENAR_ACCESS_TOKEN`` and
``KENAR_HOST``) it talks to the real API instead, through
:meth:`Configuration.from_env`.

The tour looks up cities and categories, searches posts, registers an event
subscription, sends an event, and shows how a typed error looks.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, List, Mapping, Optional, TextIO

import kenar_api_client
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import ApiException, NotFoundException, TransportError
from kenar_api_client.models.events_register_event_subscription_request import (
    EventsRegisterEventSubscriptionRequest,
)
from kenar_api_client.models.finder_search_posts_v2_request import FinderSearchPostsV2Request
from kenar_api_client.testing import MockKenarServer

# The guides are not in the installed package; this is where they are read.
TESTING_GUIDE_URL = "https://github.com/kenar-sdk/kenar_api_client/blob/main/docs/guides/testing.md"

#: no post has this token, so looking it up gives the typed 404 the tour shows
MISSING_POST_TOKEN = "QZ00nothing"
SEARCH_CITY = "tehran"
SEARCH_CATEGORY = "apartment-sell"

_CITIES = [
    ("tehran", "تهران"),
    ("mashhad", "مشهد"),
    ("isfahan", "اصفهان"),
    ("shiraz", "شیراز"),
    ("tabriz", "تبریز"),
    ("karaj", "کرج"),
    ("ahvaz", "اهواز"),
    ("qom", "قم"),
]
_CATEGORIES = [
    ("apartment-sell", "فروش آپارتمان"),
    ("apartment-rent", "اجارهٔ آپارتمان"),
    ("light", "خودرو سواری"),
    ("mobile-phones", "گوشی موبایل"),
    ("laptops", "لپ‌تاپ و نوت‌بوک"),
    ("furniture", "مبلمان و صندلی"),
]
_POSTS = [
    ("gZd7omnS", "آپارتمان ۸۵ متری، دو خوابه، سعادت‌آباد", "12500000000", 85, "2", 4),
    ("AaR3kq9T", "آپارتمان نوساز ۱۲۰ متری با پارکینگ، پونک", "18900000000", 120, "3", 6),
    ("Xy9Kq2Lm", "آپارتمان ۶۰ متری، یک خوابه، نارمک", "6200000000", 60, "1", 2),
]


def stage_mock_answers(server: MockKenarServer) -> None:
    """Queue believable answers for the tour's calls (the rest come from the server's defaults)."""
    server.respond("assets_get_cities", {"cities": [{"slug": s, "display": d} for s, d in _CITIES]})
    server.respond("assets_get_categories", {"categories": [{"slug": s, "display": d} for s, d in _CATEGORIES]})
    posts = [
        {
            "token": token,
            "title": title,
            "category": SEARCH_CATEGORY,
            "city": SEARCH_CITY,
            "price": {"value": price},
            "real_estate_fields": {"size": size, "rooms": rooms, "floor": floor, "has_elevator": True},
            "last_modified_at": "2024-05-12T09:30:00Z",
        }
        for token, title, price, size, rooms, floor in _POSTS
    ]
    server.respond("finder_search_post_v2", {"posts": posts})
    server.respond("events_register_event_subscription", {})
    server.respond("events_send_event", {})
    server.respond(
        "finder_get_post",
        {"code": 5, "message": f"post {MISSING_POST_TOKEN} not found", "details": []},
        status=404,
    )


class Tour:
    """Runs the steps against one ApiClient and prints what happens."""

    def __init__(self, client: ApiClient, out: TextIO, has_token: bool) -> None:
        self.client = client
        self.out = out
        self.has_token = has_token
        self.step = 0
        self.failed = 0

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def run_step(self, title: str, action: Callable[[], None], needs_token: bool = False) -> None:
        self.step += 1
        self.say(f"{self.step}. {title}")
        if needs_token and not self.has_token:
            self.say("   skipped: needs a user's OAuth access token (set KENAR_ACCESS_TOKEN)")
            return
        try:
            action()
        except ApiException as error:
            self.failed += 1
            self.say(f"   the API refused: {_describe(error)}")

    # ------------------------------------------------------------------ the steps
    def cities(self) -> None:
        answer = kenar_api_client.AssetsApi(self.client).assets_get_cities()
        cities = answer.cities or []
        shown = ", ".join(f"{c.display} ({c.slug})" for c in cities[:5])
        self.say(f"   {len(cities)} cities, e.g. {shown}")

    def categories(self) -> None:
        answer = kenar_api_client.AssetsApi(self.client).assets_get_categories()
        categories = answer.categories or []
        shown = ", ".join(f"{c.display} ({c.slug})" for c in categories[:4])
        self.say(f"   {len(categories)} categories, e.g. {shown}")

    def search(self) -> List[str]:
        request = FinderSearchPostsV2Request(city=SEARCH_CITY, category=SEARCH_CATEGORY)
        answer = kenar_api_client.FinderApi(self.client).finder_search_post_v2(request)
        posts = answer.posts or []
        self.say(f"   {len(posts)} posts found")
        for post in posts[:5]:
            facts = []
            fields = post.real_estate_fields
            if fields is not None and fields.size:
                facts.append(f"{fields.size} m²")
            if fields is not None and fields.rooms:
                facts.append(f"{fields.rooms} room" + ("" if fields.rooms == "1" else "s"))
            if post.price is not None and post.price.value and post.price.value.isdigit():
                facts.append(f"{int(post.price.value):,} toman")
            self.say(f"   - [{post.token}] {post.title}" + (f"  ({', '.join(facts)})" if facts else ""))
        return [post.token for post in posts if post.token]

    def subscribe(self, post_token: str) -> None:
        request = EventsRegisterEventSubscriptionRequest(event_type="NEW_MESSAGE_ON_POST", event_resource_id=post_token)
        kenar_api_client.EventsApi(self.client).events_register_event_subscription(request)
        self.say(f"   subscribed: Divar will send NEW_MESSAGE_ON_POST events for post {post_token} to your app")

    def send_event(self, post_token: str) -> None:
        import warnings

        with warnings.catch_warnings():  # deprecated: gone from the 2026-08-18 spec, still answered
            warnings.simplefilter("ignore", DeprecationWarning)
            kenar_api_client.EventsApi(self.client).events_send_event(
                message="Your price report is ready", target_type="POST", target_resource_id=post_token
            )
        self.say(f"   sent: an event to post {post_token} (a 0.291 call the 2026-08-18 spec dropped; it still works)")

    def typed_error(self) -> None:
        try:
            kenar_api_client.FinderApi(self.client).finder_get_post(MISSING_POST_TOKEN)
        except NotFoundException as error:
            self.say(f"   caught {_describe(error)}")
            self.say("   every error status has its own class (kenar_api_client.exceptions), and the server's")
            self.say("   googlerpcStatus body is parsed: error.code, error.message, error.details")
        else:
            self.say(f"   unexpected: a post with token {MISSING_POST_TOKEN} exists")

    def run(self) -> None:
        self.run_step("Cities (AssetsApi.assets_get_cities)", self.cities)
        self.run_step("Categories (AssetsApi.assets_get_categories)", self.categories)
        tokens: List[str] = []

        def search() -> None:
            tokens.extend(self.search())

        self.run_step(f"Searching {SEARCH_CATEGORY} posts in {SEARCH_CITY} (FinderApi.finder_search_post_v2)", search)
        target = tokens[0] if tokens else MISSING_POST_TOKEN
        self.run_step(
            f"Subscribing to new chat messages on post {target} (EventsApi.events_register_event_subscription)",
            lambda: self.subscribe(target),
            needs_token=True,
        )
        self.run_step(
            f"Sending an event to post {target} (EventsApi.events_send_event)",
            lambda: self.send_event(target),
            needs_token=True,
        )
        self.run_step("A typed error: a post that does not exist (FinderApi.finder_get_post)", self.typed_error)


def _describe(error: ApiException) -> str:
    text = f"{type(error).__name__} (HTTP {error.status}"
    if error.code is not None:
        text += f", gRPC code {error.code}"
    text += ")"
    if error.message:
        text += f": {error.message}"
    return text


def _parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m kenar_api_client",
        description=(
            "A short tour of the Kenar SDK. Without KENAR_API_KEY it runs against a built-in mock "
            "server (no account, no network); with KENAR_API_KEY (and optionally KENAR_ACCESS_TOKEN "
            "and KENAR_HOST) it calls the real API."
        ),
    )


def main(argv: Optional[List[str]] = None, environ: Optional[Mapping[str, str]] = None, out: Any = None) -> int:
    """Run the tour; returns the process exit code."""
    _parser().parse_args(argv)
    env = os.environ if environ is None else environ
    stream: TextIO = sys.stdout if out is None else out

    def say(text: str = "") -> None:
        print(text, file=stream)

    say(f"kenar_api_client {kenar_api_client.__version__}: a short tour")
    if env.get("KENAR_API_KEY"):
        config = Configuration.from_env(env)
        say(f"Using the Kenar API at {config.host} with the key from KENAR_API_KEY.")
        if not config.access_token:
            say("No KENAR_ACCESS_TOKEN: the steps that act for a user are skipped.")
        say()
        return _run(config, stream, server=None)

    with MockKenarServer() as server:
        stage_mock_answers(server)
        say("No KENAR_API_KEY set, so this tour runs against a mock Kenar server started just now")
        say(f"at {server.url} (kenar_api_client.testing.MockKenarServer): no account, no network.")
        say("Set KENAR_API_KEY (and KENAR_ACCESS_TOKEN) to run the same tour against the real API.")
        say()
        return _run(server.configuration(api_key="tour-api-key", access_token="tour-access-token"), stream, server)


def _run(config: Configuration, out: TextIO, server: Optional[MockKenarServer]) -> int:
    with ApiClient(config) as client:
        tour = Tour(client, out, has_token=bool(config.access_token or config.token_source))
        try:
            tour.run()
        except TransportError as error:
            tour.say(f"   could not reach the API: {error}")
            return 1
    tour.say()
    if server is not None:
        seen = ", ".join(f"{r.method} {r.path}" for r in server.requests)
        tour.say(f"The mock server saw {len(server.requests)} requests: {seen}")
        tour.say("To test your own integration against it, see help(kenar_api_client.testing) or the guide at")
        tour.say(f"{TESTING_GUIDE_URL}")
    if tour.failed:
        tour.say(f"Done, but the API refused {tour.failed} step(s); see above.")
        return 1
    tour.say("Done.")
    return 0


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # Persian names on a terminal that cannot show them: escape, do not crash
        sys.stdout.reconfigure(errors="backslashreplace")
    sys.exit(main())
