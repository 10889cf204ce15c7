"""audit rows of company members: a row keyed without an id is logged under its company

`audit_row` took the audited row's `id` as the log's `entity_id` (NOT NULL); `company_member`
(audited since fc854c22184b) is keyed by (company_id, user_id) and has no `id`, so adding a
member (creating a company, accepting an invitation) failed. Such a row is now logged under
its `company_id`; the member's `user_id` is in the changes of a created or removed row.

Revision ID: 4c2d8e1a7b90
Revises: 0bdafa54968c
Create Date: 2026-12-09 09:00:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = '4c2d8e1a7b90'
down_revision: Union[str, None] = '0bdafa54968c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ENTITY_ID = "(coalesce(new_j, old_j) ->> 'id')::bigint"
_ENTITY_ID_OR_COMPANY = "coalesce(coalesce(new_j, old_j) ->> 'id', coalesce(new_j, old_j) ->> 'company_id')::bigint"


def _previous(filename: str):
    """An earlier migration of this folder, for its function text."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(filename, Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _audit_function() -> str:
    return _previous("20261202_8d41c7e2f0b3_booking_hot_path_functions.py").AUDIT_FUNCTION


def upgrade() -> None:
    text = _audit_function()
    assert _ENTITY_ID in text
    op.execute(text.replace(_ENTITY_ID, _ENTITY_ID_OR_COMPANY, 1))


def downgrade() -> None:
    op.execute(_audit_function())
