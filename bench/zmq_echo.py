"""P7's baseline: a pyzmq REP server that sends every request straight back.

Prints `zmq-echo listening on 127.0.0.1:PORT` once bound (port chosen by the
OS), then serves until killed. Run by `clocker-bench p7`.
"""

import zmq


def main() -> None:
    context = zmq.Context()
    socket = context.socket(zmq.REP)
    port = socket.bind_to_random_port("tcp://127.0.0.1")
    print(f"zmq-echo listening on 127.0.0.1:{port}", flush=True)
    while True:
        socket.send_multipart(socket.recv_multipart())


if __name__ == "__main__":
    main()
