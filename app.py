"""Entry point: ``flask`` finds ``app`` here; gunicorn serves ``app:app``."""

from partner_portal import create_app

app = create_app()
