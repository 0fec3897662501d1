"""A recording fake of the Telegram Bot API, served over HTTP on 127.0.0.1.

Tests start a :class:`FakeBotAPI`, point the bot's ``telegram.api_url`` at
:attr:`FakeBotAPI.api_url` and drive the real python-telegram-bot stack against it::

    with FakeBotAPI() as api:
        api.add_user(100, "Alice", language_code="ru")
        api.add_chat(100)                        # the private chat with Alice
        ...start the bot with api_url=api.api_url and token=api.token...
        api.push_message(100, 100, "/sub kz-nuclear")
        [reply] = api.wait_sent(100)             # blocks until the bot answered
        assert "kz-nuclear" in reply["plain_text"]

The server answers the way Telegram does, as far as a bot can tell:

* requests arrive at ``{api_url}/bot{token}/{method}`` as GET query strings or POST
  bodies (form-urlencoded, JSON or multipart); method names are case-insensitive;
  a wrong token gets 401, an unknown method 404;
* every response is ``{"ok": true, "result": ...}`` with valid Telegram objects, or
  ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``;
* ``getUpdates`` long-polls: it returns pushed updates at once, otherwise waits
  (at most ``max_poll_timeout`` seconds) and wakes as soon as an update is pushed;
  updates stay queued until confirmed with ``offset``; a newer ``getUpdates`` ends
  a waiting one with 409 Conflict;
* ``setWebhook`` takes an https URL on port 443, 80, 88 or 8443 and an optional
  ``secret_token`` (1-256 of ``A-Z a-z 0-9 _ -``), kept in :attr:`FakeBotAPI.webhook`;
  while a webhook is set, ``getUpdates`` (a waiting one too) fails with 409 Conflict
  until ``deleteWebhook`` (or ``setWebhook`` with an empty URL); ``getWebhookInfo``
  reports the URL, the pending updates and the last delivery error. Nothing is sent
  to the webhook by itself: :meth:`FakeBotAPI.deliver_webhook` POSTs the pending
  updates to a local address standing in for the public URL, as Telegram would, and
  :meth:`FakeBotAPI.take_updates` hands them to a test that POSTs them itself;
* ``parse_mode=HTML`` text is parsed like Telegram's parser, stricter where the Bot
  API documentation asks for escaping (see :mod:`support.telegram_html`); length
  limits are checked on the visible text in UTF-16 code units;
* ``editMessageText`` without ``reply_markup`` drops the inline keyboard, and an edit
  that changes nothing is refused with "message is not modified";
* a button press (:meth:`FakeBotAPI.push_callback`) comes from the user who pressed,
  in channels too; ``getChatMember`` in a channel needs the bot to administer it
  (the bot may always look itself up); an administrator's rights, such as
  ``can_post_messages``, are set with :meth:`FakeBotAPI.set_member`;
* forum supergroups (``add_chat(..., is_forum=True)``) have topics
  (:meth:`FakeBotAPI.add_topic`); a message pushed into a topic carries
  ``message_thread_id`` and ``is_topic_message``; ``sendMessage`` with a
  ``message_thread_id`` of a closed topic fails with "TOPIC_CLOSED", of a deleted or
  unknown one (or outside a forum) with "message thread not found";
* failure modes are switched on per chat: :meth:`FakeBotAPI.block`,
  :meth:`FakeBotAPI.migrate`, :meth:`FakeBotAPI.flood`, :meth:`FakeBotAPI.fail_sends`.

Every request is recorded as a :class:`Call`; :meth:`FakeBotAPI.sent` and
:meth:`FakeBotAPI.edits` give the successful messages and edits. The blocking
``wait_*`` helpers suit tests whose bot runs in another thread or process; tests
whose bot runs on the test's own event loop must use the ``*_async`` variants.

Standard library only; all state is guarded by one lock, so tests may call any
method from any thread.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from support.telegram_html import HtmlError, parse_html, strip_message, utf16_len

JSONDict = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST"
BOT_USERNAME = "newsbot_test_bot"
BOT_FIRST_NAME = "NewsBot Test"
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
UPDATE_TYPES_OFF_BY_DEFAULT = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)

# Parameters Telegram treats as plain strings: never JSON-decoded, so a text such
# as "42" or "true" stays a string.
STRING_PARAMS = frozenset(
    {
        "text",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "secret_token",
        "ip_address",
    }
)

FORBIDDEN_BY_CHAT_TYPE = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot is not a member of the channel chat",
}
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and parameters."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSONDict:
        """The response body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 answer with Telegram's ``Bad Request:`` prefix."""
    return ApiError(400, f"Bad Request: {message}")


@dataclass(frozen=True)
class Call:
    """One recorded request: canonical method name, decoded params and the answer."""

    method: str
    params: JSONDict
    status: int
    response: JSONDict

    @property
    def ok(self) -> bool:
        """Whether Telegram would have answered ``ok: true``."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (None for errors)."""
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        """The error description of a failed call (None for successes)."""
        return self.response.get("description")


