"""Personal data is masked the same way by the gateway and by the Slack bot, and in time linear in the text."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from mcp_server.domain.masking import mask_arguments, mask_email, mask_phone, mask_text
from slack_client.redact import redact

MASKERS = [pytest.param(mask_text, id="gateway"), pytest.param(redact, id="bot")]

# One table for both sides: the text as written -> the text as anyone downstream may see it.
CASES = [
    pytest.param("maya.okafor@example.com", "m***@example.com", id="email"),
    pytest.param("Write to <maya.okafor@example.com>.", "Write to <m***@example.com>.", id="email-in-angle-brackets"),
    pytest.param(
        "<mailto:maya@example.com|maya@example.com>", "<mailto:m***@example.com|m***@example.com>", id="slack-mailto"
    ),
    pytest.param("ask ana.lee+art@mail.example.co.uk, today", "ask a***@mail.example.co.uk, today", id="email-tags"),
    pytest.param("+1 416 555 0101", "***0101", id="phone-international-spaces"),
    pytest.param("call (416) 555-0101 now", "call ***0101 now", id="phone-area-code-in-brackets"),
    pytest.param("416.555.0101", "***0101", id="phone-dots"),
    pytest.param("+44 20 7946 0958", "***0958", id="phone-uk"),
    pytest.param("+1 (416) 555-0101", "***0101", id="phone-country-and-brackets"),
    pytest.param("1-800-555-0101.", "***0101.", id="phone-dashes-ending-a-sentence"),
    pytest.param("+14165550101", "***0101", id="phone-e164"),
    pytest.param("+33 1 23 45 67 89", "***6789", id="phone-french-pairs"),
    pytest.param("(416 555 0101)", "(***0101)", id="phone-inside-brackets"),
    pytest.param("tel:+14165550101", "tel:***0101", id="phone-tel-link"),
    pytest.param('{"note":"call\\n+1 416 555 0101"}', '{"note":"call\\n***0101"}', id="phone-after-json-newline"),
    pytest.param("card 4242 4242 4242 4242.", "card [card redacted].", id="card-spaced"),
    pytest.param("4242-4242-4242-4242", "[card redacted]", id="card-dashed"),
    pytest.param("4242424242424242", "[card redacted]", id="card-plain"),
    pytest.param("order 1234 5678 9012 3456", "order 1234 5678 9012 3456", id="not-luhn-valid-not-a-card"),
    pytest.param("on 2026-11-03 at 19:30", "on 2026-11-03 at 19:30", id="date-and-time"),
    pytest.param("2026-11-27 19:30:00", "2026-11-27 19:30:00", id="timestamp"),
    pytest.param("2026-11-03 416 555 0101", "2026-11-03 ***0101", id="date-then-phone"),
    pytest.param("1,234.50 CAD and 1234567890.50 USD", "1,234.50 CAD and 1234567890.50 USD", id="money"),
    pytest.param("123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000", id="uuid"),
    pytest.param("12345678-1234-1234-1234-123456789012", "12345678-1234-1234-1234-123456789012", id="digit-uuid"),
    pytest.param("AB4001 and AB4001-2-3", "AB4001 and AB4001-2-3", id="eid-and-art-code"),
    pytest.param("ts 1712345678.123456", "ts 1712345678.123456", id="slack-timestamp"),
    pytest.param("person 4165550101", "person 4165550101", id="plain-id"),
    pytest.param("easels 1 2 3 4 5 6 7 8 9 10", "easels 1 2 3 4 5 6 7 8 9 10", id="list-of-small-numbers"),
    pytest.param("host 192.168.100.200", "host 192.168.100.200", id="ipv4"),
    pytest.param("ref 416-555-0101x", "ref 416-555-0101x", id="digits-running-into-a-word"),
    pytest.param("user@localhost or a@b", "user@localhost or a@b", id="not-an-email-without-a-domain"),
    pytest.param("j***@example.com, ***1234", "j***@example.com, ***1234", id="already-masked"),
    pytest.param(
        "Reach ana.lee@example.com or +1 416-555-0199; card 4242 4242 4242 4242.",
        "Reach a***@example.com or ***0199; card [card redacted].",
        id="all-kinds-in-a-sentence",
    ),
]


@pytest.mark.parametrize("masker", MASKERS)
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_the_gateway_and_the_bot_give_the_same_mask_for_the_same_text(
    masker: Callable[[str], str], text: str, expected: str
):
    assert masker(text) == expected


@pytest.mark.parametrize("masker", MASKERS)
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_masking_masked_text_again_changes_nothing(masker: Callable[[str], str], text: str, expected: str):
    assert masker(masker(text)) == masker(text)


def test_a_contact_column_is_masked_like_the_same_contact_in_text():
    assert mask_email("maya.okafor@example.com") == mask_text("maya.okafor@example.com") == "m***@example.com"
    assert mask_phone("+1 (416) 555-0101") == mask_text("+1 (416) 555-0101") == "***0101"
    assert mask_phone(mask_phone("+1 416 555 0101")) == "***0101"
    assert mask_email(None) is None and mask_phone("") is None


def test_the_bot_masks_only_the_kinds_a_tool_rule_asks_for():
    text = "maya@example.com, +1 416 555 0101, 4242 4242 4242 4242"
    assert redact(text, kinds={"email"}) == "m***@example.com, +1 416 555 0101, 4242 4242 4242 4242"
    assert redact(text, kinds={"phone", "card"}) == "maya@example.com, ***0101, [card redacted]"


def test_audited_arguments_drop_secrets_and_mask_contacts_at_any_depth():
    arguments = {
        "query": "call maya.okafor@example.com",
        "email": "maya.okafor@example.com",
        "confirmation_token": "tok_123",
        "filters": {"note": "+1 416 555 0101", "people": ["ana@example.com", 3], "Authorization": "Bearer x"},
    }
    assert mask_arguments(arguments) == {
        "query": "call m***@example.com",
        "email": "***",
        "confirmation_token": "***",
        "filters": {"note": "***0101", "people": ["a***@example.com", 3], "Authorization": "***"},
    }


def test_audited_strings_are_cut_to_500_characters_and_a_contact_on_the_cut_is_still_masked():
    long_query = "x" * 490 + " maya.okafor@example.com " + "y" * 100_000
    masked = mask_arguments({"query": long_query})["query"]
    assert len(masked) == 500
    assert masked.endswith(" m***@exam") and "maya" not in masked


def test_audited_arguments_are_bounded_in_depth_and_size():
    deep: dict[str, object] = {"leaf": "maya@example.com"}
    for _ in range(1000):
        deep = {"next": deep}
    masked = mask_arguments({"deep": deep, "many": list(range(100_000))})
    assert "maya" not in repr(masked)
    assert len(repr(masked)) < 5_000


# Runs of digits, separators, `@` and dots: what made the old phone pattern take 35 s over 100 KB.
ADVERSARIAL = {
    "digits": "1",
    "digits-and-spaces": "1 ",
    "digits-and-separators": "1 - 2.(3) ",
    "plus-signs": "+1 ",
    "at-signs": "a@",
    "dots": "a.",
    "at-and-dots": "a@b.",
    "near-phones": "+1 416 555 0101x ",
    "dates": "2026-11-03 ",
    "json-newlines": "\\nn",
    "mixed": "1 2-3.4(5)+6@a.b ",
}
ONE_MEGABYTE = 1_000_000
GENEROUS_SECONDS = 2.0


@pytest.mark.parametrize("pattern", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_masking_a_megabyte_of_adversarial_text_takes_linear_time(pattern: str):
    text = (pattern * (ONE_MEGABYTE // len(pattern) + 1))[:ONE_MEGABYTE]
    run_on: dict[str, Callable[[], object]] = {
        "mask_text": lambda: mask_text(text),
        "redact": lambda: redact(text),
        "mask_email": lambda: mask_email(text),
        "mask_phone": lambda: mask_phone(text),
        "mask_arguments": lambda: mask_arguments({"query": text, "rows": [text] * 1000}),
    }
    for name, run in run_on.items():
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
        assert seconds < GENEROUS_SECONDS, f"{name} took {seconds:.2f}s over 1 MB of {pattern!r}"
