"""Alerts delivered: a JSONL log and a webhook, each delivery recorded in ``alert_deliveries``.

After each poll every alert not delivered yet to a channel is sent to it:
one JSON line per alert appended to ``alerts.log``, one ``POST`` per alert
to ``alerts.webhook`` (``Content-Type: application/json``, the alert's
record as the body; any 2xx is delivered). The webhook is sent through the
same SSRF-guarded request as every fetch. A failed webhook delivery is
tried again after the next polls, up to :data:`MAX_TRIES` times. The
workbench's ``/alerts`` page reads the table itself.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..ingest.fetch import FetchPolicy, Response, request
from ..store import Store, now
from .alerts import Alert, get_alerts
from .sources import Sources

MAX_TRIES = 5


def _pending(store: Store, channel: str) -> list[Alert]:
    """Alerts never delivered to ``channel`` and tried there fewer than MAX_TRIES times."""
    ids = [r[0] for r in store.con.execute(
        """SELECT a.id FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_id = a.id AND d.channel = ?
           GROUP BY a.id HAVING coalesce(bool_or(d.ok), false) = false AND count(d.alert_id) < ?""",
        [channel, MAX_TRIES]).fetchall()]
    return get_alerts(store, ids)


def _record(store: Store, rows: list[tuple[str, str, bool, str | None]]) -> None:
    if rows:
        stamp = now()
        with store.transaction():
            store.insert_rows("alert_deliveries", "alert_id, channel, ok, reason, happened_at",
                              [(a, c, ok, why, stamp) for a, c, ok, why in rows])


def write_log(path: Path, alerts: list[Alert]) -> str | None:
    """Append one JSON line per alert; None, or why the log could not be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            for alert in alerts:
                fh.write(json.dumps(alert.to_dict(), ensure_ascii=False, default=str) + "\n")
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def post_webhook(url: str, alert: Alert, policy: FetchPolicy) -> str | None:
    """POST one alert; None when the hook took it (2xx), else why not."""
    body = json.dumps(alert.to_dict(), ensure_ascii=False, default=str).encode("utf-8")
    got = request(url, replace(policy, max_bytes=65536), {"Content-Type": "application/json", "Accept": "*/*"},
                  method="POST", body=body)
    if isinstance(got, Response):
        return None if 200 <= got.status < 300 else f"HTTP {got.status} {got.reason}".strip()
    return f"{got.kind}: {got.reason}"


def deliver(store: Store, sources: Sources, policy: FetchPolicy) -> dict[str, int]:
    """Send the alerts not delivered yet to the log and the webhook; counts delivered per channel."""
    settings = sources.alerts
    counts = {"log": 0, "webhook": 0}
    log = sources.resolve(settings.log)
    if log is not None:
        alerts = _pending(store, "log")
        if alerts:
            why = write_log(log, alerts)
            _record(store, [(a.id, "log", why is None, why) for a in alerts])
            counts["log"] = 0 if why else len(alerts)
    if settings.webhook:
        rows = []
        for alert in _pending(store, "webhook"):
            why = post_webhook(settings.webhook, alert, policy)
            rows.append((alert.id, "webhook", why is None, why))
            counts["webhook"] += why is None
        _record(store, rows)
    return counts


def deliveries(store: Store, alert_id: str) -> list[dict[str, object]]:
    rows = store.con.execute(
        "SELECT channel, ok, reason, happened_at FROM alert_deliveries WHERE alert_id = ? ORDER BY happened_at",
        [alert_id]).fetchall()
    return [{"channel": c, "ok": ok, "reason": why, "at": at.isoformat(timespec="seconds")} for c, ok, why, at in rows]


__all__ = ["MAX_TRIES", "deliver", "deliveries", "post_webhook", "write_log"]
