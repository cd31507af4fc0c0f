"""The admin console: staff sign-in and the pages that run the portal, under ``/admin``.

One folder per part, each with its views, forms and the services behind them:
``staff/`` (sign-in with a second factor, step-up, password reset, one's
own second factors, staff accounts and roles), ``partners/`` (the
directory, access, invitations, import), ``pages/`` (status pages, components,
incidents, maintenance), ``audit/`` (the audit log and its export), ``outbox/`` (mail).
``console.py`` holds what every page shares; ``identity.py`` who is signed in.
"""

from . import console  # noqa: F401 - each module adds its routes
from .audit import views as audit_views  # noqa: F401
from .blueprint import bp
from .outbox import views as outbox_views  # noqa: F401
from .pages import maintenance_views  # noqa: F401
from .pages import views as pages_views  # noqa: F401
from .partners import views as partners_views  # noqa: F401
from .staff import account_views as staff_account_views  # noqa: F401
from .staff import team_views as staff_team_views  # noqa: F401
from .staff import views as staff_views  # noqa: F401

__all__ = ["bp"]
