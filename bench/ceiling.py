"""The ceiling: a minimal Flask app on the same stack (Flask, Flask-SQLAlchemy, Jinja, gunicorn).

Each request reads one row by primary key and renders one template, about
the size of the portal's login page. Nothing the portal does can be faster.
"""

from __future__ import annotations

import os

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))


app = Flask(__name__, template_folder=os.path.join(os.path.dirname(__file__), "templates"))
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db.init_app(app)


@app.get("/")
def index() -> str:
    """Read one indexed row and render one template."""
    partner = db.session.get(Partner, 1)
    return render_template("ceiling.html", partner=partner)
