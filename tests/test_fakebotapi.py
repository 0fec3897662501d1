"""The fake Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import telegram
from support.fakebotapi import FakeBotAPI
from support.telegram_html import HtmlError, parse_html, utf16_len
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.request import HTTPXRequest

ALICE = 100
GROUP = -200
SUPERGROUP = -1001234567890


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(max_poll_timeout=1.0) as server:
        server.add_user(ALICE, "Alice", language_code="ru")
        server.add_chat(ALICE)
        server.add_chat(GROUP, "group", "Analysts")
        yield server


@pytest.fixture(scope="module")
def tls() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle per client is slow."""
    return ssl.create_default_context()


def make_bot(api: FakeBotAPI, tls: ssl.SSLContext, token: str | None = None) -> telegram.Bot:
    """A real PTB client aimed at the fake."""
    requests = [HTTPXRequest(httpx_kwargs={"verify": tls}) for _ in range(2)]
    return telegram.Bot(
        token or api.token,
        base_url=f"{api.api_url}/bot",
        request=requests[0],
        get_updates_request=requests[1],
    )


@pytest.fixture
async def bot(api: FakeBotAPI, tls: ssl.SSLContext) -> AsyncIterator[telegram.Bot]:
    async with make_bot(api, tls) as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# ----------------------------------------------------------------- basics


async def test_get_me_identifies_the_bot(api: FakeBotAPI, bot: telegram.Bot) -> None:
    assert bot.username == "newsbot_test_bot"
    assert bot.id == 123456
    assert (await bot.get_me()).is_bot
    assert [call.ok for call in api.calls("getMe")] == [True, True]


async def test_wrong_token_is_unauthorized(api: FakeBotAPI, tls: ssl.SSLContext) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with make_bot(api, tls, token="999:WRONG"):
            pass
    assert api.calls("getMe")[0].status == 401


async def test_unknown_method_is_not_found(api: FakeBotAPI, bot: telegram.Bot) -> None:
    with pytest.raises(telegram.error.EndPointNotFound):
        await bot.do_api_request("setGameHighScore")
    assert api.calls("setGameHighScore")[0].status == 404


async def test_commands_round_trip_and_validation(bot: telegram.Bot) -> None:
    await bot.set_my_commands([("sub", "Subscribe"), ("lists", "All watchlists")])
    assert [c.command for c in await bot.get_my_commands()] == ["sub", "lists"]
    assert await bot.get_my_commands(language_code="ru") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Sub", "capitals are refused")])


# ----------------------------------------------------------------- sending


async def test_send_message_is_recorded(api: FakeBotAPI, bot: telegram.Bot) -> None:
    message = await bot.send_message(
        ALICE,
        '<b>Rosatom</b> news: <a href="https://example.com/?a=1&amp;b=2">read</a>',
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard("sub:kz"),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.text == "Rosatom news: read"
    assert message.from_user is not None and message.from_user.id == bot.id
    assert message.reply_markup == keyboard("sub:kz")
    bold, link = message.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 0, 7)
    assert (link.type, link.url) == ("text_link", "https://example.com/?a=1&b=2")
    [sent] = api.sent(ALICE)
    assert sent["message_id"] == message.message_id
    assert sent["parse_mode"] == "HTML"
    assert sent["plain_text"] == "Rosatom news: read"
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sub:kz"
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert api.sent(GROUP) == []


