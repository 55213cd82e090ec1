# SPDX-License-Identifier: BSD-3-Clause
"""The dashboard's list flows through python3-redis, on respite and on a real
redis-server, with the same outcome on both and the outcome spelled out here.

Keys follow shared/seeds/000_fe5a8426e5df7159.txt:
  LIST   project:{id}:undo:{session_id}, project:{id}:redo:{session_id}
         (items: parameter_change_json)
  STRING session:{session_id}:state (session JSON)
  LIST   project:{id}:notifications:{user_id} (items: notification_json)

Undo/redo: a change is LPUSHed on the session's undo stack, trimmed to a cap, and
the redo stack is dropped, all in one MULTI (pipeline(transaction=True)); undo
and redo are one LMOVE each. A session's state is updated optimistically with
redis-py's transaction() (WATCH, read, MULTI, write, EXEC), and another tab of
the session that writes in between forces a retry.

Notifications: producers RPUSH notification JSON to per-user queues in
transactions; a worker thread BLPOPs over several users' queues with a short
timeout and must get every notification once, in its queue's order. A reliable
variant moves each one to a processing list with BLMOVE and LREMs it once
handled; a worker that dies leaves its notification there, and BRPOPLPUSH puts it
back at the head of the queue. BLMPOP drains a batch.

Every blocking call has a timeout of a fraction of a second (BLOCK_TIMEOUT) or a
few seconds when it must be woken; the file runs in a few seconds.

Development: LIST_FLOWS_RESPITE_IS_REDIS=1 runs the "respite" side against a
second redis-server (to check the flows themselves without a respite build).
"""
import json
import os
import shutil
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import HOST, RespiteAndRedis, main, wait_blocked  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis, under /usr/bin/python3)

PROJECT = "42"
UNDO_CAP = 5          # changes kept per session
BLOCK_TIMEOUT = 0.2   # seconds a worker's BLPOP waits on empty queues
WAKE_TIMEOUT = 3      # seconds a worker that must be woken may wait at most
WAIT_LIMIT = 3.0      # seconds the test waits for a worker to block, or to finish


def undo_key(sid):
    return "project:%s:undo:%s" % (PROJECT, sid)


def redo_key(sid):
    return "project:%s:redo:%s" % (PROJECT, sid)


def state_key(sid):
    return "session:%s:state" % sid


def queue_key(user):
    return "project:%s:notifications:%s" % (PROJECT, user)


def processing_key(user):
    return "project:%s:notifications:%s:processing" % (PROJECT, user)


def change(user, name, old, new, ts):
    """A parameter_change_json item, as the parameter-change stream carries it."""
    return json.dumps({"user_id": user, "parameter_name": name, "old_value": old,
                       "new_value": new, "timestamp": ts}, sort_keys=True)


def notification(producer, seq, user):
    return json.dumps({"id": "%s-%d" % (producer, seq), "producer": producer, "seq": seq,
                       "user_id": user, "kind": "parameter_changed"}, sort_keys=True)


class Target:
    """A server under test; client() opens a connection of its own, closed by close()."""

    def __init__(self, port):
        self.port = port
        self.clients = []

    def client(self):
        c = redis.Redis(host=HOST, port=self.port, decode_responses=True,
                        single_connection_client=True, socket_timeout=WAKE_TIMEOUT + 5,
                        socket_connect_timeout=5)
        self.clients.append(c)
        return c

    def close(self):
        for c in self.clients:
            c.close()
        self.clients = []


class Worker(threading.Thread):
    """Runs fn(client) on a connection of its own; join_checked() re-raises what the
    thread raised and returns fn's result."""

    def __init__(self, t, fn):
        super().__init__(daemon=True)
        self.r = t.client()
        self.fn = fn
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.fn(self.r)
        except BaseException as e:  # handed to the main thread
            self.error = e

    def join_checked(self):
        self.join(WAIT_LIMIT + WAKE_TIMEOUT)
        if self.is_alive():
            raise AssertionError("worker still running after %ds" % (WAIT_LIMIT + WAKE_TIMEOUT))
        if self.error is not None:
            raise self.error
        return self.result


