"""What reaches Slack: personal data masked, Markdown turned into mrkdwn, long answers split sensibly."""

from __future__ import annotations

from slack_client.formatting import split_message, to_mrkdwn, truncate
from slack_client.redact import drop_fields, redact


def test_emails_phones_and_card_numbers_are_masked():
    text = "Reach ana.lee@example.com or +1 416-555-0199; card 4242 4242 4242 4242."
    assert redact(text) == "Reach a***@example.com or ***0199; card [card redacted]."


def test_numbers_that_are_not_personal_data_are_left_alone():
    text = "AB4001 round 2: 1,234.50 CAD, 20.5 weighted, at 2026-11-27 19:30, ts 1718000000.000123"
    assert redact(text) == text


def test_a_card_like_number_failing_the_luhn_check_is_not_masked_as_a_card():
    assert "[card redacted]" not in redact("order 1234 5678 9012 3456")


def test_already_masked_emails_from_the_gateway_stay_as_they_are():
    assert redact("contact a***@example.com") == "contact a***@example.com"


def test_dropped_fields_disappear_at_any_depth():
    value = {"a": 1, "secret": 2, "rows": [{"secret": 3, "b": 4}]}
    assert drop_fields(value, frozenset({"secret"})) == {"a": 1, "rows": [{"b": 4}]}


def test_markdown_becomes_slack_mrkdwn():
    markdown = "## Round 2\n**Grace Liu** leads, *narrowly*. See [results](https://artbattle.com/r).\n- easel 2"
    assert to_mrkdwn(markdown) == (
        "*Round 2*\n*Grace Liu* leads, _narrowly_. See <https://artbattle.com/r|results>.\n• easel 2"
    )


def test_a_markdown_table_becomes_an_aligned_code_block():
    markdown = "| Easel | Artist | Weighted |\n|---|---|---:|\n| 1 | Zara Bellamy | 28.0 |\n| 12 | Grace Liu | 20.5 |"
    assert to_mrkdwn(markdown) == (
        "```\nEasel  Artist        Weighted\n    1  Zara Bellamy      28.0\n   12  Grace Liu         20.5\n```"
    )


def test_the_model_cannot_ping_the_channel_or_forge_links_but_can_mention_a_user():
    assert to_mrkdwn("<!channel> <https://evil|bank> thanks <@U0STAFF001>") == (
        "&lt;!channel&gt; &lt;https://evil|bank&gt; thanks <@U0STAFF001>"
    )


def test_long_answers_split_at_paragraphs_under_the_limit():
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(6)]
    pieces = split_message("\n\n".join(paragraphs), limit=2000)
    assert all(len(p) <= 2000 for p in pieces)
    assert all(p.startswith("Paragraph") for p in pieces)
    assert "".join(pieces).count("Paragraph") == 6


def test_a_code_block_cut_in_two_is_closed_and_reopened():
    table = "```\n" + "\n".join(f"row {i:04d} " + "x" * 40 for i in range(200)) + "\n```"
    pieces = split_message(table, limit=3000)
    assert len(pieces) > 1
    assert all(p.startswith("```") and p.endswith("```") for p in pieces)


def test_truncation_says_the_answer_was_shortened():
    assert truncate("x" * 500, 100).endswith("(answer shortened)")
    assert len(truncate("x" * 500, 100)) <= 100
