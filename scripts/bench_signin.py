"""Sign-in latency (argon2id dominates): p50/p95 over N sign-ins through app.services.identity.authentication.

    DATABASE_URL=postgresql://... REDIS_URL=redis://... python scripts/bench_signin.py [N]

Needs a migrated database. Creates one throw-away verified user. Prints numbers; it is not a test.
The per-account sign-in limit is raised for this process only, so the limiter does not stop the run.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time

os.environ.setdefault("RATE_SIGNIN_ACCOUNT", "1000000/minute")
os.environ.setdefault("RATE_SIGNIN_PAIR", "1000000/minute")
os.environ.setdefault("RATE_SIGNIN_IP", "1000000/minute")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    from sqlmodel import delete

    from app.core.db import session_scope
    from app.services.identity import authentication, passwords, sessions
    from models import User
    from models.base import utcnow

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    password = "benchmark passphrase " + secrets.token_hex(4)
    with session_scope() as session:
        user = User(email=f"bench-{secrets.token_hex(4)}@example.test", display_name="Bench",
                    password_hash=passwords.hash_password(password), email_verified_at=utcnow(),
                    password_changed_at=utcnow(), last_sign_in_at=utcnow())
        session.add(user)
    ok_ms, fail_ms, unknown_ms, hash_ms = [], [], [], []
    try:
        for _ in range(n):
            with session_scope() as session:
                t = time.perf_counter()
                result = authentication.sign_in(session, email_address=user.email, password=password,
                                          ip="127.0.0.1", user_agent="bench")
                ok_ms.append((time.perf_counter() - t) * 1000)
            sessions.revoke_token(result.session_token)
            unknown = f"nobody-{secrets.token_hex(4)}@x.test"
            for bucket, address in ((fail_ms, user.email), (unknown_ms, unknown)):
                with session_scope() as session:
                    t = time.perf_counter()
                    try:
                        authentication.sign_in(session, email_address=address, password="wrong " + password,
                                         ip="127.0.0.1")
                    except Exception:  # noqa: BLE001 - a refused sign-in is the thing measured
                        pass
                    bucket.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            passwords.hash_password(password)
            hash_ms.append((time.perf_counter() - t) * 1000)
    finally:
        with session_scope() as session:
            session.execute(delete(User).where(User.id == user.id))  # type: ignore[arg-type]
    print(f"argon2id m={passwords.MEMORY_COST_KIB} KiB t={passwords.TIME_COST} p={passwords.PARALLELISM}, "
          f"N={n} each, cpu count {os.cpu_count()}")
    for name, values in (("sign-in ok", ok_ms), ("wrong password", fail_ms), ("unknown e-mail", unknown_ms),
                         ("hash only", hash_ms)):
        print(f"{name:16s} p50 {statistics.median(values):7.1f} ms   p95 {pct(values, 95):7.1f} ms   "
              f"max {max(values):7.1f} ms")


if __name__ == "__main__":
    main()
