"""Calendar benchmark (`make bench-ui`): 2,000 targets in the visible month, the PRODUCTION build,
headless Chromium. Prints one JSON line:

- tti_ms: navigation start -> the first calendar event painted (browser clock), reloading a tab that
  had the calendar open (its state is still on the server); tti_cold_ms: the same in a new tab (new
  state: sign-in check, workspace, filters, then the month's query);
- drag_p50_ms / drag_p95_ms over N drags: mouse released -> the server's "Moved to" answer on screen
  (the reschedule is saved and re-validated before that toast is sent);
- settled_p50_ms / p95: mouse released -> the calendar's last change (the month's list re-sent after the
  move is drawn: counts of crowded days), i.e. when the page is quiet again;
- two_a_day: the same drags in a month of 60 posts (two a day), where a drop rarely changes a count;
- save_only_p50_ms / p95: the reschedule service alone (posts.schedule_post), to split server from UI;
- live_runs_ms: a shown post set to published in the database behind the page's back -> its event
  recoloured (the open calendar's watch asks every WATCH_SECONDS, so expect up to that plus a read);
- load_avg_1m_before / load_avg_1m: the machine's load before and after measuring (the numbers are
  only comparable at similar load).

    python scripts/bench_ui.py [--targets 2000] [--drags 20]

Uses its own database (created and dropped) on TEST_DATABASE_URL's server, or an embedded PostgreSQL,
and its own Redis (embedded unless TEST_REDIS_URL is set). Targets: < 1.5 s and p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
TZ = "Europe/Berlin"

WATCH = """
window.__painted = null;
new MutationObserver((muts, obs) => {
  if (document.querySelector('.fc-event')) { window.__painted = performance.now(); obs.disconnect(); }
}).observe(document, {childList: true, subtree: true});
"""
ARM = """() => {
  window.__done = null; window.__lastMut = performance.now();
  if (!window.__calObs) {
    window.__calObs = new MutationObserver(() => { window.__lastMut = performance.now(); });
    window.__calObs.observe(document.querySelector('.fc-view-harness'),
                            {childList: true, subtree: true, attributes: true, characterData: true});
  }
  if (!window.__toastObs) {
    window.__toastObs = new MutationObserver((muts) => {
      for (const m of muts) for (const n of m.addedNodes)
        if (window.__done === null && n.textContent && /Moved to|Not moved/.test(n.textContent)) {
          window.__done = performance.now(); window.__said = n.textContent;
        }
    });
    window.__toastObs.observe(document.body, {childList: true, subtree: true});
  }
}"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def seed(n: int) -> tuple[object, date]:
    """A fresh verified user owning a workspace with one channel and n scheduled targets in this month."""
    from app.core.db import new_session
    from models import Post, PostTarget
    from tests.factories import make_channel, make_user, make_workspace

    tz = ZoneInfo(TZ)
    today = datetime.now(tz).date()
    first = today.replace(day=1)
    days = ((first + timedelta(days=32)).replace(day=1) - first).days
    with new_session() as session:
        user = make_user(session, email_verified_at=datetime.now(UTC), display_name="Bench")
        ws = make_workspace(session, owner=user, name="Bench studio", timezone=TZ)
        channel = make_channel(session, ws, "bluesky", name="Bench on Bluesky", account="bench.test")
        for i in range(n):
            day = first + timedelta(days=i % days)
            when = datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=8, minutes=i // days * 7)
            post = Post(workspace_id=ws.id, author_id=user.id, body=f"Bench post {i}", status="scheduled")
            session.add(post)
            session.flush()
            session.add(PostTarget(workspace_id=ws.id, post_id=post.id, channel_id=channel.id,
                                   scheduled_at=when.astimezone(UTC), status="scheduled",
                                   idempotency_key=secrets.token_hex(16)))
        session.commit()
        session.refresh(user)
        return user, today


def save_only(user: object, today: date, n: int) -> list[float]:
    """The reschedule service alone (what the drop handler waits for), to split server from UI time."""
    from sqlmodel import select

    from app.core.db import session_scope, user_claims
    from app.services.planning import posts
    from models import Post

    uid = user.id  # type: ignore[attr-defined]
    with session_scope(user_claims(uid)) as session:
        ids = [p.id for p in session.exec(select(Post).where(Post.author_id == uid).limit(n)).all()]
    took = []
    for k, post_id in enumerate(ids):
        local = datetime.combine(today + timedelta(days=2 + k % 3), datetime.min.time()) + timedelta(hours=9)
        started = time.perf_counter()
        with session_scope(user_claims(uid)) as session:
            posts.schedule_post(session, uid, post_id, local_time=local, timezone=TZ)
        took.append((time.perf_counter() - started) * 1000)
    return took


