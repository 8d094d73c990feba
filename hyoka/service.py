"""`hyoka serve`: the `ingest` flow on a schedule, through a Prefect server.

Scheduling needs a Prefect API (the temporary server Prefect starts for a single flow
run lives only as long as that run). `prefect_api()` uses the one configured
(PREFECT_API_URL) or starts `prefect server start` on 127.0.0.1 for as long as hyoka
serves, and stops it on the way out (Ctrl-C, SIGTERM, an error).

    with prefect_api(say=print) as api_url:
        ...  # PREFECT_API_URL is set for this process and its children
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

Say = Callable[[str], None]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether the Prefect API at `api_url` (…/api) answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _prefect_command() -> list[str]:
    exe = Path(sys.executable).with_name("prefect")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("prefect")
    return [found] if found else [sys.executable, "-m", "prefect"]


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    try:
        from prefect.settings import PREFECT_API_URL

        return PREFECT_API_URL.value() or None
    except Exception:  # noqa: BLE001 - no usable Prefect settings: none configured
        return None


class PrefectUnavailable(Exception):
    """Prefect's server could not be started or reached; the message says what to do."""


# How long a run waits for the Prefect server it starts: Prefect's own setting for its
# temporary server when the user set it, else long enough for a very busy machine
# (Prefect's default, 20 s, fails healthy runs on a loaded laptop or CI machine).
STARTUP_TIMEOUT_SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_STARTUP_SECONDS = 600.0


def startup_timeout() -> float:
    """Seconds to wait for a Prefect server that hyoka starts."""
    value = os.environ.get(STARTUP_TIMEOUT_SETTING)
    try:
        return float(value) if value is not None else DEFAULT_STARTUP_SECONDS
    except ValueError:
        return DEFAULT_STARTUP_SECONDS


def _die_with_parent() -> None:
    """In the server's process: end when hyoka ends, even if hyoka is killed (Linux only)."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the server is stopped on the way out instead
        pass


# UI settings the server is given: the UI (in the browser) asks its server for its API
# address, which otherwise defaults to 127.0.0.1:4200 whatever port the server listens on
UI_API_URL_SETTING = "PREFECT_SERVER_UI_API_URL"
_UI_API_URL_ALIASES = ("PREFECT_UI_API_URL",)  # Prefect's older name; would compete with ours

# Servers started by this process and not yet stopped: stopped at exit whatever the path out
# (a failing test, an error between launch and the `finally` that stops it)
_RUNNING: set[PrefectServer] = set()


def stop_all_servers() -> None:
    """Stop every Prefect server this process started and has not stopped."""
    for server in list(_RUNNING):
        server.stop(timeout=10.0)


atexit.register(stop_all_servers)


def _signal_group(pgid: int, signum: int) -> None:
    """Send `signum` to a process group, if it still exists."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


