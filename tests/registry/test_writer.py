"""Group commit: concurrent submissions combined in one transaction behave as if run one after
the other - one report per reference, one per idempotency key, conflicts refused alone, every
created report audited once, the chain intact."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from zicht.registry.audit import Actor
from zicht.registry.models import AuditEntry, Report
from zicht.registry.service import Conflict

from .conftest import report

THREADS = 24


def _many(fn, n):
    with ThreadPoolExecutor(THREADS) as ex:
        futures = [ex.submit(fn, i) for i in range(n)]
    out = []
    for f in futures:
        try:
            out.append(f.result())
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            out.append(exc)
    return out


def _count(reg, model, *where):
    with reg.read_sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_concurrent_submissions_are_combined_and_serialisable(world):
    reg = world.registry
    rep = world.actor("rep_a")
    batches_before = reg.writer.batches
    # distinct references: all created, in fewer transactions than requests
    out = _many(lambda i: reg.submit(rep, [report(source_ref=f"W-{i}")]), 120)
    assert all(o.status == 201 for o in out)
    assert reg.writer.batches - batches_before < 120
    # one reference, same content, many at once: one created, the rest "existing"
    out = _many(lambda i: reg.submit(rep, [report(source_ref="SAME")]), 40)
    statuses = sorted(o.reports[0]["status"] for o in out)
    assert statuses.count("created") == 1 and statuses.count("existing") == 39
    assert len({o.reports[0]["id"] for o in out}) == 1
    # one reference, different content: one wins, the others are conflicts
    out = _many(lambda i: reg.submit(rep, [report(source_ref="RACE", sector=f"sector {i}")]),
                30)
    assert sum(not isinstance(o, Exception) for o in out) == 1
    assert all(isinstance(o, Conflict) for o in out if isinstance(o, Exception))
    # one idempotency key: one created, the rest replay it
    out = _many(lambda i: reg.submit(rep, [report()], idempotency_key="K-1"), 30)
    assert len({o.reports[0]["id"] for o in out}) == 1
    assert sum(o.replayed for o in out) == 29
    assert _count(reg, Report) == 120 + 1 + 1 + 1
    creates = _count(reg, AuditEntry, AuditEntry.action == "create",
                     AuditEntry.object_type == "report")
    assert creates == 123
    assert reg.verify_audit(Actor("t", "auditor")).ok


@pytest.mark.parametrize("n", [1, 7])
def test_a_conflict_refuses_only_its_own_submission(world, n):
    reg = world.registry
    rep = world.actor("rep_a")
    reg.submit(rep, [report(source_ref="TAKEN")])
    out = _many(lambda i: reg.submit(rep, [report(source_ref=f"OK-{n}-{i}")]) if i
                else reg.submit(rep, [report(source_ref="TAKEN", sex="M")]), n + 1)
    assert isinstance(out[0], Conflict)
    assert all(o.status == 201 for o in out[1:])
