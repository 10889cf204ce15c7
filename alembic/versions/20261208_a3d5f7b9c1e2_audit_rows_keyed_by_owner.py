"""audit: rows keyed by their owner (owner_finance) get the owner's id as entity_id

owner_finance's primary key is owner_id, not id: the audit trigger wrote entity_id NULL and
every change of an owner's bank details or commission failed (audit_log.entity_id is NOT NULL).

Revision ID: a3d5f7b9c1e2
Revises: fc854c22184b
Create Date: 2026-12-08 10:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = 'a3d5f7b9c1e2'
down_revision: Union[str, None] = 'fc854c22184b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ID = "(coalesce(new_j, old_j) ->> 'id')::bigint"
_ID_OR_OWNER = "coalesce(coalesce(new_j, old_j) ->> 'id', coalesce(new_j, old_j) ->> 'owner_id')::bigint"


def _audit_function() -> str:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("20261202_8d41c7e2f0b3_booking_hot_path_functions.py")
    spec = importlib.util.spec_from_file_location("hot_path_functions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert _ID in module.AUDIT_FUNCTION
    return module.AUDIT_FUNCTION


def upgrade() -> None:
    op.execute(_audit_function().replace(_ID, _ID_OR_OWNER, 1))


def downgrade() -> None:
    op.execute(_audit_function())