class PrefectServer:
    """`prefect server start` as a child process (its own session: Ctrl-C reaches hyoka,
    which stops the server after the runner has shut down).

    `light=True` runs only the API (no UI, no background services): enough for a one-off
    run to report to, and lighter and quicker to start than the full server.

    A server is stopped by `stop()`, else when this process exits (atexit), else when it
    dies (a parent-death signal, Linux).
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None,
                 *, light: bool = False):
        self.host = host
        self.port = port or free_port(host)
        self.light = light
        self.api_url = f"http://{host}:{self.port}/api"
        self.ui_url = f"http://{host}:{self.port}"
        self.log_path = log_path or Path(tempfile.gettempdir()) / f"hyoka-prefect-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that starts this server."""
        command = [*_prefect_command(), "server", "start", "--host", self.host, "--port", str(self.port)]
        if self.light:
            command += ["--no-services", "--no-ui"]
        return command

    def environment(self) -> dict[str, str]:
        """The server's environment: this one, its UI pointed at this server's own API."""
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and k not in _UI_API_URL_ALIASES}
        env[UI_API_URL_SETTING] = self.api_url
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        return env

    def launch(self) -> None:
        """Start the server process and return at once (`wait_until_healthy` waits for it)."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.environment(), start_new_session=True, preexec_fn=_die_with_parent,
            )
        _RUNNING.add(self)

    def wait_until_healthy(self, timeout: float) -> None:
        """Wait until the health check answers; RuntimeError if the server stops or `timeout` passes."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the Prefect server stopped at start (exit code {self.process.returncode}); see {self.log_path}"
                )
            if is_healthy(self.api_url, timeout=1.0):
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Prefect server did not answer within {timeout:g}s; see {self.log_path}")

    def start(self, timeout: float = 120.0) -> None:
        """Start the server and wait until its health check answers (RuntimeError if it does not)."""
        self.launch()
        self.wait_until_healthy(timeout)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server and whatever it started (SIGTERM to its process group, then SIGKILL
        after `timeout` seconds)."""
        process, self.process = self.process, None
        _RUNNING.discard(self)
        if process is None:
            return
        # the server leads a session of its own: its group is the server and its children
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(process.pid, signal.SIGKILL)  # what is left of it (a worker that outlived it)
        if process.poll() is None:
            process.wait(timeout=10)

    def __enter__(self) -> PrefectServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextmanager
def _api_url_set(api_url: str) -> Iterator[None]:
    """PREFECT_API_URL for this process (Prefect's settings) and its children (the environment)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        with temporary_settings({PREFECT_API_URL: api_url}):
            yield
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous


@contextmanager
def prefect_api(say: Say | None = None, *, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """The Prefect API to schedule with: the configured one, else a server started here for
    the duration of the block. PREFECT_API_URL is set for this process while it lasts."""
    configured = configured_api_url()
    if configured:
        if say:
            say(f"Prefect API: {configured} (PREFECT_API_URL)")
        yield configured
        return
    server = PrefectServer(host, port)
    if say:
        say(f"Starting a Prefect server on {server.ui_url} (log: {server.log_path})…")
    server.start()
    try:
        with _api_url_set(server.api_url):
            if say:
                say(f"Prefect UI: {server.ui_url}")
            yield server.api_url
    finally:
        if say:
            say("Stopping the Prefect server…")
        server.stop()


@contextmanager
def api_for_a_run(prepare: Callable[[], Any] | None = None) -> Iterator[str | None]:
    """The Prefect API a one-off run reports to: the configured one (PREFECT_API_URL or the
    active profile), else a light temporary server started here for the block.

    `prepare` runs while the server starts (imports, page counts: the start-up costs seconds).
    The runs are kept in Prefect's database (PREFECT_HOME) like those of Prefect's own
    temporary server; `prefect server start` shows them. A server that does not answer within
    `startup_timeout()` raises `PrefectUnavailable`, with what to do.
    """
    if os.environ.get("PREFECT_API_URL"):
        if prepare:
            prepare()
        yield os.environ["PREFECT_API_URL"]
        return
    server = PrefectServer(light=True)
    server.launch()
    try:
        if prepare:
            prepare()
        configured = configured_api_url()  # a profile's API (this imports Prefect, while the server starts)
        if configured:
            server.stop()
            yield configured
            return
        limit = startup_timeout()
        try:
            server.wait_until_healthy(limit)
        except RuntimeError as exc:
            raise PrefectUnavailable(
                f"{exc}; nothing was loaded — run the same command again (a busy machine is slow to start "
                f"Prefect), raise {STARTUP_TIMEOUT_SETTING} (now {limit:g} s), or start a server "
                "(`prefect server start`) and set PREFECT_API_URL"
            ) from None
        with _api_url_set(server.api_url):
            yield server.api_url
    finally:
        server.stop()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (systemctl stop) shuts down like Ctrl-C: the runner stops, then the server."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_ingest(
    name: str,
    parameters: dict[str, Any],
    *,
    cron: str | None = None,
    interval: float | None = None,
    timezone: str | None = None,
    say: Say | None = None,
) -> None:
    """Serve the `ingest` flow as deployment `ingest/<name>` with these parameters, on a cron
    schedule (in `timezone`) or every `interval` seconds, until interrupted."""
    from prefect.schedules import Cron, Interval

    from hyoka.flows.ingest import ingest

    if cron:
        schedule = Cron(cron, timezone=timezone)
    elif interval:
        schedule = Interval(interval, timezone=timezone)
    else:
        raise ValueError("serve_ingest needs a cron schedule or an interval")
    # Prefect's runner, stopped by a signal, leaves this warning behind; nothing is lost
    warnings.filterwarnings("ignore", message=r"coroutine 'Runner\.astop' was never awaited")
    with _sigterm_as_interrupt(), prefect_api(say):
        try:
            ingest.serve(
                name=name,
                schedules=[schedule],
                parameters=parameters,
                limit=1,  # one run at a time: two runs over one inbox would parse the same new files
                description="hyoka: ingest the PDFs of an inbox folder into the DuckDB warehouse",
                tags=["hyoka"],
            )
        except KeyboardInterrupt:
            pass
