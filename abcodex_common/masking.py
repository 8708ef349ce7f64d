"""Personal data never leaves the gateway unmasked: emails and phones are reduced to a recognisable hint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")
_SENSITIVE_KEYS = ("email", "phone", "token", "secret", "password", "authorization")


def mask_email(email: str | None) -> str | None:
    """`maya.okafor@example.com` → `m***@example.com`."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    """Keep the last two digits only: `+1 416 555 0101` → `***01`."""
    digits = re.sub(r"\D", "", phone or "")
    return f"***{digits[-2:]}" if len(digits) >= 4 else None


def mask_text(text: str) -> str:
    """Mask every email and phone number inside free text."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)) or "***", text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)) or "***", text)


def mask_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments as they may be logged or audited: secrets dropped, personal data masked."""
    masked: dict[str, Any] = {}
    for key, value in arguments.items():
        if any(word in key.lower() for word in _SENSITIVE_KEYS):
            masked[key] = "***"
        elif isinstance(value, str):
            masked[key] = mask_text(value)[:500]
        elif isinstance(value, Mapping):
            masked[key] = mask_arguments(value)
        else:
            masked[key] = value
    return masked
