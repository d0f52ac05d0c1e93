#!/usr/bin/python3
"""One scripted ZooKeeper scenario driven by kazoo (Debian python3-kazoo).

Usage: scenario_kazoo.py HOST:PORT

It prints a transcript on stdout, one fact per line, in an order that depends
only on the server's answers: watch events and session states are collected by
the callback threads and printed at fixed points (expect), never as they come.
Times, zxids and session ids are printed raw; test/diff's Go code masks or
renames them, so the same transcript from two servers can be compared.

The server must run with extendedTypesEnabled=true (TTL nodes) and a short
znode.container.checkIntervalMs (container and TTL reaping).
"""

import sys
import threading
import time
from collections import namedtuple

from kazoo import exceptions as ke
from kazoo.client import KazooClient
from kazoo.protocol.serialization import Create2, int_struct, long_struct
from kazoo.retry import KazooRetry
from kazoo.security import OPEN_ACL_UNSAFE, make_acl, make_digest_acl

# Every bounded wait in this script uses this limit.
WAIT = 10.0
SESSION_TIMEOUT = 10.0

ROOT = "/kz"


def out(*parts):
    print(*parts, flush=True)


def fmt_stat(st):
    if st is None:
        return "None"
    return ("stat{czxid=0x%x mzxid=0x%x pzxid=0x%x ctime=%d mtime=%d version=%d "
            "cversion=%d aversion=%d ephemeralOwner=0x%x dataLength=%d numChildren=%d}"
            % (st.czxid, st.mzxid, st.pzxid, st.ctime, st.mtime, st.version,
               st.cversion, st.aversion, st.ephemeralOwner, st.dataLength,
               st.numChildren))


def fmt_acl(acl):
    return "%s:%s:%d" % (acl.id.scheme, acl.id.id, acl.perms)


def fmt(value):
    """Renders a result the same way whatever client object carries it."""
    if isinstance(value, BaseException):
        return "!" + type(value).__name__
    if value is None:
        return "None"
    if hasattr(value, "czxid"):
        return fmt_stat(value)
    if isinstance(value, bytes):
        return "b" + repr(value.decode("utf-8", "replace"))
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt(v) for v in value) + ")"
    if isinstance(value, list):
        if value and hasattr(value[0], "perms"):
            return "[" + ", ".join(sorted(fmt_acl(a) for a in value)) + "]"
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return repr(value)


def step(name, fn, *args, **kwargs):
    """Runs one client call and prints its result or its error class."""
    try:
        result = fn(*args, **kwargs)
    except ke.KazooException as err:
        out(name, "->", "!" + type(err).__name__)
        return err
    out(name, "->", fmt(result))
    return result


class Recorder:
    """Collects watch events and session states from kazoo's threads."""

    def __init__(self):
        self.cond = threading.Condition()
        self.items = []

    def add(self, line):
        with self.cond:
            self.items.append(line)
            self.cond.notify_all()

    def watch(self, label):
        return lambda ev: self.add("event %s %s %s %s" % (label, ev.type, ev.state, ev.path))

    def listener(self, label):
        return lambda state: self.add("state %s %s" % (label, state))

    def expect(self, n, why):
        """Waits (bounded) for n items, then prints all items seen so far."""
        deadline = time.monotonic() + WAIT
        with self.cond:
            while len(self.items) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            got, self.items = self.items, []
        out("expect %d (%s): got %d" % (n, why, len(got)))
        for line in got:
            out("  " + line)


class CreateContainer(Create2):
    """createContainer (opcode 19): kazoo 2.8 has no call for it."""
    type = 19


class CreateTTL(namedtuple("CreateTTL", "path data acl flags ttl")):
    """createTTL (opcode 21): Create2's record plus a trailing ttl (ms)."""
    type = 21

    def serialize(self):
        b = Create2(self.path, self.data, self.acl, self.flags).serialize()
        b.extend(long_struct.pack(self.ttl))
        return b

    @classmethod
    def deserialize(cls, buf, offset):
        return Create2.deserialize(buf, offset)


# Create modes as the wire carries them.
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, CONTAINER = 0, 1, 2, 4
PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 5, 6


def raw_call(client, request):
    """Sends a request kazoo has no method for, through kazoo's own transport."""
    result = client.handler.async_result()
    client._call(request, result)
    return result.get(timeout=WAIT)