# ---- undo/redo ---------------------------------------------------------------------------

def record_change(r, sid, item):
    """A new change: on top of the undo stack (kept to UNDO_CAP), redo stack dropped."""
    with r.pipeline(transaction=True) as p:
        p.lpush(undo_key(sid), item)
        p.ltrim(undo_key(sid), 0, UNDO_CAP - 1)
        p.delete(redo_key(sid))
        return p.execute()


def undo(r, sid):
    return r.lmove(undo_key(sid), redo_key(sid), "LEFT", "LEFT")


def redo(r, sid):
    return r.lmove(redo_key(sid), undo_key(sid), "LEFT", "LEFT")


def stacks(r, sid):
    return r.lrange(undo_key(sid), 0, -1), r.lrange(redo_key(sid), 0, -1)


C = [change("u1", "p%d" % i, str(i), str(i + 1), str(1700000000 + i)) for i in range(8)]
D = [change("u2", "q%d" % i, "a", "b", str(1700000100 + i)) for i in range(2)]


def undo_redo_flow(t):
    r = t.client()
    seen = {}
    seen["record"] = [record_change(r, "s1", C[i]) for i in range(7)]
    seen["record_s2"] = [record_change(r, "s2", d) for d in D]
    seen["after_record"] = stacks(r, "s1")
    seen["undo3"] = [undo(r, "s1") for _ in range(3)]
    seen["after_undo"] = stacks(r, "s1")
    seen["redo1"] = redo(r, "s1")
    seen["after_redo"] = stacks(r, "s1")
    seen["new_change"] = record_change(r, "s1", C[7])
    seen["after_new"] = stacks(r, "s1") + (r.exists(redo_key("s1")),)
    seen["redo_empty"] = redo(r, "s1")
    seen["undo_all"] = [undo(r, "s1") for _ in range(5)]
    seen["after_undo_all"] = stacks(r, "s1") + (r.exists(undo_key("s1")),)
    seen["s2"] = stacks(r, "s2")
    seen["types"] = [r.type(undo_key("s2")), r.type(redo_key("s1"))]
    return seen


UNDO_REDO = {
    # LPUSH's length is before the trim: it stops growing at UNDO_CAP + 1
    "record": [[min(i + 1, UNDO_CAP + 1), True, 0] for i in range(7)],
    "record_s2": [[1, True, 0], [2, True, 0]],
    "after_record": ([C[6], C[5], C[4], C[3], C[2]], []),
    "undo3": [C[6], C[5], C[4]],
    "after_undo": ([C[3], C[2]], [C[4], C[5], C[6]]),
    "redo1": C[4],
    "after_redo": ([C[4], C[3], C[2]], [C[5], C[6]]),
    "new_change": [4, True, 1],
    "after_new": ([C[7], C[4], C[3], C[2]], [], 0),
    "redo_empty": None,
    "undo_all": [C[7], C[4], C[3], C[2], None],
    "after_undo_all": ([], [C[2], C[3], C[4], C[7]], 0),
    "s2": ([D[1], D[0]], []),
    "types": ["list", "list"],
}


def concurrent_tabs_flow(t):
    """Four tabs of one session undo and redo at the same time: every LMOVE is atomic,
    so no change is lost, doubled or reordered between the two stacks."""
    r = t.client()
    for item in C[:UNDO_CAP]:
        record_change(r, "s1", item)

    def tab(w):
        moved = 0
        for i in range(50):
            moved += (undo if i % 2 == 0 else redo)(w, "s1") is not None
        return moved

    tabs = [Worker(t, tab) for _ in range(4)]
    for w in tabs:
        w.start()
    moved = [w.join_checked() for w in tabs]
    undo_stack, redo_stack = stacks(r, "s1")
    # undo and redo move the top of one stack to the top of the other, so the undo
    # stack read bottom up, then the redo stack top down, is the history as recorded
    return {"moved_some": all(m > 0 for m in moved),
            "history": [C.index(x) for x in undo_stack[::-1] + redo_stack]}


