"""No Prefect server outlives the test session that started it.

A small test file, run by pytest in a subprocess with this suite's conftest, starts both
kinds of server a test can start — Prefect's temporary server (the `prefect_api` fixture,
also what a flow run in the session uses) and hyoka's own (`hyoka.service.PrefectServer`,
what `hyoka ingest` and `hyoka serve` start) — and then fails, or is interrupted as a CI
time limit or a closed terminal interrupts it. When that pytest has exited, neither server
process is alive and neither port answers.
"""

from __future__ import annotations

import json
import os
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
        from prefect.server.api.server import SubprocessASGIServer

        ours = PrefectServer(light=True)  # not stopped by the test: the session must stop it
        ours.start(timeout=600)
        temporary = SubprocessASGIServer()
        record = {"pids": [ours.process.pid, temporary.server_process.pid], "api_urls": [ours.api_url, prefect_api]}
        # written whole, then renamed: the test reads it as soon as it exists
        path = Path(os.environ["TINY_RECORD"])
        path.with_suffix(".tmp").write_text(json.dumps(record))
        path.with_suffix(".tmp").replace(path)
        if os.environ.get("TINY_HOLD"):  # wait here to be interrupted
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                time.sleep(0.1)
        assert False, "fails on purpose"
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
@pytest.mark.parametrize("ending", ["fails", "SIGHUP"])
def test_no_prefect_server_outlives_a_failed_or_interrupted_session(tmp_path: Path, ending: str) -> None:
    test_file = tmp_path / "test_tiny.py"
    test_file.write_text(TINY_TEST)
    record = tmp_path / "record.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    # a Prefect home of its own: this session's server keeps its database
    env.update({"PREFECT_HOME": str(tmp_path / "prefect-home"), "TINY_RECORD": str(record),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])})
    if ending != "fails":
        env["TINY_HOLD"] = "1"
    # this suite's conftest as a plugin: its fixtures, signal handling and session finish
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), str(test_file)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    started: dict[str, list] = {"pids": [], "api_urls": []}
    try:
        wait_until(record.exists, "the tiny test started its servers", process=run, timeout=HANG)
        started = json.loads(record.read_text())
        if ending != "fails":
            os.kill(run.pid, getattr(signal, ending))  # pytest alone, as a CI runner or a closed terminal does
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
    if ending == "fails":
        assert run.returncode == 1 and "fails on purpose" in output, output
    else:
        assert run.returncode == 2 and "KeyboardInterrupt" in output, output  # pytest's "interrupted"
    assert left == [], f"server processes left running: {left}\n{output}"
    assert answering == [], f"servers still answering: {answering}\n{output}"
