"""A bare RESP client for the Redis cost scripts beside it: one connection, one call at a time, no library,
so what they measure is the server's work and not a client's."""
import socket


class Connection:

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.replies = self.sock.makefile("rb")

    def call(self, *args):
        """Sends one command and returns its reply: bytes, a list, or None."""
        self.sock.sendall(encode(*args))
        return self.read()

    def read(self):
        line = self.replies.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in (b"+", b"-", b":"):
            return rest
        if kind == b"$":
            return None if int(rest) < 0 else self.replies.read(int(rest) + 2)[:-2]
        if kind == b"*":
            return None if int(rest) < 0 else [self.read() for _ in range(int(rest))]
        raise ValueError(line)


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