CONCURRENT_TABS = {"moved_some": True, "history": list(range(UNDO_CAP))}


def apply_change(r, sid, user, name, value, ts, meanwhile=None):
    """Set parameter name of session sid to value, optimistically: WATCH the state and
    the undo stack, read the state, then in one MULTI write the new state and record the
    change. meanwhile() runs after the first read (another tab's write). Returns EXEC's
    reply and the state version each attempt read."""
    read = []

    def update(pipe):
        raw = pipe.get(state_key(sid))
        state = json.loads(raw) if raw else {"params": {}, "version": 0}
        read.append(state["version"])
        if meanwhile is not None and len(read) == 1:
            meanwhile()
        old = state["params"].get(name, "")
        state["params"][name] = value
        state["version"] += 1
        pipe.multi()
        pipe.set(state_key(sid), json.dumps(state, sort_keys=True))
        pipe.lpush(undo_key(sid), change(user, name, old, value, ts))
        pipe.ltrim(undo_key(sid), 0, UNDO_CAP - 1)
        pipe.delete(redo_key(sid))

    return r.transaction(update, state_key(sid), undo_key(sid)), read


def optimistic_flow(t):
    a, b = t.client(), t.client()
    seen = {}
    # no one else writes: one attempt
    seen["first"] = apply_change(a, "s1", "u1", "rate", "1", "1")
    # the other tab changes the state during the first attempt: EXEC fails, retried
    seen["state_race"] = apply_change(
        a, "s1", "u1", "rate", "2", "2",
        meanwhile=lambda: apply_change(b, "s1", "u2", "term", "30", "3"))
    # the other tab only undoes (LMOVE on the watched undo stack): retried too
    seen["undo_race"] = apply_change(a, "s1", "u1", "fee", "5", "4",
                                     meanwhile=lambda: undo(b, "s1"))
    # a write to another session's keys leaves this one's WATCH alone
    seen["other_session"] = apply_change(
        a, "s1", "u1", "fee", "6", "5",
        meanwhile=lambda: apply_change(b, "s2", "u2", "term", "15", "6"))
    seen["state"] = json.loads(a.get(state_key("s1")))
    seen["stacks"] = stacks(a, "s1")
    seen["s2"] = json.loads(a.get(state_key("s2")))
    return seen


OPTIMISTIC = {
    "first": ([True, 1, True, 0], [0]),
    "state_race": ([True, 3, True, 0], [1, 2]),
    "undo_race": ([True, 3, True, 1], [3, 3]),
    "other_session": ([True, 4, True, 0], [4]),
    "state": {"params": {"rate": "2", "term": "30", "fee": "6"}, "version": 5},
    "stacks": ([change("u1", "fee", "5", "6", "5"), change("u1", "fee", "", "5", "4"),
                change("u2", "term", "", "30", "3"), change("u1", "rate", "", "1", "1")], []),
    "s2": {"params": {"term": "15"}, "version": 1},
}


# ---- notifications -----------------------------------------------------------------------

USERS = ["u1", "u2", "u3", "u4"]
PRODUCERS = ["api", "calc", "coach"]
ROUNDS = 8


def addressees(producer, seq):
    """Who transaction seq of producer notifies: (user, notification number) pairs, one
    for one user and two for another."""
    k = PRODUCERS.index(producer)
    one, two = USERS[seq % 4], USERS[(seq + 1 + k) % 4]
    if two == one:
        two = USERS[(seq + 2) % 4]
    return [(one, 3 * seq), (two, 3 * seq + 1), (two, 3 * seq + 2)]