def _drag_times(page: Any, today: date, drags: int) -> tuple[list[float], list[float]]:
    """Drag posts onto future days: (mouse released -> "Moved to" shown, -> calendar's last change)."""
    # Future days on the grid to drop on (tomorrow onwards), posts from any day to drag.
    cells = [d.isoformat() for d in (today + timedelta(days=k) for k in range(1, 12))
             if page.locator(f'td[data-date="{d.isoformat()}"]').count()]
    round_trips: list[float] = []
    settled: list[float] = []
    for i in range(drags):
        event = page.locator(".fc-daygrid-event:not(.qc-more)").nth(i % 3)
        box = event.bounding_box()
        day = cells[i % len(cells)]
        cell = page.locator(f'td[data-date="{day}"] .fc-daygrid-day-frame').bounding_box()
        if not box or not cell:
            continue
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 12, y + 12, steps=3)
        page.mouse.move(cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] - 6, steps=8)
        page.evaluate(ARM)
        page.evaluate("window.__t0 = performance.now()")
        page.mouse.up()
        try:
            page.wait_for_function("window.__done !== null", timeout=15_000)
        except Exception:
            page.screenshot(path=str(ROOT / "tests" / "artifacts" / "bench-ui-stuck.png"))
            raise
        said = str(page.evaluate("window.__said"))
        if "Moved to" not in said:
            raise SystemExit(f"drag {i} was refused: {said}")
        round_trips.append(float(page.evaluate("window.__done - window.__t0")))
        page.wait_for_function("performance.now() - window.__lastMut > 400", timeout=15_000)
        settled.append(float(page.evaluate("window.__lastMut - window.__t0")))
    return round_trips, settled


def _live_times(page: Any, user: object, runs: int = 3) -> list[float]:
    """Publish shown posts behind the page's back (as the engine would): commit -> event recoloured."""
    from sqlmodel import select

    from app.core.db import new_session
    from models import Post, PostTarget

    took = []
    for _ in range(runs):
        shown = page.locator('.fc-daygrid-event:not(.qc-more) .qc-event[data-status="scheduled"] .qc-title')
        body = shown.first.inner_text()
        with new_session() as session:
            target = session.exec(select(PostTarget).join(Post, Post.id == PostTarget.post_id).where(  # type: ignore[arg-type]
                Post.body == body, Post.author_id == user.id)).one()  # type: ignore[attr-defined]
            page.evaluate("(b) => { window.__liveBody = b; window.__liveAt = null; }", body)
            page.evaluate("""() => {
              const check = () => {
                for (const el of document.querySelectorAll('.qc-event[data-status="published"] .qc-title'))
                  if (el.textContent === window.__liveBody) return true;
                return false;
              };
              const obs = new MutationObserver(() => {
                if (window.__liveAt === null && check()) { window.__liveAt = Date.now(); obs.disconnect(); }
              });
              obs.observe(document.querySelector('.fc-view-harness'), {subtree: true, childList: true,
                                                                       attributes: true});
            }""")
            target.status, target.published_at = "published", target.scheduled_at
            session.add(target)
            session.commit()
            committed = time.time() * 1000
        page.wait_for_function("window.__liveAt !== null", timeout=15_000)
        took.append(round(float(page.evaluate("window.__liveAt")) - committed, 1))
    return took