async def test_message_ids_count_per_chat(api: FakeBotAPI, bot: telegram.Bot) -> None:
    first = await bot.send_message(ALICE, "one")
    second = await bot.send_message(ALICE, "two")
    other = await bot.send_message(GROUP, "three")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<script>alert(1)</script>", 'unsupported start tag "script" at byte offset 0'),
        ("AT&T", 'character "&" at byte offset 2 must be escaped'),
        ("&nbsp;", 'unsupported html entity "&nbsp;"'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("2 > 1", 'character ">" at byte offset 2'),
        ("<b>open", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("<a>x</a>", 'tag "a" must have attribute "href"'),
        ('<span class="x">x</span>', 'must have class "tg-spoiler"'),
        ("Ж<u>", 'can\'t find end tag corresponding to start tag "u"'),
        ("Ж<p>", 'unsupported start tag "p" at byte offset 2'),
    ],
)
async def test_html_mistakes_are_rejected(
    api: FakeBotAPI, bot: telegram.Bot, text: str, error: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert "can't parse entities" in caught.value.message.lower()
    assert error in caught.value.message.lower()
    assert api.sent() == []
    assert api.calls("sendMessage")[0].description.startswith("Bad Request: can't parse")


async def test_valid_html_is_accepted(bot: telegram.Bot) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><tg-spoiler>x</tg-spoiler>"
        '<span class="tg-spoiler">y</span><code>c</code><pre><code class="language-py">p'
        '</code></pre><blockquote expandable>q</blockquote><a href="tg://user?id=1">m</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        " &lt;tag&gt; &amp; &quot;q&quot; &#39; &#x27; &#1046;"
    )
    message = await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert message.text.endswith(" <tag> & \"q\" ' ' Ж")
    types = [entity.type for entity in message.entities]
    assert types.count("bold") == 2 and "expandable_blockquote" in types
    [pre] = [entity for entity in message.entities if entity.type == "pre"]
    assert pre.language == "py"


async def test_lone_gt_is_accepted_when_not_strict(tls: ssl.SSLContext) -> None:
    with FakeBotAPI(strict_gt=False) as lenient:
        lenient.add_chat(ALICE)
        async with make_bot(lenient, tls) as client:
            message = await client.send_message(ALICE, "2 > 1", parse_mode=ParseMode.HTML)
    assert message.text == "2 > 1"


async def test_length_is_counted_on_visible_utf16_text(bot: telegram.Bot) -> None:
    await bot.send_message(ALICE, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(ALICE, "Ж" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ALICE, "a" * 4097)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ALICE, "😀" * 2049)  # 2049 characters, 4098 UTF-16 units


async def test_empty_text_is_rejected(bot: telegram.Bot) -> None:
    for text in ["", "  \n ", "<b></b>"]:
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)


async def test_oversized_callback_data_is_rejected(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ALICE, "x", reply_markup=keyboard("d" * 65))


# ----------------------------------------------------------------- failure modes


