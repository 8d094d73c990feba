"""No Prefect server outlives the test session that started it.

A small test file, run by pytest in a subprocess with this suite's conftest, starts both
kinds of server a test can start — Prefect's temporary server (the `prefect_api` fixture,
also what a flow run in the session uses) and hyoka's own (`hyoka.service.PrefectServer`,
what `hyoka ingest` and `hyoka serve` start; its UI must point at its own API) — in a test
that fails; the session goes on
to a test that is interrupted, as a CI time limit or a closed terminal interrupts it. When
that pytest has exited, neither server process is alive and neither port answers.

One session for both endings (each session starts two servers, seconds of CPU apiece): a
failed test leaves its servers to the session's end, and the interrupted session ends
through the same session finish as one that merely failed (which, besides, both kinds of
server also meet at exit).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import HANG, ROOT, stop, wait_until
from hyoka.service import is_healthy

TINY_TEST = textwrap.dedent(
    """
    import json, os, time
    from pathlib import Path

    from hyoka.service import PrefectServer


    def test_starts_servers_then_fails(prefect_api):
        import urllib.request

        from prefect.server.api.server import SubprocessASGIServer

        # the full server `hyoka serve` starts (API, UI, services), not stopped by the test: the
        # session must stop it (its log beside the record, not in /tmp)
        ours = PrefectServer(log_path=Path(os.environ["TINY_RECORD"]).with_name("server.log"))
        ours.start(timeout=600)
        # the UI `hyoka serve` prints asks its server where the API is: this server, not port 4200
        with urllib.request.urlopen(f"{ours.ui_url}/ui-settings", timeout=60) as response:
            ui_api_url = json.load(response)["api_url"]
        temporary = SubprocessASGIServer()
        record = {"pids": [ours.process.pid, temporary.server_process.pid], "api_urls": [ours.api_url, prefect_api],
                  "ui_api_url": ui_api_url}
        # written whole, then renamed: the test reads it as soon as it exists
        path = Path(os.environ["TINY_RECORD"])
        path.with_suffix(".tmp").write_text(json.dumps(record))
        path.with_suffix(".tmp").replace(path)
        assert False, "fails on purpose"


    def test_held_until_interrupted():
        Path(os.environ["TINY_HOLDING"]).touch()  # the session went on after the failure …
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:  # … and waits here to be interrupted
            time.sleep(0.1)
    """
)


def alive(pid: int) -> bool:
    """Whether a process with this id exists (a zombie not yet reaped counts: it is left behind)."""
    return Path(f"/proc/{pid}").exists()


def is_server(pid: int) -> bool:
    """Whether `pid` is (still) a Prefect server process, not another that took its id."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"prefect" in command or b"uvicorn" in command


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="looks processes up in /proc")
def test_no_prefect_server_outlives_a_failed_and_interrupted_session(tmp_path: Path, migrated_prefect_db: Path) -> None:
    test_file = tmp_path / "test_tiny.py"
    test_file.write_text(TINY_TEST)
    record, holding = tmp_path / "record.json", tmp_path / "holding"
    # (not an xdist worker: the tiny session is a plain one, with the Prefect home given here)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "PYTEST_XDIST_"))}
    # a Prefect home of its own (this session's server keeps its database), which starts from a
    # migrated copy of it: its two servers skip the migrations, the slow part of their start
    home = tmp_path / "prefect-home"
    home.mkdir()
    shutil.copy(migrated_prefect_db, home / "prefect.db")
    env.update({"PREFECT_HOME": str(home), "TINY_RECORD": str(record), "TINY_HOLDING": str(holding),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])})
    # this suite's conftest as a plugin: its fixtures, signal handling and session finish
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), str(test_file)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    started: dict[str, list] = {"pids": [], "api_urls": []}
    try:
        wait_until(holding.exists, "the tiny session started its servers, failed, and went on", process=run,
                   timeout=HANG)
        started = json.loads(record.read_text())
        os.kill(run.pid, signal.SIGHUP)  # pytest alone, as a CI runner or a closed terminal does
        out, err = run.communicate(timeout=HANG)
        # checked before anything here kills a process: what is gone, the session stopped
        left = [pid for pid in started["pids"] if alive(pid)]
        answering = [url for url in started["api_urls"] if is_healthy(url, timeout=2.0)]
    finally:
        stop(run)
        for pid in started["pids"]:  # a server left behind by a failure of this test goes too
            if is_server(pid):
                os.kill(pid, signal.SIGKILL)
    output = out + err
    assert "fails on purpose" in output and "1 failed" in output, output
    assert started["ui_api_url"] == started["api_urls"][0]  # hyoka's server started, its UI pointed at its API
    assert run.returncode == 2 and "KeyboardInterrupt" in output, output  # pytest's "interrupted"
    assert left == [], f"server processes left running: {left}\n{output}"
    assert answering == [], f"servers still answering: {answering}\n{output}"
