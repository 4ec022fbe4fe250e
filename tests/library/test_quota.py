"""Quotas: defaults, overrides, -1, over-quota errors, release, rollback, and concurrent creates."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from stackling.config import ControllerConfig, QuotaConfig
from stackling.controller import Controller
from stackling.db import Database
from stackling.errors import Conflict, OverQuota, TransactionMisused, ValidationError
from stackling.quota import BUILTIN_DEFAULTS, QuotaEngine
from tests.library.helpers import Cloud, FakeClock


def in_use(cloud: Cloud, project_id: str) -> dict[str, int]:
    return {name: usage.in_use for name, usage in cloud.c.quotas.get_usage(cloud.admin, project_id).items()}


def test_defaults_overrides_and_unlimited(cloud: Cloud) -> None:
    web = cloud.project("web")
    assert cloud.c.quotas.get_limits(cloud.admin, web.id) == dict(BUILTIN_DEFAULTS)
    limits = cloud.c.quotas.set_limits(cloud.admin, web.id, {"instances": -1, "cores": 4})
    assert (limits["instances"], limits["cores"], limits["ram_mb"]) == (-1, 4, BUILTIN_DEFAULTS["ram_mb"])
    with cloud.c.db.write() as session:
        with cloud.c.quotas.engine.reserve(session, web.id, instances=1000):
            pass
    assert in_use(cloud, web.id)["instances"] == 1000
    with pytest.raises(ValidationError):
        cloud.c.quotas.set_limits(cloud.admin, web.id, {"gpus": 1})
    with pytest.raises(ValidationError):
        cloud.c.quotas.set_limits(cloud.admin, web.id, {"cores": -5})


def test_configured_defaults_apply(config: ControllerConfig, clock: FakeClock, database: Database) -> None:
    tight = replace(config, quota=QuotaConfig(defaults={**BUILTIN_DEFAULTS, "instances": 1}))
    controller = Controller.from_config(tight, clock=clock, db=database)
    controller.keys.setup()
    result = controller.bootstrap("x-Secret-1")
    with controller.db.write() as session:
        controller.quotas.engine.claim(session, result.admin_project_id, {"instances": 1})
    with pytest.raises(OverQuota, match="instances: limit 1, in use 1, requested 1"):
        with controller.db.write() as session:
            controller.quotas.engine.claim(session, result.admin_project_id, {"instances": 1})


def test_over_quota_names_quota_limit_usage_and_request(cloud: Cloud) -> None:
    web = cloud.project("web")
    cloud.c.quotas.set_limits(cloud.admin, web.id, {"cores": 8})
    with cloud.c.db.write() as session:
        with cloud.c.quotas.engine.reserve(session, web.id, instances=1, cores=6):
            pass
    with pytest.raises(OverQuota) as caught:
        with cloud.c.db.write() as session:
            with cloud.c.quotas.engine.reserve(session, web.id, instances=1, cores=4, ram_mb=512):
                pass
    error = caught.value
    assert str(error) == "quota exceeded for cores: limit 8, in use 6, requested 4"
    assert (error.resource, error.limit, error.in_use, error.requested) == ("cores", 8, 6, 4)
    assert error.code == "over_quota"
    assert in_use(cloud, web.id) == {**{name: 0 for name in BUILTIN_DEFAULTS}, "instances": 1, "cores": 6}


def test_a_failing_body_gives_the_reservation_back(cloud: Cloud) -> None:
    web = cloud.project("web")
    with cloud.c.db.write() as session:
        with pytest.raises(RuntimeError):
            with cloud.c.quotas.engine.reserve(session, web.id, instances=1, volumes=2):
                raise RuntimeError("hypervisor said no")
        with cloud.c.quotas.engine.reserve(session, web.id, keypairs=1):
            pass
    usage = in_use(cloud, web.id)
    assert (usage["instances"], usage["volumes"], usage["keypairs"]) == (0, 0, 1)


def test_release_on_delete_never_goes_below_zero(cloud: Cloud) -> None:
    web = cloud.project("web")
    engine = cloud.c.quotas.engine
    with cloud.c.db.write() as session:
        engine.claim(session, web.id, {"ports": 3})
    with cloud.c.db.write() as session:
        engine.release(session, web.id, ports=2)
    assert in_use(cloud, web.id)["ports"] == 1
    with cloud.c.db.write() as session:
        engine.release(session, web.id, ports=5, routers=1)
    assert (in_use(cloud, web.id)["ports"], in_use(cloud, web.id)["routers"]) == (0, 0)


@pytest.mark.parametrize("backend", ["sqlite"])  # only SQLite tells read and write transactions apart at BEGIN
def test_reservations_need_a_write_transaction(cloud: Cloud) -> None:
    web = cloud.project("web")
    with cloud.c.db.read() as session:
        session.get_bind()
        cloud.c.quotas.engine.limits(session, web.id)  # the read transaction has begun
        with pytest.raises(TransactionMisused):
            cloud.c.quotas.engine.claim(session, web.id, {"instances": 1})


def test_bad_amounts_are_refused() -> None:
    engine = QuotaEngine(BUILTIN_DEFAULTS, FakeClock())
    with pytest.raises(ValidationError, match="unknown quota resource 'gpus'"):
        engine.claim(None, "p", {"gpus": 1})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        engine.claim(None, "p", {"instances": -1})  # type: ignore[arg-type]


def test_a_project_holding_resources_cannot_be_deleted(cloud: Cloud) -> None:
    web = cloud.project("web")
    with cloud.c.db.write() as session:
        cloud.c.quotas.engine.claim(session, web.id, {"instances": 2})
    with pytest.raises(Conflict, match="2 instances"):
        cloud.c.identity.delete_project(cloud.admin, web.id)
    with cloud.c.db.write() as session:
        cloud.c.quotas.engine.release(session, web.id, instances=2)
    cloud.c.identity.delete_project(cloud.admin, web.id)


def test_concurrent_creates_stop_exactly_at_the_limit(cloud: Cloud, database: Database) -> None:
    """20 threads each create an instance against a limit of 10: exactly 10 win, 10 get OverQuota."""
    web = cloud.project("web")
    cloud.c.quotas.set_limits(cloud.admin, web.id, {"instances": 10})
    engine = cloud.c.quotas.engine
    start = threading.Barrier(20)
    created: list[int] = []
    refused: list[OverQuota] = []
    failures: list[BaseException] = []

    def create_instance(number: int) -> None:
        start.wait()
        try:
            with database.write() as session:
                with engine.reserve(session, web.id, instances=1, cores=1):
                    time.sleep(0.005)  # the "create": widens any race window
            created.append(number)
        except OverQuota as error:
            refused.append(error)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=create_instance, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert (len(created), len(refused)) == (10, 10)
    assert all(error.resource == "instances" and error.in_use == 10 for error in refused)
    usage = in_use(cloud, web.id)
    assert (usage["instances"], usage["cores"]) == (10, 10)