async def test_unknown_chat(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hello")


async def test_blocked_chat_is_forbidden(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.block(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "hello")
    assert api.calls("sendMessage")[0].response == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    api.block(GROUP)
    with pytest.raises(Forbidden, match="kicked from the group chat"):
        await bot.send_message(GROUP, "hello")
    api.unblock(ALICE)
    await bot.send_message(ALICE, "hello again")


async def test_migrated_group_names_the_supergroup(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.migrate(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(GROUP, "hello")
    assert caught.value.new_chat_id == SUPERGROUP
    assert api.calls("sendMessage")[0].response["parameters"] == {"migrate_to_chat_id": SUPERGROUP}
    message = await bot.send_message(SUPERGROUP, "hello")
    assert (message.chat.type, message.chat.title) == ("supergroup", "Analysts")


async def test_migration_service_messages(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.migrate(GROUP, SUPERGROUP, by=ALICE)
    to, from_ = await bot.get_updates(timeout=0)
    assert (to.message.chat.id, to.message.migrate_to_chat_id) == (GROUP, SUPERGROUP)
    assert (from_.message.chat.id, from_.message.migrate_from_chat_id) == (SUPERGROUP, GROUP)


async def test_flood_asks_to_retry_later(
    api: FakeBotAPI, bot: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.flood(ALICE, retry_after=3, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(ALICE, "hello")
        assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert api.calls("sendMessage")[0].description == "Too Many Requests: retry after 3"
    await bot.send_message(ALICE, "hello")
    assert len(api.sent(ALICE)) == 1


# ----------------------------------------------------------------- updates


async def test_updates_carry_commands_and_callbacks(api: FakeBotAPI, bot: telegram.Bot) -> None:
    sent = await bot.send_message(GROUP, "Pick one", reply_markup=keyboard("sub:kz"))
    api.push_message(ALICE, ALICE, "/sub kz-nuclear")
    api.push_message(GROUP, ALICE, "/sub@newsbot_test_bot kz-nuclear")
    api.push_callback(GROUP, ALICE, "sub:kz")

    private, group, press = await bot.get_updates(timeout=0)
    assert private.message.text == "/sub kz-nuclear"
    assert private.message.from_user.language_code == "ru"
    [command] = private.message.entities
    assert (command.type, command.offset, command.length) == ("bot_command", 0, 4)
    assert group.effective_chat.type == "group"
    assert group.message.entities[0].length == len("/sub@newsbot_test_bot")
    assert press.callback_query.data == "sub:kz"
    assert press.callback_query.message.message_id == sent.message_id
    assert press.callback_query.message.reply_markup == keyboard("sub:kz")

    assert await press.callback_query.answer("Subscribed")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(press.callback_query.id)
    assert len(await bot.get_updates(offset=group.update_id, timeout=0)) == 2
    assert await bot.get_updates(offset=press.update_id + 1, timeout=0) == ()
    assert api.pending_updates() == []


async def test_long_poll_returns_when_an_update_arrives(api: FakeBotAPI, bot: telegram.Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_async(lambda: api.polls_waiting, what="poll started")
    api.push_message(ALICE, ALICE, "hello")
    [update] = await poll
    assert update.message.text == "hello"
    assert time.monotonic() - started < 0.9


async def test_long_poll_times_out_empty(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.max_poll_timeout = 0.3
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == ()
    assert 0.3 <= time.monotonic() - started < 1.0


async def test_newer_poll_ends_the_waiting_one(
    api: FakeBotAPI, bot: telegram.Bot, tls: ssl.SSLContext
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_async(lambda: api.polls_waiting, what="poll started")
    async with httpx.AsyncClient(verify=tls) as other_instance:
        url = f"{api.api_url}/bot{api.token}/getUpdates"
        assert (await other_instance.post(url, data={"timeout": "0"})).json()["result"] == []
    with pytest.raises(telegram.error.Conflict, match="terminated by other getUpdates"):
        await first


async def test_drop_pending_updates(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.push_message(ALICE, ALICE, "old")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()


def test_stop_wakes_a_long_poll(tls: ssl.SSLContext) -> None:
    with FakeBotAPI(max_poll_timeout=5.0) as api, httpx.Client(timeout=10, verify=tls) as client:
        url = f"{api.api_url}/bot{api.token}/getUpdates"
        poller = threading.Thread(target=client.get, args=(url,), kwargs={"params": {"timeout": 5}})
        poller.start()
        api.wait_for(lambda: api.polls_waiting, timeout=5, what="poll started")
        started = time.monotonic()
        api.stop()
        poller.join(timeout=5)
        assert time.monotonic() - started < 1.0
    # leaving the block stops it again: stop() is idempotent


# ----------------------------------------------------------------- webhook

HOOK = "https://bot.example/hook/abc"


async def test_a_webhook_replaces_get_updates_until_deleted(
    api: FakeBotAPI, bot: telegram.Bot
) -> None:
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.set_webhook(
        HOOK, secret_token="Secret_token-1", max_connections=5, allowed_updates=["message"]
    )
    assert api.webhook == {
        "url": HOOK,
        "secret_token": "Secret_token-1",
        "max_connections": 5,
        "ip_address": None,
        "has_custom_certificate": False,
    }
    api.push_message(ALICE, ALICE, "/start")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.max_connections) == (HOOK, 1, 5)
    assert info.allowed_updates == ("message",)
    with pytest.raises(telegram.error.Conflict, match="while webhook is active"):
        await bot.get_updates(timeout=0)
    [refused] = api.calls("getUpdates")
    assert (refused.status, refused.description) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )

    assert await bot.delete_webhook()
    assert api.webhook is None
    assert (await bot.get_webhook_info()).url == ""
    [update] = await bot.get_updates(timeout=0)  # kept while the webhook was set
    assert update.message.text == "/start"


async def test_a_numeric_secret_token_stays_text(api: FakeBotAPI, bot: telegram.Bot) -> None:
    await bot.set_webhook(HOOK, secret_token="1234567890123456")
    webhook = api.webhook
    assert webhook is not None and webhook["secret_token"] == "1234567890123456"


async def test_set_webhook_refuses_what_telegram_refuses(
    api: FakeBotAPI, bot: telegram.Bot
) -> None:
    for url, secret in (
        ("http://bot.example/hook", None),
        ("https://bot.example:9443/hook", None),
        (HOOK, "123456:TEST"),
        (HOOK, "x" * 257),
    ):
        with pytest.raises(BadRequest):
            await bot.set_webhook(url, secret_token=secret)
    assert [call.description for call in api.calls("setWebhook")] == [
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        "Bad Request: secret token contains unallowed characters",
        "Bad Request: secret token contains unallowed characters",
    ]
    assert api.webhook is None
    assert await bot.set_webhook("https://bot.example:8443/hook")
    assert await bot.set_webhook("")  # an empty URL removes the webhook
    assert api.webhook is None
    assert await bot.get_updates(timeout=0) == ()


async def test_set_webhook_may_drop_pending_updates(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.push_message(ALICE, ALICE, "old")
    await bot.set_webhook(HOOK)
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.set_webhook(HOOK, drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert api.pending_updates() == []


async def test_setting_a_webhook_ends_a_waiting_poll(
    api: FakeBotAPI, bot: telegram.Bot, tls: ssl.SSLContext
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_async(lambda: api.polls_waiting, what="poll started")
    async with httpx.AsyncClient(verify=tls) as other_instance:
        url = f"{api.api_url}/bot{api.token}/setWebhook"
        assert (await other_instance.post(url, data={"url": HOOK})).json()["result"] is True
    with pytest.raises(telegram.error.Conflict, match="while webhook is active"):
        await poll


class Receiver(ThreadingHTTPServer):
    """A bot's webhook endpoint: records each POST, answers ``status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.status = 200
        self.requests: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook/abc"


class _Receive(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_deliver_webhook_posts_updates_as_telegram_does(
    api: FakeBotAPI, receiver: Receiver, tls: ssl.SSLContext
) -> None:
    with pytest.raises(RuntimeError, match="no webhook is set"):
        api.deliver_webhook(receiver.url)
    with httpx.Client(verify=tls) as client:
        base = f"{api.api_url}/bot{api.token}"
        client.post(f"{base}/setWebhook", data={"url": HOOK, "secret_token": "s3cret"})
        first, second = api.push_message(ALICE, ALICE, "one"), api.push_message(ALICE, ALICE, "2")

        receiver.status = 403
        assert api.deliver_webhook(receiver.url) == [403]  # stops at the first refusal
        info = client.get(f"{base}/getWebhookInfo").json()["result"]
        assert info["pending_update_count"] == 2
        assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"

        receiver.status = 200
        assert api.deliver_webhook(receiver.url) == [200, 200]
        info = client.get(f"{base}/getWebhookInfo").json()["result"]
    assert info["pending_update_count"] == 0 and "last_error_message" in info
    assert api.pending_updates() == []
    assert len(receiver.requests) == 3
    for headers, _ in receiver.requests:
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
    bodies = [json.loads(body) for _, body in receiver.requests]
    assert [b["update_id"] for b in bodies] == [first, first, second]
    assert bodies[2]["message"]["text"] == "2"


def test_take_updates_hands_the_pending_ones_over(api: FakeBotAPI) -> None:
    api.push_message(ALICE, ALICE, "/start")
    [update] = api.take_updates()
    assert update["message"]["text"] == "/start"
    assert update["message"]["from"]["id"] == ALICE
    assert api.pending_updates() == [] == api.take_updates()


# ----------------------------------------------------------------- edits, chats, members


async def test_edits(api: FakeBotAPI, bot: telegram.Bot) -> None:
    message = await bot.send_message(ALICE, "Lists", reply_markup=keyboard("sub:kz"))
    edited = await bot.edit_message_reply_markup(
        ALICE, message.message_id, reply_markup=keyboard("unsub:kz")
    )
    assert edited.reply_markup == keyboard("unsub:kz")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(
            ALICE, message.message_id, reply_markup=keyboard("unsub:kz")
        )
    edited = await bot.edit_message_text(
        "<i>Lists</i>", ALICE, message.message_id, parse_mode="HTML"
    )
    assert edited.reply_markup is None  # no reply_markup given: the keyboard is gone
    assert api.message(ALICE, message.message_id)["entities"][0]["type"] == "italic"
    assert [edit["method"] for edit in api.edits(ALICE)] == [
        "editMessageReplyMarkup",
        "editMessageText",
    ]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)


async def test_chats_and_members(api: FakeBotAPI, bot: telegram.Bot) -> None:
    boss, admin, reader = 301, 302, 303
    api.set_member(GROUP, boss, "creator")
    api.set_member(GROUP, admin, "administrator")
    api.set_member(GROUP, reader, "member")
    api.set_member(GROUP, 304, "kicked")
    assert (await bot.get_chat(GROUP)).title == "Analysts"
    assert (await bot.get_chat(ALICE)).first_name == "Alice"
    statuses = [(await bot.get_chat_member(GROUP, user)).status for user in (boss, admin, 304)]
    assert statuses == ["creator", "administrator", "kicked"]
    assert (await bot.get_chat_member(GROUP, reader)).status == "member"
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "left"
    assert (await bot.get_chat_member(ALICE, ALICE)).status == "member"
    admins = await bot.get_chat_administrators(GROUP)
    assert [member.user.id for member in admins] == [boss, admin]
    with pytest.raises(BadRequest, match="There are no administrators in the private chat"):
        await bot.get_chat_administrators(ALICE)


async def test_removal_from_a_group_is_announced_and_blocks(
    api: FakeBotAPI, bot: telegram.Bot
) -> None:
    api.push_my_chat_member(GROUP, ALICE, "kicked")
    [update] = await bot.get_updates(timeout=0, allowed_updates=["message", "my_chat_member"])
    assert update.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden):
        await bot.send_message(GROUP, "still there?")


# ----------------------------------------------------------------- waiting & raw requests


async def test_wait_sent_async_waits_for_the_bot(api: FakeBotAPI, bot: telegram.Bot) -> None:
    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(ALICE, "one")
        await bot.send_message(ALICE, "two")

    task = asyncio.create_task(reply_later())
    sent = await api.wait_sent_async(ALICE, count=2, timeout=5)
    await task
    assert [message["text"] for message in sent] == ["one", "two"]


def test_wait_sent_blocks_until_sent_from_another_thread(
    api: FakeBotAPI, tls: ssl.SSLContext
) -> None:
    def send() -> None:
        time.sleep(0.05)
        with httpx.Client(verify=tls) as client:
            url = f"{api.api_url}/bot{api.token}/sendMessage"
            client.post(url, json={"chat_id": ALICE, "text": "hi"})

    sender = threading.Thread(target=send)
    sender.start()
    [message] = api.wait_sent(ALICE, timeout=5)
    sender.join()
    assert message["text"] == "hi"
    with pytest.raises(AssertionError, match="2 message\\(s\\) sent to chat 100") as caught:
        api.wait_sent(ALICE, count=2, timeout=0.05)
    assert "200 sendMessage" in str(caught.value)


def test_request_encodings(api: FakeBotAPI, tls: ssl.SSLContext) -> None:
    base = f"{api.api_url}/bot{api.token}"
    markup = '{"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}'
    with httpx.Client(verify=tls) as client:
        client.post(f"{base}/sendMessage", data={"chat_id": "100", "text": "42"})
        client.post(f"{base}/sendmessage", json={"chat_id": ALICE, "text": "json"})
        client.get(f"{base}/sendMessage", params={"chat_id": "100", "text": "get"})
        client.post(
            f"{base}/sendMessage",
            data={"chat_id": "100", "text": "multi", "reply_markup": markup},
            files={"document": ("feed.xml", b"<rss/>", "text/xml")},
        )
        bad = client.post(f"{base}/sendMessage", content=b"chat_id=100&text=%FF")
    texts = [(m["chat_id"], m["text"]) for m in api.sent()]
    assert texts == [(ALICE, "42"), (ALICE, "json"), (ALICE, "get"), (ALICE, "multi")]
    multipart = api.calls("sendMessage")[3].params
    assert multipart["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
    assert multipart["document"] == {"filename": "feed.xml", "size": 6}
    assert bad.json()["description"] == "Bad Request: strings must be encoded in UTF-8"


# ----------------------------------------------------------------- the HTML parser itself


def test_parse_html_offsets_are_utf16() -> None:
    text, entities = parse_html("😀 <b>Қазақстан</b> <i>&lt;x&gt;</i>")
    assert text == "😀 Қазақстан <x>"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 13, "length": 3},
    ]
    assert utf16_len(text) == len(text) + 1


def test_parse_html_byte_offsets_in_errors() -> None:
    with pytest.raises(HtmlError, match='Unsupported start tag "br" at byte offset 5'):
        parse_html("Жжx<br>")
    with pytest.raises(HtmlError, match='"&" at byte offset 13'):
        parse_html('<a href="?a=1&b=2">x</a>')


async def test_button_presses_in_a_channel(api: FakeBotAPI, bot: telegram.Bot) -> None:
    channel, viewer = -1009, 305
    api.add_chat(channel, "channel", "Wire")
    api.set_member(channel, viewer, "member")
    sent = await bot.send_message(channel, "Pick one", reply_markup=keyboard("t:kz"))
    api.push_callback(channel, viewer, "t:kz")
    [press] = await bot.get_updates(timeout=0)
    query = press.callback_query
    assert query.from_user.id == viewer  # the presser, not the channel
    assert query.message.message_id == sent.message_id
    assert query.message.sender_chat.id == channel == press.effective_chat.id
    assert (await bot.get_chat_member(channel, viewer)).status == "member"
    api.set_member(channel, api.bot_id, "member")  # only an administrator bot may ask
    with pytest.raises(BadRequest, match="Member list is inaccessible"):
        await bot.get_chat_member(channel, viewer)


async def test_channels_by_username_and_the_bots_rights(api: FakeBotAPI, bot: telegram.Bot) -> None:
    channel, owner = -1001009, 306
    api.add_chat(channel, "channel", "Wire", username="kz_wire")
    api.set_member(channel, owner, "creator")
    found = await bot.get_chat("@KZ_wire")
    assert (found.id, found.type, found.title) == (channel, "channel", "Wire")
    own = await bot.get_chat_member(channel, api.bot_id)
    assert isinstance(own, telegram.ChatMemberAdministrator) and own.can_post_messages
    api.set_member(channel, api.bot_id, "administrator", can_post_messages=False)
    own = await bot.get_chat_member(channel, api.bot_id)
    assert isinstance(own, telegram.ChatMemberAdministrator) and not own.can_post_messages
    assert (await bot.get_chat_member(channel, owner)).status == "creator"
    api.set_member(channel, api.bot_id, "left")
    assert (await bot.get_chat_member(channel, api.bot_id)).status == "left"  # itself: yes
    with pytest.raises(BadRequest, match="Member list is inaccessible"):
        await bot.get_chat_member(channel, owner)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat("@nobody_here")


async def test_forum_topics(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.add_chat(SUPERGROUP, "supergroup", "Newsroom", is_forum=True)
    nuclear, trade = api.add_topic(SUPERGROUP, "Nuclear"), api.add_topic(SUPERGROUP, "Trade")
    api.push_message(SUPERGROUP, ALICE, "/sub kz-nuclear", thread_id=nuclear)
    api.push_message(SUPERGROUP, ALICE, "/sub csto-cis")
    in_topic, in_general = [u.message for u in await bot.get_updates(timeout=0)]
    assert in_topic.chat.is_forum and in_topic.is_topic_message
    assert in_topic.message_thread_id == nuclear
    assert in_topic.reply_to_message.forum_topic_created.name == "Nuclear"
    assert not in_general.is_topic_message and in_general.message_thread_id is None

    sent = await bot.send_message(SUPERGROUP, "to the topic", message_thread_id=trade)
    assert sent.message_thread_id == trade and sent.is_topic_message
    await bot.send_message(SUPERGROUP, "to General")
    assert [m["message_thread_id"] for m in api.sent(SUPERGROUP)] == [trade, None]
    api.close_topic(SUPERGROUP, trade)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_message(SUPERGROUP, "closed", message_thread_id=trade)
    api.reopen_topic(SUPERGROUP, trade)
    await bot.send_message(SUPERGROUP, "open again", message_thread_id=trade)
    api.delete_topic(SUPERGROUP, nuclear)
    for chat, thread in ((SUPERGROUP, nuclear), (SUPERGROUP, 9999), (GROUP, trade)):
        with pytest.raises(BadRequest, match="Message thread not found"):
            await bot.send_message(chat, "gone", message_thread_id=thread)
    assert len(api.sent(SUPERGROUP)) == 3
