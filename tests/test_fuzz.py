"""A fixed small part of the fuzz corpus (benchmarks/fuzz.py runs a few hundred): no traceback,
no silent acceptance, and the good file loads beside the broken ones.

Here the mutants (two of each kind of damage) share one run with the good file: each must
fail alone, with one line, or load with what it really holds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import ROOT
from hyoka.flows.engine import run_ingest
from hyoka.flows.runs import IngestSettings
from hyoka.flows.stages import read_and_process
from synth import mutants as corpus

_spec = importlib.util.spec_from_file_location("fuzz", ROOT / "benchmarks" / "fuzz.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

SEED = 14
COUNT = 2 * len(corpus.KINDS)


@pytest.fixture(scope="module")
def mutants() -> list[corpus.Mutant]:
    return corpus.make_corpus(fuzz.sources(), COUNT, SEED)


def test_the_corpus_is_the_same_every_time(mutants: list[corpus.Mutant]) -> None:
    again = corpus.make_corpus(fuzz.sources(), COUNT, SEED)
    assert [(m.name, m.data) for m in again] == [(m.name, m.data) for m in mutants]
    assert sorted(m.kind for m in mutants) == sorted(corpus.KINDS * 2)
    sources = {path.read_bytes() for path in fuzz.sources()}
    assert len({m.data for m in mutants}) == COUNT and not sources & {m.data for m in mutants}


def test_outcomes_are_sorted_by_what_the_run_made_of_the_mutant() -> None:
    assert corpus.classify("failed", "damaged PDF (…) — re-export the PDF from its source", 0, 40) == corpus.CLEAN_ERROR
    assert corpus.classify("failed", "internal error while reading (KeyError: 'x'); please report it with the file", 0, 40) == corpus.TRACEBACK
    assert corpus.classify("loaded", None, 12, 40) == corpus.SILENT
    assert corpus.classify("loaded", None, 40, 40) == corpus.LOADED
    assert corpus.classify("loaded_with_issues", None, 12, 40) == corpus.LOADED_FEWER_WITH_ISSUES


def test_broken_copies_fail_alone_or_load_what_they_hold(mutants: list[corpus.Mutant], tmp_path: Path) -> None:
    expected = {path: read_and_process(str(path)).record_count for path in fuzz.sources()}
    folder = tmp_path / "inbox"
    folder.mkdir()
    paths = {}
    for mutant in mutants:
        paths[mutant.name] = folder / f"{mutant.name}.pdf"
        paths[mutant.name].write_bytes(mutant.data)
    good = fuzz.good_file()
    summary = run_ingest([*map(str, paths.values()), str(good)], IngestSettings(db=str(tmp_path / "w.duckdb"), report=False, workers=1))
    outcomes = {o.path: o for o in summary.outcomes}
    assert outcomes[str(good)].status == "loaded"
    found = {}
    for mutant in mutants:
        outcome = outcomes[str(paths[mutant.name])]
        found[mutant.name] = corpus.classify(outcome.status, outcome.error, outcome.records, expected[mutant.source])
        assert "\n" not in (outcome.error or ""), outcome.error
    assert not {name: kind for name, kind in found.items() if kind in corpus.BAD}
    # the corpus is not all of one outcome: some copies fail, some still load
    assert {corpus.CLEAN_ERROR, corpus.LOADED} <= set(found.values()), found
