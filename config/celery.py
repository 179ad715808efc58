import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("platform")
# Every CELERY_* Django setting configures Celery (broker, time limits, beat schedule).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
