"""A new user's own news article: who wrote it, what it counts, and its dated dateline.

The article and questions come from a trial by a new user on their own documents (a news article
with a byline and a ``本报青溪3月15日电`` dateline, beside a Markdown handbook).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.render import answer_json, answer_text
from bot.serve.chat import extractive_reply
from bot.telegram.replies import answer_messages
from retrieval import Searcher, build_index, read_index
from retrieval.dialogue.conversation import Conversation, Dialogue
from retrieval.ingest.paragraphs import parse
from retrieval.text.terms import question_terms, searchable
from tests.corpus import SEED

NEWS = """## 青溪县获评全国生态示范县

本报记者 李明华

本报青溪3月15日电  2024年3月12日，生态环境部公布第七批全国生态文明建设示范区名单，青溪县榜上有名。据县长王建国介绍，近五年来，全县累计投入生态保护资金12.6亿元，森林覆盖率由61%提高到74.3%。

王建国表示，青溪县共关停污染企业37家，新建污水处理厂5座，全县地表水优良比例达到100%。县里还组建了一支由860名村民组成的护林队，负责巡护全县42万亩公益林。

下一步，青溪县计划在2026年前建成生态旅游示范带，预计带动农民人均增收2800元。
"""
HANDBOOK = """# 星河科技员工手册

## 公司简介

星河科技有限公司成立于2012年，总部位于杭州市西湖区，现有员工480名。

## 年假与福利

