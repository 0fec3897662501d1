"""A fake transport for the sender's tests: no network, answers scripted per chat.

:class:`FakeTransport` implements :class:`bot.delivery.sender.Transport`. Every send is
recorded; each chat answers from its script in order, then with ``Sent()``::

    transport = FakeTransport()
    transport.script(ALICE, [SendFailed("Bad Gateway", permanent=False), Sent()])
    transport.script(GROUP, [Migrated(-100500)])
    transport.script(BOB, [RuntimeError("boom")])  # an exception is raised, not returned
    await Sender(store, transport).drain()
    assert transport.delivered == [(ALICE, message)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from bot.delivery.sender import SendResult, Sent
from bot.messages import Message

Answer = SendResult | BaseException


class FakeTransport:
    """Records ``(chat_id, message)`` of every send and answers from per-chat scripts."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Message]] = []  # every attempt, whatever its answer
        self.delivered: list[tuple[int, Message]] = []  # the attempts answered Sent()
        self.threads: list[int | None] = []  # the forum topic of each attempt, as ``sent``
        self.edits: list[tuple[int, int, Message]] = []  # (chat, message id, message) tried
        self.edit_answers: deque[Answer] = deque()  # answers to edits, then Sent(message id)
        self.on_edit: Callable[[int, int], None] | None = None  # runs before answering
        self.on_send: Callable[[int, Message], None] | None = None  # runs before answering
        self._scripts: dict[int, deque[Answer]] = {}

    def script(self, chat_id: int, answers: Iterable[Answer]) -> None:
        """Answer the chat's next sends with ``answers``, in order (appended to any left)."""
        self._scripts.setdefault(chat_id, deque()).extend(answers)

    def to(self, chat_id: int) -> list[Message]:
        """The messages sent to ``chat_id``, attempts that failed included."""
        return [message for chat, message in self.sent if chat == chat_id]

    async def send(
        self, chat_id: int, message: Message, thread_id: int | None = None
    ) -> SendResult:
        self.sent.append((chat_id, message))
        self.threads.append(thread_id)
        if self.on_send is not None:
            self.on_send(chat_id, message)
        script = self._scripts.get(chat_id)
        answer: Answer = script.popleft() if script else Sent()
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Sent):
            self.delivered.append((chat_id, message))
            return Sent(len(self.delivered)) if answer.message_id is None else answer
        return answer

    async def edit(self, chat_id: int, message_id: int, message: Message) -> SendResult:
        self.edits.append((chat_id, message_id, message))
        if self.on_edit is not None:
            self.on_edit(chat_id, message_id)
        answer = self.edit_answers.popleft() if self.edit_answers else Sent(message_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer
