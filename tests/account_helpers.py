"""Sign-up and account mail in tests: the code a person would read in the mail, and the
account jobs (sign-up mail, password reset) that a worker would run."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from jobs import get_queue
from models import SignUpRequest
from tests.uow_helpers import transaction

API = "/api/v1"
PASSWORD = "Correct-Horse-42"
CODE = re.compile(r"код подтверждения: (\d{6})")


def sign_up_mail(email: str) -> SignUpRequest:
    """The latest sign-up mail to this address (a free or a taken one)."""
    with transaction() as s:
        return s.scalars(select(SignUpRequest).where(func.lower(SignUpRequest.email) == email.lower())
                         .order_by(SignUpRequest.id.desc()).limit(1)).one()


def code_in(body: str) -> str:
    return CODE.search(body).group(1)


def link_token_in(body: str) -> str:
    return body.split("/signup/confirm?token=")[1].split()[0]


def api_sign_up(client, email: str, password: str = PASSWORD, full_name: str = "Тест Тестов",
                **extra) -> dict:
    """Signs up through the API as a person would (the form, then the code from the mail);
    returns the token pair."""
    r = client.post(f"{API}/auth/register",
                    json={"email": email, "password": password, "full_name": full_name} | extra)
    assert r.status_code == 202, r.text
    code = code_in(sign_up_mail(email).body)
    r = client.post(f"{API}/auth/register/confirm", json={"email": email, "code": code})
    assert r.status_code == 200, r.text
    return r.json()


def run_account_jobs() -> list[str]:
    """Runs the queued jobs.accounts jobs here, as the RQ worker would; their results."""
    queue = get_queue()
    results = []
    for job in queue.get_jobs():
        if job.func_name.startswith("jobs.accounts."):
            results.append(job.perform())
            queue.remove(job)
            job.delete()
    return results