# ------------------------------------------------------------------ request parsing


def decode_value(name: str, value: Any) -> Any:
    """JSON-decode a parameter that PTB sent as a JSON string; keep text params as text."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def parse_multipart(content_type: str, body: bytes) -> JSONDict:
    """Fields of a multipart/form-data body; uploaded files become a small summary."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    fields: JSONDict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = b""
        filename = part.get_filename()
        if filename is not None:
            fields[str(name)] = {"filename": filename, "size": len(payload)}
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields


def read_params(handler: BaseHTTPRequestHandler, query: str) -> JSONDict:
    """All parameters of a request: query string plus form, JSON or multipart body."""
    params: JSONDict = dict(parse_qsl(query, keep_blank_values=True, errors="strict"))
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    if not body:
        return params
    content_type = handler.headers.get_content_type()
    if content_type == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a JSON body must be an object")
        params.update(data)
    elif content_type == "multipart/form-data":
        params.update(parse_multipart(handler.headers["Content-Type"], body))
    else:
        params.update(parse_qsl(body.decode(), keep_blank_values=True, errors="strict"))
    return params


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeBotAPI):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (a cancelled long poll) are normal; nothing to report."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        try:
            params = read_params(self, url.query)
        except UnicodeDecodeError:
            status, body = 400, bad_request("strings must be encoded in UTF-8").to_json()
        except ValueError as exc:
            status, body = 400, bad_request(f"can't parse request: {exc}").to_json()
        else:
            status, body = self.server.fake.handle(url.path, params)
        payload = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client gave up waiting (cancelled long poll)


# --------------------------------------------------------------------- the fake


