#!/usr/bin/env python
"""Throughput of lead creation (POST /api/leads/create, an influencer's personal token)
against the bare Django view, under gunicorn, in the same run:

    .venv/bin/python bench/leads_create.py [--duration 10] [--connections 16] [--rounds 3]

Uses bench/run.py's database, server and wrk plumbing: the demo data, then a deposit
large enough for every lead of the run on the demo merchant's first campaign, a personal
token for the demo influencer, and bench/lead_create.lua (a new client per request, so
each one is a real creation: deposit lock, duplicate check, reservation, ledger row,
history row, the merchant's notification and e-mail in the outbox). Prints req/s, p50,
p99 and the ratio to the bare view; writes bench/results/leads-create-latest.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run  # noqa: E402

LUA = run.BASE_DIR / "bench" / "lead_create.lua"
CREATE_PATH = "/api/leads/create"

SETUP = """
from decimal import Decimal
from accounts.personal_tokens import personal_token_create
from leads.models import Campaign, InfluencerProfile, MerchantProfile
from leads.recharges import deposit_adjust
merchant = MerchantProfile.objects.get(user__username="marchand")
deposit_adjust(merchant=merchant, amount=Decimal("10000000"), reason="bench: deposit for the load", actor=None)
campaign = Campaign.objects.filter(merchant=merchant, status="active").order_by("pk").first()
influencer = InfluencerProfile.objects.get(user__username="influenceur")
_token, plaintext = personal_token_create(user=influencer.user, name="bench")
print(campaign.pk, plaintext)
"""


def wrk_create(wrk: str, url: str, args, *, token: str, campaign: str) -> dict:
    cmd = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={args.duration}s",
        "--timeout=5s",
        "--latency",
        f"--script={LUA}",
        url,
    ]
    run.log(" ".join(cmd))
    env = {**run.os.environ, "WRK_TOKEN": token, "WRK_CAMPAIGN": campaign}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise run.BenchError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    parsed = run.parse_wrk(done.stdout)
    counted = re.search(r"^lead_create: created (\d+) refused (\d+)$", done.stdout, re.M)
    if not counted:
        raise run.BenchError(f"no 'lead_create:' line in the wrk output:\n{done.stdout}")
    parsed["created"], parsed["refused"] = int(counted.group(1)), int(counted.group(2))
    parsed["connections"] = args.connections
    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    wrk = run.shutil.which("wrk")
    if not wrk:
        print("error: wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2
    run.prepare_data()
    campaign, token = run.manage("shell", "-c", SETUP).strip().splitlines()[-1].split()
    port = run.free_port()
    base = f"http://{run.HOST}:{port}"
    proc = run.start_gunicorn(port, args.workers, run.RESULTS_DIR / "gunicorn-leads.log")
    rounds = []
    try:
        run.wait_until_up(proc, base + run.BARE_PATH)
        for _ in range(args.rounds):
            bare = run.run_wrk(wrk, base + run.BARE_PATH, args)
            create = wrk_create(wrk, base + CREATE_PATH, args, token=token, campaign=campaign)
            if create["refused"]:
                raise run.BenchError(f"{create['refused']} lead creations were refused: see the gunicorn log")
            rounds.append({"bare": bare, "lead_create": create})
    finally:
        run.stop_gunicorn(proc)
    ratios = [r["lead_create"]["requests_per_sec"] / r["bare"]["requests_per_sec"] for r in rounds]
    for r in rounds:
        for name in ("bare", "lead_create"):
            lat = r[name]["latency_ms"]
            rps = r[name]["requests_per_sec"]
            print(f"{name:<12} {rps:>8.1f} req/s  p50 {lat['p50']:.2f} ms  p99 {lat['p99']:.2f} ms")
    print(f"ratio lead_create / bare: median {statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)})")
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "connections": args.connections,
        "workers": args.workers,
        "rounds": [{k: {f: v[f] for f in ("requests_per_sec", "latency_ms")} for k, v in r.items()} for r in rounds],
        "ratio_median": round(statistics.median(ratios), 3),
        "leads_created": sum(r["lead_create"]["created"] for r in rounds),
    }
    (run.RESULTS_DIR / "leads-create-latest.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