def produce(r, producer):
    """ROUNDS transactions of RPUSHes, one per user notified. Returns EXEC's replies
    (the queues' lengths)."""
    replies = []
    for seq in range(ROUNDS):
        per_user = {}
        for user, n in addressees(producer, seq):
            per_user.setdefault(user, []).append(notification(producer, n, user))
        with r.pipeline(transaction=True) as p:
            for user, items in per_user.items():
                p.rpush(queue_key(user), *items)
            replies.append(p.execute())
    return replies


def by_queue(popped):
    """(queue, item) pairs -> {user: {producer: [number, ...]}} in the order popped, with
    a check that every item came from its own user's queue."""
    out = {}
    for key, item in popped:
        n = json.loads(item)
        assert key == queue_key(n["user_id"]), (key, item)
        out.setdefault(n["user_id"], {}).setdefault(n["producer"], []).append(n["seq"])
    return out


# Every producer's notifications, per user's queue, in the order pushed.
DELIVERY = {
    "u1": {"api": [0, 10, 11, 12, 22, 23], "calc": [0, 7, 8, 12, 19, 20],
           "coach": [0, 4, 5, 12, 16, 17]},
    "u2": {"api": [1, 2, 3, 13, 14, 15], "calc": [3, 10, 11, 15, 22, 23],
           "coach": [3, 7, 8, 15, 19, 20]},
    "u3": {"api": [4, 5, 6, 16, 17, 18], "calc": [1, 2, 6, 13, 14, 18],
           "coach": [6, 10, 11, 18, 22, 23]},
    "u4": {"api": [7, 8, 9, 19, 20, 21], "calc": [4, 5, 9, 16, 17, 21],
           "coach": [1, 2, 9, 13, 14, 21]},
}
NOTIFICATIONS = len(PRODUCERS) * ROUNDS * 3


def producer_flow(t):
    """Producers one after the other, then the queues read back without blocking."""
    r = t.client()
    seen = {"replies": [produce(r, p) for p in PRODUCERS]}
    seen["lengths"] = [r.llen(queue_key(u)) for u in USERS]
    seen["heads"] = [json.loads(r.lindex(queue_key(u), 0))["id"] for u in USERS]
    seen["lpos"] = r.lpos(queue_key("u2"), notification("calc", 3, "u2"))
    popped = []
    for u in USERS:
        while True:
            got = r.lmpop(2, queue_key(u), queue_key("nobody"), direction="LEFT", count=5)
            if got is None:
                break
            popped += [(got[0], item) for item in got[1]]
    seen["order"] = by_queue(popped)
    seen["left"] = r.exists(*[queue_key(u) for u in USERS])
    return seen


PRODUCERS_ONE_BY_ONE = {
    "replies": [[[1, 2], [3, 2], [3, 2], [3, 3], [4, 5], [6, 5], [6, 5], [6, 6]],
                [[7, 8], [7, 8], [9, 9], [9, 9], [10, 11], [10, 11], [12, 12], [12, 12]],
                [[13, 14], [13, 15], [13, 15], [15, 15], [16, 17], [16, 18], [16, 18],
                 [18, 18]]],
    "lengths": [18, 18, 18, 18],
    "heads": ["api-0", "api-1", "api-4", "api-7"],
    "lpos": 6,
    "order": DELIVERY,
    "left": 0,
}


def blpop_worker_flow(t):
    """Producers in threads of their own and one worker thread BLPOPing all the users'
    queues; the worker ends on the first timeout after the producers are done."""
    done = threading.Event()
    keys = [queue_key(u) for u in USERS]

    def work(r):
        popped, timeouts = [], 0
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline:
            last = done.is_set()  # set before this BLPOP: nothing more will come
            got = r.blpop(keys, BLOCK_TIMEOUT)
            if got is None:
                timeouts += 1
                if last:
                    return popped, timeouts
            else:
                popped.append(tuple(got))
        raise AssertionError("worker not done within %.0fs" % WAIT_LIMIT)

    worker = Worker(t, work)
    worker.start()
    producers = [Worker(t, lambda r, p=p: produce(r, p)) for p in PRODUCERS]
    for p in producers:
        p.start()
    replies = [p.join_checked() for p in producers]
    done.set()
    popped, timeouts = worker.join_checked()
    r = t.client()
    ids = [json.loads(item)["id"] for _, item in popped]
    return {
        "delivered": len(popped),
        "distinct": len(set(ids)),
        "order": by_queue(popped),
        "transactions": [len(x) for x in replies],
        "timed_out": timeouts >= 1,
        "left": r.exists(*keys),
    }


