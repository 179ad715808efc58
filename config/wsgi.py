import gc
import os

from django.core.wsgi import get_wsgi_application

# Served by gunicorn: production settings unless told otherwise.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules: some 150 000 objects) lives as
# long as the process: moved out of the collector's generations, so that a full collection,
# which otherwise walks them all (about 100 ms here, once every few thousand requests, a
# pause every request queued behind it waits out), only walks what requests left behind.
# Issue 8: the p99 of the hot paths. Python's documentation recommends it for pre-fork
# servers (gc.freeze); each gunicorn worker imports this module after its fork.
gc.freeze()
