"""Entry point for `flask` (FLASK_APP=run) and for gunicorn (`run:app`)."""

from app import create_app

app = create_app()
