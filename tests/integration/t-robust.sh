#!/bin/bash
# Malformed, oversized, truncated and stalled messages end that client only;
# the broker keeps serving everyone else, and its client bound holds.
. "$(dirname "$0")/lib.sh"

MAX_CLIENTS=4
write_config
start_vmd || exit 1
vsh -c 'define web'

cat > "$TMP/abuse.py" <<'PY'
import socket, struct, sys, time

path, what = sys.argv[1], sys.argv[2]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(15)
    s.sendall(frame(mtype=3, strings=(b"C",)))  # the shell's hello first
    hello = s.recv(65536)        # then the broker's
    return s

def frame(version=1, mtype=1, status=0, strings=(b"list",), ncols=1,
          nstr=None, pad=0):
    body = struct.pack(">BBBBHHI", version, mtype, status, 0, ncols, pad,
                       len(strings) if nstr is None else nstr)
    for x in strings:
        body += struct.pack(">I", len(x)) + x
    return struct.pack(">I", len(body)) + body

def closed(s):
    """True when the broker hangs up on us (after any reply)."""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True

cases = {
    "garbage": lambda: b"\xde\xad\xbe\xef" * 64,
    "oversized": lambda: struct.pack(">I", 0x7fffffff) + b"x" * 100,
    "version": lambda: frame(version=9),
    "type": lambda: frame(mtype=2),
    "pad": lambda: frame(pad=1),
    "nstr": lambda: frame(nstr=1000000),
    "nul": lambda: frame(strings=(b"li\x00st",)),
    "toomany": lambda: frame(strings=(b"list",) * 40),
    "longword": lambda: frame(strings=(b"start", b"a" * 5000)),
    "bigframe": lambda: struct.pack(">I", 70000) + b"\0" * 70000,
    "truncated": lambda: frame()[:-2],
}
if what == "slow":
    s = conn()
    s.send(frame()[:3])
    t0 = time.time()
    print("dropped" if closed(s) else "kept", int(time.time() - t0))
elif what == "idle":
    s = conn()
    time.sleep(float(sys.argv[3]))
elif what == "busy":
    keep = [conn() for _ in range(int(sys.argv[3]))]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(5)
    data = s.recv(65536)
    print(data[20:].decode(errors="replace"))
else:
    s = conn()
    s.sendall(cases[what]())
    if what == "truncated":
        s.shutdown(socket.SHUT_WR)
    print("closed" if closed(s) else "open")
PY

for c in garbage oversized version type pad nstr nul toomany longword bigframe truncated; do
	r=$("$PYTHON" "$TMP/abuse.py" "$SOCK" "$c" 2>&1)
	check "$c message: the broker hangs up on that client ($r)" [ "$r" = closed ]
	vsh -c 'list'
	check "$c message: the broker still serves others" out_has "^web "
done
check "the broker is still the same process" kill -0 "$VMD_PID"
check "the broker logged the protocol errors" grep -q "disconnecting" "$TMP/vmd.log"

# A client that stalls inside a message is dropped after the timeout, and
# others are served meanwhile.
"$PYTHON" "$TMP/abuse.py" "$SOCK" slow > "$TMP/slow" 2>&1 &
slow=$!
sleep 0.5
vsh -c 'start web'
check "a stalled client does not block others" rc_is 0
wait $slow
read -r verdict secs < "$TMP/slow"
check "the stalled client is dropped (after ${secs}s)" [ "$verdict" = dropped ]

# The client bound: with 4 sessions open, a fifth is told the service is busy.
r=$("$PYTHON" "$TMP/abuse.py" "$SOCK" busy 4 2>&1)
check "a client over the bound is refused with a message ($r)" \
    grep -q "busy" <<<"$r"
vsh -c 'list'
check "after they leave, clients are served again" out_has "^web "

# Idle sessions hold no request slot: 3 idle clients, others still served.
idle=
for i in 1 2 3; do
	"$PYTHON" "$TMP/abuse.py" "$SOCK" idle 3 &
	idle="$idle $!"
done
sleep 0.5
vsh -c 'list'
check "idle sessions do not block requests" out_has "^web "
wait $idle

# The shell survives a broker that is gone: one line, status 1.
stop_vmd
check "the broker exits 0 on SIGTERM" [ "$VMD_STATUS" -eq 0 ]
check "and removes its socket" [ ! -e "$SOCK" ]
vsh -c 'list'
check "shell without a broker: status 1" rc_is 1
check "shell without a broker: says so" err_has "cannot reach the VM service"
check "shell without a broker: one line" err_one_line
done_testing
