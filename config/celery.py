import os

from celery import Celery

# Same default as config/wsgi.py: this module is imported first whenever `config` is
# (manage.py sets the local settings before that happens).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("platform")
# Every CELERY_* Django setting configures Celery (broker, time limits, beat schedule).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
