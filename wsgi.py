"""The production entry point for a WSGI server, e.g. `gunicorn wsgi:app`.

Needs SURVEY_SECRET_KEY and SURVEY_DATABASE_URL; SURVEY_ENV defaults to production here.
"""

from survey.app import create_app

app = create_app()
