"""What the bot says, in Chinese and in English."""

from __future__ import annotations

from dataclasses import dataclass

from ..citations import NOTHING_FOUND, Language

__all__ = ["COMMANDS", "Phrases", "phrases"]


@dataclass(frozen=True, slots=True)
class Phrases:
    """Every sentence the bot sends, in one language; ``{}`` fields are filled in by the caller."""

    start: str
    help: str
    about: str
    about_files: str
    mode_hybrid: str
    mode_lexical: str
    no_model: str
    nothing_found: str
    ask_usage: str
    too_long: str
    not_text: str
    unknown_command: str
    not_allowed: str
    throttled: str
    admin_only: str
    reindex_started: str
    reindex_busy: str
    reindex_done: str
    reindex_fresh: str
    reindex_failed: str
    apology: str
    more: str
    back: str
    passage: str
    thanks: str
    expired: str
    gone: str
    no_more: str
    inline_help: str
    inline_nothing: str
    open_paragraph: str
    this_paragraph: str
    also_in: str
    too_many_questions: str
    new_conversation: str
    new_in_group: str


ZH = Phrases(
    start="你好！我根据资料库回答问题：找出回答问题的段落，答句加粗，并注明出处（文章、小节、段落、"
    "文件和行号）。\n\n直接发来你的问题就可以。发送 /help 查看更多用法。",
    help="用法\n"
    "• 私聊：直接发送问题。\n"
    "• 群组：/ask 问题；或回复我的消息；或 @{bot} 问题。\n"
    "• 任何聊天中输入 @{bot} 问题，再从列表中选一条发送。\n\n"
    "每个回答列出最相关的段落，答句加粗，并附出处。回答下方的按钮：📄 查看整段及前后段，"
    "“更多结果”翻页，👍/👎 告诉我答得好不好。\n\n"
    "一条消息里可以有多个问题，每行一个，会在同一条回复里逐一回答。\n\n"
    "可以接着问：私聊中紧接着上一个回答的追问（如“受教育多少人次？”“那普兰县呢？”）"
    "会结合上文理解，并在回答上方显示“理解为：……”；回复我的某个回答，就接着那一问。"
    "发送 /new 开始新的对话。\n\n"
    "群组管理员请注意：机器人默认开启隐私模式，只能看到命令和对它消息的回复；"
    "要让 @{bot} 提问也能被回答，请在 @BotFather 中用 /setprivacy 关闭隐私模式，"
    "或把机器人设为群管理员。\n\n"
    "/about 资料库里有什么",
    about="资料库：{files} 个文件，{paragraphs} 个段落\n"
    "模型：{model}（{mode}）\n"
    "建立时间：{built}\n"
    "索引版本：{version}",
    about_files="\n\n文件：\n{names}",
    mode_hybrid="词语与语义混合检索",
    mode_lexical="仅按词语检索",
    no_model="无",
    nothing_found=NOTHING_FOUND["zh"],
    ask_usage="请把问题写在 /ask 后面，例如：/ask 你的问题",
    too_long="这个问题有 {length} 个字，太长了。请用不超过 {limit} 个字提问。",
    not_text="请用文字发送问题。",
    unknown_command="没有这个命令。发送 /help 查看用法。",
    not_allowed="抱歉，这个机器人只在指定的聊天中回答问题。",
    throttled="提问太快啦，请过一分钟再问。",
    admin_only="只有管理员可以重建索引。",
    reindex_started="正在根据资料文件夹重建索引，期间照常回答问题……",
    reindex_busy="索引正在重建，请稍候。",
    reindex_done="索引已重建：{files} 个文件，{paragraphs} 个段落（{mode}），"
    "用时 {seconds:.1f} 秒。现在使用版本 {version}。",
    reindex_fresh="资料没有变化，索引已是最新。",
    reindex_failed="重建失败：{error}\n仍在使用原来的索引（版本 {version}）。",
    apology="抱歉，出了点问题，请稍后再试。",
    more="更多结果 ▸",
    back="◂ 上一页",
    passage="📄 {rank}",
    thanks="谢谢反馈！",
    expired="这个按钮已失效，请重新提问。",
    gone="这一段已不在资料库中（资料已更新）。",
    no_more="没有更多结果了。",
    inline_help="如何使用",
    inline_nothing="没有找到答案，点此查看用法",
    open_paragraph="📄 查看整段",
    this_paragraph="▶ ",
    also_in="同见：",
    too_many_questions="一次最多回答 {limit} 个问题，其余 {rest} 个请另发。",
    new_conversation="好的，开始新的对话：下一个问题不再结合上文。",
    new_in_group="在群组中，/ask 总是开始新的对话；回复我的某个回答，就接着那一问。",
)

