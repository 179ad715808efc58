#!/usr/bin/env python
"""Throughput of the JSON tracking endpoint and of the license validation endpoint
against a bare Django view, under gunicorn.

    .venv/bin/python bench/run.py [--duration 10] [--connections 16] [--threads 2] [--workers 2]

Prepares the bench database (create if missing, migrate, seed_demo), reads the demo
trial license's key, starts gunicorn on 127.0.0.1 with config.settings.bench, runs wrk
against /__bench__/bare, then GET /api/tracking/<REV number>, then
POST /api/v1/licenses/validate (bench/post_json.lua), prints the three and the ratios
tracking_json / bare and license_validate / bare, and writes bench/results/latest.json.
gunicorn is always stopped at the end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
SETTINGS = "config.settings.bench"
HOST = "127.0.0.1"
BARE_PATH = "/__bench__/bare"
LICENSE_PATH = "/api/v1/licenses/validate"
# The trial license that seed_demo creates (licenses/demo.py, MACHINES["trial"]).
LICENSE_MACHINE_ID = "0123456789abcdef0123456789abcdef"
POST_JSON_LUA = BASE_DIR / "bench" / "post_json.lua"
MAX_DURATION = 300  # seconds per wrk run


class BenchError(Exception):
    pass


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10, max 300)")
    parser.add_argument("--connections", type=int, default=16, help="wrk open connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument(
        "--page-connections", type=int, default=32, help="wrk connections for the HTML pages and their bare run (32)"
    )
    parser.add_argument(
        "--compare-url",
        help="another implementation's validate URL (e.g. http://127.0.0.1:8100/api/v1/licenses/validate), "
        "loaded with the same body, alternating with ours",
    )
    parser.add_argument("--compare-rounds", type=int, default=3, help="alternating rounds with --compare-url (3)")
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold tracking JSON run (second gunicorn)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the sequence (bare, then each endpoint) this many times and report, per endpoint, the round "
        "with the median ratio: this machine's speed drifts between runs (1)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 1 and {MAX_DURATION} seconds")
    if args.threads < 1 or args.workers < 1:
        parser.error("--threads and --workers must be at least 1")
    if min(args.connections, args.page_connections) < args.threads:
        parser.error("--connections must be at least --threads (wrk needs one connection per thread)")
    if args.compare_rounds < 1 or args.rounds < 1:
        parser.error("--compare-rounds and --rounds must be at least 1")
    return args


def django_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH", "")]))
    return env


# --- database -------------------------------------------------------------------------


def bench_database() -> dict:
    """The DATABASES["default"] of the bench settings (evaluated, not a guess of them)."""
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    return dict(importlib.import_module(SETTINGS).DATABASES["default"])


def ensure_database(db: dict) -> None:
    import psycopg
    from psycopg import sql

    name = db["NAME"]
    if "bench" not in name:
        # migrate + seed_demo write to it: never do that to a real database by mistake.
        raise BenchError(f"refusing to use database {name!r}: its name must contain 'bench' (check DATABASE_URL)")
    params = {
        "dbname": "postgres",
        "host": db.get("HOST") or HOST,
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "connect_timeout": 5,
    }
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                log(f"database {name} exists")
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log(f"created database {name}")
    except psycopg.OperationalError as exc:
        raise BenchError(f"cannot reach PostgreSQL at {params['host']}:{params['port']}: {exc}") from exc


def manage(*args: str, timeout: int = 600) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=django_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def license_key(machine_id: str) -> str:
    code = (
        "from licenses.models import License; "
        f"print(License.objects.get(machine_id={machine_id!r}, product__slug='easyfacture').license_key)"
    )
    lines = [line.strip() for line in manage("shell", "-c", code).splitlines() if line.strip()]
    if not lines or lines[-1].count(".") != 2:  # signed keys are "<prefix>.<payload>.<signature>"
        raise BenchError(f"no license key for machine {machine_id} (manage.py shell printed {lines!r})")
    return lines[-1]


def prepare_data() -> tuple[str, str]:
    """Migrate and seed; the tracking number and the demo trial license key to load."""
    db = bench_database()
    ensure_database(db)
    log("migrate")
    manage("migrate", "--noinput", "-v", "0")
    log("seed_demo")
    # seed_demo ends with a table whose rows start with the tracking number.
    numbers = re.findall(r"^(REV-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b", manage("seed_demo"), flags=re.M)
    number = numbers[0] if numbers else None
    if number is None:
        raise BenchError(f"seed_demo printed no REV- tracking number (got {numbers!r})")
    log(f"tracking number: {number}")
    key = license_key(LICENSE_MACHINE_ID)
    log(f"license key of machine {LICENSE_MACHINE_ID}: {key[:24]}...")
    return number, key


# --- gunicorn -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, log_path: Path, env: dict | None = None) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    log(f"gunicorn on {HOST}:{port}, {workers} sync workers (log: {log_path.relative_to(BASE_DIR)})")
    log_file = log_path.open("w")
    try:
        # Own session, so stopping it (and its workers) touches nothing else.
        return subprocess.Popen(  # noqa: S603
            cmd,
            cwd=BASE_DIR,
            env={**django_env(), **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log_file.close()


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    log("stopping gunicorn")
    proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        log("gunicorn did not stop in 15 s: killing its process group")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def get(url: str, timeout: float = 5, body: bytes | None = None) -> tuple[int, bytes]:
    """GET, or POST `body` as application/json when it is given."""
    request = urllib.request.Request(url, data=body, method="GET" if body is None else "POST")  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (always http://127.0.0.1)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(proc: subprocess.Popen, url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn exited with code {proc.returncode} (see bench/results/gunicorn.log)")
        try:
            status, _ = get(url, timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def warm_up(base_url: str, requests: list[tuple[str, bytes | None]], rounds: int = 20) -> None:
    """Imports, URL resolution, persistent DB connections in every worker.

    `requests` are (path, JSON body to POST, or None for a GET)."""
    for path, payload in requests:
        method = "GET" if payload is None else "POST"
        for _ in range(rounds):
            status, body = get(base_url + path, body=payload)
            if status != 200:
                raise BenchError(f"warm-up: {method} {path} returned {status}: {body[:300]!r}")


def check_tracking(base_url: str, path: str, number: str) -> None:
    status, body = get(base_url + path)
    if status != 200:
        raise BenchError(f"GET {path} returned {status}, expected 200: {body[:300]!r}")
    data = json.loads(body)
    if data.get("tracking_number") != number:
        raise BenchError(f"GET {path} answered for {data.get('tracking_number')!r}, expected {number!r}")


def check_license(base_url: str, path: str, payload: bytes) -> None:
    status, body = get(base_url + path, body=payload)
    if status != 200:
        raise BenchError(f"POST {path} returned {status}, expected 200: {body[:300]!r}")
    data = json.loads(body)
    if data.get("valid") is not True:
        hint = ""
        if data.get("error") == "LICENSE_EXPIRED":
            # seed_demo creates the 30-day trial only once: an old bench database outlives it.
            hint = " (the demo trial is older than its 30 days: dropdb -h 127.0.0.1 -U postgres platform_bench)"
        raise BenchError(f"POST {path} answered valid={data.get('valid')!r}, expected true: {body[:300]!r}{hint}")


# --- wrk ------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ", output, re.M)
    if not rps or not total:
        raise BenchError(f"could not parse wrk output:\n{output}")
    result: dict = {"requests_per_sec": float(rps.group(1)), "requests": int(total.group(1))}
    latency = re.search(rf"^\s*Latency\s+{_DURATION}\s+{_DURATION}\s+{_DURATION}", output, re.M)
    if latency:
        g = latency.groups()
        result["latency_ms"] = {"avg": _ms(g[0], g[1]), "stdev": _ms(g[2], g[3]), "max": _ms(g[4], g[5])}
        for pct, value, unit in re.findall(rf"^\s*(50|75|90|99)%\s+{_DURATION}", output, re.M):
            result["latency_ms"][f"p{pct}"] = _ms(value, unit)
    checked = re.search(r"^post_json: valid (\d+) invalid (\d+)$", output, re.M)  # bench/post_json.lua
    if checked:
        result["valid"], result["invalid"] = int(checked.group(1)), int(checked.group(2))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx_3xx"] = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    keys = ("connect", "read", "write", "timeout")
    result["socket_errors"] = (
        dict(zip(keys, map(int, errors.groups()), strict=True)) if errors else dict.fromkeys(keys, 0)
    )
    return result


def run_wrk(
    wrk: str, url: str, args: argparse.Namespace, post_json: bytes | None = None, connections: int | None = None
) -> dict:
    """GET `url`, or POST `post_json` to it through bench/post_json.lua (body in $WRK_BODY)."""
    connections = connections or args.connections
    cmd = [
        wrk,
        f"--threads={args.threads}",
        f"--connections={connections}",
        f"--duration={args.duration}s",
        "--timeout=5s",
        "--latency",
    ]
    env = None
    if post_json is not None:
        cmd.append(f"--script={POST_JSON_LUA}")
        env = {**os.environ, "WRK_BODY": post_json.decode()}
    cmd.append(url)
    log(" ".join(cmd))
    result = subprocess.run(  # noqa: S603
        cmd, capture_output=True, text=True, timeout=args.duration + 60, check=False, env=env
    )
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    parsed = parse_wrk(result.stdout)
    if post_json is not None and "valid" not in parsed:
        raise BenchError(f"no 'post_json:' line in the wrk output (did {POST_JSON_LUA.name} run?):\n{result.stdout}")
    parsed["raw"] = result.stdout
    parsed["connections"] = connections
    return parsed


# --- report ---------------------------------------------------------------------------


def git_commit() -> str | None:
    git = shutil.which("git")
    if not git:
        return None
    result = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True)  # noqa: S603
    return result.stdout.strip() or None


def print_table(results: dict[str, dict], ratios: dict[str, float]) -> None:
    header = (
        f"{'endpoint':<22} {'conns':>5} {'req/s':>9} {'avg ms':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'requests':>9} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        lat = r.get("latency_ms", {})
        errors = r["non_2xx_3xx"] + sum(r["socket_errors"].values()) + r.get("invalid", 0)
        print(
            f"{name:<22} {r['connections']:>5} {r['requests_per_sec']:>9.1f} {lat.get('avg', float('nan')):>8.2f} "
            f"{lat.get('p50', float('nan')):>8.2f} {lat.get('p99', float('nan')):>8.2f} {r['requests']:>9} {errors:>7}"
        )
    for name, ratio in ratios.items():
        print(f"ratio: {ratio:.2f}  ({name})")


def flush_validations() -> None:
    """Write the validations the load buffered (licenses.recording), as the beat job does."""
    code = "from licenses.recording import validations_flush; print(validations_flush(max_batches=100000))"
    log("flushing the buffered validations: " + manage("shell", "-c", code).strip())


# GET pages loaded with --page-connections, against the bare view at the same load.
PAGES = {
    "tracking_page": "/tracking/{number}/",
    "revisions_form": "/revisions/",
    "locations_form": "/locations/",
    "home": "/",
}


def p99(result: dict) -> float:
    return result.get("latency_ms", {}).get("p99", float("nan"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if not wrk:
        print("error: wrk is not installed (Debian/Ubuntu: apt-get install wrk).", file=sys.stderr)
        return 2
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    try:
        number, key = prepare_data()
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    tracking_path = f"/api/tracking/{number}"
    pages = {name: path.format(number=number) for name, path in PAGES.items()}
    license_body = json.dumps({"machine_id": LICENSE_MACHINE_ID, "license_key": key}).encode()
    # SIGTERM, like Ctrl-C, goes through the finally below, which stops gunicorn.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    rounds: list[dict[str, dict]] = []
    compare: list[tuple[dict, dict]] = []
    proc = start_gunicorn(port, args.workers, RESULTS_DIR / "gunicorn.log")
    try:
        wait_until_up(proc, base_url + BARE_PATH)
        check_tracking(base_url, tracking_path, number)
        check_license(base_url, LICENSE_PATH, license_body)
        warm_up(
            base_url,
            [(BARE_PATH, None), (tracking_path, None), (LICENSE_PATH, license_body)]
            + [(path, None) for path in pages.values()],
        )
        for _round in range(args.rounds):
            run = rounds.append({}) or rounds[-1]
            run["bare"] = run_wrk(wrk, base_url + BARE_PATH, args)
            run["tracking_json"] = run_wrk(wrk, base_url + tracking_path, args)
            run["license_validate"] = run_wrk(wrk, base_url + LICENSE_PATH, args, post_json=license_body)
            run["bare_pages"] = run_wrk(wrk, base_url + BARE_PATH, args, connections=args.page_connections)
            for name, path in pages.items():
                run[name] = run_wrk(wrk, base_url + path, args, connections=args.page_connections)
        if args.compare_url:
            check_license(args.compare_url, "", license_body)
            for _round in range(args.compare_rounds):
                ours = run_wrk(wrk, base_url + LICENSE_PATH, args, post_json=license_body)
                theirs = run_wrk(wrk, args.compare_url, args, post_json=license_body)
                compare.append((ours, theirs))
        # Still 200 (and still valid) after the load: no throttling kicked in.
        check_tracking(base_url, tracking_path, number)
        check_license(base_url, LICENSE_PATH, license_body)
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop_gunicorn(proc)

    if not args.skip_cold:
        # The tracking JSON without its cache: the same server with TRACKING_JSON_CACHE_SECONDS=0.
        cold = start_gunicorn(
            port, args.workers, RESULTS_DIR / "gunicorn-cold.log", {"TRACKING_JSON_CACHE_SECONDS": "0"}
        )
        try:
            wait_until_up(cold, base_url + BARE_PATH)
            warm_up(base_url, [(BARE_PATH, None), (tracking_path, None)])
            cold_bare = run_wrk(wrk, base_url + BARE_PATH, args)
            cold_result = run_wrk(wrk, base_url + tracking_path, args)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            stop_gunicorn(cold)
    flush_validations()

    # Per endpoint, the round whose ratio to that round's bare run is the median one.
    results: dict[str, dict] = {}
    for name in rounds[0]:
        bare_name = "bare_pages" if name in pages or name == "bare_pages" else "bare"
        ranked = sorted(
            rounds, key=lambda run, n=name, b=bare_name: run[n]["requests_per_sec"] / run[b]["requests_per_sec"]
        )
        results[name] = ranked[len(ranked) // 2][name]
        results[name]["bare_in_round"] = ranked[len(ranked) // 2][bare_name]["requests_per_sec"]
        results[name]["rounds_req_per_sec"] = [run[name]["requests_per_sec"] for run in rounds]
    if not args.skip_cold:
        results["tracking_json_cold"] = {**cold_result, "bare_in_round": cold_bare["requests_per_sec"]}
        results["bare_cold_server"] = cold_bare
    problems = [
        f"{name}: {r['non_2xx_3xx']} non-2xx/3xx responses, socket errors {r['socket_errors']}"
        for name, r in [*results.items(), *(("round", r) for run in rounds for r in run.values())]
        if r["non_2xx_3xx"] or any(r["socket_errors"].values())
    ]
    validated = results["license_validate"]
    if validated["invalid"] or not validated["valid"]:
        problems.append(
            f'license_validate: {validated["invalid"]} answers without "valid": true ({validated["valid"]} with it)'
        )
    # Each ratio against the bare run of the same round (same server, same minute).
    ratios = {
        f"{name}/bare": results[name]["requests_per_sec"] / results[name]["bare_in_round"]
        for name in ("tracking_json", "tracking_json_cold", "license_validate")
        if name in results
    }
    ratios["license_validate p99/bare p99"] = p99(results["license_validate"]) / p99(results["bare"])
    for name in pages:
        ratios[f"{name}/bare ({args.page_connections} conns)"] = (
            results[name]["requests_per_sec"] / results[name]["bare_in_round"]
        )
        ratios[f"{name} p99/bare p99 ({args.page_connections} conns)"] = p99(results[name]) / p99(results["bare_pages"])
    if compare:
        pairs = [ours["requests_per_sec"] / theirs["requests_per_sec"] for ours, theirs in compare]
        ratios["license_validate/compare (median)"] = statistics.median(pairs)
        for index, (ours, theirs) in enumerate(compare, 1):
            results[f"validate_round{index}"], results[f"compare_round{index}"] = ours, theirs
    print_table(results, ratios)

    report = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "settings": SETTINGS,
        "host": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "params": {
            "duration_s": args.duration,
            "connections": args.connections,
            "page_connections": args.page_connections,
            "threads": args.threads,
            "gunicorn_workers": args.workers,
            "gunicorn_worker_class": "sync",
            "compare_url": args.compare_url,
            "rounds": args.rounds,
        },
        "urls": {
            "bare": BARE_PATH,
            "tracking_json": tracking_path,
            "license_validate": f"POST {LICENSE_PATH}",
            **pages,
        },
        "license_machine_id": LICENSE_MACHINE_ID,
        "results": results,
        "ratio": round(ratios["tracking_json/bare"], 4),  # tracking_json / bare, as before
        "ratios": {name: round(ratio, 4) for name, ratio in ratios.items()},
        "ok": not problems,
        "problems": problems,
    }
    text = json.dumps(report, indent=2) + "\n"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for out in (RESULTS_DIR / "latest.json", RESULTS_DIR / f"run-{stamp}.json"):
        out.write_text(text)
    print(f"written: bench/results/latest.json and bench/results/run-{stamp}.json")

    if problems:
        print("error: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