BLPOP_WORKER = {"delivered": NOTIFICATIONS, "distinct": NOTIFICATIONS, "order": DELIVERY,
                "transactions": [ROUNDS] * len(PRODUCERS), "timed_out": True, "left": 0}


Q1, Q2, Q3 = queue_key("u1"), queue_key("u2"), queue_key("u3")


def blocking_order_flow(t):
    """Which queue a pop serves, timeouts on empty queues, and a worker woken by EXEC."""
    r = t.client()
    seen = {}
    r.rpush(Q2, "a", "b")
    r.rpush(Q3, "c")
    # the first non-empty key in the order given
    seen["ready"] = [r.blpop([Q1, Q2, Q3], BLOCK_TIMEOUT),
                     r.brpop([Q1, Q3, Q2], BLOCK_TIMEOUT),
                     r.blpop([Q1, Q3, Q2], BLOCK_TIMEOUT)]
    start = time.monotonic()
    seen["timeout"] = r.blpop([Q1, Q2, Q3], BLOCK_TIMEOUT)
    waited = time.monotonic() - start
    seen["waited"] = BLOCK_TIMEOUT * 0.75 <= waited < BLOCK_TIMEOUT + 2
    seen["brpop_timeout"] = r.brpop([Q1], BLOCK_TIMEOUT)
    # inside MULTI a blocking pop never waits: it answers as if its timeout had run out
    start = time.monotonic()
    with r.pipeline(transaction=True) as p:
        p.rpush(Q3, "m")
        p.blpop([Q1, Q3], WAKE_TIMEOUT)
        p.blpop([Q1, Q3], WAKE_TIMEOUT)
        p.blmove(Q1, Q3, WAKE_TIMEOUT, "LEFT", "RIGHT")
        p.blmpop(WAKE_TIMEOUT, 2, Q1, Q3, direction="LEFT")
        seen["in_multi"] = p.execute()
    seen["in_multi_at_once"] = time.monotonic() - start < WAKE_TIMEOUT

    worker = Worker(t, lambda w: w.blpop([Q1, Q2], WAKE_TIMEOUT))
    worker.start()
    wait_blocked(r, 1, WAIT_LIMIT)
    # pushed and taken back in one transaction: nothing for the worker
    with r.pipeline(transaction=True) as p:
        p.rpush(Q1, "gone")
        p.delete(Q1)
        seen["push_and_delete"] = p.execute()
    time.sleep(0.05)
    seen["still_blocked"] = (worker.is_alive(), r.info("clients")["blocked_clients"])
    # a transaction that fills both queues: the worker gets the first key made ready
    with r.pipeline(transaction=True) as p:
        p.rpush(Q2, "x", "y")
        p.rpush(Q1, "z")
        seen["fill"] = p.execute()
    seen["woken"] = worker.join_checked()
    seen["rest"] = [r.blpop([Q1, Q2], BLOCK_TIMEOUT) for _ in range(3)]
    seen["blocked_after"] = r.info("clients")["blocked_clients"]
    return seen


BLOCKING_ORDER = {
    "ready": [(Q2, "a"), (Q3, "c"), (Q2, "b")],
    "timeout": None,
    "waited": True,
    "brpop_timeout": None,
    "in_multi": [1, (Q3, "m"), None, None, None],
    "in_multi_at_once": True,
    "push_and_delete": [1, 1],
    "still_blocked": (True, 1),
    "fill": [2, 1],
    "woken": (Q2, "x"),
    "rest": [(Q1, "z"), (Q2, "y"), None],
    "blocked_after": 0,
}