def measure(base_url: str, user: object, sparse_user: object, today: date, drags: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    from app.services.identity import sessions
    from state.auth import SESSION_COOKIE
    from tests.e2e.conftest import CHROMIUM_ARGS

    token = sessions.create(user.id, "127.0.0.1", "bench")  # type: ignore[attr-defined]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1700})  # whole month on screen
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base_url}])
        page = context.new_page()
        page.goto(base_url + "/calendar")  # warm-up: compiled assets in the browser cache, state created
        page.wait_for_selector(".fc-event", timeout=60_000)
        page.add_init_script(WATCH)
        tti = []
        for _ in range(3):
            page.goto(base_url + "/calendar")
            page.wait_for_function("window.__painted !== null", timeout=60_000)
            tti.append(float(page.evaluate("window.__painted")))
        nodes = int(page.evaluate("document.querySelectorAll('.fc-event').length"))
        dom = int(page.evaluate("document.getElementsByTagName('*').length"))
        cold = []
        for _ in range(3):
            fresh = context.new_page()  # a new tab gets a new Reflex token: nothing cached on the server
            fresh.add_init_script(WATCH)
            fresh.goto(base_url + "/calendar")
            fresh.wait_for_function("window.__painted !== null", timeout=60_000)
            cold.append(float(fresh.evaluate("window.__painted")))
            fresh.close()

        round_trips, settled = _drag_times(page, today, drags)
        live = _live_times(page, user)
        # The same on a month as most have it (two posts a day): the calendar draws a drop itself and,
        # while no crowded day's count changes, the server has nothing to send back.
        quiet = browser.new_context(viewport={"width": 1280, "height": 1700})
        quiet.add_cookies([{"name": SESSION_COOKIE, "value": sessions.create(
            sparse_user.id, "127.0.0.1", "bench"), "url": base_url}])  # type: ignore[attr-defined]
        sparse_page = quiet.new_page()
        sparse_page.goto(base_url + "/calendar")
        sparse_page.wait_for_selector(".fc-event", timeout=60_000)
        # (half as many drops: each future day gets about one more post, so days stay uncrowded)
        sparse_trips, sparse_settled = _drag_times(sparse_page, today, max(5, drags // 2))
        browser.close()
    return {
        "tti_ms": round(statistics.median(tti), 1), "tti_runs_ms": [round(t, 1) for t in tti],
        "tti_cold_ms": round(statistics.median(cold), 1), "tti_cold_runs_ms": [round(t, 1) for t in cold],
        "event_nodes": nodes, "dom_nodes": dom, "drags": len(round_trips),
        "drag_p50_ms": round(statistics.median(round_trips), 1) if round_trips else None,
        "drag_p95_ms": round(pct(round_trips, 95), 1) if round_trips else None,
        "settled_p50_ms": round(statistics.median(settled), 1) if settled else None,
        "settled_p95_ms": round(pct(settled, 95), 1) if settled else None,
        "live_runs_ms": live,
        "two_a_day": {"drag_p50_ms": round(statistics.median(sparse_trips), 1),
                      "drag_p95_ms": round(pct(sparse_trips, 95), 1),
                      "settled_p50_ms": round(statistics.median(sparse_settled), 1),
                      "settled_p95_ms": round(pct(sparse_settled, 95), 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--drags", type=int, default=20)
    args = parser.parse_args()

    from app.core import migrations
    from tests import support

    load_before = os.getloadavg()[0]
    servers = support.start_servers()
    name = support.unique_name("quillcast_bench_ui")
    url = support.create_database(servers.pg_server_url, name)
    try:
        migrations.upgrade(url)
        os.environ["DATABASE_URL"] = url
        os.environ["REDIS_URL"] = f"{servers.redis_base_url}/4"
        os.environ.setdefault("ENVIRONMENT", "test")
        user, today = seed(args.targets)
        sparse_user, _ = seed(60)
        saves = save_only(user, today, args.drags)
        from reflex.testing import AppHarnessProd

        started = time.perf_counter()
        with AppHarnessProd.create(root=ROOT, app_name="app") as harness:
            build_s = time.perf_counter() - started
            assert harness.frontend_url
            result = measure(harness.frontend_url.rstrip("/"), user, sparse_user, today, args.drags)
        result = {"targets": args.targets, **result,
                  "save_only_p50_ms": round(statistics.median(saves), 1),
                  "save_only_p95_ms": round(pct(saves, 95), 1), "load_avg_1m_before": round(load_before, 1),
                  "load_avg_1m": round(os.getloadavg()[0], 1),
                  "build_and_start_s": round(build_s, 1),
                  "goal": {"tti_ms": 1500, "drag_p95_ms": 200}, "cpus": os.cpu_count()}
        print(json.dumps(result))
    finally:
        from app.core import db

        db.reset_engine()
        support.drop_database(servers.pg_server_url, name)
        servers.stop()


if __name__ == "__main__":
    main()
