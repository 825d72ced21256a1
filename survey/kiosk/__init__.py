"""The citizen's tablet (kiosk mode): hand-over, the guard, lock and unlock. The package imports
only Flask, so the account and form code may use its services; its pages are in views.py, the
form's pages on the tablet in survey.responses.tablet."""

from flask import Blueprint

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
