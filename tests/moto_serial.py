"""moto's standalone S3 server, handling one request at a time.

    python -m tests.moto_serial HOST PORT

moto 5.2.5 enforces ``If-Match`` and ``If-None-Match`` on ``PutObject`` (412), but checks the
condition and stores the object in separate steps without a lock (``moto/s3/responses.py``,
``put_object``), while its server runs each request in a thread. Two concurrent conditional
writes can therefore both pass the check: on plain ``python -m moto.server``, one of 1,500
two-way races of ``If-None-Match: *`` had two winners (none of 1,500 ``If-Match`` races did).
S3, MinIO and R2 decide a conditional write atomically, and the no-regression guarantee of the
remote mirror relies on exactly that. So the tests run moto's own WSGI application and request
handler, as ``moto.server.main`` does, with one lock around each request: the same S3 behaviour,
with the atomicity a real store has. ``test_s3_server_facts.py`` pins both properties.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main(argv: list[str]) -> None:
    """Serve on ``HOST PORT`` until killed."""
    host, port = argv[0], int(argv[1])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv[1:])
