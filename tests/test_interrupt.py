"""Ctrl-C during an ingest: the run stops between two documents, says what it loaded, exits 130.

The ingest is held at a gate right after it loaded its first document (the test's SIGINT
then arrives mid-run, whatever the machine's speed); a second run goes on from there.
"""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

from conftest import HANG, IKEDA_PDFS, fetch, finish, run_hyoka, spawn, stop, wait_until

# `hyoka ARGS` that touches `reached` once its first document is loaded, then waits (for
# the SIGINT the test sends; the deadline only bounds a test that forgot it)
GATED_HYOKA = textwrap.dedent(
    f"""
    import signal, sys, time
    from pathlib import Path
    from hyoka.flows.runs import Tally
    # Ctrl-C as at a terminal: a test run started in the background (`make test &`, a CI
    # runner) hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from hyoka.cli import main
    reached = Path(sys.argv[1])
    real = Tally.finish
    def gated(self, path, outcome):
        real(self, path, outcome)
        if outcome.status.startswith("loaded") and not reached.exists():
            reached.touch()
            deadline = time.monotonic() + {HANG}
            while time.monotonic() < deadline:
                time.sleep(0.05)
    Tally.finish = gated
    sys.argv = ["hyoka", *sys.argv[2:]]
    main()
    """
)


def test_ctrl_c_stops_the_run_between_documents_and_a_rerun_goes_on(tmp_path: Path) -> None:
    files = tmp_path / "inbox"
    files.mkdir()
    for pdf in IKEDA_PDFS[:4]:
        (files / pdf.name).write_bytes(pdf.read_bytes())
    db = tmp_path / "w.duckdb"
    reached = tmp_path / "reached"
    run = spawn(["-c", GATED_HYOKA, str(reached), "ingest", str(files), "--db", str(db), "--workers", "1"])
    try:
        wait_until(reached.exists, "the ingest loaded its first document", process=run)
        run.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl-C
        done = finish(run)
    finally:
        stop(run)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("interrupted: 1 documents loaded in this run, 1 settled, 3 not yet"), done.stderr
    assert "run the same command again" in lines[-1]
    # the one document is whole (its own transaction); nothing of the others
    assert fetch(db, "SELECT count(*) FROM documents") == [(1,)]
    assert fetch(db, "SELECT count(DISTINCT document_id) FROM projects") == [(1,)]
    again = run_hyoka("ingest", str(files), "--db", str(db), "--workers", "1", "--no-report")
    assert again.returncode == 0, again.stderr
    assert fetch(db, "SELECT count(*) FROM documents WHERE status LIKE 'loaded%'") == [(4,)]
    assert again.stdout.split("unchanged (already loaded)")[1].splitlines()[0].split() == ["1"], again.stdout
