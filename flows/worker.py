"""Reading PDFs in worker processes the run can stop: every document bounded in time and memory.

A `Worker` is a long-lived child process that imports only the readers (no pandas, no
DuckDB: it starts in about half a second) and answers requests over a socket: *open* a
PDF (the cheap guards of `hyoka.extractors.limits`, then its page count) or *read* a page range
into grids. A limit that C code cannot be trusted to keep is enforced from outside:

- memory: the worker caps its own data segment (RLIMIT_DATA) at what it held after
  start-up plus `Limits.memory_mib` before each request, so no document can make the
  machine swap; an allocation past it fails (Python: `MemoryError`, pdfium: it aborts);
- time: the run waits for each reply until `Limits.timeout`, then kills the worker. The
  worker also caps its own CPU time (RLIMIT_CPU) a little beyond, so that it stops even
  when the run that started it is gone.

A worker that was killed or died fails the one document it was reading and is started
again for the next; the others never notice. Workers are lent out and kept between
batches and runs (`borrow`), so a run pays the start-up once, and a second run in the
same process (`hyoka serve`, the tests) not at all.

This module imports nothing heavy (no reader, until a worker process needs them): the
worker process imports it, and so does every `hyoka` command at start.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyoka.extractors.failures import READER_CRASHED

if TYPE_CHECKING:  # the readers are imported by the worker, not by whoever imports this (the CLI, at start)
    from hyoka.extractors.limits import LimitExceeded, Limits
    from hyoka.extractors.pages import Reader

# how long a new worker may take to import the readers (a busy machine; never a speed bound)
START_TIMEOUT = 300.0
# a worker asked to exit has this long before it is killed
EXIT_GRACE = 2.0
# the worker's own CPU cap stands this far beyond the run's deadline: the run always stops it first
CPU_SLACK = 5.0
# how often the worker looks at its memory while it reads (seconds)
WATCH_INTERVAL = 0.005
# the hard memory cap stands at least this far (MiB) beyond the limit the watch enforces
BACKSTOP_MIN_MIB = 64


def collect_garbage_less_often() -> None:
    """Tune Python's cyclic garbage collector for a run (a process-wide setting: call it in an entry point).

    A run holds a book's pages, hundreds of thousands of small dicts and lists, until the
    document is assembled; at the default thresholds the collector walks them all again
    every few thousand allocations (a fifth of the run's time, for cycles it never finds).
    """
    gc.set_threshold(100_000, 50, 100)
    gc.freeze()  # what is imported by now lives as long as the process: never walk it again


# --------------------------------------------------------------------------------------
# What goes over the socket
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """Open a file (`last` None, `first` 0), read its pages `first`..`last`, or read a spreadsheet whole, within `limits`."""

    path: str
    reader: Reader
    limits: Limits
    first: int = 0
    last: int = 0
    spreadsheet: bool = False  # read a spreadsheet export whole into its Extraction (reader, pages: unused)

    @property
    def opens(self) -> bool:
        return self.first == 0 and not self.spreadsheet


@dataclass(frozen=True)
class Page:
    """Progress: page `number` of `total` is read."""

    number: int
    total: int


@dataclass(frozen=True)
class Reply:
    """How a request ended.

    kind: `ok` (value: the page count, or the pages read), `refused` (a `DocumentError`:
    detail is its line), `unreadable` (the file could not be read: detail is why), `bug`
    (detail is the exception, trace its traceback), `memory`, `timeout`, `crashed`
    (detail: the signal).
    """

    kind: str
    value: Any = None
    detail: str = ""
    trace: str | None = None
    retire: bool = False  # the worker exits after this reply (its heap ran out, or grew too big to keep)


@dataclass(frozen=True)
class Ready:
    """The worker's first message: it has imported the readers and holds this much memory."""

    data_kib: int  # its data segment (what RLIMIT_DATA counts)


@dataclass(frozen=True)
class MemoryHigh:
    """The open request has used half its memory allowance (a worker that dies after this ran out)."""


# --------------------------------------------------------------------------------------
# The worker process
# --------------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    """A `Vm…` line of /proc/self/status in KiB (0 where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _set_soft_limit(kind: int, value: int | None) -> None:
    """Set a soft resource limit (None: as high as the hard limit); a refused one is left as it was."""
    try:
        _, hard = resource.getrlimit(kind)
        soft = hard if value is None else (value if hard == resource.RLIM_INFINITY else min(value, hard))
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        pass


def _backstop_kib(memory_mib: int) -> int:
    """How far past the memory limit the hard cap stands: the watch stops the reading first."""
    return max(BACKSTOP_MIN_MIB, memory_mib // 4) * 1024


class Sender:
    """The worker's end of the socket, shared by the reading and the memory watch (one message at a time).

    A request is *open* from its start until its reply goes out; only then may the watch
    answer it instead, so a request never gets two replies.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.lock = threading.Lock()
        self.open = False

    def send(self, message: Any) -> None:
        with self.lock:
            self.connection.send(message)

    def reply(self, reply: Reply) -> None:
        """The request's one reply (none if the watch has answered it already)."""
        with self.lock:
            if self.open:
                self.open = False
                self.connection.send(reply)

    def send_if_open(self, message: Any) -> bool:
        """Send a message about the open request (none once it is answered: it would reach the next one)."""
        with self.lock:
            if self.open:
                self.connection.send(message)
            return self.open


class MemoryWatch(threading.Thread):
    """Watches the worker's data segment while a request is open; past its allowance, it answers
    `memory` and ends the process (pdfium aborts at a failed allocation: the watch says why first).

    It can look while the reader runs: pdfium's calls and zlib release the GIL.
    """

    def __init__(self, sender: Sender) -> None:
        super().__init__(name="hyoka-memory-watch", daemon=True)
        self.sender = sender
        self.ceiling_kib: int | None = None  # the allowance's end, in the data segment's KiB
        self.halfway_kib = 0  # past this, the run hears that the request has used half its allowance
        self.warned = False
        self.wake = threading.Event()

    def watch(self, start_kib: int = 0, allowance_kib: int | None = None) -> None:
        """Watch the open request, which starts at `start_kib`, up to its allowance (None: stop watching)."""
        self.warned = False
        if allowance_kib is None:
            self.ceiling_kib = None
            self.wake.clear()  # only the reading thread sets and clears it: no wake-up is lost
            return
        self.halfway_kib = start_kib + allowance_kib // 2
        self.ceiling_kib = start_kib + allowance_kib
        self.wake.set()

    def run(self) -> None:
        while True:
            self.wake.wait()
            ceiling = self.ceiling_kib
            data = _status_kib("VmData")
            if ceiling is not None and data > ceiling:
                if self.sender.send_if_open(Reply("memory", retire=True)):
                    os._exit(0)  # the heap is past saving; the run starts another worker
            elif ceiling is not None and not self.warned and data > self.halfway_kib:
                self.warned = self.sender.send_if_open(MemoryHigh())
            time.sleep(WATCH_INTERVAL)


def _bound(limits: Limits, watch: MemoryWatch) -> None:
    """Cap this process for one request: its memory beyond what it holds now, its CPU time from now."""
    data_kib = _status_kib("VmData")
    if limits.memory_mib is not None and data_kib:
        allowance = limits.memory_mib * 1024
        watch.watch(data_kib, allowance)
        _set_soft_limit(resource.RLIMIT_DATA, (data_kib + allowance + _backstop_kib(limits.memory_mib)) * 1024)
    else:
        watch.watch()
        _set_soft_limit(resource.RLIMIT_DATA, None)
    _rearm_cpu(limits)


def _rearm_cpu(limits: Limits) -> None:
    """Cap this process's CPU time at `limits.timeout` (and a little) from now."""
    if limits.timeout is not None:
        used = resource.getrusage(resource.RUSAGE_SELF)
        _set_soft_limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime + limits.timeout + CPU_SLACK) + 1)
    else:
        _set_soft_limit(resource.RLIMIT_CPU, None)


