"""API keys: created once, shown once, stored only as a hash."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, or_, select, update

from stillmotion.jobs.database import api_keys, now_ms, webhook_secrets

KEY_PREFIX = "sm_"
WEBHOOK_SECRET_PREFIX = "whsec_"  # the Standard Webhooks convention
# A rotated webhook secret keeps signing beside its successor this long, so receivers can
# move to the new one without rejecting a delivery in between.
WEBHOOK_SECRET_GRACE_MS = 24 * 3600 * 1000


def new_webhook_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, the form Standard Webhooks libraries accept."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class KeyInfo:
    """A key as listings show it: never the secret itself."""

    id: str
    name: str
    prefix: str
    created_ms: int
    revoked_ms: int | None


def hash_key(secret: str) -> str:
    """SHA-256 is enough: keys are 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(secret.encode()).hexdigest()


# Built once: every request runs it.
_AUTHENTICATE = select(api_keys.c.id).where(
    api_keys.c.key_hash == bindparam("key_hash"), api_keys.c.revoked_ms.is_(None))


class KeyStore:
    """Create, list, revoke and check keys in the service database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str) -> str:
        """A new key's secret, returned once; only its hash is kept. The key's webhook
        signing secret is made with it (`webhook_secret` shows it)."""
        name = name.strip()
        if not name:
            raise ValueError("a key needs a name")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key_id = str(uuid.uuid4())
        with self.engine.begin() as conn:
            if conn.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first():
                raise ValueError(f"a key named {name!r} already exists")
            conn.execute(api_keys.insert().values(
                id=key_id, name=name, prefix=secret[:8],
                key_hash=hash_key(secret), created_ms=now_ms(), revoked_ms=None))
            self._add_webhook_secret(conn, key_id)
        return secret

    # --- webhook signing secrets ---------------------------------------------------------

    def webhook_secret(self, name: str) -> str:
        """The key's current webhook signing secret (made now for a key older than them)."""
        with self.engine.begin() as conn:
            key_id = self._key_id(conn, name)
            current = self._current_secret(conn, key_id)
            return current if current is not None else self._add_webhook_secret(conn, key_id)

    def rotate_webhook_secret(self, name: str) -> str:
        """A new current secret; the old one keeps signing for WEBHOOK_SECRET_GRACE_MS."""
        with self.engine.begin() as conn:
            key_id = self._key_id(conn, name)
            conn.execute(update(webhook_secrets).where(
                webhook_secrets.c.key_id == key_id, webhook_secrets.c.retired_ms.is_(None)
            ).values(retired_ms=now_ms()))
            return self._add_webhook_secret(conn, key_id)

    def signing_secrets(self, key_id: str) -> list[str]:
        """Every secret a delivery for this key is signed with: the current one first, then
        those retired within the grace period. Makes the current one if the key has none."""
        cutoff = now_ms() - WEBHOOK_SECRET_GRACE_MS
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(webhook_secrets.c.secret, webhook_secrets.c.retired_ms)
                .where(webhook_secrets.c.key_id == key_id,
                       or_(webhook_secrets.c.retired_ms.is_(None),
                           webhook_secrets.c.retired_ms >= cutoff))
                .order_by(webhook_secrets.c.created_ms.desc())).all()
            if not any(row.retired_ms is None for row in rows):
                return [self._add_webhook_secret(conn, key_id)] + [row.secret for row in rows]
        return [row.secret for row in rows]

    @staticmethod
    def _key_id(conn: Connection, name: str) -> str:
        row = conn.execute(select(api_keys.c.id).where(
            api_keys.c.name == name, api_keys.c.revoked_ms.is_(None))).first()
        if row is None:
            raise ValueError(f"no active key named {name!r}")
        return str(row[0])

    @staticmethod
    def _current_secret(conn: Connection, key_id: str) -> str | None:
        row = conn.execute(select(webhook_secrets.c.secret).where(
            webhook_secrets.c.key_id == key_id, webhook_secrets.c.retired_ms.is_(None))
            .order_by(webhook_secrets.c.created_ms.desc())).first()
        return str(row[0]) if row else None

    @staticmethod
    def _add_webhook_secret(conn: Connection, key_id: str) -> str:
        secret = new_webhook_secret()
        conn.execute(webhook_secrets.insert().values(
            id=str(uuid.uuid4()), key_id=key_id, secret=secret, created_ms=now_ms(),
            retired_ms=None))
        return secret

    def list(self) -> list[KeyInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_keys).order_by(api_keys.c.created_ms)).all()
        return [KeyInfo(r.id, r.name, r.prefix, r.created_ms, r.revoked_ms) for r in rows]

    def revoke(self, name: str) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(update(api_keys).where(
                api_keys.c.name == name, api_keys.c.revoked_ms.is_(None)
            ).values(revoked_ms=now_ms()))
        if result.rowcount != 1:
            raise ValueError(f"no active key named {name!r}")

    def authenticate(self, secret: str) -> str | None:
        """The owning key's id for a valid, unrevoked key; None otherwise."""
        with self.engine.connect() as conn:
            row = conn.execute(_AUTHENTICATE, {"key_hash": hash_key(secret)}).first()
        return row[0] if row else None

    def count(self) -> int:
        return len(self.list())
