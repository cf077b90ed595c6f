"""Imports every module that defines tables, so Alembic and create_all see the whole schema."""

from hub.db import models  # noqa: F401
from hub.webhooks import models  # noqa: F401,F811
from hub.capacity import models  # noqa: F401,F811
from hub.execution import models  # noqa: F401,F811
from hub.routing_store import models  # noqa: F401,F811
