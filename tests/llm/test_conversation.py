"""Follow-up questions: rewritten into standalone questions before retrieval (LLM or heuristic)."""
from __future__ import annotations

import pytest
from fake_openai import Reply
from llm_helpers import cite

from rag.conversation import Rewrite, is_followup, normalize_history, rewrite_question

PREV_ZH = "阿里巴巴在哪些国家开设数据中心？"
PREV_EN = "What was Alibaba's revenue in fiscal 2025?"


# -- the heuristic (no LLM) ------------------------------------------------------------------
@pytest.mark.parametrize("prev, follow, expected", [
    # a measure of its own: the company and period carry over, the earlier measure does not
    (PREV_ZH, "那它的资本开支呢？", "阿里巴巴 那它的资本开支呢？"),
    # ... and, after a question for a figure, is asked as one (so the answer is a figure, or none)
    (PREV_EN, "And net income?", "Alibaba fiscal 2025 How much was net income?"),
    ("What was Acme's net income for the third quarter of fiscal 2023?", "What about membership fees?",
     "Acme third quarter fiscal 2023 How much was membership fees?"),
    ("Which regions did Acme enter in 2023?", "What about risks?", "Acme 2023 What about risks?"),
    # a demonstrative points back at the earlier topic, which carries over
    (PREV_ZH, "这能降低哪些风险？", "阿里巴巴 数据中心 这能降低哪些风险？"),
    # a period of its own replaces the earlier one; the measure carries over
    (PREV_EN, "What about fiscal 2024?", "Alibaba revenue What about fiscal 2024?"),
    ("What was Acme's revenue in the second quarter of 2023?", "What about the same quarter of 2024?",
     "Acme revenue What about the same quarter of 2024?"),
    # a pronoun anywhere in a longer question: the subject comes from the conversation
    ("What was Acme's revenue in the first quarter of 2023?", "How many employees did it have at the end of the quarter?",
     "Acme first quarter 2023 How many employees did it have at the end of the quarter?"),
    ("阿里巴巴的AI投入计划是多少？", "为什么？", "阿里巴巴 AI 计划 为什么？"),
    # a change of the earlier measure, the measure named nowhere in the follow-up: it carries over, whole
    # ("营业收入", though jieba's tagger cuts it into 营业 and a verb)
    ("示例银行2024年的营业收入是多少？", "与上年相比增长了多少？", "示例银行 2024年 营业收入 与上年相比增长了多少？"),
    ("示例银行2024年的不良贷款率是多少？", "同比增长了多少？", "示例银行 2024年 不良贷款率 同比增长了多少？"),
    ("What was Acme's revenue in the first quarter of 2023?", "How did that compare with a year earlier?",
     "Acme first quarter 2023 revenue How did that compare with a year earlier?"),
    ("What was Acme's revenue in the first quarter of 2023?", "What drove the increase?",
     "Acme first quarter 2023 revenue What drove the increase?"),
    # a word of the glossary ("CFO", "EPS") is what is asked, not a name: the company comes from before,
    # and an abbreviated measure replaces the earlier one
    ("What was Acme's gross margin in the first quarter of 2023?", "Who is its CFO?",
     "Acme first quarter 2023 Who is its CFO?"),
    ("What was Acme's gross margin in the first quarter of 2023?", "Who is the CEO?",
     "Acme first quarter 2023 Who is the CEO?"),
    ("What was Acme's revenue in the first quarter of 2023?", "And its EPS?",
     "Acme first quarter 2023 How much was its EPS?"),
    # another part of the year replaces the earlier part and keeps the year and the measure
    ("What was Acme's net income for the third quarter of fiscal 2023?", "What about the first 36 weeks?",
     "Acme fiscal 2023 income net What about the first 36 weeks?"),
    ("示例集团2024年第三季度的营业收入是多少？", "前三季度呢？", "示例集团 2024年 营业收入 前三季度呢？"),
    # a quarter named relative to the earlier one, no company named: the company and year carry over
    ("示例集团2023年第一季度的营收是多少？", "下个季度的指引是多少？", "示例集团 2023年 下个季度的指引是多少？"),
    ("What was Acme's revenue in Q2 2023?", "What about the same quarter last year?",
     "Acme Q2 2023 revenue What about the same quarter last year?"),
    # the basis the earlier measure is stated on is no measure of its own: the measure carries over
    ("What was Acme's net income for the third quarter of fiscal 2023?", "Per diluted share?",
     "Acme third quarter fiscal 2023 income net Per diluted share?"),
    ("What was Acme's operating margin in Q2 2023?", "And on a non-GAAP basis?",
     "Acme Q2 2023 operating margin And on a non-GAAP basis?"),
    # a date of the period is no measure: the earlier measure at another date, across languages too
    ("示例银行2024年末的不良贷款率是多少？", "What about at the end of 2023?",
     "示例银行 不良贷款率 What about at the end of 2023?"),
    # a measure of its own asked in Chinese after a figure asked in English: asked as a figure
    ("What was Acme's net income in Q3 fiscal 2023?", "那电商销售呢？", "Acme Q3 fiscal 2023 那电商销售是多少？"),
    # (a change asked before is asked again)
    ("What was Acme's net sales growth in Q3 fiscal 2023?", "那电商销售呢？", "Acme Q3 fiscal 2023 那电商销售增长了多少？"),
])
def test_heuristic_prepends_the_previous_key_terms(prev, follow, expected):
    rw = rewrite_question(follow, [prev])
    assert rw == Rewrite(expected, follow, "heuristic")


