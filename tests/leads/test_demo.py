"""The demo (bin/demo's embedded defaults: SQLite, in-process tasks) seeds the
marketplace, and the beat jobs run on SQLite too."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_the_demo_seeds_the_marketplace_on_sqlite_and_its_jobs_run_there(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    out = manage("seed_demo")
    assert "marchand" in out and "influenceur" in out and "/leads/signup/" in out
    script = (
        "from leads import jobs; from leads.ledger import mismatched_deposits; "
        "from leads.models import Deposit, Lead; "
        "from notifications.services import notifications_broadcast; "
        "from django.contrib.auth.models import User; "
        "print(sorted(set(Lead.objects.values_list('status', flat=True)))); "
        "print(sorted(Deposit.objects.values_list('last_alert_level', flat=True))); "
        "print(jobs.leads_expire(), jobs.deposits_check().alerted, mismatched_deposits().count()); "
        "admin = User.objects.get(username='admin'); "
        "print(notifications_broadcast(role='merchants', text='Bonjour', actor=admin).recipients)"
    )
    lines = manage("shell", "-c", script).strip().splitlines()[-4:]
    assert lines[0] == "['expired', 'pending', 'rejected', 'validated']"
    assert lines[1] == "['healthy', 'warning']"
    assert lines[2] == "0 {} 0"
    assert lines[3] == "2"
    assert "(inchangé)" in manage("seed_demo")
