#!/usr/bin/env python
"""Time the leads marketplace's beat jobs at scale on PostgreSQL:

    .venv/bin/python bench/leads_jobs.py [--deposits 100000] [--leads 100000] [--worse 0.01]

- the hourly deposit check over N deposits: once in the steady state (every deposit
  already alerted at its level: the check finds nothing to do, which is most hours), and
  once with a fraction `--worse` of them fallen a level; the check claims their alerts
  and queues them for the workers, whose sending (notification, and e-mail, SMS and
  WhatsApp by level, into the outbox) is timed apart;
- the nightly expiry of N pending leads older than 72 hours (one release row and one
  history row each, the reservations given back, one summary notification per influencer).

It recreates its own database (platform_bench_leads, or DATABASE_URL's if its name
contains "bench"), fills it with generate_series, runs each job once, checks the
ledger still matches, and writes bench/results/leads-jobs-latest.json. Target: each
job under 5 seconds (the issue).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/platform_bench_leads"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to recreate database {name!r}: its name must contain 'bench'")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def fill(*, deposits: int, leads: int) -> None:
    from django.db import connection

    merchants_with_leads = max(1, min(deposits, leads // 100))
    with connection.cursor() as cursor:
        log(f"{deposits} merchants and deposits")
        cursor.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined) SELECT '!', false, 'm' || g, '', '', 'm' || g || '@example.com', false, true,"
            " now() FROM generate_series(1, %s) g",
            [deposits],
        )
        cursor.execute(
            "INSERT INTO leads_merchantprofile (user_id, company_name, phone, ice, language, created_at)"
            " SELECT id, 'Marchand ' || id, '+212612345678', '', 'fr', now() FROM auth_user WHERE username LIKE 'm%%'",
            [],
        )
        # Balances spread over every level against a 5 000 dhs reference; each deposit
        # already alerted at its level (the steady state of an hourly check).
        cursor.execute(
            "INSERT INTO leads_deposit (merchant_id, currency, balance, reserved, reference, last_alert_level,"
            " alert_cycle, updated_at) SELECT id, 'MAD', 100 + (id * 7919) %% 4900, 0, 5000, 'healthy', 0, now()"
            " FROM leads_merchantprofile",
            [],
        )
        cursor.execute(
            "INSERT INTO leads_ledgerentry (key, kind, merchant_id, balance_delta, reserved_delta, earnings_delta,"
            " currency, reason, created_at) SELECT 'seed:' || merchant_id, 'recharge', merchant_id, balance, 0, 0,"
            " 'MAD', '', now() FROM leads_deposit"
        )
        log(f"{leads} pending leads older than 72 h on {merchants_with_leads} merchants' campaigns")
        cursor.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined) SELECT '!', false, 'i' || g, '', '', '', false, true, now()"
            " FROM generate_series(1, 1000) g"
        )
        cursor.execute(
            "INSERT INTO leads_influencerprofile (user_id, display_name, phone, bank_holder, bank_rib, earnings,"
            " language, created_at) SELECT id, 'Influenceur ' || id, '', '', '', 0, 'fr', now() FROM auth_user"
            " WHERE username LIKE 'i%%'",
            [],
        )
        cursor.execute(
            "INSERT INTO leads_campaign (merchant_id, name, description, status, paused_for_deposit, created_at,"
            " updated_at) SELECT id, 'Campagne', '', 'active', false, now(), now() FROM leads_merchantprofile"
            " ORDER BY id LIMIT %s",
            [merchants_with_leads],
        )
        cursor.execute(
            "INSERT INTO leads_lead (campaign_id, merchant_id, influencer_id, status, client_name, client_email,"
            " client_phone, client_email_key, client_phone_key, company, estimated_value, commission,"
            " influencer_share, currency, source, notes, feedback, reason, created_at)"
            " SELECT c.id, c.merchant_id, i.id, 'pending', 'Client ' || g, 'c' || g || '@example.com', '',"
            " 'c' || g || '@example.com', '', '', 300, 30, 9, 'MAD', 'instagram', '', '', '',"
            " now() - interval '80 hours'"
            " FROM generate_series(1, %s) g"
            " JOIN (SELECT id, merchant_id, row_number() OVER (ORDER BY id) - 1 AS n FROM leads_campaign) c"
            "   ON c.n = g %% %s"
            " JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM leads_influencerprofile) i"
            "   ON i.n = g %% 1000",
            [leads, merchants_with_leads],
        )
        cursor.execute(
            "INSERT INTO leads_ledgerentry (key, kind, merchant_id, balance_delta, reserved_delta, earnings_delta,"
            " currency, lead_id, reason, created_at) SELECT 'lead:' || id || ':reserve', 'reservation', merchant_id,"
            " 0, commission, 0, 'MAD', id, '', created_at FROM leads_lead"
        )
        cursor.execute(
            "UPDATE leads_deposit d SET reserved = s.total, balance = GREATEST(d.balance, s.total + 1000)"
            " FROM (SELECT merchant_id, SUM(commission) AS total FROM leads_lead GROUP BY merchant_id) s"
            " WHERE d.merchant_id = s.merchant_id"
        )
        cursor.execute(
            "UPDATE leads_ledgerentry e SET balance_delta = d.balance FROM leads_deposit d"
            " WHERE e.key = 'seed:' || d.merchant_id"
        )


def vacuum() -> None:
    """What autovacuum does to tables between two nightly runs (visibility map, hint
    bits, statistics): without it the first job to touch the freshly generated rows
    would pay for that too."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def settle_levels() -> None:
    """Every deposit alerted at its current level: the hourly check's usual hour."""
    from leads import money
    from leads.models import Deposit, Level

    levelled = money.annotate_level(Deposit.objects.all())
    for level in Level:
        Deposit.objects.filter(pk__in=levelled.filter(level=level).values("pk")).update(last_alert_level=level)


