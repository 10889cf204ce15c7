"""Demo data looks like a real network: every published demo space belongs to one of the
chains' owners, whose logins (and the demo renter's) are in the README; no staff account
is seeded; and re-seeding a database an earlier version seeded (155 of 160 spaces without
an owner, one owner with five spaces of any brand) ends exactly as a fresh seed.

Runs on the browser tests' database (E2E_DB), which holds the demo data anyway."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from coworking_app.demo.seed import CHAINS, DEMO_PASSWORD, DEMO_RENTER, LEGACY_OWNER_NAME
from coworking_app.services.accounts.security import verify_password
from tests.e2e_fixtures import E2E_ENV, ROOT, _run

DEMO_EMAILS = [email for _brand, email, _name in CHAINS] + [DEMO_RENTER[0]]


@pytest.fixture(scope="module")
def demo_db():
    _run("-m", "coworking_app.cli", "create-db")
    _run("-m", "alembic", "upgrade", "head")
    _run("-m", "coworking_app.cli", "seed-demo")
    engine = create_engine(E2E_ENV["DATABASE_URL"], poolclass=NullPool)
    yield engine
    engine.dispose()


def _demo_spaces(engine) -> list[tuple]:
    """(address, name, owner's email, description) of every demo space (their photos are demo/...)."""
    with engine.connect() as conn:
        return conn.execute(text("""
            SELECT s.address, s.name, u.email, s.description FROM space s
            LEFT JOIN app_user u ON u.id = s.owner_id
            WHERE EXISTS (SELECT 1 FROM photo p WHERE p.space_id = s.id AND p.storage_key LIKE 'demo/%')
            ORDER BY s.address""")).all()


def test_every_published_space_belongs_to_a_chain_owner(demo_db):
    spaces = _demo_spaces(demo_db)
    assert len(spaces) == 160
    brands = {email: brand for brand, email, _name in CHAINS}
    assert [s for s in spaces if s[2] not in brands] == []
    for _address, name, email, _description in spaces:
        assert name.startswith(brands[email] + " ")
    per_owner = {email: sum(1 for s in spaces if s[2] == email) for email in brands}
    assert min(per_owner.values()) >= 20, per_owner
    with demo_db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM space WHERE status = 'published' "
                                "AND deleted_at IS NULL AND owner_id IS NULL")) == 0


def test_demo_logins_work_are_in_the_readme_and_none_is_staff(demo_db):
    readme = (ROOT / "README.md").read_text()
    with demo_db.connect() as conn:
        rows = {email: (password_hash, roles, verified) for email, password_hash, roles, verified in conn.execute(
            text("SELECT email, password_hash, roles, email_verified_at IS NOT NULL FROM app_user "
                 "WHERE email = ANY(:emails)"), {"emails": DEMO_EMAILS})}
    for email in DEMO_EMAILS:
        password = DEMO_RENTER[1] if email == DEMO_RENTER[0] else DEMO_PASSWORD
        password_hash, roles, verified = rows[email]
        assert verify_password(password, password_hash) and verified
        assert not {"admin", "operator"} & set(roles)
        assert re.search(rf"`{re.escape(email)}` \| `{re.escape(password)}`", readme), email
    assert "cli create-admin --email" in readme


def test_reseeding_an_earlier_versions_data_ends_as_a_fresh_seed(demo_db):
    fresh = _demo_spaces(demo_db)
    # The earlier seed: one owner ("Демо Владелец") with the first five demo spaces, the
    # other spaces without an owner, names of 30 random brands.
    with demo_db.begin() as conn:
        conn.execute(text("UPDATE app_user SET full_name = :n WHERE email = :e"),
                     {"n": LEGACY_OWNER_NAME, "e": CHAINS[0][1]})
        conn.execute(text("""
            UPDATE space s SET owner_id = CASE WHEN s.id IN (SELECT id FROM space ORDER BY id LIMIT 5)
                                          THEN (SELECT id FROM app_user WHERE email = :e) END,
                               name = 'Старое имя ' || s.id, description = 'старое описание'
            WHERE s.address = ANY(:addresses)"""), {"e": CHAINS[0][1], "addresses": [s[0] for s in fresh]})
    _run("-m", "coworking_app.cli", "seed-demo")
    assert _demo_spaces(demo_db) == fresh
    with demo_db.connect() as conn:
        assert conn.scalar(text("SELECT full_name FROM app_user WHERE email = :e"), {"e": CHAINS[0][1]}) \
            == CHAINS[0][2]