def _answer(request: Request, send: Callable[[Any], None]) -> Reply:
    """Do one request; every outcome is a `Reply`, nothing raises."""
    from hyoka.extractors.pdf_input import DocumentError
    from hyoka.extractors.registry import count_pages, read_page_grids

    try:
        data = Path(request.path).read_bytes()
    except OSError as exc:
        return Reply("unreadable", detail=str(exc.strerror or exc))
    try:
        if request.spreadsheet:  # a zip of XML: as able as a PDF to inflate to more than the machine has
            from hyoka.extractors.sheet_extract import extract_spreadsheet

            return Reply("ok", extract_spreadsheet(data))
        if request.opens:
            return Reply("ok", count_pages(data, request.reader, request.limits))

        def on_page(number: int, total: int) -> None:
            _rearm_cpu(request.limits)  # a document that finishes page after page is slow, not stuck
            send(Page(number, total))

        pages = read_page_grids(data, reader=request.reader, first=request.first, last=request.last,
                                on_page=on_page, limits=request.limits)
        return Reply("ok", pages)
    except DocumentError as exc:
        return Reply("refused", detail=str(exc))
    except MemoryError:
        return Reply("memory")
    except Exception as exc:  # noqa: BLE001 - a bug fails the document, not the worker
        return Reply("bug", detail=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())