def worsen(fraction: float) -> int:
    """A fraction of the healthy deposits spend down to `warning` (a ledger row each)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "WITH picked AS (SELECT id, merchant_id, balance FROM leads_deposit"
            " WHERE last_alert_level = 'healthy' AND reserved = 0 ORDER BY id LIMIT %s),"
            " moved AS (UPDATE leads_deposit d SET balance = 800 FROM picked p WHERE d.id = p.id"
            "   RETURNING d.merchant_id, p.balance AS old)"
            " INSERT INTO leads_ledgerentry (key, kind, merchant_id, balance_delta, reserved_delta, earnings_delta,"
            " currency, reason, created_at) SELECT 'spend:' || merchant_id, 'adjustment', merchant_id, 800 - old,"
            " 0, 0, 'MAD', 'bench', now() FROM moved",
            [int(fraction * 100_000)],
        )
        return cursor.rowcount


def timed(label: str, call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    log(f"{label}: {seconds:.2f} s ({result})")
    return seconds, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deposits", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--worse", type=float, default=0.01, help="fraction of deposits falling a level (0.01)")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    log("migrate")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)  # noqa: S603
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.bench")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from leads import jobs, tasks
    from leads.ledger import mismatched_deposits

    # The check queues its alerts for the workers (leads.send_deposit_alerts); here they
    # are collected, and timed apart, as a worker would run them.
    queued: list[list] = []
    tasks.send_deposit_alerts.delay = queued.append

    fill(deposits=args.deposits, leads=args.leads)
    settle_levels()
    vacuum()
    check_idle, _ = timed(f"hourly check, {args.deposits} deposits, nothing new", jobs.deposits_check)
    moved = worsen(args.worse * args.deposits / 100_000)
    check_alerts, result = timed(f"hourly check, {moved} deposits fallen to warning", jobs.deposits_check)
    fan_out, sent = timed(
        f"their alerts sent ({len(queued)} tasks, as the workers run them)",
        lambda: sum(jobs.deposit_alerts_send(alerts=batch) for batch in queued),
    )
    expiry, expired = timed(f"nightly expiry, {args.leads} pending leads", jobs.leads_expire)
    mismatches = mismatched_deposits().count()
    log(f"deposits whose figures differ from the ledger: {mismatches}")
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "deposits": args.deposits,
        "leads": args.leads,
        "hourly_check_idle_seconds": round(check_idle, 3),
        "hourly_check_with_alerts_seconds": round(check_alerts, 3),
        "alerted": result.alerted,
        "alerts_sent_seconds": round(fan_out, 3),
        "alerts_sent": sent,
        "nightly_expiry_seconds": round(expiry, 3),
        "expired": expired,
        "ledger_mismatches": mismatches,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "leads-jobs-latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 1 if mismatches or expired != args.leads else 0


if __name__ == "__main__":
    sys.exit(main())
