"""Property-based checks (hypothesis): payload round trips and quota arithmetic against a model."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackling.errors import OverQuota
from stackling.tokens import TokenData
from stackling.tokens import payload as payloads
from tests.library.helpers import Cloud

ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=64)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2400, 1, 1), timezones=st.just(timezone.utc)
)


@given(
    user_id=ids,
    scope=st.sampled_from(["project", "domain", "credential"]),
    scope_id=ids,
    issued_at=moments,
    lifetime=st.integers(min_value=1, max_value=10**9),
    audit_id=ids,
    methods=st.sets(st.sampled_from(sorted(payloads.METHOD_BITS)), min_size=1),
)
def test_payloads_round_trip(
    user_id: str, scope: str, scope_id: str, issued_at: datetime, lifetime: int, audit_id: str, methods: set[str]
) -> None:
    data = TokenData(
        user_id=user_id,
        methods=tuple(m for m in payloads.METHOD_BITS if m in methods),
        issued_at=issued_at,
        expires_at=issued_at + timedelta(microseconds=lifetime),
        audit_id=audit_id,
        project_id=None if scope == "domain" else scope_id,
        domain_id=scope_id if scope == "domain" else None,
        application_credential_id="c" + scope_id if scope == "credential" else None,
    )
    assert payloads.decode(payloads.encode(data)) == data


operations = st.lists(
    st.tuples(st.sampled_from(["reserve", "release"]), st.integers(min_value=0, max_value=4)), max_size=12
)
_names = itertools.count()


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=-1, max_value=6), steps=operations)
def test_usage_follows_a_simple_model_and_never_exceeds_the_limit(
    cloud: Cloud, limit: int, steps: list[tuple[str, int]]
) -> None:
    project = cloud.project("prop-%d" % next(_names))  # a fresh project per example
    cloud.c.quotas.set_limits(cloud.admin, project.id, {"cores": limit})
    engine, expected = cloud.c.quotas.engine, 0
    for operation, amount in steps:
        with cloud.c.db.write() as session:
            if operation == "release":
                engine.release(session, project.id, cores=amount)
                expected = max(0, expected - amount)
                continue
            try:
                engine.claim(session, project.id, {"cores": amount})
                expected += amount
            except OverQuota as error:
                assert limit != -1 and expected + amount > limit
                assert (error.limit, error.in_use, error.requested) == (limit, expected, amount)
        in_use = cloud.c.quotas.get_usage(cloud.admin, project.id)["cores"].in_use
        assert in_use == expected
        assert limit == -1 or in_use <= limit