def serve(connection: Connection) -> None:
    """The worker's loop: answer requests until the run says stop or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    _set_soft_limit(resource.RLIMIT_CORE, 0)  # a worker stopped by its limits leaves no core file
    import hyoka.extractors.registry  # noqa: F401 - the readers and templates, before saying ready

    collect_garbage_less_often()
    base = _status_kib("VmData")
    sender = Sender(connection)
    watch = MemoryWatch(sender)
    watch.start()
    sender.send(Ready(base))
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return  # the run is gone
        if request is None:
            return
        limits: Limits = request.limits
        sender.open = True
        _bound(limits, watch)
        reply = _answer(request, sender.send)
        del request
        watch.watch()
        _set_soft_limit(resource.RLIMIT_DATA, None)  # room to send the reply
        # start afresh after running out (a fragmented heap), or when what it keeps between
        # documents has grown by a document's allowance
        grown = limits.memory_mib is not None and _status_kib("VmData") - base > limits.memory_mib * 1024
        if reply.kind == "memory" or grown:
            reply = Reply(reply.kind, reply.value, reply.detail, reply.trace, retire=True)
        try:
            sender.reply(reply)
        except (OSError, MemoryError):
            return  # the run is gone, or the reply does not fit: either way, this worker is done
        if reply.retire:
            return


def main() -> None:
    """The worker process's entry (`Worker` starts it): argv[1] is its socket's descriptor."""
    serve(Connection(int(sys.argv[1])))


# --------------------------------------------------------------------------------------
# The run's side
# --------------------------------------------------------------------------------------


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class Worker:
    """One worker process, started on first use and again after it was stopped; use it from one thread at a time."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._ready: Ready | None = None
        _ALL.append(self)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process (it imports the readers meanwhile); a no-op when it runs."""
        if self._process is not None:
            return
        ours, theirs = socket.socketpair()
        # its sys.path is ours, so it imports hyoka from where this run does (a source tree too)
        code = (f"import sys, json; sys.path[:] = json.loads(sys.argv[2]); from {__name__} import main; main()")
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", code, str(theirs.fileno()), json.dumps(sys.path)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # it answers in replies; nothing of it reaches the user's terminal
            )
        finally:
            theirs.close()
        self._connection = Connection(ours.detach())
        self._ready = None

    def _wait_ready(self) -> Reply | None:
        """Wait for a new worker to say it is ready; a `Reply` when it never does."""
        if self._ready is not None:
            return None
        assert self._connection is not None
        try:
            if self._connection.poll(START_TIMEOUT):
                message = self._connection.recv()
                if isinstance(message, Ready):
                    self._ready = message
                    return None
        except (EOFError, OSError):
            pass
        self.stop()
        return Reply("bug", detail="the PDF reading worker did not start (check that hyoka is installed whole)")

    def ask(self, request: Request, on_page: Callable[[int, int], None] | None = None) -> Reply:
        """Send one request and wait for its reply: at most `request.limits.timeout` seconds for its first
        page, and as long again for each next one (a book of scans takes minutes; a stuck page does not end)."""
        if self._process is not None and self._process.poll() is not None:
            self.stop()  # it died while idle
        self.start()
        not_ready = self._wait_ready()
        if not_ready is not None:
            return not_ready
        assert self._connection is not None
        high = False  # the worker said the request has used half its memory
        try:
            self._connection.send(request)
        except OSError:
            return self._died(high)
        timeout = request.limits.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                if not self._connection.poll(wait):
                    self.stop()
                    return Reply("timeout")
                message = self._connection.recv()
            except (EOFError, OSError):
                return self._died(high)
            if isinstance(message, Page):
                if timeout is not None:  # the limit is per page from here on: a long scan is slow, not stuck
                    deadline = time.monotonic() + timeout
                if on_page is not None:
                    on_page(message.number, message.total)
                continue
            if isinstance(message, MemoryHigh):
                high = True
                continue
            if isinstance(message, Reply) and message.retire:
                self.close()  # it exits after saying so
            return message

    def _died(self, memory_high: bool) -> Reply:
        """The worker went away mid-request: its CPU cap, its memory cap (it had said it was past
        half its allowance), or a crash."""
        status = self._reap()
        if status is not None and status < 0 and _signal_name(-status) == "SIGXCPU":
            return Reply("timeout")
        if memory_high:
            return Reply("memory")
        what = _signal_name(-status) if status is not None and status < 0 else f"exit code {status}"
        return Reply("crashed", detail=what)

    def _reap(self) -> int | None:
        """Wait for the ended process: its exit status as Popen gives it (-N: killed by signal N)."""
        process = self._process
        self._close_connection()
        self._process = None
        return process.wait() if process is not None else None

    def _close_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except OSError:
                pass
            self._connection = None

    def stop(self) -> None:
        """Kill the process now (a new one starts on the next request)."""
        process = self._process
        if process is not None and process.poll() is None:
            try:
                process.kill()
            except OSError:
                pass
        self._reap()

    def close(self) -> None:
        """Ask the process to exit; kill it when it does not."""
        process = self._process
        if process is None:
            return
        if process.poll() is None and self._connection is not None:
            try:
                self._connection.send(None)
                process.wait(EXIT_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()


_ALL: list[Worker] = []  # every worker this process made (to close them at exit)
_IDLE: list[Worker] = []  # workers waiting to be lent
_LOCK = threading.Lock()


def _ours(worker: Worker) -> bool:
    """Whether this process made the worker (a forked child must not talk to its parent's workers)."""
    return worker.owner == os.getpid()


@contextmanager
def borrow() -> Iterator[Worker]:
    """A worker for one thread's use (an idle one, or a new one), returned to the idle ones after."""
    with _LOCK:
        idle = [worker for worker in _IDLE if _ours(worker)]
        worker = idle.pop() if idle else Worker()
        _IDLE[:] = idle
    try:
        yield worker
    finally:
        with _LOCK:
            _IDLE.append(worker)


def warm_up(count: int) -> None:
    """Have `count` idle workers starting now, so that their imports overlap the run's own start."""
    with _LOCK:
        _IDLE[:] = [worker for worker in _IDLE if _ours(worker)]
        while len(_IDLE) < count:
            _IDLE.append(Worker())
        workers = list(_IDLE[:count])
    for worker in workers:
        worker.start()


def close_all() -> None:
    """Stop every worker this process started (at exit; the tests' clean slate)."""
    with _LOCK:
        workers = [worker for worker in _ALL if _ours(worker)]
        _ALL[:] = []
        _IDLE[:] = []
    for worker in workers:
        worker.close()


atexit.register(close_all)


def ask(request: Request, on_page: Callable[[int, int], None] | None = None) -> Reply:
    """One request to a borrowed worker."""
    with borrow() as worker:
        return worker.ask(request, on_page)


def limit_error(reply: Reply, limits: Limits) -> LimitExceeded | None:
    """The `LimitExceeded` a reply stands for, if it is a time or memory one."""
    from hyoka.extractors.limits import needed_too_much_memory, took_too_long

    if reply.kind == "timeout":
        return took_too_long(limits)
    if reply.kind == "memory":
        return needed_too_much_memory(limits)
    return None


def crash_line(reply: Reply) -> str:
    """The one line of a document whose reading crashed the worker."""
    return (f"{READER_CRASHED.reason} while reading it ({reply.detail}) — the file is probably damaged: "
            "re-export the PDF from its source")
