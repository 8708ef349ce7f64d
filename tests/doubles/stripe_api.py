"""A local Stripe API on a real port, speaking Stripe's wire format, for the real `stripe` SDK.

    with running_stripe_double() as stripe_api:       # or `with StripeDouble() as stripe_api:`
        client = stripe.StripeClient(
            CANADA_SECRET_KEY,
            base_addresses={"api": stripe_api.base_url},
            http_client=stripe.AIOHTTPClient(),         # async; close it with `await ...close_async()`
        )
        await client.v1.transfers.create_async({...}, {"idempotency_key": "k1"})

- Platforms: each secret key is its own platform account with its own balance and connected accounts.
  Two exist from the start: "canada" (`CANADA_SECRET_KEY`, 100,000.00 CAD available) and
  "international" (`INTERNATIONAL_SECRET_KEY`, 100,000.00 each in USD, AUD, NZD, GBP, EUR and THB, and
  10,000,000 JPY). `Authorization: Bearer <key>` must name one, otherwise 401 in Stripe's error format.
- Endpoints: `POST /v1/transfers` (form-encoded amount, currency, destination, transfer_group,
  description, metadata[...]), `GET /v1/transfers/{id}`, `GET /v1/transfers` (newest first; limit,
  starting_after, transfer_group, destination), `GET /v1/accounts/{id}`, `GET /v1/balance`.
- Idempotency as Stripe does it, per platform: a POST's `Idempotency-Key` with the same endpoint and
  parameters replays the saved answer with `Idempotent-Replayed: true` and `Original-Request`; other
  parameters get 400 `idempotency_error`; while the first request is still running, 409
  `idempotency_error` (code `idempotency_key_in_use`). Requests that fail parameter validation save
  nothing (the endpoint never ran), business errors (balance, destination) are saved and replayed.
- Errors are `{"error": {"type", "code", "message", "param", "doc_url"}}`: `balance_insufficient` (400),
  `resource_missing` for an unknown destination (400) or transfer (404), `account_invalid` (403) for an
  account the key cannot see, `insufficient_capabilities_for_transfer` (400), `parameter_missing`,
  `parameter_unknown`, `parameter_invalid_integer` (400).
- Seed: `add_connected_account(platform, ...)`, `set_balance(platform, currency, minor_units)`,
  `add_platform(name, secret_key, balances)`. Amounts are integers in minor units, as on the wire.
- Faults (each taken by the next matching request, any platform): `fail_next(n, status=500)` answers
  Stripe's `api_error` (or 429 `rate_limit`) before the API runs, so no idempotent result is saved;
  `hang_next(n, seconds=inf, stage=...)` holds a request: `"before"` it reaches the API (a black hole),
  `"during"` with its idempotency key claimed (retries get 409), `"after"` the transfer is made and
  saved but before the answer is sent (the answer is lost if the client gives up).
  `release_hangs()` lets held requests continue; stopping the double ends them.
- Inspect: `transfers` (wire objects), `transfers_of(platform)`, `balance(platform, currency)`,
  `requests` (every `StripeRequest`: method, path, platform, idempotency key, params, status), and
  `wait_until_held(count)` / `until_held(count)` (bounded) to act while a request is held.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import secrets
import string
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl

from aiohttp import web

from ._threaded_server import Journal, ThreadedServer

CANADA_SECRET_KEY = "sk_test_51AbcodexCanadaPlatformDouble"
INTERNATIONAL_SECRET_KEY = "sk_test_51AbcodexInternationalPlatformDouble"
Stage = Literal["before", "during", "after"]

_PLENTY = 10_000_000
_TRANSFER_PARAMS = {"amount", "currency", "destination", "transfer_group", "description", "source_transaction"}
_LIST_PARAMS = {"limit", "starting_after", "ending_before", "transfer_group", "destination"}
_API_ERROR = (
    "An unknown error occurred while processing your request (injected by the Stripe test double). "
    "If this problem persists, contact us at https://support.stripe.com/contact."
)


@dataclass
class StripeRequest:
    """One request as the SDK sent it; `status` is None until (unless) an answer was sent."""

    method: str
    path: str
    platform: str | None
    idempotency_key: str | None
    params: dict[str, str]
    status: int | None = None
    replayed: bool = False


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    saved: bool = True  # False: rejected before the endpoint ran, so an idempotency key is not kept


class _Rejected(Exception):
    def __init__(self, answer: _Answer) -> None:
        super().__init__(answer.body)
        self.answer = answer


@dataclass
class _Idempotent:
    endpoint: str
    params: list[tuple[str, str]]
    request_id: str
    answer: _Answer | None = None  # None while the first request is still running


@dataclass
class _Platform:
    name: str
    secret_key: str
    account: dict[str, Any]
    available: dict[str, int]
    connected: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, _Idempotent] = field(default_factory=dict)


@dataclass
class _Fault:
    kind: Literal["fail", "hang"]
    path: str | None
    status: int = 500
    seconds: float = math.inf
    stage: Stage = "before"


class StripeDouble:
    """Stripe's API for tests; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._platforms: dict[str, _Platform] = {}
        self._faults: list[_Fault] = []
        self._requests: Journal[StripeRequest] = Journal()
        self._holds: Journal[StripeRequest] = Journal()
        self._gates: set[asyncio.Event] = set()  # touched only on the server's loop
        self._running = False
        self._closing = False
        self.internal_errors: list[str] = []
        self.add_platform("canada", CANADA_SECRET_KEY, {"cad": _PLENTY}, country="CA")
        currencies = ("usd", "aud", "nzd", "gbp", "eur", "jpy", "thb")
        self.add_platform("international", INTERNATIONAL_SECRET_KEY, dict.fromkeys(currencies, _PLENTY))
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._serve)
        self._server = ThreadedServer(app)

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._server.start()
        self._running = True
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._closing = True
        self.release_hangs()
        self._running = False
        self._server.stop()
        if kind is None and self.internal_errors:
            raise AssertionError("the Stripe double failed:\n" + "\n".join(self.internal_errors))

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: the SDK's `base_addresses={"api": ...}`."""
        return self._server.base_url

    # -- seeding ----------------------------------------------------------------------------------

    def add_platform(self, name: str, secret_key: str, balances: dict[str, int], *, country: str = "US") -> None:
        """A platform account reached with `secret_key`, holding `balances` (minor units)."""
        currency = next(iter(balances), "usd")
        account = _account_object(_new_id("acct_1", 15), country=country, currency=currency)
        with self._lock:
            self._platforms[name] = _Platform(name, secret_key, account, dict(balances))

    def add_connected_account(
        self,
        platform: str = "canada",
        account_id: str | None = None,
        *,
        payouts_enabled: bool = True,
        charges_enabled: bool = True,
        transfers: Literal["active", "inactive", "pending"] | None = "active",
        country: str = "CA",
        default_currency: str = "cad",
    ) -> str:
        """Connect an artist's account to `platform` and return its id (`acct_...`)."""
        account_id = account_id or _new_id("acct_1", 15)
        account = _account_object(
            account_id,
            country=country,
            currency=default_currency,
            payouts_enabled=payouts_enabled,
            charges_enabled=charges_enabled,
            transfers=transfers,
        )
        with self._lock:
            self._platforms[platform].connected[account_id] = account
        return account_id

    def set_balance(self, platform: str, currency: str, minor_units: int) -> None:
        with self._lock:
            self._platforms[platform].available[currency.lower()] = minor_units

    def secret_key(self, platform: str) -> str:
        with self._lock:
            return self._platforms[platform].secret_key

    # -- faults -----------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500, *, path: str | None = None) -> None:
        """Answer the next `n` requests (whose path starts with `path`) with `status` in Stripe's format."""
        with self._lock:
            self._faults += [_Fault("fail", path, status=status) for _ in range(n)]

    def hang_next(
        self, n: int = 1, seconds: float = math.inf, *, stage: Stage = "before", path: str | None = None
    ) -> None:
        """Hold the next `n` requests for `seconds` (until released or stopped) at `stage`."""
        with self._lock:
            self._faults += [_Fault("hang", path, seconds=seconds, stage=stage) for _ in range(n)]

    def release_hangs(self) -> None:
        """Let every request held so far continue."""
        if self._running:  # otherwise nothing is held
            self._server.run(self._open_gates())

    def wait_until_held(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until `count` requests have been held (ever); TimeoutError after `timeout`."""
        self._holds.wait_for(lambda _: len(self._holds.entries()) >= count, timeout, f"{count} held")

    async def until_held(self, count: int = 1) -> None:
        """Await, without blocking the caller's loop, until `count` requests have been held.

        Bound it with `anyio.fail_after`; it gives up on its own after 10 s.
        """
        await self._holds.wait_for_async(lambda _: len(self._holds.entries()) >= count, 10.0, f"{count} held requests")

    # -- inspection -------------------------------------------------------------------------------

    @property
    def transfers(self) -> list[dict[str, Any]]:
        """Every transfer made, oldest first, as Stripe returns it (copies)."""
        with self._lock:
            made = [t for p in self._platforms.values() for t in p.transfers]
        return [_public(t) for t in sorted(made, key=lambda t: t["_seq"])]

    def transfers_of(self, platform: str) -> list[dict[str, Any]]:
        with self._lock:
            return [_public(t) for t in self._platforms[platform].transfers]

    def balance(self, platform: str, currency: str) -> int:
        with self._lock:
            return self._platforms[platform].available.get(currency.lower(), 0)

    @property
    def requests(self) -> list[StripeRequest]:
        return self._requests.entries()

    # -- the wire ---------------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.Response:
        request_id = _new_id("req_", 14)
        raw = await request.text() if request.method == "POST" else request.query_string
        params = parse_qsl(raw, keep_blank_values=True)
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        authorization = request.headers.get("Authorization")
        platform = self._authenticated(authorization)
        name = platform.name if platform else None
        entry = StripeRequest(request.method, request.path, name, key, dict(params))
        self._requests.append(entry)
        try:
            answer, original = await self._answer(entry, params, platform or authorization, request_id)
        except Exception as exc:  # a bug in the double must fail the test, not look like a Stripe outage
            self.internal_errors.append(f"{request.method} {request.path}: {exc!r}")
            answer, original = _error(500, "api_error", f"Stripe test double bug: {exc!r}"), None
        entry.status, entry.replayed = answer.status, original is not None
        headers = {"Request-Id": request_id}
        if "Stripe-Version" in request.headers:
            headers["Stripe-Version"] = request.headers["Stripe-Version"]
        if key:
            headers["Idempotency-Key"] = key
        if original:
            headers |= {"Idempotent-Replayed": "true", "Original-Request": original}
        if answer.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Stripe"'
        dumps = partial(json.dumps, indent=2)
        return web.json_response(answer.body, status=answer.status, headers=headers, dumps=dumps)

    async def _answer(
        self,
        entry: StripeRequest,
        params: list[tuple[str, str]],
        platform: _Platform | str | None,
        request_id: str,
    ) -> tuple[_Answer, str | None]:
        """The answer and, for a replay, the id of the request whose answer it repeats.

        `platform` is the authenticated platform, or else the Authorization header that matched none.
        """
        fault = self._take_fault(entry.path)
        if fault is not None and fault.kind == "fail":
            return _injected_failure(fault.status), None
        if fault is not None and fault.stage == "before":
            await self._hold(fault.seconds, entry)
        if self._closing:
            return _error(503, "api_error", "The Stripe test double is shutting down.", saved=False), None
        if not isinstance(platform, _Platform):
            return _unauthorized(platform), None
        if entry.idempotency_key is None:
            return await self._execute(entry, params, platform, fault), None
        with self._lock:
            earlier = platform.keys.get(entry.idempotency_key)
            if earlier is not None:
                return _idempotent_reuse(earlier, entry, params)
            claim = _Idempotent(f"{entry.method} {entry.path}", sorted(params), request_id)
            platform.keys[entry.idempotency_key] = claim
        try:
            answer = await self._execute(entry, params, platform, fault)
        except BaseException:
            with self._lock:
                del platform.keys[entry.idempotency_key]
            raise
        with self._lock:
            if answer.saved:
                claim.answer = answer
            else:
                del platform.keys[entry.idempotency_key]
        if fault is not None and fault.stage == "after":
            await self._hold(fault.seconds, entry)
        return answer, None

    async def _execute(
        self, entry: StripeRequest, params: list[tuple[str, str]], platform: _Platform, fault: _Fault | None
    ) -> _Answer:
        if fault is not None and fault.stage == "during":
            await self._hold(fault.seconds, entry)
            if self._closing:
                return _error(503, "api_error", "The Stripe test double is shutting down.", saved=False)
        with self._lock:
            try:
                return self._route(entry.method, entry.path, params, platform)
            except _Rejected as rejected:
                return rejected.answer

    def _route(self, method: str, path: str, params: list[tuple[str, str]], platform: _Platform) -> _Answer:
        if path == "/v1/transfers" and method == "POST":
            return _Answer(200, self._create_transfer(params, platform))
        if path == "/v1/transfers" and method == "GET":
            return _Answer(200, _list_transfers(params, platform, path))
        if path == "/v1/balance" and method == "GET":
            return _Answer(200, _balance_object(platform))
        found = re.fullmatch(r"/v1/(transfers|accounts)/([^/]+)", path)
        if found and method == "GET" and found[1] == "transfers":
            return _retrieve_transfer(found[2], platform)
        if found and method == "GET":
            return _retrieve_account(found[2], platform)
        message = f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs."
        return _error(404, "invalid_request_error", message)

    def _create_transfer(self, params: list[tuple[str, str]], platform: _Platform) -> dict[str, Any]:
        values, metadata = _transfer_params(params)
        amount = _positive_integer(values, "amount")
        currency = values["currency"].lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _Rejected(_invalid("currency", f"Invalid currency: {values['currency']}."))
        destination = values["destination"]
        account = platform.connected.get(destination)
        if account is None:
            message = f"No such destination: '{destination}'"
            raise _Rejected(_error(400, "invalid_request_error", message, "resource_missing", "destination"))
        if account.get("capabilities", {}).get("transfers") != "active":
            raise _Rejected(_missing_capability())
        if platform.available.get(currency, 0) < amount:
            raise _Rejected(_balance_insufficient())
        platform.available[currency] -= amount
        transfer = _transfer_object(amount, currency, destination, values, metadata)
        transfer["_seq"] = sum(len(p.transfers) for p in self._platforms.values())
        platform.transfers.append(transfer)
        return _public(transfer)

    # -- holds and faults ---------------------------------------------------------------------------

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path.startswith(fault.path):
                    self._faults.remove(fault)
                    return fault
        return None

    async def _hold(self, seconds: float, entry: StripeRequest) -> None:
        gate = asyncio.Event()
        self._gates.add(gate)
        self._holds.append(entry)
        try:
            async with asyncio.timeout(None if math.isinf(seconds) else seconds):
                await gate.wait()
        except TimeoutError:
            pass
        finally:
            self._gates.discard(gate)

    async def _open_gates(self) -> None:
        for gate in list(self._gates):
            gate.set()

    def _authenticated(self, authorization: str | None) -> _Platform | None:
        key = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            return next((p for p in self._platforms.values() if key and p.secret_key == key), None)


@contextlib.contextmanager
def running_stripe_double() -> Iterator[StripeDouble]:
    """A started `StripeDouble`, stopped (and checked for its own failures) on exit."""
    with StripeDouble() as double:
        yield double


# -- Stripe's objects --------------------------------------------------------------------------------


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def _account_object(account_id: str, *, country: str, currency: str, **status: Any) -> dict[str, Any]:
    payouts = status.get("payouts_enabled", True)
    transfers = status.get("transfers", "active")
    return {
        "id": account_id,
        "object": "account",
        "business_type": "individual",
        "capabilities": {} if transfers is None else {"transfers": transfers},
        "charges_enabled": status.get("charges_enabled", True),
        "country": country,
        "created": int(time.time()),
        "default_currency": currency,
        "details_submitted": payouts,
        "email": None,
        "metadata": {},
        "payouts_enabled": payouts,
        "requirements": {"currently_due": [], "disabled_reason": None if payouts else "requirements.past_due"},
        "type": "express",
    }


def _transfer_object(
    amount: int, currency: str, destination: str, values: dict[str, str], metadata: dict[str, str]
) -> dict[str, Any]:
    transfer_id = _new_id("tr_1", 23)
    return {
        "id": transfer_id,
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "balance_transaction": _new_id("txn_1", 23),
        "created": int(time.time()),
        "currency": currency,
        "description": values.get("description"),
        "destination": destination,
        "destination_payment": _new_id("py_1", 23),
        "livemode": False,
        "metadata": metadata,
        "reversals": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/transfers/{transfer_id}/reversals",
        },
        "reversed": False,
        "source_transaction": values.get("source_transaction"),
        "source_type": "card",
        "transfer_group": values.get("transfer_group"),
    }


def _public(transfer: dict[str, Any]) -> dict[str, Any]:
    """A deep copy without the double's own bookkeeping keys."""
    copy: dict[str, Any] = json.loads(json.dumps({k: v for k, v in transfer.items() if not k.startswith("_")}))
    return copy


def _balance_object(platform: _Platform) -> dict[str, Any]:
    def funds(amounts: dict[str, int]) -> list[dict[str, Any]]:
        return [{"amount": a, "currency": c, "source_types": {"card": a}} for c, a in sorted(amounts.items())]

    return {
        "object": "balance",
        "available": funds(platform.available),
        "pending": funds(dict.fromkeys(platform.available, 0)),
        "livemode": False,
    }


def _list_transfers(params: list[tuple[str, str]], platform: _Platform, url: str) -> dict[str, Any]:
    values = dict(params)
    for name in values:
        if name not in _LIST_PARAMS and not name.startswith(("expand", "created")):
            raise _Rejected(_unknown_parameter(name))
    limit = _positive_integer(values, "limit", default=10)
    if limit > 100:
        raise _Rejected(_invalid("limit", "This value must be less than or equal to 100.", "parameter_invalid_integer"))
    wanted = {name: values[name] for name in ("transfer_group", "destination") if name in values}
    matching = [t for t in reversed(platform.transfers) if all(t[k] == v for k, v in wanted.items())]
    if "starting_after" in values:
        ids = [t["id"] for t in matching]
        if values["starting_after"] not in ids:
            raise _Rejected(_no_such("transfer", values["starting_after"], "starting_after", status=400))
        matching = matching[ids.index(values["starting_after"]) + 1 :]
    page = [_public(t) for t in matching[:limit]]
    return {"object": "list", "data": page, "has_more": len(matching) > limit, "url": url}


def _retrieve_transfer(transfer_id: str, platform: _Platform) -> _Answer:
    found = next((t for t in platform.transfers if t["id"] == transfer_id), None)
    return _Answer(200, _public(found)) if found else _no_such("transfer", transfer_id, "id")


def _retrieve_account(account_id: str, platform: _Platform) -> _Answer:
    if account_id == platform.account["id"]:
        return _Answer(200, platform.account)
    if account_id in platform.connected:
        return _Answer(200, platform.connected[account_id])
    message = (
        f"The provided key '{_masked(platform.secret_key)}' does not have access to account "
        f"'{account_id}' (or that account does not exist). Application access may have been revoked."
    )
    return _error(403, "invalid_request_error", message, "account_invalid")


# -- parameters ---------------------------------------------------------------------------------------


def _transfer_params(params: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {}
    metadata: dict[str, str] = {}
    for name, value in params:
        if (meta := re.fullmatch(r"metadata\[(.+)\]", name)) is not None:
            metadata[meta[1]] = value
        elif name in _TRANSFER_PARAMS or name.startswith("expand["):
            values[name] = value
        else:
            raise _Rejected(_unknown_parameter(name))
    for name in ("amount", "currency", "destination"):
        if not values.get(name):
            raise _Rejected(_invalid(name, f"Missing required param: {name}.", "parameter_missing"))
    if len(metadata) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in metadata.items()):
        message = "Metadata can have up to 50 keys of up to 40 characters and values of up to 500 characters."
        raise _Rejected(_invalid("metadata", message))
    return values, metadata


def _positive_integer(values: dict[str, str], name: str, default: int | None = None) -> int:
    raw = values.get(name)
    if raw is None and default is not None:
        return default
    if raw is None or not re.fullmatch(r"-?\d+", raw):
        raise _Rejected(_invalid(name, f"Invalid integer: {raw}", "parameter_invalid_integer"))
    if int(raw) < 1:
        message = "This value must be greater than or equal to 1."
        raise _Rejected(_invalid(name, message, "parameter_invalid_integer"))
    return int(raw)


# -- errors, in Stripe's format -------------------------------------------------------------------------


def _error(
    status: int,
    kind: str,
    message: str,
    code: str | None = None,
    param: str | None = None,
    *,
    saved: bool = True,
) -> _Answer:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error |= {"code": code, "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"}
    if param:
        error["param"] = param
    return _Answer(status, {"error": error}, saved)


def _invalid(param: str, message: str, code: str | None = None) -> _Answer:
    """A parameter rejected before the endpoint ran: nothing is saved under an idempotency key."""
    return _error(400, "invalid_request_error", message, code, param, saved=False)


def _unknown_parameter(name: str) -> _Answer:
    return _invalid(name, f"Received unknown parameter: {name}", "parameter_unknown")


def _no_such(kind: str, object_id: str, param: str, status: int = 404) -> _Answer:
    return _error(status, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing", param)


def _balance_insufficient() -> _Answer:
    message = (
        "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
        "available balance by creating Top-ups: https://stripe.com/docs/api#create_topup."
    )
    return _error(400, "invalid_request_error", message, "balance_insufficient")


def _missing_capability() -> _Answer:
    message = (
        "Your destination account needs to have at least one of the following capabilities enabled: "
        "transfers, crypto_transfers, legacy_payments"
    )
    return _error(400, "invalid_request_error", message, "insufficient_capabilities_for_transfer", "destination")


def _injected_failure(status: int) -> _Answer:
    if status == 429:
        message = "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."
        return _error(429, "invalid_request_error", message, "rate_limit", saved=False)
    return _error(status, "api_error", _API_ERROR, saved=False)


def _unauthorized(authorization: str | None) -> _Answer:
    key = (authorization or "").removeprefix("Bearer ").strip()
    if key:
        return _error(401, "invalid_request_error", f"Invalid API Key provided: {_masked(key)}")
    message = (
        "You did not provide an API key. You need to provide your API key in the Authorization header, "
        "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
        "See https://stripe.com/docs/api#authentication for details."
    )
    return _error(401, "invalid_request_error", message)


def _idempotent_reuse(
    earlier: _Idempotent, entry: StripeRequest, params: list[tuple[str, str]]
) -> tuple[_Answer, str | None]:
    key = entry.idempotency_key
    if earlier.answer is None:
        message = (
            "There is currently another in-progress request using this Idempotent Key (that probably means "
            f"you submitted twice, and the other request is still going through): {key}. "
            "Please try again later."
        )
        return _error(409, "idempotency_error", message, "idempotency_key_in_use"), None
    if earlier.endpoint != f"{entry.method} {entry.path}":
        message = (
            "Keys for idempotent requests can only be used for the same endpoint they were first used for "
            f"('{earlier.endpoint}' vs '{entry.method} {entry.path}'). Try using a key other than '{key}' "
            "if you meant to execute a different request."
        )
        return _error(400, "idempotency_error", message), None
    if earlier.params != sorted(params):
        message = (
            "Keys for idempotent requests can only be used with the same parameters they were first used "
            f"with. Try using a key other than '{key}' if you meant to execute a different request."
        )
        return _error(400, "idempotency_error", message), None
    return earlier.answer, earlier.request_id


def _masked(secret_key: str) -> str:
    hidden = max(len(secret_key) - 12, 4)
    return secret_key[:8] + "*" * hidden + secret_key[-4:]
