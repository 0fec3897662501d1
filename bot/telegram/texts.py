"""Every reply the bot writes, in English and Russian. ``{}`` fields are filled escaped."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "<b>newsbot</b> watches news feeds and alerts this chat when a story matches "
        "a watchlist.\n\nTap a watchlist to subscribe, or send /help.",
        "ru": "<b>newsbot</b> следит за новостными лентами и присылает в этот чат новости, "
        "совпавшие со списками наблюдения.\n\nНажмите на список, чтобы подписаться, "
        "или отправьте /help.",
    },
    "help": {
        "en": "<b>Commands</b>\n/lists: every watchlist, with buttons\n"
        "/sub NAME…: subscribe this chat\n/unsub NAME…|all: unsubscribe\n"
        "/watch QUERY: a personal rule for this chat\n/unwatch N…|all: remove rules\n"
        "/my: this chat's subscriptions and rules\n/help: this message\n\n"
        "<b>Queries</b> (watchlist rules and /watch)\n<code>Rosatom</code> a word, any case\n"
        "Words match in their inflected forms: Росатом → Росатома, Tokayev → Tokayev's\n"
        "<code>=Astana</code> this form only\n"
        "<code>CSTO</code> capitals: only in capitals\n"
        '<code>"Middle Corridor"</code> a phrase\n<code>Kazakh*</code> a prefix\n'
        "<code>A AND B</code>, <code>A OR B</code>, <code>NOT A</code>, <code>-A</code>, "
        "<code>( )</code>\n<code>Putin NEAR/5 Astana</code> at most 5 words apart\n"
        "<code>title:Rosatom</code> only in the title; also <code>summary:</code>, "
        "<code>content:</code>, <code>link:</code>",
        "ru": "<b>Команды</b>\n/lists: все списки, с кнопками\n"
        "/sub ИМЯ…: подписать этот чат\n/unsub ИМЯ…|all: отписать\n"
        "/watch ЗАПРОС: личное правило для этого чата\n/unwatch N…|all: удалить правила\n"
        "/my: подписки и правила этого чата\n/help: эта справка\n\n"
        "<b>Запросы</b> (правила списков и /watch)\n<code>Росатом</code> слово в любом регистре\n"
        "Слова ищутся и в других формах: Росатом → Росатома, Tokayev → Tokayev's\n"
        "<code>=Астана</code> только эта форма\n"
        "<code>ОДКБ</code> заглавными: только заглавными\n"
        '<code>"Средний коридор"</code> фраза\n<code>Казах*</code> начало слова\n'
        "<code>A AND B</code>, <code>A OR B</code>, <code>NOT A</code>, <code>-A</code>, "
        "<code>( )</code>\n<code>Путин NEAR/5 Астана</code> не дальше 5 слов друг от друга\n"
        "<code>title:Росатом</code> только в заголовке; также <code>summary:</code>, "
        "<code>content:</code>, <code>link:</code>",
    },
    "lists": {
        "en": "<b>Watchlists</b> (tap to subscribe or unsubscribe)",
        "ru": "<b>Списки наблюдения</b> (нажмите, чтобы подписаться или отписаться)",
    },
    "no_lists": {
        "en": "No watchlists are configured yet.",
        "ru": "Списки наблюдения ещё не настроены.",
    },
    "sub_usage": {
        "en": "Usage: /sub NAME… (see /lists)",
        "ru": "Использование: /sub ИМЯ… (см. /lists)",
    },
    "unsub_usage": {"en": "Usage: /unsub NAME…|all", "ru": "Использование: /unsub ИМЯ…|all"},
    "subscribed": {"en": "Subscribed: {}", "ru": "Подписка оформлена: {}"},
    "already": {"en": "Already subscribed: {}", "ru": "Уже подписаны: {}"},
    "unsubscribed": {"en": "Unsubscribed: {}", "ru": "Подписка отменена: {}"},
    "not_subscribed": {"en": "Not subscribed to: {}", "ru": "Нет подписки на: {}"},
    "unknown": {"en": "Unknown watchlist: {}. Known: {}", "ru": "Нет такого списка: {}. Есть: {}"},
    "admins_only": {
        "en": "Only the chat's administrators can change its subscriptions.",
        "ru": "Менять подписки чата могут только его администраторы.",
    },
    "my_subs": {"en": "<b>Subscriptions</b>: {}", "ru": "<b>Подписки</b>: {}"},
    "my_rules": {"en": "<b>Personal rules</b>: {}", "ru": "<b>Личные правила</b>: {}"},
    "my_settings": {
        "en": "<b>Mute</b>: off · <b>Digest</b>: off",
        "ru": "<b>Без звука</b>: нет · <b>Дайджест</b>: нет",
    },
    "none": {"en": "none", "ru": "нет"},
    "cmd_start": {"en": "Welcome and the watchlists", "ru": "Приветствие и списки"},
    "cmd_lists": {"en": "Every watchlist, with buttons", "ru": "Все списки, с кнопками"},
    "cmd_sub": {"en": "Subscribe: /sub NAME", "ru": "Подписаться: /sub ИМЯ"},
    "cmd_unsub": {"en": "Unsubscribe: /unsub NAME or all", "ru": "Отписаться: /unsub ИМЯ или all"},
    "cmd_my": {"en": "This chat's subscriptions", "ru": "Подписки этого чата"},
    "cmd_help": {"en": "Commands and query syntax", "ru": "Команды и синтаксис запросов"},
    "watch_usage": {
        "en": "Usage: /watch QUERY, e.g. <code>/watch Rosatom AND Kazakhstan</code> (see /help)",
        "ru": "Использование: /watch ЗАПРОС, например <code>/watch Росатом AND Казахстан</code>",
    },
    "watching": {
        "en": "Rule {} added: <code>{}</code>",
        "ru": "Правило {} добавлено: <code>{}</code>",
    },
    "bad_query": {
        "en": "This query does not parse: {}\n<pre>{}</pre>",
        "ru": "Запрос не разобран: {}\n<pre>{}</pre>",
    },
    "rule_too_long": {
        "en": "A rule may have at most {} characters; this one has {}.",
        "ru": "В правиле не больше {} символов; здесь {}.",
    },
    "too_many_terms": {
        "en": "A rule may have at most {} terms; this one has {}.",
        "ru": "В правиле не больше {} терминов; здесь {}.",
    },
    "too_many_rules": {
        "en": "A chat may have at most {} personal rules; remove some with /unwatch.",
        "ru": "В чате не больше {} личных правил; удалите лишние через /unwatch.",
    },
    "unwatch_usage": {
        "en": "Usage: /unwatch N… or /unwatch all (this chat has {} rules; see /my)",
        "ru": "Использование: /unwatch N… или /unwatch all (правил в чате: {}; см. /my)",
    },
    "unwatched": {"en": "Rules removed: {}", "ru": "Удалено правил: {}"},
    "status_admins": {
        "en": "/status is for the bot's admins.",
        "ru": "/status доступна только администраторам бота.",
    },
    "status_ok": {"en": "All {} feeds are healthy.", "ru": "Все ленты ({}) в порядке."},
    "status_service": {
        "en": "Outbox: {} waiting, {} failed · {} active chats, {} subscriptions · "
        "up {} · newsbot {}",
        "ru": "Очередь: ждут {}, не доставлено {} · активных чатов: {}, подписок: {} · "
        "работает {} · newsbot {}",
    },
    "status_head": {
        "en": "<b>{} of {} feeds need attention</b>",
        "ru": "<b>Проблемы у {} из {} лент</b>",
    },
    "cmd_watch": {"en": "Personal rule: /watch QUERY", "ru": "Личное правило: /watch ЗАПРОС"},
    "cmd_unwatch": {
        "en": "Remove rules: /unwatch N or all",
        "ru": "Удалить правила: /unwatch N или all",
    },
    "too_many": {
        "en": "Too many commands; try again in {} s.",
        "ru": "Слишком много команд; попробуйте через {} с.",
    },
    "toggled_on": {"en": "Subscribed to {}", "ru": "Подписка на {}"},
    "toggled_off": {"en": "Unsubscribed from {}", "ru": "Отписка от {}"},
}


def text(key: str, lang: str) -> str:
    """The reply ``key`` in ``lang`` (English when the language is unknown)."""
    variants = TEXTS[key]
    return variants.get(lang, variants["en"])


def language(code: str | None) -> str:
    """A Telegram ``language_code`` -> ``ru`` or ``en``."""
    return "ru" if code and code.lower().split("-")[0] in ("ru", "be", "uk", "kk") else "en"
