"""The finance tools through a real MCP client over HTTP, against the demo data, with exact numbers: merged
duplicates folded in, legacy 'completed' payouts paid, payouts without an artwork counted, money per currency,
counts beyond row limits, the Stripe account chosen by its rule, contacts masked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.gateway import RunningGateway
from tests.test_people_tools import answer, call

ZERO = {"earned": "0.00", "paid": "0.00", "in_progress": "0.00", "owed": "0.00"}


def money(events: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    return [(e["eid"], e["earned"], e["paid"], e["owed"]) for e in events]


async def test_history_folds_the_merged_profile_and_counts_legacy_and_artless_payouts(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_artist_history", {"artist": "maya okafor"})
    assert history["artist"]["artist_number"] == 310001
    assert history["artist"]["merged_artist_numbers"] == [309876]
    # AB3990: 360 (current bid, no final price) + 240 (painted under the old profile), half each, paid in one
    # legacy 'completed' payout to the old profile that names no artwork.
    assert money(history["events"]) == [("AB4002", "150.00", "150.00", "0.00"), ("AB3990", "300.00", "300.00", "0.00")]
    summer = history["events"][1]["artworks"]
    assert [(w["art_code"], w["value"], w["value_source"], w["painted_as_artist_number"]) for w in summer] == [
        ("AB3990-1-1", "360.00", "current_bid", None),
        ("AB3990-2-1", "240.00", "final_price", 309876),
    ]
    assert history["totals_by_currency"] == {"CAD": {"earned": "450.00", "paid": "450.00", **_rest("0.00")}}
    assert history["payout_readiness"]["can_receive_payouts"] is True
    assert history["payout_readiness"]["account"]["account_id"] == "acct_demoA1mayaok"


def _rest(owed: str) -> dict[str, str]:
    return {"in_progress": "0.00", "owed": owed}


async def test_history_totals_stay_per_currency(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_artist_history", {"artist": "310009"})
    assert history["artist"]["name"] == "Chloe Nguyen"
    assert history["totals_by_currency"] == {
        "AUD": {"earned": "840.00", "paid": "840.00", **_rest("0.00")},
        "CAD": {"earned": "250.00", "paid": "250.00", **_rest("0.00")},
    }


async def test_history_of_an_artist_still_owed(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_artist_history", {"artist": "Sofia"})
    assert money(history["events"]) == [("AB4002", "650.00", "250.00", "400.00")]
    assert history["totals_by_currency"]["CAD"]["owed"] == "400.00"


async def test_history_events_are_limited_but_the_totals_cover_every_event(demo_gateway: RunningGateway):
    history = await answer(demo_gateway, "get_artist_history", {"artist": "#309876", "limit": 1})
    assert (history["total_events"], history["truncated"]) == (2, True)
    assert [e["eid"] for e in history["events"]] == ["AB4002"]
    assert history["totals_by_currency"]["CAD"]["earned"] == "450.00"


async def test_a_name_two_artists_share_is_refused_with_both_candidates(demo_gateway: RunningGateway):
    result = await call(demo_gateway, "get_artist_history", {"artist": "Daniel Kwan"})
    assert result.is_error
    assert result.content[0].text == (
        "'Daniel Kwan' matches 2 artists: Daniel Kwan (artist #310004, Canada), Daniel Kwan (artist #310027, USA);"
        " ask again with the artist number."
    )
    other = await answer(demo_gateway, "get_artist_history", {"artist": "310027"})
    assert (other["total_events"], other["events"], other["totals_by_currency"]) == (0, [], {})
    assert other["payout_readiness"]["problem"] == "no Stripe connected account"


async def test_a_full_name_one_artist_has_exactly_is_not_ambiguous(demo_gateway: RunningGateway):
    # "Maya Okafor" is the name of the canonical profile and of the duplicate merged into it: one artist.
    history = await answer(demo_gateway, "get_artist_history", {"artist": "MAYA OKAFOR"})
    assert history["artist"]["artist_number"] == 310001


async def test_the_event_ledger_includes_a_legacy_payout_tied_to_no_artwork(demo_gateway: RunningGateway):
    ledger = await answer(demo_gateway, "get_payment_ledger", {"eid": "ab3990"})
    assert (ledger["eid"], ledger["event_name"], ledger["total"]) == (
        "AB3990",
        "Art Battle Toronto — Summer Classic",
        1,
    )
    [entry] = ledger["entries"]
    assert (entry["artist_name"], entry["artist_number"], entry["art_code"]) == ("Maya Okafor", 310001, None)
    assert (entry["status"], entry["recorded_status"], entry["gross"]) == ("paid", "completed", "300.00")
    assert entry["transfer"] == "tr_…Lm2Kd9"
    assert entry["created_at"].endswith(("-04:00", "-05:00"))  # Toronto time
    assert ledger["totals_by_currency"] == {"CAD": [{"status": "paid", "count": 1, "gross": "300.00", "net": "300.00"}]}


async def test_the_ledger_counts_every_row_beyond_its_limit(demo_gateway: RunningGateway):
    ledger = await answer(demo_gateway, "get_payment_ledger", {"eid": "AB4002", "limit": 2})
    assert (ledger["total"], ledger["truncated"], len(ledger["entries"])) == (6, True, 2)
    assert {t["status"]: (t["count"], t["gross"]) for t in ledger["totals_by_currency"]["CAD"]} == {
        "cancelled": (1, "175.00"),
        "paid": (4, "825.00"),
        "pending": (1, "125.00"),
    }


async def test_an_artists_ledger_includes_the_merged_profiles_payouts(demo_gateway: RunningGateway):
    ledger = await answer(demo_gateway, "get_payment_ledger", {"artist": "maya okafor"})
    assert [(e["eid"], e["gross"], e["recorded_status"]) for e in ledger["entries"]] == [
        ("AB4002", "150.00", "paid"),
        ("AB3990", "300.00", "completed"),
    ]
    one = await answer(demo_gateway, "get_payment_ledger", {"eid": "AB4003", "artist": "Chloe Nguyen"})
    assert [(e["art_code"], e["gross"]) for e in one["entries"]] == [(None, "840.00")]


async def test_stripe_account_with_payouts_enabled_counts_over_a_newer_one(demo_gateway: RunningGateway):
    ready = await answer(demo_gateway, "get_payout_readiness", {"artist": "Luc Tremblay"})
    [luc] = ready["artists"]
    assert luc["readiness"]["account"]["account_id"] == "acct_demoA2luctre"
    assert (luc["readiness"]["can_receive_payouts"], luc["readiness"]["accounts_on_file"]) == (True, 2)


async def test_without_an_enabled_account_the_newest_counts(demo_gateway: RunningGateway):
    ready = await answer(demo_gateway, "get_payout_readiness", {"artist": "310008"})
    [jonah] = ready["artists"]
    assert jonah["readiness"] == {
        "can_receive_payouts": False,
        "problem": "Stripe onboarding restricted: cannot receive payouts yet",
        "account": {
            "account_id": "acct_demoB4second",
            "onboarding_status": "restricted",
            "charges_enabled": False,
            "payouts_enabled": False,
            "country": "CA",
            "currency": "CAD",
            "opened_on": jonah["readiness"]["account"]["opened_on"],
        },
        "accounts_on_file": 2,
    }
    assert jonah["invitations_sent"] == 1
    invitation = jonah["recent_invitations"][0]
    assert (invitation["recipient_email_hint"], invitation["sent_by"]) == ("j***@example.com", "f***@example.com")


async def test_payout_readiness_of_an_events_roster_puts_who_cannot_be_paid_first(demo_gateway: RunningGateway):
    ready = await answer(demo_gateway, "get_payout_readiness", {"eid": "AB4002"})
    assert (ready["ready"], ready["not_ready"]) == (6, 2)
    assert [a["name"] for a in ready["artists"][:2]] == ["Jonah Whitfield", "Noor Haddad"]
    noor = ready["artists"][1]
    assert noor["invitations_sent"] == 2
    assert [
        (i["method"], i["recipient_email_hint"], i["recipient_phone_hint"]) for i in noor["recent_invitations"]
    ] == [
        ("sms", None, "***0123"),
        ("email", "n***@example.com", None),
    ]


async def test_payment_health_lists_what_needs_finance_for_the_montreal_event(demo_gateway: RunningGateway):
    health = await answer(demo_gateway, "get_payment_health", {"eid": "AB4002"})
    assert [(u["art_code"], u["artist_name"], u["artist_share"]) for u in health["unpaid_artworks"]] == [
        ("AB4002-2-2", "Ravi Shankar Iyer", "175.00"),
        ("AB4002-2-3", "Noor Haddad", "300.00"),
        ("AB4002-2-4", "Jonah Whitfield", "100.00"),
        ("AB4002-3-1", "Sofia Marchetti", "400.00"),
        ("AB4002-3-2", "Amélie Gagnon", "350.00"),
    ]
    assert health["stuck_payouts"] == []
    assert [
        (o["artist_name"], o["owed"], o["problem"], o["invitations_sent"]) for o in health["owed_without_payouts"]
    ] == [
        ("Noor Haddad", "300.00", "no Stripe connected account", 2),
        ("Jonah Whitfield", "100.00", "Stripe account cannot receive payouts", 1),
    ]
    [request] = health["manual_requests"]
    assert (request["artist_name"], request["requested_amount"], request["currency"]) == (
        "Noor Haddad",
        "300.00",
        "CAD",
    )
    assert request["notes"] == "No Stripe yet; Interac e-transfer to n***@example.com"
    assert request["events"] == ["AB4002"]
    assert health["attention_items"] == 8


async def test_payment_health_shows_failed_and_stuck_payouts_with_masked_errors(demo_gateway: RunningGateway):
    health = await answer(demo_gateway, "get_payment_health", {"eid": "AB3995"})
    assert [(s["artist_name"], s["art_code"], s["status"], s["gross"]) for s in health["stuck_payouts"]] == [
        ("Daniel Kwan", "AB3995-1-2", "failed", "150.00"),
        ("Marcus Oyelaran", "AB3995-1-3", "processing", "100.00"),
    ]
    assert (
        health["stuck_payouts"][0]["error"] == "Stripe refused: account_closed (contact the artist at o***@example.com)"
    )
    assert health["stuck_payouts"][1]["since"].endswith(("-07:00", "-08:00"))  # Vancouver time
    assert (health["unpaid_artworks"], health["owed_without_payouts"], health["attention_items"]) == ([], [], 2)


async def test_the_owed_formula_folds_duplicates_and_reads_completed_as_paid(demo_gateway: RunningGateway):
    summary = await answer(demo_gateway, "get_payment_summary", {"eid": "AB3990"})
    assert summary["by_status"] == [{"status": "paid", "count": 1, "total": "300.00"}]
    assert [(a["artist_name"], a["earned"], a["paid"], a["owed"]) for a in summary["artists"]] == [
        ("Maya Okafor", "300.00", "300.00", "0.00")
    ]
    owed = await answer(demo_gateway, "get_artist_owed", {})
    assert not [line for line in owed["lines"] if line["eid"] in {"AB3990", "AB3995"}]
    assert (owed["total_lines"], owed["totals_by_currency"]) == (9, {"CAD": "1325.00", "AUD": "1200.00"})


async def test_a_cross_rate_states_its_direction(demo_gateway: RunningGateway):
    rates = await answer(demo_gateway, "get_exchange_rates", {"base": "cad", "target": "EUR"})
    assert rates["cross"]["reads"] == "1 CAD = 0.672811 EUR"
    assert (rates["cross"]["rate"], rates["cross"]["inverse"]) == ("0.672811", "1.486301")
    assert [(r["currency"], r["usd_per_unit"], r["units_per_usd"]) for r in rates["rates"]] == [
        ("CAD", "0.730000", "1.369863"),
        ("EUR", "1.085000", "0.921659"),
    ]


async def test_every_rate_has_its_age_and_old_ones_are_stale(demo_gateway: RunningGateway):
    rates = await answer(demo_gateway, "get_exchange_rates", {})
    by_code = {r["currency"]: r for r in rates["rates"]}
    assert sorted(by_code) == ["AUD", "CAD", "EUR", "GBP", "NZD", "THB", "USD"]
    assert [code for code, rate in by_code.items() if rate["stale"]] == ["THB"]
    assert 6 <= by_code["CAD"]["age_hours"] < 7 and rates["cross"] is None


@pytest.mark.parametrize(
    ("tool", "arguments", "sentence"),
    [
        ("get_payment_health", {"eid": "AB9999"}, "There is no event AB9999; use list_events to find one."),
        ("get_payment_ledger", {"eid": "AB4005"}, "There is no event AB4005; did you mean AB4004, AB4003, AB4002?"),
        ("get_payout_readiness", {"eid": "AB40011"}, "There is no event AB40011; did you mean AB4001"),
        ("get_payout_readiness", {"eid": "!!"}, "`eid` must look like AB4001"),
        ("get_payment_ledger", {}, "Give an eid, an artist, or both"),
        ("get_payout_readiness", {}, "Give an eid (for its whole roster) or an artist."),
        ("get_artist_history", {"artist": "Nobody Here"}, "No artist matches 'Nobody Here'; try find_artists"),
        ("get_artist_history", {"artist": "nobody@example.com"}, "No artist matches 'n***@example.com';"),
        ("get_artist_history", {"artist": "x"}, "Give at least two letters of a name"),
        ("get_artist_history", {"artist": "maya", "limit": 0}, "`limit` must be at least 1."),
        ("get_exchange_rates", {"base": "XYZ"}, "There is no exchange rate for XYZ; rates exist for AUD, CAD,"),
        ("get_exchange_rates", {"target": "C1D"}, "`target` must be a three-letter currency code such as CAD."),
    ],
)
async def test_bad_finance_input_is_one_clear_sentence(
    demo_gateway: RunningGateway, tool: str, arguments: dict[str, Any], sentence: str
):
    result = await call(demo_gateway, tool, arguments)
    assert result.is_error
    text = result.content[0].text
    assert text.startswith(sentence)
    assert "\n" not in text and "Traceback" not in text


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_artist_history", {"artist": "maya.okafor.art@example.com"}),
        ("get_payout_readiness", {"eid": "AB4002"}),
        ("get_payment_health", {"eid": "AB4002"}),
        ("get_payment_ledger", {"eid": "AB3995"}),
    ],
)
async def test_finance_answers_never_show_a_contact_unmasked(
    demo_gateway: RunningGateway, tool: str, arguments: dict[str, Any]
):
    result = await call(demo_gateway, tool, arguments)
    assert not result.is_error
    raw = ("noorhaddad@", "jonahwhitfield@", "noor.h@", "finance@", "ops@", "+1 514 555 0123", "maya.okafor.art@")
    for text in (result.content[0].text, json.dumps(result.structured_content, ensure_ascii=False)):
        assert not [contact for contact in raw if contact in text]
