"""Issuing, rotating, checking and revoking sandbox Intuit OAuth tokens (stored as sha256)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.sandbox.models import SandboxKnobs
from integrations.sandbox.qbo.models import (
    SandboxQboAccessToken,
    SandboxQboAuthCode,
    SandboxQboCompany,
    SandboxQboGrant,
)

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
# Intuit's hard maximum for a connection: five years from consent, however often it is refreshed.
HARD_LIFETIME = timedelta(days=5 * 365)


class InvalidGrant(Exception):
    """The code or refresh token is unknown, used, expired or revoked."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _access_token() -> str:
    # Intuit's access tokens are JWEs of about a kilobyte; the length catches short columns.
    return "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(720)


def _refresh_token() -> str:
    return "RT1-" + secrets.token_urlsafe(36)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    hard_expires_in: int = 0

    def payload(self, *, with_hard_expiry: bool = False) -> dict:
        """The token endpoint's JSON: exactly the five keys, no id_token (a sixth, the hard
        expiry, only when the request asked for it, as at Intuit)."""
        body = {
            "x_refresh_token_expires_in": self.refresh_expires_in,
            "refresh_token": self.refresh_token,
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }
        if with_hard_expiry:
            body["x_refresh_token_hard_expires_in"] = self.hard_expires_in
        return body


def issue_code(company: SandboxQboCompany, *, client_id: str, redirect_uri: str, scope: str) -> str:
    """A fresh single-use authorization code, valid for ten minutes."""
    code = "AB11" + secrets.token_urlsafe(30)
    SandboxQboAuthCode.objects.create(
        company=company,
        code_hash=digest(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    return code


def _new_tokens(grant: SandboxQboGrant, knobs: SandboxKnobs) -> TokenSet:
    """Set a new refresh token on the grant (killing the old one) and add an access token."""
    now = timezone.now()
    refresh = _refresh_token()
    access = _access_token()
    grant.refresh_token_hash = digest(refresh)
    grant.refresh_expires_at = now + timedelta(seconds=knobs.qbo_refresh_token_lifetime)
    grant.save(update_fields=["refresh_token_hash", "refresh_expires_at"])
    # Expired access tokens of this grant are useless; drop them so the table stays small.
    grant.tokens.filter(expires_at__lt=now).delete()
    SandboxQboAccessToken.objects.create(
        grant=grant,
        token_hash=digest(access),
        expires_at=now + timedelta(seconds=knobs.qbo_access_token_lifetime),
    )
    hard_left = grant.created_at + HARD_LIFETIME - now
    return TokenSet(
        access,
        refresh,
        knobs.qbo_access_token_lifetime,
        knobs.qbo_refresh_token_lifetime,
        max(0, int(hard_left.total_seconds())),
    )


def exchange_code(code: str, *, client_id: str, redirect_uri: str) -> tuple[TokenSet, str]:
    """Trade an authorization code for tokens; returns them and the realm id."""
    knobs = SandboxKnobs.current()
    with transaction.atomic():
        row = (
            SandboxQboAuthCode.objects.select_for_update()
            .select_related("company")
            .filter(code_hash=digest(code))
            .first()
        )
        if row is None or row.used_at is not None or row.expires_at <= timezone.now():
            raise InvalidGrant("code unknown, used or expired")
        if row.client_id != client_id or row.redirect_uri != redirect_uri:
            raise InvalidGrant("client or redirect_uri does not match the code")
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        grant = SandboxQboGrant(
            company=row.company,
            client_id=client_id,
            scope=row.scope,
            refresh_token_hash=digest(secrets.token_hex(16)),
            refresh_expires_at=timezone.now(),
        )
        grant.save()
        tokens = _new_tokens(grant, knobs)
    logger.info("sandbox intuit: grant %s issued for realm %s", grant.pk, row.company.realm_id)
    return tokens, row.company.realm_id


def rotate(refresh_token: str, *, client_id: str) -> TokenSet:
    """Refresh: always a new refresh token; the presented one is dead from now on."""
    knobs = SandboxKnobs.current()
    with transaction.atomic():
        grant = (
            SandboxQboGrant.objects.select_for_update()
            .filter(refresh_token_hash=digest(refresh_token))
            .first()
        )
        if (
            grant is None
            or grant.revoked_at is not None
            or grant.refresh_expires_at <= timezone.now()
            or grant.created_at + HARD_LIFETIME <= timezone.now()
            or grant.client_id != client_id
        ):
            raise InvalidGrant("refresh token unknown, rotated, expired or revoked")
        tokens = _new_tokens(grant, knobs)
    logger.info("sandbox intuit: grant %s refreshed", grant.pk)
    return tokens


def revoke(token: str, *, client_id: str) -> bool:
    """Revoke the whole grant a refresh or access token belongs to; False if unknown."""
    hashed = digest(token)
    grant = SandboxQboGrant.objects.filter(refresh_token_hash=hashed, client_id=client_id).first()
    if grant is None:
        access = (
            SandboxQboAccessToken.objects.select_related("grant")
            .filter(token_hash=hashed, grant__client_id=client_id)
            .first()
        )
        grant = access.grant if access else None
    if grant is None:
        return False
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
    logger.info("sandbox intuit: grant %s revoked", grant.pk)
    return True


def grant_for_access_token(token: str) -> tuple[SandboxQboGrant | None, str]:
    """The live grant behind a bearer token, or None with the reason."""
    row = (
        SandboxQboAccessToken.objects.select_related("grant", "grant__company")
        .filter(token_hash=digest(token))
        .first()
    )
    if row is None:
        return None, "Token invalid"
    if row.grant.revoked_at is not None:
        return None, "Token revoked"
    if row.expires_at <= timezone.now():
        return None, "Token expired: the access token has expired"
    return row.grant, ""
