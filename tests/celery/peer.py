"""A Python Celery peer for test_celery.c; run with /usr/bin/python3 (the
only interpreter that imports Debian's celery). Each command prints what
it saw and exits 0 when it saw what the test expects.

  add QUEUE A B          send test.add and print AsyncResult.get()
  unknown QUEUE          send an unregistered task; expect NotRegistered
  ping HOSTNAME          inspect().ping() until HOSTNAME answers pong
  revoke TASK_ID         app.control.revoke(TASK_ID, terminate=True)
  module QUEUE KEY KWARGS
                         send prodflow.module.KEY with KWARGS (JSON) and print
                         its result, or "failed TYPE MESSAGE" (exit 3)
  events QUEUE HOSTNAME  receive events as `celery events` does: once a
                         heartbeat of HOSTNAME shows the receiver is
                         subscribed, send test.add and test.fail and wait
                         for their task events
"""
import json
import sys

from celery.exceptions import NotRegistered

from celery_app import app


def add(queue, a, b):
    result = app.send_task("test.add", args=[int(a), int(b)], queue=queue)
    print(json.dumps(result.get()))
    return 0


def unknown(queue):
    result = app.send_task("test.no_such_task", args=[1], queue=queue)
    try:
        result.get()
    except NotRegistered as exc:
        print("NotRegistered", exc)
        return 0
    except Exception as exc:  # the test prints what came instead
        print("unexpected", type(exc).__name__, exc)
        return 1
    print("unexpected success")
    return 1


def ping(hostname):
    # A broadcast waits a protocol timeout for replies; retry until ours is in.
    while True:
        replies = app.control.inspect(timeout=1).ping() or {}
        if replies.get(hostname) == {"ok": "pong"}:
            print(json.dumps(replies, sort_keys=True))
            return 0


def module(queue, key, kwargs):
    result = app.send_task("prodflow.module." + key, kwargs=json.loads(kwargs), queue=queue)
    try:
        print(json.dumps(result.get(), sort_keys=True))
        return 0
    except Exception as exc:  # the test reads what the worker said
        print("failed", type(exc).__name__, exc)
        return 3


def revoke(task_id):
    app.control.revoke(task_id, terminate=True)
    return 0


class EventWatch:
    def __init__(self, queue, hostname):
        self.queue, self.hostname = queue, hostname
        self.ids = None
        self.seen = set()

    def wanted(self):
        ok, bad = self.ids
        return {(ok, "task-received"), (ok, "task-started"), (ok, "task-succeeded"),
                (bad, "task-received"), (bad, "task-failed"), (None, "worker-heartbeat")}

    def on_event(self, event):
        if event.get("hostname") != self.hostname:
            return
        kind = event["type"]
        if kind == "worker-heartbeat":
            for field in ("clock", "freq", "sw_ident", "sw_ver", "sw_sys", "active", "processed", "pid"):
                assert field in event, field
            self.seen.add((None, kind))
            if self.ids is None:  # subscribed now: send the tasks
                ok = app.send_task("test.add", args=[1, 2], queue=self.queue)
                bad = app.send_task("test.fail", queue=self.queue)
                self.ids = (ok.id, bad.id)
        elif kind.startswith("task-"):
            assert "clock" in event and "timestamp" in event, event
            self.seen.add((event.get("uuid"), kind))

    def done(self):
        return self.ids is not None and self.wanted() <= self.seen


def events(queue, hostname):
    watch = EventWatch(queue, hostname)
    with app.connection() as conn:
        recv = app.events.Receiver(conn, handlers={"*": watch.on_event})
        for _ in recv.itercapture(limit=None, timeout=None, wakeup=False):
            if watch.done():
                break
    print(json.dumps(sorted(kind for _, kind in watch.seen)))
    return 0


def main(argv):
    commands = {"add": add, "unknown": unknown, "ping": ping, "revoke": revoke, "events": events, "module": module}
    return commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
