"""Pool jobs deliver on the GUI thread, throttle progress, report errors, cancel, and coalesce reloads."""

from __future__ import annotations

import threading

from desktop_app.gui.workers import CoalescingJob, JobRunner, describe


def test_results_and_progress_arrive_on_the_gui_thread(qtbot):
    runner = JobRunner()
    seen: dict[str, object] = {"progress": []}

    def work(context):
        seen["worker_thread"] = threading.current_thread()
        for i in range(10_000):
            context.report(i)
        context.report("last", force=True)
        return 42

    def done(result):
        seen["result"] = result
        seen["done_thread"] = threading.current_thread()

    runner.start(work, name="t", on_done=done, on_progress=seen["progress"].append)
    qtbot.waitUntil(lambda: "result" in seen and not runner.busy)
    assert seen["result"] == 42
    assert seen["done_thread"] is threading.main_thread() is not seen["worker_thread"]
    assert 2 <= len(seen["progress"]) < 100, "10,000 reports are throttled to a few"
    assert seen["progress"][-1] == "last"
    runner.shutdown()


def test_errors_are_delivered_not_raised(qtbot):
    runner = JobRunner()
    errors = []

    def work(_context):
        raise OSError("disk on fire")

    runner.start(work, name="t", on_failed=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], OSError) and describe(errors[0]) == "disk on fire"
    assert describe(KeyError()) == "KeyError"
    runner.shutdown()


def test_cancel_reaches_the_work_and_shutdown_refuses_new_jobs(qtbot):
    runner = JobRunner()
    started = threading.Event()
    results = []

    def work(context):
        started.set()
        while not context.cancelled():
            threading.Event().wait(0.01)
        return "stopped"

    job = runner.start(work, name="t", on_done=results.append)
    assert started.wait(10)
    runner.cancel_all()
    qtbot.waitUntil(lambda: results == ["stopped"])
    assert job.is_cancelled
    runner.shutdown()
    late = runner.start(lambda _c: "never", name="late", on_done=results.append)
    assert late.is_cancelled and not runner.busy
    qtbot.wait(50)
    assert results == ["stopped"]


def test_coalescing_job_folds_bursts(qtbot):
    runner = JobRunner()
    release = threading.Event()
    values = []
    state = {"n": 0}

    def make_work():
        state["n"] += 1
        number = state["n"]

        def work(_context):
            release.wait(10)
            return number

        return work

    job = CoalescingJob(runner, "t", make_work, values.append, min_interval_ms=10)
    for _ in range(1000):
        job.request()
    qtbot.waitUntil(lambda: job.runs == 1)
    for _ in range(1000):
        job.request()  # while the first run is in flight: one more run, not a thousand
    release.set()
    qtbot.waitUntil(lambda: not job.pending)
    assert values == [1, 2] and job.runs == 2
    runner.shutdown()


def test_an_urgent_request_skips_the_interval_between_runs(qtbot):
    """A search must not wait out the pause that keeps scan-driven reloads apart."""
    runner = JobRunner()
    values = []
    job = CoalescingJob(runner, "t", lambda: (lambda _context: len(values)), values.append, min_interval_ms=60_000)
    job.request()
    qtbot.waitUntil(lambda: values == [0])
    job.request()  # the ordinary next run waits a minute after the first
    qtbot.wait(200)
    assert values == [0] and job.pending
    for _ in range(100):
        job.request(now=True)  # a burst of urgent requests: one run, on the next event-loop turn
    qtbot.waitUntil(lambda: not job.pending, timeout=5000)
    assert values == [0, 1] and job.runs == 2
    runner.shutdown()


def test_background_work_can_run_below_the_window(qtbot):
    """The analysis worker lowers its own thread's priority, not the window's (Linux: per thread)."""
    import os

    from desktop_app.gui.workers import lower_thread_priority

    seen: dict[str, int] = {}

    def background():
        lower_thread_priority(5)
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        lower_thread_priority(3)  # never raised back
        seen["again"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["worker"] == seen["again"] == max(before, 5)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before, "the GUI thread keeps its priority"