def wait_gone(client, path):
    """Polls (bounded) until path no longer exists; reaping is asynchronous."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if client.exists(path) is None:
            return "gone"
        time.sleep(0.05)
    return "still there after %ds" % WAIT


def new_client(hosts, rec, label, **kwargs):
    c = KazooClient(hosts=hosts, timeout=SESSION_TIMEOUT, **kwargs)
    c.add_listener(rec.listener(label))
    c.start(timeout=WAIT)
    return c


def basics(c, rec):
    out("== basics")
    step("ruok", c.command, b"ruok")
    step("server_version[:2]", lambda: c.server_version()[:2])
    step("get_children /", lambda: sorted(c.get_children("/")))
    step("exists /zookeeper", lambda: c.exists("/zookeeper") is not None)
    step("create " + ROOT, c.create, ROOT, b"root")
    step("create " + ROOT + " again", c.create, ROOT, b"again")
    step("create missing parent", c.create, ROOT + "/no/such", b"")
    step("create2 " + ROOT + "/p", c.create, ROOT + "/p", b"data", include_data=True)
    step("create empty data", c.create, ROOT + "/empty", b"")
    step("get empty", c.get, ROOT + "/empty")
    step("get " + ROOT + "/p", c.get, ROOT + "/p")
    step("set any version", c.set, ROOT + "/p", b"data2")
    step("set version 1", c.set, ROOT + "/p", b"data3", version=1)
    step("set bad version", c.set, ROOT + "/p", b"x", version=7)
    step("set missing", c.set, ROOT + "/nope", b"x")
    step("get missing", c.get, ROOT + "/nope")
    step("exists missing", c.exists, ROOT + "/nope")
    step("create child", c.create, ROOT + "/p/c", b"")
    step("stat parent", c.exists, ROOT + "/p")
    step("children with stat", lambda: c.get_children(ROOT + "/p", include_data=True))
    step("delete non-empty", c.delete, ROOT + "/p")
    step("delete bad version", c.delete, ROOT + "/p/c", version=3)
    step("delete child", c.delete, ROOT + "/p/c", version=0)
    step("delete missing", c.delete, ROOT + "/p/c")
    step("stat parent after delete", c.exists, ROOT + "/p")
    step("sync", c.sync, ROOT + "/p")


def node_types(c, rec):
    out("== node types")
    sid = c.client_id[0]
    out("session 0x%x" % sid)
    step("create ephemeral", c.create, ROOT + "/eph", b"e", ephemeral=True)
    step("stat ephemeral", c.exists, ROOT + "/eph")
    step("child of ephemeral", c.create, ROOT + "/eph/c", b"")
    step("seq parent", c.create, ROOT + "/seq", b"")
    step("seq 1", c.create, ROOT + "/seq/n-", b"", sequence=True)
    step("seq 2", c.create, ROOT + "/seq/n-", b"", sequence=True)
    step("plain child", c.create, ROOT + "/seq/x", b"")
    step("delete plain child", c.delete, ROOT + "/seq/x")
    step("seq after delete", c.create, ROOT + "/seq/n-", b"", sequence=True)
    step("seq bare name", c.create, ROOT + "/seq/", b"", sequence=True)
    step("ephemeral seq", c.create, ROOT + "/seq/e-", b"", ephemeral=True, sequence=True)
    step("seq children", lambda: sorted(c.get_children(ROOT + "/seq")))
    step("stat seq parent", c.exists, ROOT + "/seq")

    step("container", raw_call, c, CreateContainer(ROOT + "/box", b"b", OPEN_ACL_UNSAFE, CONTAINER))
    step("container with create2 opcode", raw_call, c,
         Create2(ROOT + "/box2", b"", OPEN_ACL_UNSAFE, CONTAINER))
    step("container again", raw_call, c, CreateContainer(ROOT + "/box", b"", OPEN_ACL_UNSAFE, CONTAINER))
    step("empty container stays", c.exists, ROOT + "/box")
    c.exists(ROOT + "/box", watch=rec.watch("box-exists"))
    step("container child", c.create, ROOT + "/box/item", b"")
    step("delete container child", c.delete, ROOT + "/box/item")
    step("container reaped", wait_gone, c, ROOT + "/box")
    rec.expect(1, "container reaped")

    step("ttl node", raw_call, c, CreateTTL(ROOT + "/ttl", b"t", OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL, 1500))
    step("stat ttl node", c.exists, ROOT + "/ttl")
    step("ttl seq", raw_call, c,
         CreateTTL(ROOT + "/seq/t-", b"", OPEN_ACL_UNSAFE, PERSISTENT_SEQUENTIAL_WITH_TTL, 60000))
    step("ttl zero", raw_call, c, CreateTTL(ROOT + "/ttl0", b"", OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL, 0))
    step("ttl on plain mode", raw_call, c, CreateTTL(ROOT + "/ttlp", b"", OPEN_ACL_UNSAFE, PERSISTENT, 1000))
    step("ttl on ephemeral", raw_call, c, CreateTTL(ROOT + "/ttle", b"", OPEN_ACL_UNSAFE, EPHEMERAL, 1000))
    step("ttl flag on create2", raw_call, c,
         Create2(ROOT + "/ttlc", b"", OPEN_ACL_UNSAFE, PERSISTENT_WITH_TTL))
    step("ttl node reaped", wait_gone, c, ROOT + "/ttl")


def watches(c, rec):
    out("== watches")
    w = ROOT + "/w"
    step("exists watch on missing", c.exists, w, watch=rec.watch("exists"))
    step("create watched", c.create, w, b"0")
    rec.expect(1, "created")

    step("data watch", c.get, w, watch=rec.watch("data"))
    step("set once", c.set, w, b"1")
    step("set twice", c.set, w, b"2")
    rec.expect(1, "one-shot changed")

    step("child watch", c.get_children, w, watch=rec.watch("child"))
    step("set parent data (no child event)", c.set, w, b"3")
    step("create child", c.create, w + "/a", b"")
    rec.expect(1, "child")

    step("watch a data", c.get, w + "/a", watch=rec.watch("a-data"))
    step("watch a children", c.get_children, w + "/a", watch=rec.watch("a-child"))
    step("watch w children", c.get_children, w, watch=rec.watch("w-child"))
    step("delete a", c.delete, w + "/a")
    rec.expect(3, "deleted node and parent")

    step("create b", c.create, w + "/b", b"")
    step("create c", c.create, w + "/c", b"")
    step("watch b", c.get, w + "/b", watch=rec.watch("b"))
    step("watch c", c.get, w + "/c", watch=rec.watch("c"))
    step("watch w exists", c.exists, w, watch=rec.watch("w-exists"))
    t = c.transaction()
    t.set_data(w + "/c", b"c1")
    t.set_data(w + "/b", b"b1")
    t.set_data(w, b"w1")
    step("multi sets c, b, w", t.commit)
    rec.expect(3, "in multi order")

    step("watch b again", c.get, w + "/b", watch=rec.watch("b"))
    t = c.transaction()
    t.set_data(w + "/b", b"b2")
    t.check(w, version=99)
    step("failing multi", t.commit)
    step("b unchanged", c.get, w + "/b")
    step("set b", c.set, w + "/b", b"b3")
    rec.expect(1, "only after the real set")


def transactions(c, rec):
    out("== transactions")
    tx = ROOT + "/tx"
    step("create tx", c.create, tx, b"")
    t = c.transaction()
    t.create(tx + "/a", b"1")
    t.set_data(tx, b"2", version=7)
    t.create(tx + "/b", b"")
    step("multi fails at op 2", t.commit)
    step("a not created", c.exists, tx + "/a")

    t = c.transaction()
    t.create(tx + "/a", b"1")
    t.create(tx + "/a", b"dup")
    step("multi fails at op 2 (exists)", t.commit)

    t = c.transaction()
    t.create(tx + "/a", b"1")
    t.create(tx + "/s-", b"", sequence=True)
    t.check(tx, version=0)
    t.set_data(tx, b"x", version=0)
    t.delete(tx + "/a")
    t.create(tx + "/e", b"", ephemeral=True)
    step("multi ok", t.commit)
    step("tx children", lambda: sorted(c.get_children(tx)))
    step("stat tx", c.exists, tx)

    t = c.transaction()
    t.create(tx + "/no/parent", b"")
    step("multi no parent", t.commit)

    t = c.transaction()
    step("empty multi", t.commit)


def acls(hosts, c, rec):
    out("== acls")
    base = ROOT + "/acl"
    alice = new_client(hosts, rec, "alice", auth_data=[("digest", "alice:secret")])
    bob = new_client(hosts, rec, "bob", auth_data=[("digest", "bob:pw")])
    rec.expect(2, "alice and bob connected")
    full = make_digest_acl("alice", "secret", all=True)
    read = make_acl("world", "anyone", read=True)

    step("create base", c.create, base, b"")
    step("alice creates p", alice.create, base + "/p", b"p", acl=[full, read])
    step("acl of p", c.get_acls, base + "/p")
    step("anon reads", c.get, base + "/p")
    step("anon writes", c.set, base + "/p", b"x")
    step("anon creates child", c.create, base + "/p/c", b"")
    step("bob writes", bob.set, base + "/p", b"x")
    step("alice writes", alice.set, base + "/p", b"alice")
    step("alice child", alice.create, base + "/p/c", b"")
    step("anon deletes child", c.delete, base + "/p/c")
    step("setAcl bad version", alice.set_acls, base + "/p", [full], version=5)
    step("setAcl", alice.set_acls, base + "/p", [full], version=0)
    step("anon reads now", c.get, base + "/p")
    step("anon exists", c.exists, base + "/p")
    step("anon children", c.get_children, base + "/p")
    step("anon getAcl", c.get_acls, base + "/p")
    step("anon setAcl", c.set_acls, base + "/p", [read])
    step("anon deletes p (parent open)", c.delete, base + "/p/c")
    step("auth acl by anon", c.create, base + "/a", b"", acl=[make_acl("auth", "", all=True)])
    step("auth acl by bob", bob.create, base + "/a", b"", acl=[make_acl("auth", "", all=True)])
    step("acl of a", c.get_acls, base + "/a")
    step("alice reads a", alice.get, base + "/a")
    step("empty acl", c.create, base + "/e", b"", acl=[])
    step("bad digest id", c.create, base + "/d", b"", acl=[make_acl("digest", "nocolon", all=True)])
    step("unknown scheme", c.create, base + "/u", b"", acl=[make_acl("nosuch", "x", all=True)])
    step("ip acl", c.create, base + "/ip", b"ip", acl=[make_acl("ip", "127.0.0.1", read=True)])
    step("read via ip", c.get, base + "/ip")
    step("write via ip", c.set, base + "/ip", b"x")
    step("create-only acl", c.create, base + "/co", b"", acl=[make_acl("world", "anyone", create=True)])
    step("create under create-only", c.create, base + "/co/k", b"")
    step("read create-only", c.get, base + "/co")
    step("anon adds alice's auth", c.add_auth, "digest", "alice:secret")
    step("anon (as alice) writes p", c.set, base + "/p", b"anon-as-alice")
    alice.stop()
    alice.close()
    bob.stop()
    bob.close()
    rec.expect(2, "alice and bob closed")


def session_expiry(hosts, c, rec):
    """Expires a session the way kazoo's own tests do: a second client joins
    the same session (the server drops the first connection) and closes it.
    The first client reconnects only after a retry delay long enough for the
    close to land first, and learns that its session is gone."""
    out("== session expiry")
    slow = KazooRetry(max_tries=-1, delay=2.0, backoff=1, max_jitter=0.1)
    victim = new_client(hosts, rec, "victim", connection_retry=slow)
    rec.expect(1, "victim connected")
    old = victim.client_id
    step("victim ephemeral", victim.create, ROOT + "/victim", b"", ephemeral=True)
    step("observer watches it", c.exists, ROOT + "/victim", watch=rec.watch("observer"))
    step("owner is victim", lambda: c.exists(ROOT + "/victim").ephemeralOwner == old[0])

    twin = KazooClient(hosts=hosts, timeout=SESSION_TIMEOUT, client_id=old)
    twin.start(timeout=WAIT)
    step("twin shares the session", lambda: twin.client_id[0] == old[0])
    rec.expect(1, "victim's connection dropped")
    twin.stop()  # closes the shared session
    twin.close()
    rec.expect(1, "ephemeral gone with the session")
    step("ephemeral after close", c.exists, ROOT + "/victim")
    rec.expect(2, "victim learns of expiry, then gets a new session")
    step("new session differs", lambda: victim.client_id[0] != old[0])
    step("victim works again", victim.exists, ROOT)
    victim.stop()
    victim.close()
    rec.expect(1, "victim closed")


def cleanup(c):
    out("== cleanup")
    step("delete recursive", c.delete, ROOT + "/w", recursive=True)
    step("delete with no-delete parent", c.delete, ROOT + "/acl/co/k")
    step("children left", lambda: sorted(c.get_children(ROOT)))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scenario_kazoo.py HOST:PORT")
    hosts = sys.argv[1]
    rec = Recorder()
    c = new_client(hosts, rec, "main")
    rec.expect(1, "main connected")
    basics(c, rec)
    node_types(c, rec)
    watches(c, rec)
    transactions(c, rec)
    acls(hosts, c, rec)
    session_expiry(hosts, c, rec)
    cleanup(c)
    c.stop()
    c.close()
    rec.expect(1, "main closed")
    out("== done")


if __name__ == "__main__":
    main()