EN = Phrases(
    start="Hello! I answer questions from a library of documents: I find the paragraphs that "
    "answer, put the answering sentence in bold, and cite where each one is (article, section, "
    "paragraph, file and line).\n\nJust send me a question. Send /help for more.",
    help="How to ask\n"
    "• In a private chat: send the question.\n"
    "• In a group: /ask QUESTION, reply to one of my messages, or write @{bot} QUESTION.\n"
    "• In any chat: type @{bot} QUESTION and pick an answer from the list.\n\n"
    "Each answer lists the most relevant paragraphs with the answering sentence in bold and "
    "where it stands. Buttons under it: 📄 the whole paragraph with its neighbours, “More” for "
    "the next results, 👍/👎 to say whether it helped.\n\n"
    "Several questions in one message, one a line, are each answered in one reply.\n\n"
    "Follow-ups work: in a private chat, a question right after an answer that reads as a "
    "follow-up of it (“and in 2018?”) is read in its context, and the answer shows how it was "
    "understood (“Understood as: …”); a reply to one of my answers continues that one. Send "
    "/new to start a new conversation.\n\n"
    "For group admins: with privacy mode on (Telegram's default) a bot sees only commands and "
    "replies to its messages. For @{bot} QUESTION to be answered, turn privacy mode off with "
    "@BotFather's /setprivacy, or make the bot an admin of the group.\n\n"
    "/about what is in the library",
    about="Library: {files_counted}, {paragraphs_counted}\n"
    "Model: {model} ({mode})\n"
    "Built: {built}\n"
    "Index version: {version}",
    about_files="\n\nFiles:\n{names}",
    mode_hybrid="hybrid search: words and meaning",
    mode_lexical="word search only",
    no_model="none",
    nothing_found=NOTHING_FOUND["en"],
    ask_usage="Put your question after the command: /ask YOUR QUESTION",
    too_long="That question is {length} characters long; please ask in at most {limit}.",
    not_text="Please send your question as text.",
    unknown_command="I don't know that command. Send /help to see what I can do.",
    not_allowed="Sorry, this bot only answers in the chats it has been set up for.",
    throttled="You're asking faster than I can answer; please wait a minute and ask again.",
    admin_only="Only the bot's admins can rebuild the index.",
    reindex_started="Rebuilding the index from the seeds folder; questions are still answered "
    "meanwhile…",
    reindex_busy="The index is being rebuilt already; please wait.",
    reindex_done="Index rebuilt: {files_counted}, {paragraphs_counted} ({mode}) in {seconds:.1f} "
    "s. Now answering from version {version}.",
    reindex_fresh="Nothing changed in the seeds folder; the index is up to date.",
    reindex_failed="The rebuild failed: {error}\nStill answering from the previous index "
    "(version {version}).",
    apology="Sorry, something went wrong; please try again in a moment.",
    more="More ▸",
    back="◂ Back",
    passage="📄 {rank}",
    thanks="Thanks for the feedback!",
    expired="This button has expired; please ask again.",
    gone="That paragraph is no longer in the library (the documents changed).",
    no_more="There are no more results.",
    inline_help="How to use this bot",
    inline_nothing="Nothing found; tap for help",
    open_paragraph="📄 Whole paragraph",
    this_paragraph="▶ ",
    also_in="also in:",
    too_many_questions="I answer at most {limit} questions a message; send the other {rest} again.",
    new_conversation="OK, a new conversation: your next question is read on its own.",
    new_in_group="In a group, /ask always starts a new conversation; a reply to one of my "
    "answers continues that one.",
)

_BY_LANGUAGE: dict[Language, Phrases] = {"zh": ZH, "en": EN}

COMMANDS: dict[Language, list[tuple[str, str]]] = {
    "en": [
        ("start", "What this bot does"),
        ("help", "How to ask"),
        ("ask", "Ask a question (in groups)"),
        ("new", "Start a new conversation"),
        ("about", "What is in the library"),
    ],
    "zh": [
        ("start", "这个机器人能做什么"),
        ("help", "用法"),
        ("ask", "提问（在群组中使用）"),
        ("new", "开始新的对话"),
        ("about", "资料库里有什么"),
    ],
}
"""The command menu, registered with ``setMyCommands`` per language (English is the default)."""


def phrases(language: Language) -> Phrases:
    """The phrases in ``language``."""
    return _BY_LANGUAGE[language]