入职满一年的员工享有10天带薪年假，满五年增加到15天。
"""
BYLINE = "本报记者 李明华"
OPENING = "本报青溪3月15日电  2024年3月12日"


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    scratch = tmp_path_factory.mktemp("reporters")
    (scratch / "seeds").mkdir()
    (scratch / "seeds" / "news.txt").write_text(NEWS, encoding="utf-8")
    (scratch / "seeds" / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    build_index(scratch / "seeds", scratch / "index", None, None)
    return Searcher(read_index(scratch / "index"))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    root = tmp_path_factory.mktemp("reporters-page") / "index"
    build_index(SEED.parent, root, None, None)
    return Searcher(read_index(root))


# What a count question counts


def test_a_count_question_picks_the_number_of_what_it_counts_not_a_date(news: Searcher) -> None:
    # 3月12日，生态环境部: a date next to 生态 is no amount of 生态保护资金.
    [hit] = news.ask("青溪县累计投入了多少生态保护资金？", k=1).hits
    assert "12.6亿元" in hit.highlight_text
    assert OPENING not in hit.highlight_text


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("青溪县关停了多少家污染企业？", "37家"),
        ("护林队由多少名村民组成？", "860名村民"),
        ("青溪县的森林覆盖率提高到多少？", "74.3%"),
    ],
)
def test_count_questions_pick_the_sentence_with_their_number(
    news: Searcher, question: str, answer: str
) -> None:
    assert answer in news.ask(question, k=1).hits[0].highlight_text


def test_a_question_for_when_still_takes_the_dates_sentence(news: Searcher) -> None:
    [hit] = news.ask("生态环境部什么时候公布示范区名单？", k=1).hits
    assert "2024年3月12日" in hit.highlight_text


# A dated dateline


def test_a_dated_dateline_names_no_content() -> None:
    assert searchable("本报青溪3月15日电  全县").strip() == "全县"
    assert searchable("新华社北京3月15日电 国务院").strip() == "国务院"
    assert question_terms("本报青溪3月15日电").terms == []


def test_a_dated_dateline_is_the_paragraphs_dateline() -> None:
    assert parse(NEWS, "news.txt").paragraphs[0].dateline == "本报青溪3月15日电"


# Who wrote it


@pytest.mark.parametrize(
    "question",
    ["李明华是谁？", "李明华写了哪些报道？", "《青溪县获评全国生态示范县》的作者是谁？"],
)
def test_when_the_byline_answers_it_is_picked_out_once_for_the_article(
    news: Searcher, question: str
) -> None:
    answer = news.ask(question, k=5)
    [hit] = answer.hits  # one article, not each of its three paragraphs under the byline
    assert hit.byline_answers and hit.highlight_text == BYLINE
    assert hit.source.ordinal == 1  # the article's opening, for what it is about
    shown = answer_text(answer, "seeds")
    assert f"**{BYLINE}**" in shown and shown.count("**") == 2
    assert answer_json(answer)["hits"][0]["highlight"] == BYLINE
    [chunk] = answer_messages(answer, "seeds", "zh")
    assert f"<b>{BYLINE}</b>" in chunk.html and chunk.html.count("<b>") == 1
    reply = extractive_reply(answer, "seeds")
    assert f"**{BYLINE}**" in reply.text and reply.citations[0]["quote"] == BYLINE


def test_a_question_about_what_the_article_says_is_answered_by_its_text(news: Searcher) -> None:
    [hit, *_] = news.ask("王建国表示青溪县关停了多少家污染企业？").hits
    assert not hit.byline_answers and "37家" in hit.highlight_text


def test_this_article_in_a_conversation_is_the_previous_answers(news: Searcher) -> None:
    dialogue = Dialogue(news)
    first = dialogue.ask(Conversation(), "青溪县累计投入了多少生态保护资金？")
    reply = dialogue.ask(first.conversation, "這篇報道的記者是誰？")
    assert reply.followup and "《青溪县获评全国生态示范县》" in reply.understood_as
    [hit] = reply.answer.hits
    assert hit.byline_answers and hit.highlight_text == BYLINE


def test_this_article_asked_alone_names_nothing_to_search() -> None:
    assert question_terms("这篇报道的记者是谁？").terms == []
    assert question_terms("本文作者是谁？").terms == []
    assert question_terms("本文件规定了什么？").terms  # 本文件 is not 本文


def test_reporters_named_in_a_dateline_are_picked_out_from_it(page: Searcher) -> None:
    # 《三项机制为人才工作添动力》 has no byline: its first paragraph opens 本报拉萨讯(记者 …).
    [hit, *others] = page.ask("《三项机制为人才工作添动力》的记者是谁？").hits
    assert hit.source.title == "三项机制为人才工作添动力" and hit.source.ordinal == 1
    assert hit.highlight_text == "本报拉萨讯(记者 次仁片多 索朗琼珠)"
    assert all(other.source.title != hit.source.title for other in others)


# A second new user's documents (tests/data/trial/seeds): a table, durations, traditional script

TRIAL = Path(__file__).resolve().parent / "data" / "trial" / "seeds"


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    root = tmp_path_factory.mktemp("trial") / "index"
    build_index(TRIAL, root, None, None)
    return Searcher(read_index(root))


def test_a_byline_and_a_dateline_in_traditional_characters_are_read_as_such() -> None:
    document = parse((TRIAL / "04_trad.txt").read_text(encoding="utf-8"), "04_trad.txt")
    assert document.articles[0].bylines == ("本報記者 陳美玲",)
    assert not document.page_breaks  # the byline is not joined to the paragraph under it
    assert document.paragraphs[0].dateline == "本報臺北2月15日電"
    assert document.paragraphs[0].text.startswith("本報臺北2月15日電")


def test_a_table_row_is_picked_out_with_its_own_line(trial: Searcher) -> None:
    [hit] = trial.ask("睡眠模式的噪音是多少分贝？", k=1).hits
    assert hit.highlight_text == "睡眠模式 | 1档 | 28分贝"  # not the header row 模式 | … | 噪音
    assert (hit.source.line, hit.highlight_line) == (15, 17)


def test_a_byline_in_traditional_characters_answers_who_wrote_it(trial: Searcher) -> None:
    [hit, *others] = trial.ask("台北书展的记者是谁？").hits
    assert hit.byline_answers and hit.highlight_text == "本報記者 陳美玲"
    assert all(other.source.path != hit.source.path for other in others)


def test_a_unit_after_a_count_word_stays_in_the_question() -> None:
    def words(question: str) -> list[str]:
        return [term for term in question_terms(question).terms if not term.startswith("\x02")]

    assert "分贝" in words("睡眠模式的噪音是多少分贝？")  # 分 starts 分贝, not a measure here
    assert "公里" in words("全程多少公里？")
    assert words("措勤县有多少名党员？") == ["措勤县", "党员"]  # 名 is a measure
    assert "里人" not in words("陈荣捷是哪里人？")  # 哪里 asks where: its 里 is no measure


# A third new user's documents: a plain-text article, a FAQ, a policy with a table


def test_a_plain_text_title_over_a_byline_is_the_articles_title() -> None:
    document = parse((TRIAL / "03_news_a.txt").read_text(encoding="utf-8"), "03_news_a.txt")
    [article] = document.articles
    assert (article.title, article.bylines) == ("青山县万亩茶园迎来春茶开采", ("本报记者 王晓燕",))
    assert document.paragraphs[0].text.startswith("本报青山3月2日讯")  # the title is no paragraph


def test_a_question_and_its_answer_are_one_passage_not_joined_to_the_heading() -> None:
    document = parse((TRIAL / "02_faq.txt").read_text(encoding="utf-8"), "02_faq.txt")
    assert document.articles[0].title == "社区图书馆常见问题解答" and not document.page_breaks
    pair, *_ = document.paragraphs  # the first line titles the text (no longer joined to it)
    assert pair.text.startswith("问：图书馆的开放时间是什么？\n答：周二至周日")


@pytest.mark.parametrize(
    ("question", "byline"),
    [
        ("林美惠寫了哪些報導？", "本報記者 林美惠"),  # 報導, Taiwan's word for 报道
        ("虱目魚報導的記者是誰？", "本報記者 林美惠"),  # the article named by its subject
        ("临江地铁开通的报道是谁写的？", "本报记者 陈志刚  刘芳"),
        ("青山县茶产业报道的记者是谁？", "本报记者 王晓燕"),  # a plain-text article's byline
    ],
)
def test_more_ways_of_asking_who_wrote_it(trial: Searcher, question: str, byline: str) -> None:
    [hit, *_] = trial.ask(question).hits
    assert hit.byline_answers and hit.highlight_text == byline


def test_the_reporters_photo_credit_does_not_repeat_their_article(trial: Searcher) -> None:
    answer = trial.ask("王晓燕写了哪些报道？", k=5)
    titles = [hit.source.title for hit in answer.hits]
    # Her article first, once (its photo credit, 本报记者 王晓燕摄, is no second passage); a
    # school notice's teacher of the same name may follow.
    assert titles[0] == "青山县万亩茶园迎来春茶开采" and titles.count(titles[0]) == 1
    assert answer.hits[0].byline_answers


def test_a_question_for_a_condition_is_answered() -> None:
    assert [t for t in question_terms("什么情况下可以乘坐公务舱？").terms if "\x02" not in t] == [
        "乘坐",
        "公务舱",
    ]


def test_a_markdown_list_stays_under_the_line_that_leads_in_to_it(trial: Searcher) -> None:
    [hit] = trial.ask("出差申请应当包括哪些内容？", k=1).hits
    text = hit.paragraph.text
    assert text.startswith("第四条 出差申请应当包括以下内容：\n- 出差事由及预计成果；")
    assert text.endswith("- 同行人员名单。")
    assert hit.source.line_at(text.index("- 同行人员名单")) == 20


# A fourth new user's documents: meeting minutes, a product FAQ, a deployment guide, news


def test_a_plain_texts_first_line_titles_it_and_numbered_headings_are_sections() -> None:
    name = "meeting_minutes_20240312.txt"
    document = parse((TRIAL / name).read_text(encoding="utf-8"), name)
    [article] = document.articles
    assert article.title == "星河科技有限公司产品部周例会纪要" and not document.page_breaks
    assert article.sections[:2] == ("一、上周工作回顾", "二、讨论事项")
    assert document.paragraphs[0].text.startswith("会议时间：")
    assert document.paragraphs[1].source.sections == ("一、上周工作回顾",)


def test_which_reporter_wrote_it_and_a_reporter_named_in_a_photo_credit(trial: Searcher) -> None:
    [hit, *_] = trial.ask("地铁南延段的报道是哪位记者写的？").hits
    assert hit.byline_answers and hit.highlight_text == "本报记者 张海涛 林若溪"
    # 林若溪 is also in the article's photo credit: the article is shown once, by its byline.
    answer = trial.ask("林若溪写了哪些报道？", k=5)
    assert [hit.source.title for hit in answer.hits] == ["本市地铁5号线南延段今日开通运营"]
    assert answer.hits[0].byline_answers and answer.hits[0].source.ordinal == 1


def test_a_code_block_stays_under_the_line_that_leads_in_to_it(trial: Searcher) -> None:
    [hit] = trial.ask("安装命令示例是什么？", k=1).hits
    assert hit.paragraph.text.startswith("安装命令示例如下：\ncd /opt\n")


# A fifth new user's documents: an interview, a manual, a notice in traditional script


def test_an_interviews_question_and_answer_are_one_passage(trial: Searcher) -> None:
    [hit, *_] = trial.ask("陈立春说产量提高的主要原因是什么？").hits
    assert hit.paragraph.text.startswith("记者：产量提高的主要原因是什么？\n受访者 陈立春：")
    assert "青稻9号" in hit.highlight_text  # the answer, not the reporter's question


def test_paragraphs_that_hold_only_the_articles_title_come_after_the_answer(
    trial: Searcher,
) -> None:
    # Every paragraph of the notice holds its title's 活动中心暂停开放; 各位居民： is shortest.
    [first, *rest] = trial.ask("活動中心暫停開放多少天？", k=3).hits
    assert "共計12天" in first.highlight_text
    assert "各位居民：" in [hit.paragraph.text for hit in rest]


def test_a_photo_caption_comes_after_the_paragraph_that_answers(trial: Searcher) -> None:
    first = trial.ask("石桥村有多少家民宿？").hits[0]
    assert "32家民宿" in first.highlight_text and first.paragraph.kind == "text"


# A sixth new user's documents: an announcement, a travel guide's price table, a Taiwan item


def test_a_first_line_naming_its_kind_of_document_titles_it() -> None:
    name = "t6_announce.txt"
    document = parse((TRIAL / name).read_text(encoding="utf-8"), name)
    assert document.articles[0].title.endswith("利润分配方案的公告") and not document.page_breaks
    assert document.paragraphs[0].text.startswith("本公司董事会")


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("臺北國際書展參觀人數是多少？", "參觀人數達到56萬人次"),  # what is counted before 是多少
        ("滤网多久更换一次？", "6个月"),  # a duration answers 多久
        ("整机保修期是几年？", "整机保修期为2年"),
        ("这次书展为期几天？", "為期6天"),
        ("图书馆的开放时间是什么？", "答：周二至周日上午9点至晚上8点开放"),  # not the 问 line
        ("一次最多可以借几本书？", "最多可借10本图书"),
        ("普通员工在一线城市出差住宿费标准是多少？", "普通员工 | 450 | 350"),  # not the header
        ("部署云笔记的推荐内存是多少？", "内存 | 8GB | 16GB"),  # a header under a lead-in line
        ("神農街有多長？", "全長約三百公尺"),  # the length, in the sentence after the street's
        ("谁缺席了会议？", "缺席人员：李娜"),
        (
            "首次使用的步骤是什么？",
            "1. 拆开包装，取下滤网外的塑料袋。",
        ),  # 步骤 asks, the text lists
        ("滤网寿命是多少小时？", "滤网寿命 | 约2160小时"),
        ("神農街有多長？", "全長約三百公尺"),  # a length, not the 兩年 of the work before it
        ("黄山门票旺季多少钱？", "门票 | 190元 | 150元"),  # not the line leading in to the table
        ("台中捷运蓝线全长多少公里？", "全長約二十四點八公里"),  # a number in Chinese numerals
        ("臺中捷運藍線總經費是多少？", "一千六百億元"),
    ],
)
def test_the_sentence_that_answers_is_picked(trial: Searcher, question: str, answer: str) -> None:
    # The trials' questions over tests/data/trial, the sentence each must pick.
    assert answer in trial.ask(question, k=1).hits[0].highlight_text


def test_what_a_reporter_reported_is_their_articles(trial: Searcher) -> None:
    # 报道 the verb names what is asked for, the articles, not a word of them.
    assert "报道" not in question_terms("陈志远报道了什么？").terms
    [hit, *_] = trial.ask("陈志远报道了什么？").hits
    assert hit.byline_answers and hit.highlight_text == "本报记者 刘晓燕 陈志远"


def test_how_to_over_numbered_steps_picks_the_first_step(trial: Searcher) -> None:
    # Two users' manuals for a 清风X3 list the steps of its first use: either way, step 1.
    [hit] = trial.ask("如何首次使用清风X3？", k=1).hits
    assert hit.highlight_text.startswith("1. ") and hit.paragraph.text.startswith("1. ")
    assert hit.highlight == (0, len(hit.paragraph.text.split("\n")[0]))
