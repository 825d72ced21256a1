"""The citizen's tablet (kiosk mode). The blueprint and its guard are in survey.kiosk.views;
the package itself imports nothing, so the account and form code may use its services."""