def test_the_index_names_the_company_carried_over():
    """A company name the index knows is carried whole, as the earlier question wrote it (jieba alone
    splits an unknown name such as 示例芯科 and would carry a fragment)."""
    prev = "示例芯科2024年第三季度的营业收入是多少？"

    def names(text):
        i = text.find("示例芯科")
        return [(i, i + 4)] if i >= 0 else []

    assert rewrite_question("产能利用率呢？", [prev], names=names).question == "示例芯科 2024年 第三季度 产能利用率是多少？"
    # a follow-up naming a company of its own is standalone, pronoun or not
    assert not is_followup("示例芯科的毛利率是多少？它提高了吗？", names)


def test_a_follow_up_naming_a_region_asks_the_same_about_it():
    """"美国市场呢？" after a question about global sales asks about sales in the U.S.; a region word
    inside a company's name is not swapped, and a question naming no region is rewritten as before."""
    prev = "示例餐饮2023年第二季度全球可比销售额增长了多少？"
    assert rewrite_question("美国市场呢？", [prev]).question == "示例餐饮2023年第二季度美国市场可比销售额增长了多少?"
    assert rewrite_question("那欧洲呢？", ["示例公司2024年中国市场的收入是多少？"]).question == "示例公司2024年欧洲市场的收入是多少?"

    def names(text):
        i = text.find("中国示例")
        return [(i, i + 4)] if i >= 0 else []

    assert "中国示例" in rewrite_question("美国呢？", ["中国示例2024年的营业收入是多少？"], names=names).question
    assert rewrite_question("那毛利率呢？", ["示例公司2024年全球收入是多少？"]).question == "示例公司 2024年 那毛利率是多少？"


@pytest.mark.parametrize("question", [
    "What was Intel's revenue in Q1 2023?",
    "Did revenue grow in 2023?",
    "净利润同比增长了多少？",
    "阿里巴巴与哪家美国芯片公司达成了软件层面的合作？",
    "How large could global AI investment become over the next five years?",
])
def test_standalone_questions_pass_through(question):
    assert not is_followup(question)
    assert rewrite_question(question, [PREV_EN]).question == question


def test_context_carries_over_several_follow_ups():
    history = [{"role": "user", "content": PREV_ZH}, {"role": "assistant", "content": "巴西、法国 [1]"},
               {"role": "user", "content": "那英伟达呢？"}, {"role": "assistant", "content": "……"}]
    assert rewrite_question("它呢？", history).question == "英伟达 阿里巴巴 数据中心 它呢？"


