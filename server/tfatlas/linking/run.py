"""A link run: candidates from a registry, decided by the two thresholds, written in one update.

Nothing is written until every call to the registry has answered, so a registry that fails half-way
leaves the store as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from .entities import KINDS_BY_ID, read_entities
from .http import RegistryClient
from .records import ACCEPTED, PROPOSED, REJECTED, REVIEWED, Mapping, by_iri, read_mappings, write_update
from .registries import Candidate, registry as make_registry


@dataclass
class Thresholds:
    accept: float  # 0-1
    review: float  # 0-1
    margin: float  # points (0-100) by which the best must lead to be unambiguous

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        if config.link_review > config.link_accept:
            raise InputError(f"link_review ({config.link_review}) must not be above link_accept "
                             f"({config.link_accept})")
        return cls(config.link_accept, config.link_review, config.reconcile_match_margin)


@dataclass
class RunReport:
    registry: str
    entities: int
    mappings: list[Mapping] = field(default_factory=list)
    skipped_rejected: int = 0
    kept: int = 0  # already accepted or reviewed: left as they are
    requests: int = 0
    written: bool = False

    def count(self, status: str) -> int:
        return sum(1 for m in self.mappings if m.status == status)


def decide(subject, label: str, found: list[Candidate], known: dict, t: Thresholds,
           report: RunReport) -> list[Mapping]:
    """The records for one entity's candidates of one registry."""
    decided: list[Mapping] = []
    by_registry: dict[str, list[Candidate]] = {}
    for c in found:
        by_registry.setdefault(c.registry, []).append(c)
    for registry, cands in by_registry.items():
        settled = {k for k, m in known.items() if k[0] == subject and m.registry == registry
                   and m.status in (ACCEPTED, REVIEWED)}
        if settled:
            report.kept += len(settled)
            continue
        fresh = []
        for c in sorted(cands, key=lambda c: -c.score):
            if (subject, c.object) in known and known[(subject, c.object)].status == REJECTED:
                report.skipped_rejected += 1  # a person said no: never proposed again
                continue
            if c.object not in {f.object for f in fresh}:
                fresh.append(c)
        if not fresh:
            continue
        best = fresh[0]
        runner_up = fresh[1].score if len(fresh) > 1 else 0.0
        clear = best.score - runner_up >= t.margin
        for c in fresh:
            confidence = round(c.score / 100, 3)
            if c is best and clear and confidence >= t.accept and not c.always_review:
                status = ACCEPTED
            elif confidence >= t.review and best.score - c.score < t.margin:
                status = PROPOSED  # the best when not clear enough, and every close rival of it
            else:
                continue
            decided.append(Mapping(registry=registry, subject=subject, predicate=c.predicate, object=c.object,
                                   object_label=c.label, subject_label=label, justification=c.justification,
                                   confidence=confidence, status=status, see_also=c.see_also,
                                   notation=c.notation, agency=c.agency))
    return decided


def link(store, config, registry_name: str, kinds: list[str], dry_run: bool = False,
         client: RegistryClient | None = None) -> RunReport:
    unknown = [k for k in kinds if k not in KINDS_BY_ID]
    if unknown:
        raise InputError(f"unknown type {unknown[0]!r}; known types are {', '.join(KINDS_BY_ID)}")
    thresholds = Thresholds.from_config(config)
    client = client or RegistryClient.from_config(config)
    entities = [e for e in read_entities(store).values() if e.kind in kinds]
    report = RunReport(registry_name, len(entities))
    source = make_registry(registry_name, client, config, store.base_iri)
    found = source.candidates(entities, least=thresholds.review * 100)  # every registry call happens here
    known = {m.key: m for m in read_mappings(store)}
    for e in entities:
        report.mappings.extend(decide(e.id, e.name("de"), found.get(e.id, []), known, thresholds, report))
    report.requests = client.requests
    if report.mappings and not dry_run:
        store.update(write_update(report.mappings, store.base_iri))  # one operation, all or nothing
        report.written = True
    return report


def pending(store, registry: str | None = None) -> list[Mapping]:
    return [m for m in read_mappings(store, registry) if m.status == PROPOSED]


def review(store, record: str, accept: bool, reviewer: str, note: str = "") -> Mapping:
    """A person's decision on one record (by its IRI or the last part of it)."""
    if not reviewer.strip():
        raise InputError("a review needs the reviewer's name (--reviewer); it is recorded with the link")
    mapping = by_iri(store, record)
    if mapping is None:
        raise InputError(f"no link record {record!r}; `tfatlas link review` lists the pending ones")
    entities = read_entities(store)
    is_concept = entities.get(mapping.subject) is not None and entities[mapping.subject].kind == "concept"
    decided = mapping.reviewed(accept, reviewer.strip(), note.strip(), is_concept)
    store.update(write_update([decided], store.base_iri))
    return decided
