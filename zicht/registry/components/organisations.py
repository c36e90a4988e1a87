"""Organisations: the reporting bodies a reporter belongs to (admin)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ... import codes
from ..audit import Actor, Event
from ..errors import Conflict, NotFound, ValidationFailed
from ..models import Organisation
from ..validation import FieldError
from .store import Store


class Organisations:
    def __init__(self, store: Store):
        self.store = store

    def add_organisation(self, actor: Actor, code: str, name: str, category: str) -> dict:
        self.store.require(actor, "admin")
        code, category = code.strip(), category.strip().upper()
        if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
            raise ValidationFailed([(None, FieldError(
                "code", "code", "organisation code: letters, digits, - and _ (max 40)"))])
        if category not in codes.REPORTER_CATEGORIES:
            raise ValidationFailed([(None, FieldError(
                "category", "code", f"category {category!r} is not a reporter category "
                f"({', '.join(codes.REPORTER_CATEGORIES)})"))])
        with self.store.sessions.begin() as s:
            if s.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
                raise Conflict(f"organisation {code!r} exists")
            org = Organisation(code=code, name=name.strip() or code, category=category)
            s.add(org)
            s.flush()
            self.store.audit(s, actor, Event("create", "organisation", code,
                                             {"name": org.name, "category": category}))
            return org_dict(org)

    def remove_organisation(self, actor: Actor, code: str) -> None:
        """Delete an organisation nothing refers to (no user, no report, no import): one
        added by mistake, or by ``zicht import --create-orgs`` for an import that was then
        refused.  An organisation in use is refused (409); deactivate its users instead."""
        self.store.require(actor, "admin")
        try:
            with self.store.sessions.begin() as s:
                org = s.scalar(select(Organisation).where(Organisation.code == code.strip()))
                if org is None:
                    raise NotFound(f"organisation {code!r} does not exist")
                s.execute(delete(Organisation).where(Organisation.id == org.id))
                s.flush()  # a reference (user, report, import) fails here, not at commit
                self.store.audit(s, actor, Event("delete", "organisation", org.code,
                                                 {"name": org.name, "category": org.category}))
        except IntegrityError:
            raise Conflict(f"organisation {code!r} is in use (users, reports or imports "
                           "refer to it)") from None
        self.store.org_cache.pop(code.strip(), None)

    def organisations(self, actor: Actor) -> list[dict]:
        self.store.require(actor, "admin", "analyst", "reporter", "auditor")
        with self.store.sessions.begin() as s:
            query = select(Organisation).order_by(Organisation.code)
            if actor.role == "reporter":
                query = query.where(Organisation.id == actor.organisation_id)
            orgs = [org_dict(o) for o in s.scalars(query)]
            self.store.audit(s, actor, Event("list", "organisation", None,
                                             {"count": len(orgs)}))
            return orgs


def org_dict(o: Organisation) -> dict:
    return {"code": o.code, "name": o.name, "category": o.category, "active": o.active}
