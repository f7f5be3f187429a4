"""A fake Telegram Bot API server on 127.0.0.1: real HTTP, as strict as Telegram where a bot slips.

It speaks the methods seedqa uses (getMe, getUpdates with long polling, setWebhook, deleteWebhook,
setMyCommands, sendMessage, sendMessageDraft, editMessageText, sendChatAction, setMessageReaction,
answerCallbackQuery, answerInlineQuery) and checks what Telegram checks: at most 4096 characters
counted in UTF-16 code units after the HTML is parsed, HTML Telegram cannot parse (unknown,
unclosed or mismatched tags, bad entities), callback data over 64 bytes, an edit that changes
nothing, answering a button press twice, a draft outside a private chat or with draft_id 0, a
reaction that is not one of Telegram's emoji (or not one the chat allows), more than one, or on
a message that does not exist. It records every call, pushes updates to a webhook when one is set, and can be told
to fail: a 429 with ``retry_after``, a 5xx, a 403 from a user who blocked the bot, a 400 for a
group that became a supergroup, a dropped connection, a slow answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram.constants import ReactionEmoji

from tests.telegram.telegramhtml import TelegramHTMLError, parse_html, utf16_length

TOKEN = "4242424242:AAF-fake_token_for_seedqa_tests_0123456"
BOT_ID = 4242424242
USERNAME = "seedqa_test_bot"
BOT = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "SeedQA",
    "username": USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
LIMIT = 4096
MAX_CALLBACK_BYTES = 64
REACTIONS = frozenset(emoji.value for emoji in ReactionEmoji)
"""The emoji a bot may react with (Telegram's list)."""

T = TypeVar("T")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


# --- Records ------------------------------------------------------------------------------------


@dataclass
class Call:
    """One request the bot made, and how the fake answered it."""

    method: str
    params: dict[str, Any]
    at: float
    status: int | str = "pending"


@dataclass
class Sent:
    """A message the bot sent, as it stands now."""

    message: dict[str, Any]
    html: str | None
    reply_to: int | None
    at: float
    edits: int = 0

    @property
    def chat_id(self) -> int:
        return int(self.message["chat"]["id"])

    @property
    def message_id(self) -> int:
        return int(self.message["message_id"])

    @property
    def text(self) -> str:
        return str(self.message["text"])

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.message.get("reply_markup") or {"inline_keyboard": []}
        return [button for row in markup["inline_keyboard"] for button in row]

    def button(self, starts: str) -> dict[str, Any]:
        """The first button whose text starts with ``starts``."""
        for button in self.buttons:
            if button["text"].startswith(starts):
                return button
        raise AssertionError(f"no button {starts!r} in {[b['text'] for b in self.buttons]}")

    def bold(self) -> list[str]:
        """The bold stretches of the text."""
        return _styled(self.message, "bold")


def _styled(message: dict[str, Any], kind: str) -> list[str]:
    units = message["text"].encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == kind
    ]


@dataclass
class Draft:
    """One draft the bot streamed into a private chat."""

    chat_id: int
    draft_id: int
    text: str
    at: float


@dataclass
class Fault:
    """An error to answer instead of doing the call (``times`` times)."""

    method: str
    status: int = 0
    description: str = ""
    parameters: dict[str, Any] | None = None
    times: int = 1
    chat_id: int | None = None
    drop: bool = False
    """Close the connection without answering."""
    delay: float = 0.0
    """Hold the request this long first; if the bot gave up meanwhile, it is not carried out."""


# --- The server ---------------------------------------------------------------------------------

_STRING_PARAMS = {
    "text",
    "parse_mode",
    "callback_query_id",
    "inline_query_id",
    "inline_message_id",
    "url",
    "secret_token",
    "language_code",
    "action",
    "next_offset",
    "description",
}


