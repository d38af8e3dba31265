"""API keys: created once, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, select, update

from stillmotion.jobs.database import api_keys, now_ms

KEY_PREFIX = "sm_"


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
        """A new key's secret, returned once; only its hash is kept."""
        name = name.strip()
        if not name:
            raise ValueError("a key needs a name")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            if conn.execute(select(api_keys.c.id).where(api_keys.c.name == name)).first():
                raise ValueError(f"a key named {name!r} already exists")
            conn.execute(api_keys.insert().values(
                id=str(uuid.uuid4()), name=name, prefix=secret[:8],
                key_hash=hash_key(secret), created_ms=now_ms(), revoked_ms=None))
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