_PATH = re.compile(r"^/bot([^/]+)/([A-Za-z0-9_]+)$")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class FakeBotAPI:
    """A recording fake Bot API server; see the module docstring for how tests use it.

    Args:
        token: the one token accepted; its numeric prefix is the bot's user id.
        strict_gt: also refuse an unescaped ``>`` in HTML text (Telegram accepts it).
        max_poll_timeout: upper bound in seconds on how long ``getUpdates`` waits.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        strict_gt: bool = True,
        max_poll_timeout: float = 2.0,
    ):
        self.token = token
        self.strict_gt = strict_gt
        self.max_poll_timeout = max_poll_timeout
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self._users: dict[int, JSONDict] = {self.bot_id: self.bot_user}
        self._chats: dict[int, JSONDict] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._rights: dict[tuple[int, int], dict[str, bool]] = {}
        self._topics: dict[tuple[int, int], JSONDict] = {}
        self._messages: dict[tuple[int, int], tuple[JSONDict, bool]] = {}
        self._next_message_id: dict[int, int] = {}
        self._blocked: dict[int, str] = {}
        self._migrated: dict[int, int] = {}
        self._floods: dict[int, list[int]] = {}
        self._failures: dict[int, list[Any]] = {}
        self._updates: list[JSONDict] = []
        self._next_update_id = 10001
        self._allowed_updates: list[str] = []
        self._webhook: JSONDict | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._polls_waiting = 0
        self._callback_queries: dict[str, bool] = {}
        self._next_callback_id = 4_000_000_001
        self._commands: dict[str, list[JSONDict]] = {}
        self._calls: list[Call] = []
        self._sent: list[JSONDict] = []
        self._edits: list[JSONDict] = []
        self._methods: dict[str, tuple[str, Callable[[JSONDict], Any]]] = {
            name.lower(): (name, method) for name, method in self._api_methods().items()
        }

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeBotAPI:
        """Bind to an OS-assigned port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._closing = False
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeBotAPI",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake every long poll, stop serving and close the socket; idempotent."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """The Bot API server root, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------ world setup

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test User",
        language_code: str | None = "en",
        *,
        username: str | None = None,
        last_name: str | None = None,
    ) -> JSONDict:
        """Register a (human) Telegram user; returns the User object."""
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({key: value for key, value in optional.items() if value is not None})
        with self._cond:
            self._users[user_id] = user
            return copy.deepcopy(user)

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        *,
        username: str | None = None,
        is_forum: bool = False,
    ) -> JSONDict:
        """Register a chat the bot can talk to; a private chat's id is its user's id.

        ``is_forum``: a supergroup whose messages are organised in topics.
        """
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {sorted(CHAT_TYPES)}, not {type!r}")
        if is_forum and type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        chat: JSONDict = {"id": chat_id, "type": type}
        if is_forum:
            chat["is_forum"] = True
        with self._cond:
            if type == "private":
                user = self._user(chat_id)
                chat["first_name"] = user["first_name"]
                username = username or user.get("username")
            else:
                chat["title"] = title or f"Test {type} {chat_id}"
            if username:
                chat["username"] = username
            self._chats[chat_id] = chat
            return copy.deepcopy(chat)

    def set_member(
        self, chat_id: int, user_id: int, status: str = "member", **rights: bool
    ) -> None:
        """Set a user's (or the bot's) status in a chat, for getChatMember and friends.

        ``rights`` override an administrator's ``can_*`` fields, all true by default:
        ``set_member(channel, api.bot_id, "administrator", can_post_messages=False)``.
        """
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(MEMBER_STATUSES)}, not {status!r}")
        if any(not name.startswith("can_") for name in rights):
            raise ValueError("rights are can_* fields")
        with self._cond:
            self._chat(chat_id)
            self._user(user_id)
            self._members[(chat_id, user_id)] = status
            self._rights[(chat_id, user_id)] = dict(rights)

    def add_topic(self, chat_id: int, name: str) -> int:
        """Open a topic in a forum supergroup; returns its ``message_thread_id`` (the id
        of the service message that created it, as in Telegram)."""
        with self._cond:
            chat = self._chat(chat_id)
            if not chat.get("is_forum"):
                raise ValueError(f"chat {chat_id} is not a forum")
            created = self._new_message(chat, "", [], by_bot=False)
            del created["text"]
            created["forum_topic_created"] = {"name": name, "icon_color": 7322096}
            thread_id = int(created["message_id"])
            created.update(message_thread_id=thread_id, is_topic_message=True)
            self._topics[(chat_id, thread_id)] = {"created": created, "state": "open"}
            return thread_id

    def close_topic(self, chat_id: int, thread_id: int) -> None:
        """Close a topic: the bot's messages to it fail with TOPIC_CLOSED."""
        self._set_topic(chat_id, thread_id, "closed")

    def reopen_topic(self, chat_id: int, thread_id: int) -> None:
        """Undo :meth:`close_topic`."""
        self._set_topic(chat_id, thread_id, "open")

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a topic: the bot's messages to it fail with "message thread not found"."""
        self._set_topic(chat_id, thread_id, "deleted")

    def _set_topic(self, chat_id: int, thread_id: int, state: str) -> None:
        with self._cond:
            topic = self._topics.get((chat_id, thread_id))
            if topic is None:
                raise KeyError(f"chat {chat_id} has no topic {thread_id}")
            topic["state"] = state

    def block(self, chat_id: int, description: str | None = None) -> None:
        """Refuse sends to the chat with 403, worded for its type ("bot was blocked...")."""
        with self._cond:
            chat = self._chat(chat_id)
            self._blocked[chat_id] = description or FORBIDDEN_BY_CHAT_TYPE[chat["type"]]

    def unblock(self, chat_id: int) -> None:
        """Undo :meth:`block`."""
        with self._cond:
            self._blocked.pop(chat_id, None)

    def migrate(self, chat_id: int, new_chat_id: int, *, by: int | None = None) -> JSONDict:
        """Upgrade a group to a supergroup: sends to the old id get 400 migrate_to_chat_id.

        The supergroup is created (same title and members) unless it exists already.
        With ``by`` (the user who upgraded), the two service messages Telegram posts
        (``migrate_to_chat_id`` in the group, ``migrate_from_chat_id`` in the
        supergroup) are queued as updates too. Returns the supergroup's Chat.
        """
        with self._cond:
            old = self._chat(chat_id)
            if new_chat_id not in self._chats:
                self.add_chat(new_chat_id, "supergroup", old.get("title"))
                for (member_chat, user_id), status in list(self._members.items()):
                    if member_chat == chat_id:
                        self._members[(new_chat_id, user_id)] = status
            self._migrated[chat_id] = new_chat_id
            new = self._chats[new_chat_id]
            if by is not None:
                self._push_service(old, by, migrate_to_chat_id=new_chat_id)
                self._push_service(new, by, migrate_from_chat_id=chat_id)
            return copy.deepcopy(new)

    def _push_service(self, chat: JSONDict, user_id: int, **fields: Any) -> int:
        message = {
            "message_id": self._next_message_id.get(chat["id"], 1),
            "date": int(time.time()),
            "chat": copy.deepcopy(chat),
            "from": copy.deepcopy(self._user(user_id)),
            **fields,
        }
        self._next_message_id[chat["id"]] = message["message_id"] + 1
        return self.push_update({"message": message})

    def fail_sends(
        self, chat_id: int, times: int = 1, status: int = 502, description: str = "Bad Gateway"
    ) -> None:
        """Answer the next ``times`` sendMessage calls to the chat with an error (a gateway
        in trouble, by default: a failure worth trying again)."""
        with self._cond:
            self._failures[chat_id] = [status, times, description]

    def flood(self, chat_id: int, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` sendMessage calls to the chat with 429 retry_after."""
        with self._cond:
            self._floods[chat_id] = [retry_after, times]

    # ------------------------------------------------------------ updates

    def push_update(self, update: JSONDict) -> int:
        """Queue a raw update (its update_id is assigned here); returns the update_id."""
        with self._cond:
            update = {"update_id": self._next_update_id, **copy.deepcopy(update)}
            self._next_update_id += 1
            self._updates.append(update)
            self._cond.notify_all()
            return int(update["update_id"])

    def push_message(
        self,
        chat_id: int,
        user_id: int | None,
        text: str,
        *,
        entities: list[JSONDict] | None = None,
        thread_id: int | None = None,
    ) -> int:
        """Queue a text message from a user (a channel post when the chat is a channel).

        A leading command (``/sub``, ``/sub@newsbot_test_bot``) gets a bot_command entity
        unless ``entities`` are given. A private chat with an unknown id is created for
        the user. ``thread_id``: posted inside that topic of a forum, which Telegram marks
        with ``message_thread_id``, ``is_topic_message`` and, as the message replied to,
        the topic's creation message. Returns the update_id.
        """
        with self._cond:
            if chat_id not in self._chats and chat_id == user_id:
                self.add_chat(chat_id)
            chat = self._chat(chat_id)
            is_channel = chat["type"] == "channel"
            if user_id is None and not is_channel:
                raise ValueError("a message outside a channel needs a user_id")
            topic = self._topics.get((chat_id, thread_id)) if thread_id is not None else None
            if thread_id is not None and topic is None:
                raise KeyError(f"chat {chat_id} has no topic {thread_id}")
            message = self._new_message(chat, text, command_entities(text), by_bot=False)
            if entities is not None:
                message["entities"] = entities
            if topic is not None:
                message.update(message_thread_id=thread_id, is_topic_message=True)
                message["reply_to_message"] = copy.deepcopy(topic["created"])
            if user_id is not None and not is_channel:
                message["from"] = copy.deepcopy(self._user(user_id))
            else:
                message["sender_chat"] = copy.deepcopy(chat)
            self._messages[(chat_id, message["message_id"])] = (message, False)
            return self.push_update({"channel_post" if is_channel else "message": message})

    def push_callback(
        self,
        chat_id: int,
        user_id: int,
        data: str,
        message_id: int | None = None,
    ) -> int:
        """Queue a button press on a bot message (default: the bot's latest in the chat).

        The update carries the message as it is now (after edits). Returns the update_id.
        """
        with self._cond:
            message = self._callback_message(self._chat(chat_id), message_id)
            query_id = str(self._next_callback_id)
            self._next_callback_id += 1
            self._callback_queries[query_id] = False
            query = {
                "id": query_id,
                "from": copy.deepcopy(self._user(user_id)),
                "message": message,
                "chat_instance": str(abs(chat_id) + 7_000_000_000),
                "data": data,
            }
            return self.push_update({"callback_query": query})

    def push_my_chat_member(
        self,
        chat_id: int,
        user_id: int,
        new_status: str,
        old_status: str = "member",
    ) -> int:
        """Queue a change of the bot's own membership made by ``user_id``.

        ``kicked``/``left`` also block sends to the chat (as Telegram would), while
        ``member``/``administrator`` lift such a block. Returns the update_id.
        """
        with self._cond:
            chat = self._chat(chat_id)
            self._members[(chat_id, self.bot_id)] = new_status
            if new_status in {"kicked", "left"}:
                self.block(chat_id)
            else:
                self.unblock(chat_id)
            change = {
                "chat": copy.deepcopy(chat),
                "from": copy.deepcopy(self._user(user_id)),
                "date": int(time.time()),
                "old_chat_member": self._member_object(self.bot_id, old_status),
                "new_chat_member": self._member_object(self.bot_id, new_status),
            }
            return self.push_update({"my_chat_member": change})

    @property
    def polls_waiting(self) -> int:
        """How many getUpdates requests are in progress (long-polling) right now."""
        with self._cond:
            return self._polls_waiting

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset (or delivered to a webhook)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    # ------------------------------------------------------------ webhook

    @property
    def webhook(self) -> JSONDict | None:
        """The webhook the bot set (url, secret_token, max_connections, ip_address,
        has_custom_certificate), or None while updates go to getUpdates."""
        with self._cond:
            return copy.deepcopy(self._webhook)

    def take_updates(self) -> list[JSONDict]:
        """Remove and return the pending updates, oldest first, as a webhook delivery
        takes them: for a test that POSTs them to the bot itself."""
        with self._cond:
            taken = copy.deepcopy(self._deliverable())
            self._updates = []
            return taken

    def deliver_webhook(self, to: str, timeout: float = 10.0) -> list[int]:
        """POST the pending updates, oldest first, to ``to`` as Telegram POSTs them to the
        webhook: one JSON Update per request, with the ``X-Telegram-Bot-Api-Secret-Token``
        header when setWebhook gave a ``secret_token``. Returns the HTTP status of each
        request.

        ``to`` stands in for the webhook's public URL: the local address the bot listens
        on. An update answered 2XX is delivered; at any other answer delivery stops, the
        update stays pending and getWebhookInfo reports the error, as Telegram keeps it
        to try again. Blocking: a test whose bot runs on the test's own event loop calls
        this in another thread. A webhook must be set.
        """
        with self._cond:
            if self._webhook is None:
                raise RuntimeError("no webhook is set: the bot has not called setWebhook")
            secret = self._webhook["secret_token"]
            updates = copy.deepcopy(self._deliverable())
        headers = {SECRET_HEADER: secret} if secret else {}
        statuses: list[int] = []
        for update in updates:
            status = post_json(to, update, headers, timeout)  # unlocked: the bot calls back
            statuses.append(status)
            with self._cond:
                if 200 <= status < 300:
                    self._updates = [
                        u for u in self._updates if u["update_id"] != update["update_id"]
                    ]
                else:
                    reason = f"{status} {responses.get(status, '')}".strip()
                    message = f"Wrong response from the webhook: {reason}"
                    self._webhook_error = (int(time.time()), message)
                self._cond.notify_all()
            if not 200 <= status < 300:
                break
        return statuses

    # ------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request so far (in order of completion), optionally of one method."""
        with self._cond:
            wanted = method.lower() if method else None
            return [call for call in self._calls if wanted in (None, call.method.lower())]

    def sent(self, chat_id: int | None = None) -> list[JSONDict]:
        """Successful sendMessage calls, oldest first, optionally to one chat.

        Each is a dict with chat_id, message_id, date, text (as sent), parse_mode,
        reply_markup, disable_web_page_preview, link_preview_options,
        disable_notification, plain_text (visible text) and entities (as parsed).
        """
        with self._cond:
            chosen = [m for m in self._sent if chat_id is None or m["chat_id"] == chat_id]
            return copy.deepcopy(chosen)

    def edits(self, chat_id: int | None = None) -> list[JSONDict]:
        """Successful editMessageText/editMessageReplyMarkup calls, like :meth:`sent`."""
        with self._cond:
            chosen = [m for m in self._edits if chat_id is None or m["chat_id"] == chat_id]
            return copy.deepcopy(chosen)

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The Message object as it stands now (after edits), or None if unknown."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            return copy.deepcopy(stored[0]) if stored else None

    def clear_records(self) -> None:
        """Forget recorded calls, sent messages and edits (the chats stay)."""
        with self._cond:
            self._calls.clear()
            self._sent.clear()
            self._edits.clear()

    def dump(self, last: int = 30) -> str:
        """A readable summary of recent calls, sent messages and pending updates."""
        with self._cond:
            lines = [f"last {min(last, len(self._calls))} of {len(self._calls)} calls:"]
            for call in self._calls[-last:]:
                detail = json.dumps(call.params, ensure_ascii=False)[:300]
                error = f" -> {call.description}" if not call.ok else ""
                lines.append(f"  {call.status} {call.method} {detail}{error}")
            lines.append(f"sent messages: {len(self._sent)}")
            for sent in self._sent[-last:]:
                lines.append(f"  to {sent['chat_id']}: {sent['plain_text'][:200]!r}")
            lines.append(f"pending updates: {len(self._updates)}")
            if self._webhook is not None:
                lines.append(f"webhook: {self._webhook['url']}")
            return "\n".join(lines)

    # ------------------------------------------------------------ waiting

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition"
    ) -> T:
        """Block until ``predicate()`` is truthy and return its value.

        The predicate runs under the fake's lock each time a call completes or an
        update is pushed. Raises AssertionError with :meth:`dump` on timeout. Do not
        call from the event loop the bot runs on; use :meth:`wait_for_async` there.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (value := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{what} not met within {timeout}s\n{self.dump()}")
                self._cond.wait(remaining)
            return value

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[JSONDict]:
        """Block until at least ``count`` messages went to the chat; return them all."""
        return self.wait_for(
            lambda: self._sent_if(chat_id, count),
            timeout,
            f"{count} message(s) sent to chat {chat_id}",
        )

    def wait_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until at least ``count`` calls of ``method`` completed; return them all."""
        return self.wait_for(
            lambda: self._calls_if(method, count),
            timeout,
            f"{count} {method} call(s)",
        )

    async def wait_for_async(
        self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition"
    ) -> T:
        """Like :meth:`wait_for`, but yields to the event loop while waiting."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                if value := predicate():
                    return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"{what} not met within {timeout}s\n{self.dump()}")
            await asyncio.sleep(0.01)

    async def wait_sent_async(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[JSONDict]:
        """Like :meth:`wait_sent`, but yields to the event loop while waiting."""
        return await self.wait_for_async(
            lambda: self._sent_if(chat_id, count),
            timeout,
            f"{count} message(s) sent to chat {chat_id}",
        )

    async def ask(
        self, chat_id: int, user_id: int | None, text: str, thread_id: int | None = None
    ) -> str:
        """Send ``text`` from the user (in topic ``thread_id``); the bot's next message to
        the chat, as plain text."""
        count = len(self.sent(chat_id)) + 1
        self.push_message(chat_id, user_id, text, thread_id=thread_id)
        return str((await self.wait_sent_async(chat_id, count))[count - 1]["plain_text"])

    def _calls_if(self, method: str, count: int) -> list[Call]:
        calls = self.calls(method)
        return calls if len(calls) >= count else []

    def _sent_if(self, chat_id: int, count: int) -> list[JSONDict]:
        sent = self.sent(chat_id)
        return sent if len(sent) >= count else []

    # ------------------------------------------------------------ dispatch

    def handle(self, path: str, raw_params: JSONDict) -> tuple[int, JSONDict]:
        """Answer one request; called by the HTTP handler threads."""
        match = _PATH.match(path)
        method = match.group(2) if match else path
        params = {name: decode_value(name, value) for name, value in raw_params.items()}
        with self._cond:
            if match is None:
                status, body = 404, ApiError(404, "Not Found").to_json()
            elif match.group(1) != self.token:
                status, body = 401, ApiError(401, "Unauthorized").to_json()
            elif method.lower() not in self._methods:
                status, body = 404, ApiError(404, "Not Found").to_json()
            else:
                method, function = self._methods[method.lower()]
                status, body = self._run(function, params)
            self._calls.append(Call(method, copy.deepcopy(params), status, body))
            self._cond.notify_all()
            return status, body

    def _run(self, function: Callable[[JSONDict], Any], params: JSONDict) -> tuple[int, JSONDict]:
        try:
            result = function(params)
        except ApiError as exc:
            return exc.code, exc.to_json()
        except Exception as exc:
            return 500, ApiError(500, f"Internal Server Error: {exc!r}").to_json()
        return 200, {"ok": True, "result": result}

    def _api_methods(self) -> dict[str, Callable[[JSONDict], Any]]:
        return {
            "getMe": self._get_me,
            "logOut": lambda params: True,
            "close": lambda params: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
        }

    # ------------------------------------------------------------ bot & webhook methods

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, params: JSONDict) -> bool:
        url = params.get("url")
        if url is None or url == "":  # no URL removes the webhook
            return self._delete_webhook(params)
        _check_webhook_url(str(url))
        secret = params.get("secret_token") or None
        if secret is not None and not WEBHOOK_SECRET.fullmatch(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"]
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": _optional_int(params, "max_connections") or 40,
            "ip_address": params.get("ip_address") or None,
            "has_custom_certificate": isinstance(params.get("certificate"), dict),
        }
        self._webhook_error = None
        self._cond.notify_all()  # a waiting getUpdates now ends in a conflict
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates") is True:
            self._updates.clear()
        self._webhook = None
        self._webhook_error = None
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        webhook = self._webhook or {}
        info: JSONDict = {
            "url": webhook.get("url", ""),
            "has_custom_certificate": webhook.get("has_custom_certificate", False),
            "pending_update_count": len(self._deliverable()),
        }
        if not webhook:
            return info
        info["max_connections"] = webhook["max_connections"]
        if webhook["ip_address"]:
            info["ip_address"] = webhook["ip_address"]
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _commands_key(self, params: JSONDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description must be 1-256 characters")
        self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    # ------------------------------------------------------------ getUpdates

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # an older poll still waiting must now end in a conflict
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"]
        self._confirm(_optional_int(params, "offset"))
        limit = max(1, min(_optional_int(params, "limit") or 100, 100))
        timeout = min(_optional_int(params, "timeout") or 0, self.max_poll_timeout)
        deadline = time.monotonic() + timeout
        self._polls_waiting += 1
        try:
            while True:
                if generation != self._poll_generation:
                    raise ApiError(409, POLL_CONFLICT)
                if self._webhook is not None:
                    raise ApiError(409, WEBHOOK_CONFLICT)
                ready = self._deliverable()[:limit]
                remaining = deadline - time.monotonic()
                if ready or self._closing or remaining <= 0:
                    return copy.deepcopy(ready)
                self._cond.wait(remaining)
        finally:
            self._polls_waiting -= 1

    def _confirm(self, offset: int | None) -> None:
        """Forget updates the bot confirmed: below ``offset``, or all but the last -offset."""
        if not offset:
            return
        if offset < 0:
            del self._updates[:offset]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self) -> list[JSONDict]:
        """The queue minus update types the bot did not ask for (which are dropped)."""

        def wanted(update: JSONDict) -> bool:
            kind = next((key for key in update if key != "update_id"), "")
            if self._allowed_updates:
                return kind in self._allowed_updates
            return kind not in UPDATE_TYPES_OFF_BY_DEFAULT

        self._updates = [update for update in self._updates if wanted(update)]
        return self._updates

    # ------------------------------------------------------------ messages

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._target_chat(params)
        self._check_flood(chat["id"])
        self._check_failure(chat["id"])
        thread_id = self._topic_to_send_to(chat, params)
        text, entities = self._message_text(params)
        markup = self._reply_markup(params)
        message = self._new_message(chat, text, entities, by_bot=True)
        if markup is not None and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        self._sent.append(
            {
                "chat_id": chat["id"],
                "message_thread_id": thread_id,
                "message_id": message["message_id"],
                "date": message["date"],
                "text": params.get("text"),
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
                "disable_web_page_preview": params.get("disable_web_page_preview"),
                "link_preview_options": params.get("link_preview_options"),
                "disable_notification": params.get("disable_notification"),
                "plain_text": text,
                "entities": entities,
            }
        )
        return copy.deepcopy(message)

    def _topic_to_send_to(self, chat: JSONDict, params: JSONDict) -> int | None:
        """The open topic a message goes to (None: the chat, or a forum's General topic)."""
        thread_id = _optional_int(params, "message_thread_id")
        if thread_id is None:
            return None
        topic = self._topics.get((chat["id"], thread_id))
        state = topic["state"] if topic is not None else "deleted"
        if state == "closed":
            raise bad_request("TOPIC_CLOSED")
        if state == "deleted":
            raise bad_request("message thread not found")
        return thread_id

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._target_chat(params)
        return True

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        chat = self._target_chat(params)
        message = self._editable_message(chat["id"], params)
        text, entities = self._message_text(params)
        return self._apply_edit("editMessageText", message, params, text, entities)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        chat = self._target_chat(params)
        message = self._editable_message(chat["id"], params)
        text, entities = message.get("text", ""), message.get("entities", [])
        return self._apply_edit("editMessageReplyMarkup", message, params, text, entities)

    def _apply_edit(
        self,
        method: str,
        message: JSONDict,
        params: JSONDict,
        text: str,
        entities: list[JSONDict],
    ) -> JSONDict:
        """Replace text, entities and keyboard; a missing reply_markup drops the keyboard."""
        markup = self._reply_markup(params)
        keyboard = markup if markup is not None and markup.get("inline_keyboard") else None
        before = (message.get("text"), message.get("entities", []), message.get("reply_markup"))
        if before == (text, entities, keyboard):
            raise bad_request(NOT_MODIFIED)
        message.update(text=text, edit_date=int(time.time()))
        message.pop("entities", None)
        message.pop("reply_markup", None)
        if entities:
            message["entities"] = entities
        if keyboard is not None:
            message["reply_markup"] = keyboard
        self._edits.append(
            {
                "method": method,
                "chat_id": message["chat"]["id"],
                "message_id": message["message_id"],
                "text": params.get("text"),
                "parse_mode": params.get("parse_mode"),
                "reply_markup": markup,
                "plain_text": text,
                "entities": entities,
            }
        )
        return copy.deepcopy(message)

    def _delete_message(self, params: JSONDict) -> bool:
        chat = self._target_chat(params)
        key = (chat["id"], _required_int(params, "message_id"))
        if self._messages.pop(key, None) is None:
            raise bad_request("message to delete not found")
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise bad_request(QUERY_TOO_OLD)
        self._callback_queries[query_id] = True
        return True

    # ------------------------------------------------------------ chats & members

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **copy.deepcopy(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = _required_int(params, "user_id")
        if user_id not in self._users:
            raise bad_request("user not found")
        looks_at_others = user_id != self.bot_id
        if (
            chat["type"] == "channel"
            and looks_at_others
            and self._status(chat, self.bot_id) != "administrator"
        ):
            raise bad_request("member list is inaccessible")  # only channel admins may look
        rights = self._rights.get((chat["id"], user_id), {})
        return self._member_object(user_id, self._status(chat, user_id), rights)

    def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            self._member_object(user_id, self._status(chat, user_id))
            for user_id in self._users
            if self._status(chat, user_id) in {"creator", "administrator"}
        ]
        return sorted(admins, key=lambda member: member["status"] != "creator")

    def _status(self, chat: JSONDict, user_id: int) -> str:
        """A set status, else the natural default: the bot is in every chat it knows."""
        status = self._members.get((chat["id"], user_id))
        if status is not None:
            return status
        if user_id == self.bot_id:
            return "administrator" if chat["type"] == "channel" else "member"
        return "member" if chat["type"] == "private" and chat["id"] == user_id else "left"

    def _member_object(
        self, user_id: int, status: str, rights: dict[str, bool] | None = None
    ) -> JSONDict:
        member: JSONDict = {"status": status, "user": copy.deepcopy(self._user(user_id))}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_post_messages=True,
                can_edit_messages=True,
                can_pin_messages=True,
            )
            member.update(rights or {})
        elif status == "kicked":
            member["until_date"] = 0
        return member

    # ------------------------------------------------------------ helpers

    def _user(self, user_id: int) -> JSONDict:
        """A known user, or a new one named after the id."""
        if user_id not in self._users:
            self._users[user_id] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        return self._users[user_id]

    def _chat(self, chat_id: int) -> JSONDict:
        """A registered chat, for the test-side helpers."""
        if chat_id not in self._chats:
            raise KeyError(f"unknown chat {chat_id}; register it with add_chat() first")
        return self._chats[chat_id]

    def _resolve_chat(self, value: Any) -> JSONDict:
        """The chat named by a chat_id parameter (an id or an @username)."""
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == value[1:].lower():
                    return chat
            raise bad_request("chat not found")
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request("chat not found")
        if value in self._chats:
            return self._chats[value]
        raise bad_request("chat not found")

    def _target_chat(self, params: JSONDict) -> JSONDict:
        """The chat a message goes to, after the migration and blocking checks."""
        chat = self._resolve_chat(params.get("chat_id"))
        if chat["id"] in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat["id"]]},
            )
        if chat["id"] in self._blocked:
            raise ApiError(403, self._blocked[chat["id"]])
        return chat

    def _check_failure(self, chat_id: int) -> None:
        failure = self._failures.get(chat_id)
        if not failure:
            return
        status, times, description = failure
        if times <= 1:
            del self._failures[chat_id]
        else:
            failure[1] = times - 1
        raise ApiError(status, description)

    def _check_flood(self, chat_id: int) -> None:
        flood = self._floods.get(chat_id)
        if not flood:
            return
        retry_after, times = flood
        if times <= 1:
            del self._floods[chat_id]
        else:
            flood[1] = times - 1
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def _message_text(self, params: JSONDict) -> tuple[str, list[JSONDict]]:
        """Visible text and entities of a text parameter, validated as Telegram does."""
        raw = params.get("text")
        if not isinstance(raw, str):
            raw = "" if raw is None else json.dumps(raw)
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_request("strings must be encoded in UTF-8") from None
        text, entities = self._parse(raw, params.get("parse_mode"), params.get("entities"))
        text, entities = strip_message(text, entities)
        if not text:
            raise bad_request("message text is empty")
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
        return text, entities

    def _parse(self, raw: str, parse_mode: Any, entities: Any) -> tuple[str, list[JSONDict]]:
        mode = str(parse_mode or "").lower()
        if mode == "html":
            try:
                return parse_html(raw, strict_gt=self.strict_gt)
            except HtmlError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        if mode not in {"", "markdown", "markdownv2"}:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        return raw, list(entities) if isinstance(entities, list) else []

    def _reply_markup(self, params: JSONDict) -> JSONDict | None:
        """The decoded reply_markup; inline buttons' callback_data must fit 64 bytes."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
        return copy.deepcopy(markup)

    def _editable_message(self, chat_id: int, params: JSONDict) -> JSONDict:
        stored = self._messages.get((chat_id, _required_int(params, "message_id")))
        if stored is None:
            raise bad_request("message to edit not found")
        message, by_bot = stored
        if not by_bot:
            raise bad_request("message can't be edited")
        return message

    def _new_message(
        self, chat: JSONDict, text: str, entities: list[JSONDict], *, by_bot: bool
    ) -> JSONDict:
        """A Message in the chat with the next id; bot messages are stored here."""
        message_id = self._next_message_id.get(chat["id"], 1)
        self._next_message_id[chat["id"]] = message_id + 1
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": copy.deepcopy(chat),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if by_bot:
            message["from"] = copy.deepcopy(self.bot_user)
            if chat["type"] == "channel":
                message["sender_chat"] = copy.deepcopy(chat)
            self._messages[(chat["id"], message_id)] = (message, True)
        return message

    def _callback_message(self, chat: JSONDict, message_id: int | None) -> JSONDict:
        """The bot message a button belongs to: the given one or the bot's latest."""
        ours = [
            mid
            for (cid, mid), (_, by_bot) in self._messages.items()
            if cid == chat["id"] and by_bot
        ]
        if message_id is None and ours:
            message_id = max(ours)
        if message_id not in ours:
            raise KeyError(f"the bot has no message {message_id} in chat {chat['id']}")
        return copy.deepcopy(self._messages[(chat["id"], message_id)][0])


def command_entities(text: str) -> list[JSONDict]:
    """A bot_command entity for a leading ``/command`` or ``/command@bot``, as Telegram adds."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def _check_webhook_url(url: str) -> None:
    """Refuse a webhook URL as Telegram does: https only, on one of four ports."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    try:
        port = parts.port or 443
    except ValueError:
        raise bad_request("bad webhook: invalid port in the URL") from None
    if port not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def post_json(url: str, body: JSONDict, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` as JSON to ``url`` directly (no proxy); the HTTP status of the answer."""
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def _optional_int(params: JSONDict, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"invalid {name} specified")
    return int(value)


def _required_int(params: JSONDict, name: str) -> int:
    value = _optional_int(params, name)
    if value is None:
        raise bad_request(f"{name} is empty")
    return value


async def say(api: FakeBotAPI, chat: int, user: int | None, text: str, count: int) -> str:
    """Send ``text`` from the user; the chat's ``count``-th message (the bot's answer, when
    the test counts the chat's messages itself), as plain text."""
    api.push_message(chat, user, text)
    return str((await api.wait_sent_async(chat, count))[count - 1]["plain_text"])
