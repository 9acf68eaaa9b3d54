"""WSGI entry point: ``gunicorn zhangfang.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhangfang.settings")
application = get_wsgi_application()
