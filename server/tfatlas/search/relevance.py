"""Scoring the search against a relevance set: hit@1 and mean reciprocal rank (MRR).

A set is a YAML file of queries, each with the offers of which one belongs at rank 1
(tests/fixtures/search-relevance.yaml). A query that ``requires`` a label the store lacks is
reported as not scored rather than counted as a miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import yaml


@dataclass
class Case:
    q: str
    lang: str
    first: list[str]  # offer IRIs
    requires: str | None = None


@dataclass
class Outcome:
    case: Case
    rank: int | None  # 1-based rank of the best expected offer; None when not found
    top: list[str]  # the first three offers returned

    @property
    def reciprocal(self) -> float:
        return 1.0 / self.rank if self.rank else 0.0


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    unscored: list[Case] = field(default_factory=list)

    @property
    def hit_at_1(self) -> float:
        return sum(o.rank == 1 for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def mrr(self) -> float:
        return sum(o.reciprocal for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank != 1]

    def summary(self) -> str:
        lines = [f"{len(self.outcomes)} queries scored: hit@1 {self.hit_at_1:.3f}, MRR {self.mrr:.3f}"]
        for o in self.misses:
            short = [t.rsplit("/", 1)[-1] for t in o.top]
            lines.append(f"  {o.case.q!r} ({o.case.lang}): expected rank {o.rank}, got {short}")
        for case in self.unscored:
            lines.append(f"  not scored: {case.q!r} needs the label {case.requires!r} in the store")
        return "\n".join(lines)


def load_cases(path: str | Path, base_iri: str) -> list[Case]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    offers = base_iri + "id/offer/"
    return [Case(str(item["q"]), item.get("lang", "de"), [offers + f for f in item["first"]], item.get("requires"))
            for item in data["queries"]]


def _has_label(store, label: str) -> bool:
    literal = ox.Literal(label)
    return bool(store.query(
        "ASK { ?x <http://www.w3.org/2004/02/skos/core#prefLabel>|<http://www.w3.org/2004/02/skos/core#altLabel>|"
        f"<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(STR(?l) = {literal}) }}"))


def evaluate(index, store, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        if case.requires and not _has_label(store, case.requires):
            report.unscored.append(case)
            continue
        ranked = index.search(case.q, case.lang, limit=0).ranked
        ranks = [ranked.index(iri) + 1 for iri in case.first if iri in ranked]
        report.outcomes.append(Outcome(case, min(ranks) if ranks else None, ranked[:3]))
    return report