N = [notification("api", i, "u1") for i in range(6)]


def reliable_queue_flow(t):
    """BLMOVE to a processing list, LREM once handled; a worker that dies holds one
    notification, which BRPOPLPUSH puts back at the head of the queue; BLMPOP drains the
    rest in one batch."""
    r = t.client()
    q, work = queue_key("u1"), processing_key("u1")
    seen = {}
    with r.pipeline(transaction=True) as p:
        for n in N:
            p.rpush(q, n)
        seen["pushed"] = p.execute()
    handled = []

    def take():
        return r.blmove(q, work, BLOCK_TIMEOUT, "LEFT", "RIGHT")

    for _ in range(2):
        n = take()
        handled.append(n)
        seen.setdefault("acks", []).append(r.lrem(work, 1, n))
    seen["dies_holding"] = take()  # handled by no one: stays in the processing list
    seen["processing"] = r.lrange(work, 0, -1)
    # recovery: the processing list's items go back to the head of the queue
    seen["requeued"] = [r.brpoplpush(work, q, BLOCK_TIMEOUT) for _ in range(2)]
    n = take()
    handled.append(n)
    seen["acks"].append(r.lrem(work, 1, n))
    seen["handled"] = handled
    seen["batch"] = r.blmpop(BLOCK_TIMEOUT, 2, work, q, direction="LEFT", count=10)
    seen["empty"] = [take(), r.blmpop(BLOCK_TIMEOUT, 1, q, direction="RIGHT"),
                     r.brpoplpush(work, q, BLOCK_TIMEOUT)]
    seen["left"] = r.exists(q, work)
    return seen


RELIABLE = {
    "pushed": [1, 2, 3, 4, 5, 6],
    "acks": [1, 1, 1],
    "dies_holding": N[2],
    "processing": [N[2]],
    "requeued": [N[2], None],
    "handled": [N[0], N[1], N[2]],
    "batch": [queue_key("u1"), [N[3], N[4], N[5]]],
    "empty": [None, None, None],
    "left": 0,
}


# ---- the two servers ---------------------------------------------------------------------

REDIS = shutil.which("redis-server")


@unittest.skipUnless(REDIS, "redis-server is not installed")
class SameOnBoth(RespiteAndRedis):
    """Each flow runs on redis-server, then on respite, on flushed servers: both give
    the expected outcome, and respite's is compared with redis-server's first."""

    respite_is_redis = bool(os.environ.get("LIST_FLOWS_RESPITE_IS_REDIS"))

    def run_flow(self, flow, expected):
        got = {}
        for name, server in (("redis-server", self.reference), ("respite", self.respite)):
            t = Target(server.port)
            try:
                t.client().flushall()
                got[name] = flow(t)
            finally:
                t.close()
            if name == "redis-server":
                self.assertEqual(got[name], expected, "redis-server's outcome")
        self.assertEqual(got["respite"], got["redis-server"], "respite differs")
        self.assertEqual(got["respite"], expected)

    def test_undo_redo(self):
        self.run_flow(undo_redo_flow, UNDO_REDO)

    def test_concurrent_undo_redo(self):
        self.run_flow(concurrent_tabs_flow, CONCURRENT_TABS)

    def test_optimistic_session_update(self):
        self.run_flow(optimistic_flow, OPTIMISTIC)

    def test_notification_producers(self):
        self.run_flow(producer_flow, PRODUCERS_ONE_BY_ONE)

    def test_blpop_worker(self):
        self.run_flow(blpop_worker_flow, BLPOP_WORKER)

    def test_blocking_order_and_wakeup(self):
        self.run_flow(blocking_order_flow, BLOCKING_ORDER)

    def test_reliable_queue(self):
        self.run_flow(reliable_queue_flow, RELIABLE)


if __name__ == "__main__":
    main()
