"""Alembic environment for the server database (batch mode so SQLite can alter tables)."""

from alembic import context

from server.analytics import models as _analytics_models  # noqa: F401
from server.appointments import models as _appointment_models  # noqa: F401
from server.cases import models as _case_models  # noqa: F401
from server.ledger import models as _ledger_models  # noqa: F401
from server.models import Base
from server.queue import models as _queue_models  # noqa: F401  (registers the tables)
from server.ratings import models as _rating_models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