class _Endpoint(tornado.web.RequestHandler):
    def initialize(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self.gone = False

    def on_connection_close(self) -> None:
        self.gone = True

    async def post(self, token: str, method: str) -> None:
        await self.fake._serve(self, token, method)

    get = post


class FakeBotAPI:
    """The fake server: start it, point the bot at ``base_url``, push updates, read the calls."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.updates: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.webhook: dict[str, Any] | None = None
        self.deliveries: list[tuple[int, int | str]] = []
        self.commands: dict[str | None, list[dict[str, str]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.drafts: list[Draft] = []
        self.reactions: dict[tuple[int, int], list[str]] = {}
        """The bot's reaction on each message, as it stands now."""
        self.reaction_log: list[tuple[int, int, list[str], float]] = []
        """Every reaction set: chat, message, emoji (none: removed), when."""
        self._incoming: set[tuple[int, int]] = set()
        self._callbacks: set[str] = set()
        self._inline_queries: set[str] = set()
        self._messages: dict[tuple[int, int], Sent] = {}
        self._replies: dict[tuple[int | None, int], list[Sent]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self._closing = False

    # -- life --

    async def start(self) -> None:
        app = tornado.web.Application([(r"/bot([^/]+)/(\w+)", _Endpoint, {"fake": self})])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        self._closing = True
        self._signal()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        if self._client is not None:
            await self._client.aclose()

    @property
    def base_url(self) -> str:
        """The root URL of the fake Bot API (what TELEGRAM_BASE_URL is set to)."""
        return f"http://127.0.0.1:{self.port}"

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- telling it to fail --

    def fail(self, method: str, status: int = 0, description: str = "", **kwargs: Any) -> Fault:
        """Answer the next call(s) of ``method`` with an error (or a drop, or a delay)."""
        fault = Fault(method, status, description, **kwargs)
        self.faults.append(fault)
        return fault

    def flood(self, method: str, retry_after: int = 1, **kwargs: Any) -> Fault:
        """A 429 Too Many Requests with ``retry_after``."""
        return self.fail(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
            **kwargs,
        )

    def block(self, chat_id: int) -> None:
        """The user of this private chat blocked the bot: every send is a 403."""
        self.blocked.add(chat_id)

    def allow_reactions(self, chat_id: int, *emoji: str) -> None:
        """This chat allows only these reactions (none at all when none are given)."""
        self.chat(chat_id)["available_reactions"] = [{"type": "emoji", "emoji": e} for e in emoji]

    def migrate(self, old: int, new: int) -> None:
        """This group became supergroup ``new``: every call to the old id is a 400 naming it."""
        self.migrated[old] = new
        self.chats[new] = {"id": new, "type": "supergroup", "title": "Group"}

    # -- pushing updates --

    def user(self, user_id: int, language: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language:
            user["language_code"] = language
        return user

    def chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self.chats:
            self.chats[chat_id] = (
                {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
                if chat_id > 0
                else {"id": chat_id, "type": "supergroup", "title": f"Group{-chat_id}"}
            )
        return self.chats[chat_id]

    def message(
        self,
        text: str | None,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        language: str | None = "zh-hans",
        reply_to: Sent | dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A user's message arrives (in their private chat unless ``chat_id`` says otherwise)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(user_id if chat_id is None else chat_id),
            "from": self.user(user_id, language),
            **fields,
        }
        if text is not None:
            message["text"] = text
            entities = _entities(text)
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = (
                reply_to.message if isinstance(reply_to, Sent) else reply_to
            )
        self._incoming.add((message["chat"]["id"], message["message_id"]))
        self.push({"message": message})
        return message

    def press(
        self, sent: Sent, data: str, *, user_id: int = 1001, language: str | None = "zh-hans"
    ) -> str:
        """A user presses a button with this callback data under a message the bot sent."""
        query_id = f"cb{next(self._query_ids)}"
        self._callbacks.add(query_id)
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id, language),
                    "message": sent.message,
                    "chat_instance": "ci1",
                    "data": data,
                }
            }
        )
        return query_id

    def inline(self, query: str, *, user_id: int = 1001, language: str | None = "zh-hans") -> str:
        """A user types ``@bot query`` in some chat."""
        query_id = f"iq{next(self._query_ids)}"
        self._inline_queries.add(query_id)
        self.push(
            {
                "inline_query": {
                    "id": query_id,
                    "from": self.user(user_id, language),
                    "query": query,
                    "offset": "",
                    "chat_type": "sender",
                }
            }
        )
        return query_id

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, or post it to the webhook when one is set."""
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook is None:
            self.updates.append(update)
        else:
            self._spawn(self._deliver(update))
        self._signal()
        return update

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, update: dict[str, Any]) -> None:
        assert self.webhook is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        if self._client is None:
            self._client = httpx.AsyncClient()
        try:
            response = await self._client.post(
                self.webhook["url"], content=json.dumps(update), headers=headers, timeout=10
            )
            status: int | str = response.status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        self.deliveries.append((update["update_id"], status))
        self._signal()

    # -- reading what happened --

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages_in(self, chat_id: int) -> list[Sent]:
        return [sent for sent in self.sent if sent.chat_id == chat_id]

    def replies_to(self, message: dict[str, Any]) -> list[Sent]:
        """The bot's messages sent in reply to this one (in its chat, or where it migrated)."""
        chat = message["chat"]["id"]
        return [
            *self._replies.get((chat, message["message_id"]), []),
            *self._replies.get((self.migrated.get(chat), message["message_id"]), []),
        ]

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 10.0) -> T:
        """The first true value of ``predicate``, checked after every call and update."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                summary = [(c.method, c.status) for c in self.calls[-20:]]
                raise AssertionError(f"timed out; last calls: {summary}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def reply(self, message: dict[str, Any], timeout: float = 10.0) -> Sent:
        """The bot's (first) reply to a message."""
        replies = await self.wait_for(lambda: self.replies_to(message), timeout)
        return replies[0]

    async def answer_to(self, query_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The bot's answer to a button press or an inline query."""
        return await self.wait_for(
            lambda: self.callback_answers.get(query_id) or self.inline_answers.get(query_id),
            timeout,
        )

    # -- serving --

    async def _serve(self, handler: _Endpoint, token: str, method: str) -> None:
        params = _params(handler)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        self._signal()
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            fault = self._fault(method, params)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
                if handler.gone:
                    call.status = "gone"
                    return
            if fault is not None and fault.drop:
                call.status = "dropped"
                handler.request.connection.stream.close()  # type: ignore[union-attr]
                return
            if fault is not None and fault.status:
                raise ApiError(fault.status, fault.description, fault.parameters)
            action = getattr(self, f"_{method}", None)
            if action is None:
                raise ApiError(404, "Not Found: method not found")
            result = await action(params)
            call.status = 200
            _respond(handler, 200, {"ok": True, "result": result})
        except ApiError as error:
            call.status = error.status
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            _respond(handler, error.status, body)
        finally:
            self._signal()

    def _fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.times <= 0 or fault.method != method:
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            return fault
        return None

    def _reachable(self, chat_id: Any) -> int:
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        return chat_id

    # -- methods --

    async def _getMe(self, params: dict[str, Any]) -> Any:
        return BOT

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self.updates and not self._closing and time.monotonic() < deadline:
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self.updates[: int(params.get("limit") or 100)]

    async def _setWebhook(self, params: dict[str, Any]) -> Any:
        url = params.get("url", "")
        if not url:
            self.webhook = None
            return True
        if not re.fullmatch(r"https?://\S+", url):
            raise ApiError(400, "Bad Request: bad webhook: invalid URL")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        pending, self.updates = self.updates, []
        for update in pending:
            self._spawn(self._deliver(update))
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates = []
        return True

    async def _getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def _setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be a non-empty list")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        self.commands[params.get("language_code")] = commands
        return True

    async def _sendChatAction(self, params: dict[str, Any]) -> Any:
        self._reachable(params.get("chat_id"))
        if params.get("action") not in ("typing", "upload_document", "find_location"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable(params.get("chat_id"))
        text, entities = _text(params.get("text"), params.get("parse_mode"))
        markup = _markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id")
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": BOT,
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        sent = Sent(
            message,
            params.get("text") if params.get("parse_mode") else None,
            reply_to,
            time.monotonic(),
        )
        self.sent.append(sent)
        self._messages[(chat_id, sent.message_id)] = sent
        if reply_to is not None:
            self._replies.setdefault((chat_id, reply_to), []).append(sent)
        return message

    async def _sendMessageDraft(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable(params.get("chat_id"))
        if self.chat(chat_id)["type"] != "private":
            raise ApiError(400, "Bad Request: message drafts can be sent to private chats only")
        draft_id = params.get("draft_id")
        if not isinstance(draft_id, int) or isinstance(draft_id, bool) or draft_id == 0:
            raise ApiError(400, "Bad Request: draft_id must be a non-zero integer")
        text = params.get("text")
        visible = ""
        if text:  # no text (Bot API 10) shows a "Thinking..." placeholder
            visible, _ = _text(text, params.get("parse_mode"))
        self.drafts.append(Draft(chat_id, draft_id, visible, time.monotonic()))
        return True

    async def _setMessageReaction(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable(params.get("chat_id"))
        message_id = params.get("message_id")
        key = (chat_id, message_id)
        if not isinstance(message_id, int) or (
            key not in self._incoming and key not in self._messages
        ):
            raise ApiError(400, "Bad Request: message to react not found")
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list):
            raise ApiError(400, "Bad Request: can't parse reaction types JSON object")
        if len(reaction) > 1:
            raise ApiError(400, "Bad Request: REACTIONS_TOO_MANY")
        allowed = self.chat(chat_id).get("available_reactions")
        emoji = []
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") != "emoji":
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            if item.get("emoji") not in REACTIONS:
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            if allowed is not None and item not in allowed:
                raise ApiError(400, "Bad Request: REACTION_INVALID")
            emoji.append(item["emoji"])
        self.reactions[key] = emoji
        self.reaction_log.append((chat_id, message_id, emoji, time.monotonic()))
        return True

    async def _editMessageText(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable(params.get("chat_id"))
        message_id: Any = params.get("message_id")  # the bot's JSON: an int, or missing
        sent = self._messages.get((chat_id, message_id))
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text, entities = _text(params.get("text"), params.get("parse_mode"))
        markup = _markup(params.get("reply_markup"))
        old = sent.message
        if (
            text == old["text"]
            and entities == old.get("entities", [])
            and markup == old.get("reply_markup")
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message = {k: v for k, v in old.items() if k not in ("text", "entities", "reply_markup")}
        message.update({"text": text, "edit_date": int(time.time())})
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        sent.message = message
        sent.html = params.get("text") if params.get("parse_mode") else None
        sent.edits += 1
        return message

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = params.get("callback_query_id")
        if query_id not in self._callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._callbacks.discard(query_id)
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    async def _answerInlineQuery(self, params: dict[str, Any]) -> Any:
        query_id = params.get("inline_query_id")
        if query_id not in self._inline_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = set()
        for result in results:
            result_id = str(result.get("id", ""))
            if not 1 <= len(result_id.encode()) <= 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result_id in ids:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            ids.add(result_id)
            if result.get("type") != "article" or not result.get("title"):
                raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
            content = result.get("input_message_content") or {}
            text, entities = _text(content.get("message_text"), content.get("parse_mode"))
            result["_visible"], result["_entities"] = text, entities
            _markup(result.get("reply_markup"))
        button = params.get("button")
        if button is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,64}", button.get("start_parameter", "")
        ):
            raise ApiError(400, "Bad Request: START_PARAM_INVALID")
        self._inline_queries.discard(query_id)
        self.inline_answers[query_id] = params
        return True


def _respond(handler: _Endpoint, status: int, body: dict[str, Any]) -> None:
    handler.set_status(status)
    handler.set_header("Content-Type", "application/json")
    handler.finish(json.dumps(body))


def _params(handler: _Endpoint) -> dict[str, Any]:
    request = handler.request
    if request.headers.get("Content-Type", "").startswith("application/json") and request.body:
        return dict(json.loads(request.body))
    params: dict[str, Any] = {}
    for name, values in request.body_arguments.items():
        raw = values[-1].decode()
        if name in _STRING_PARAMS:
            params[name] = raw
            continue
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    return params


def _text(text: Any, parse_mode: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(text, str):
        raise ApiError(400, "Bad Request: message text is empty")
    entities: list[dict[str, Any]]
    if parse_mode is None:
        visible, entities = text, []
    elif str(parse_mode).upper() == "HTML":
        try:
            visible, entities = parse_html(text)
        except TelegramHTMLError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
    else:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode}")
    if not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_length(visible) > LIMIT:
        raise ApiError(400, "Bad Request: message is too long")
    return visible, entities


def _markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
            kinds = [k for k in ("callback_data", "url", "switch_inline_query") if k in button]
            if len(kinds) != 1:
                raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not re.fullmatch(r"(https?|tg)://\S+", url):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    return dict(markup)


def _entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram's app would attach: a leading command and @mentions."""
    entities = []
    command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_length(command[0])})
    for mention in re.finditer(r"(?<![\w/])@[A-Za-z][A-Za-z0-9_]{4,31}", text):
        entities.append(
            {
                "type": "mention",
                "offset": utf16_length(text[: mention.start()]),
                "length": utf16_length(mention[0]),
            }
        )
    return entities