def test_history_forms():
    from rag.types import Answer

    msgs = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}]
    assert normalize_history(msgs) == msgs
    assert normalize_history([("q1", "a1")]) == msgs
    assert normalize_history(["q1"]) == msgs[:1]
    assert normalize_history([Answer("q1", "a1", False)]) == msgs
    assert rewrite_question("它呢？", None) == Rewrite("它呢？", "它呢？")


# -- with the LLM ------------------------------------------------------------------------------
def test_llm_rewrites_then_answers_the_standalone_question(llm_assistant, fake_llm):
    standalone = "阿里巴巴三年AI投入计划的金额是多少？"
    fake_llm.script(Reply(standalone),
                    Reply(lambda b: f"阿里巴巴宣布了三年逾530亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    history = [{"role": "user", "content": "阿里巴巴为什么加码AI投入？"},
               {"role": "assistant", "content": "因为未来五年全球AI相关投资有望达到4万亿美元规模[2]。"}]
    ans = llm_assistant.ask("那它原来的计划是多少钱？", history=history)

    rewrite_req, answer_req = fake_llm.chat_requests
    system, user = rewrite_req["body"]["messages"]
    assert "standalone question" in system["content"] and "do not answer" in system["content"]
    assert "User: 阿里巴巴为什么加码AI投入？" in user["content"]
    assert "Assistant: 因为未来五年全球AI相关投资有望达到4万亿美元规模" in user["content"]
    assert "[2]" not in user["content"]                      # citation markers are not context
    assert "Latest message: 那它原来的计划是多少钱？" in user["content"]
    assert f"Question: {standalone}" in answer_req["body"]["messages"][1]["content"]
    assert ans.question == "那它原来的计划是多少钱？" and ans.rewritten_question == standalone
    assert ans.answerer == "llm" and ans.verified
    assert ans.to_dict()["rewritten_question"] == standalone


def test_llm_rewrite_failure_falls_back_to_the_heuristic(llm_assistant, fake_llm):
    fake_llm.script(Reply(status=500),
                    Reply(lambda b: f"阿里巴巴宣布了三年逾530亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    ans = llm_assistant.ask("那它的计划呢？", history=["阿里巴巴的AI投入计划是多少？"])
    assert ans.rewritten_question == "阿里巴巴 AI 那它的计划是多少？"
    assert any("follow-up rewritten without the LLM" in n and "HTTP 500" in n for n in ans.notices)
    assert ans.answerer == "llm"


def test_unusable_llm_rewrite_is_not_used(llm_assistant, fake_llm):
    fake_llm.script(Reply("阿里巴巴宣布了三年逾530亿美元的AI投入计划[1]。\n这是答案，不是问题。"),
                    Reply(lambda b: f"阿里巴巴宣布了三年逾530亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    ans = llm_assistant.ask("那它的计划呢？", history=["阿里巴巴的AI投入计划是多少？"])
    assert ans.rewritten_question == "阿里巴巴 AI 那它的计划是多少？"
    assert any("unusable" in n for n in ans.notices)


def test_no_history_means_no_rewrite_call(llm_assistant, fake_llm):
    fake_llm.script(Reply(lambda b: f"阿里巴巴宣布了三年逾530亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    ans = llm_assistant.ask("阿里巴巴的AI投入计划是多少？")
    assert len(fake_llm.chat_requests) == 1 and ans.rewritten_question == ""


def test_stream_with_history(llm_assistant, fake_llm):
    fake_llm.script(Reply("阿里巴巴的AI投入计划是多少？"),
                    Reply(lambda b: f"阿里巴巴宣布了三年逾530亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    items = list(llm_assistant.ask_stream("那它的计划呢？", history=[("阿里巴巴为什么加码AI投入？", "……")]))
    assert isinstance(items[-1], object) and items[-1].rewritten_question == "阿里巴巴的AI投入计划是多少？"
    assert "".join(items[:-1]) == items[-1].text
    assert fake_llm.chat_requests[0]["body"].get("stream") in (None, False)   # the rewrite is not streamed
    assert fake_llm.chat_requests[1]["body"]["stream"] is True
