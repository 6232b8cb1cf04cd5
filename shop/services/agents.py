"""Human agents of the desk: accounts with scrypt-hashed passwords, roles, skill groups, sessions.

Passwords are hashed with ``hashlib.scrypt`` (the standard library's memory-hard KDF) and a random
salt; a desk session is a random secret in an HttpOnly cookie of which only the SHA-256 is stored,
with its own CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AGENT_ROLES, SKILL_GROUP_NAMES, Agent, AgentSession, SignInFailure

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
SESSION_HOURS = 12
# Password guessing: after this many wrong passwords for one name (or from one address) within the
# window, sign-in is refused for it until old failures age out, even with the right password.
SIGN_IN_MAX_FAILURES_PER_NAME = 10
SIGN_IN_MAX_FAILURES_PER_CLIENT = 30
SIGN_IN_WINDOW = timedelta(minutes=15)
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,49}")


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    display_name: str
    role: str
    skill_groups: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class DeskSession:
    agent: AgentView
    csrf_token: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)


def parse_skill_groups(text: str) -> tuple[str, ...]:
    """"售后,物流" → ("售后", "物流"); an unknown group is refused."""
    groups = tuple(dict.fromkeys(part.strip() for part in re.split(r"[,，\s]+", text or "") if part.strip()))
    unknown = [group for group in groups if group not in SKILL_GROUP_NAMES]
    if unknown or not groups:
        raise DomainError("invalid_input", f"skill groups must be some of {SKILL_GROUP_NAMES}", field="skill_groups")
    return groups


def add_agent(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    skill_groups: tuple[str, ...],
    clock: Clock,
) -> AgentView:
    """Create an agent account; the username is unique, the password at least 8 characters."""
    username = (username or "").strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise DomainError("invalid_input", "username: 2-50 of a-z 0-9 . _ -", field="username")
    if not MIN_PASSWORD_LENGTH <= len(password or "") <= MAX_PASSWORD_LENGTH:
        raise DomainError("invalid_input", f"password: {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters",
                          field="password")
    if role not in AGENT_ROLES:
        raise DomainError("invalid_input", f"role must be one of {AGENT_ROLES}", field="role")
    display_name = (display_name or username).strip()[:50]
    if session.execute(select(Agent.id).where(Agent.username == username)).first():
        raise DomainError("invalid_input", f"agent {username!r} exists already", field="username")
    agent = Agent(username=username, display_name=display_name, password_hash=hash_password(password), role=role,
                  skill_groups=",".join(skill_groups), active=True, created_at=clock())
    session.add(agent)
    session.flush()
    return agent_view(agent)


def agent_view(agent: Agent) -> AgentView:
    groups = tuple(group for group in (agent.skill_groups or "").split(",") if group)
    return AgentView(agent.id, agent.username, agent.display_name, agent.role, groups)


def sign_in(session: Session, username: str, password: str, *, clock: Clock,
            client: str | None = None) -> tuple[str, DeskSession] | None:
    """(cookie secret, session) for the right password of an active agent, else None (also while the
    name or the address is locked by too many wrong passwords)."""
    if len(password or "") > MAX_PASSWORD_LENGTH or len(username or "") > 50:
        return None
    name, client = (username or "").strip().lower(), (client or "")[:64] or None
    if _sign_in_locked(session, name, client, clock()):
        hash_password(password or "")  # the same work as a check: a lock does not show in the timing
        return None
    agent = session.execute(
        select(Agent).where(Agent.username == name, Agent.active.is_(True))
    ).scalar_one_or_none()
    if agent is None:
        hash_password(password or "")  # the same work as a real check: no timing hint that the name is unknown
        session.add(SignInFailure(username=name, client=client, at=clock()))
        return None
    if not password_matches(password or "", agent.password_hash):
        session.add(SignInFailure(username=name, client=client, at=clock()))
        return None
    secret = secrets.token_urlsafe(32)
    now = clock()
    row = AgentSession(token_hash=_digest(secret), agent_id=agent.id, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + timedelta(hours=SESSION_HOURS))
    session.add(row)
    session.execute(delete(AgentSession).where(AgentSession.expires_at < now))
    session.flush()
    return secret, DeskSession(agent_view(agent), row.csrf_token)


def _sign_in_locked(session: Session, name: str, client: str | None, now: object) -> bool:
    def failures(*conditions: object) -> int:
        query = select(func.count()).select_from(SignInFailure)
        return int(session.execute(query.where(SignInFailure.at >= now - SIGN_IN_WINDOW, *conditions)).scalar_one())

    if failures(SignInFailure.username == name) >= SIGN_IN_MAX_FAILURES_PER_NAME:
        return True
    return client is not None and failures(SignInFailure.client == client) >= SIGN_IN_MAX_FAILURES_PER_CLIENT


def session_for(session: Session, secret: str | None, *, clock: Clock) -> DeskSession | None:
    """The signed-in agent of a cookie secret, or None when absent, unknown or expired."""
    if not secret or len(secret) > 100:
        return None
    row = session.execute(select(AgentSession).where(AgentSession.token_hash == _digest(secret))).scalar_one_or_none()
    if row is None or row.expires_at <= clock():
        return None
    agent = session.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        return None
    return DeskSession(agent_view(agent), row.csrf_token)


def sign_out(session: Session, secret: str | None) -> None:
    if secret:
        session.execute(delete(AgentSession).where(AgentSession.token_hash == _digest(secret)))


def csrf_matches(desk_session: DeskSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(desk_session.csrf_token, str(token))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
