"""Payout readiness and payment health: what stands between artists and their money.

Readiness says, per artist, whether their Stripe account (payouts-enabled first, then the newest, over all
their profiles) can receive payouts and which onboarding invitations went out, recipients masked. Health lists
what a finance person should act on for one event.
"""

from __future__ import annotations

from mcp_server.domain import models_people_finance as m
from mcp_server.domain.eid import normalize_eid
from mcp_server.domain.finance import readiness, unknown_event
from mcp_server.domain.masking import mask_email, mask_phone, mask_text
from mcp_server.domain.people import resolve_artist
from mcp_server.domain.timefmt import event_zone, local_iso, utc_iso
from mcp_server.errors import InvalidArgument
from mcp_server.repository import finance_attention as repo
from mcp_server.repository.pool import Database
from mcp_server.repository.rows_people_finance import ArtistReadinessRow, InvitationRow, OwedUnpayableRow


def _invitation(row: InvitationRow) -> m.SetupInvitation:
    return m.SetupInvitation(
        sent_at=utc_iso(row.sent_at) if row.sent_at else None,
        status=row.status,
        method=row.method,
        kind=row.kind,
        recipient_email_hint=mask_email(row.recipient_email),
        recipient_phone_hint=mask_phone(row.recipient_phone),
        sent_by=mask_text(row.sent_by) if row.sent_by else None,
    )


def _artist(row: ArtistReadinessRow) -> m.ArtistPayoutReadiness:
    return m.ArtistPayoutReadiness(
        artist_profile_id=row.artist_profile_id,
        name=row.name,
        artist_number=row.entry_id,
        readiness=readiness(row.account, row.account_count),
        invitations_sent=row.invitation_count,
        recent_invitations=[_invitation(invitation) for invitation in row.invitations],
    )


async def payout_readiness(db: Database, raw_eid: str | None, artist: str | None) -> m.PayoutReadiness:
    if raw_eid is None and artist is None:
        raise InvalidArgument("Give an eid (for its whole roster) or an artist.")
    eid = normalize_eid(raw_eid) if raw_eid else None
    found = await resolve_artist(db, artist) if artist else None
    answer = await repo.payout_readiness(db, eid, found.artist_profile_id if found else None)
    if eid and not answer.event_known:
        raise await unknown_event(db, eid)
    artists = [_artist(row) for row in answer.artists]
    artists.sort(key=lambda a: a.readiness.can_receive_payouts)  # stable: by name within each group
    ready = sum(a.readiness.can_receive_payouts for a in artists)
    return m.PayoutReadiness(
        eid=eid,
        event_name=answer.event_name,
        as_of=utc_iso(answer.now),
        ready=ready,
        not_ready=len(artists) - ready,
        artists=artists,
    )


def _unpayable(row: OwedUnpayableRow) -> m.OwedWithoutPayouts:
    problem = "no Stripe connected account" if not row.stripe_account_id else "Stripe account cannot receive payouts"
    return m.OwedWithoutPayouts(
        artist_name=row.artist_name,
        owed=row.owed,
        problem=problem,
        invitations_sent=row.invitation_count,
        last_invited_at=utc_iso(row.last_invited_at) if row.last_invited_at else None,
    )


async def payment_health(db: Database, raw_eid: str) -> m.PaymentHealth:
    eid = normalize_eid(raw_eid)
    health = await repo.payment_health(db, eid)
    if health is None:
        raise await unknown_event(db, eid)
    zone = event_zone(health.timezone)
    unpaid = [
        m.UnpaidArtwork(art_code=u.art_code, artist_name=u.artist_name, value=u.value, artist_share=u.artist_share)
        for u in health.unpaid_artworks
    ]
    stuck = [
        m.StuckPayout(
            artist_name=s.artist_name,
            art_code=s.art_code,
            status=s.status,
            gross=s.gross,
            currency=s.currency,
            since=local_iso(s.created_at, zone),
            error=mask_text(s.error_message) if s.error_message else None,
        )
        for s in health.stuck_payouts
    ]
    owed = [_unpayable(row) for row in health.owed_unpayable]
    requests = [
        m.ManualRequest(
            artist_name=r.artist_name,
            requested_amount=r.requested_amount,
            currency=r.currency,
            status=r.status,
            payment_method=r.payment_method,
            notes=mask_text(r.notes) if r.notes else None,
            created_at=local_iso(r.created_at, zone),
            events=r.events,
        )
        for r in health.manual_requests
    ]
    return m.PaymentHealth(
        eid=health.eid,
        event_name=health.name or health.eid,
        currency=health.currency,
        as_of=utc_iso(health.now),
        attention_items=len(unpaid) + len(stuck) + len(owed) + len(requests),
        unpaid_artworks=unpaid,
        stuck_payouts=stuck,
        owed_without_payouts=owed,
        manual_requests=requests,
    )
