"""Structured logs: every log record as one JSON line on stderr, and one line per request.

Turned on by LEC_JSON_LOGS (gunicorn.conf.py sets it; `make run` and the tests leave it off). The
request line is the access log: time, level, method, path, status, duration_ms, user_id,
remote_addr (the client's, behind LEC_PROXY_COUNT proxies) and request_id, taken from the
X-Request-ID header when the load balancer sends one, else made here, and returned as a response
header. Paths only, never query strings or bodies; an activation code in a path is replaced by "…"
wherever it appears, because the code is the account's key until it is used."""

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECRET_PATHS = re.compile(r"(/activate/)[^/?#\s\"']+")
request_log = logging.getLogger("lec.request")


def redact(text):
    return SECRET_PATHS.sub("\\1…", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record; request fields come as ``extra={"fields": {...}}``."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        entry.update(getattr(record, "fields", {}))
        message = record.getMessage()
        if message:
            entry["message"] = redact(message)
        if "request_id" not in entry and has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (gunicorn and pytest replace it)."""

    def __init__(self, level=logging.NOTSET):
        logging.Handler.__init__(self, level)

    @property
    def stream(self):
        return sys.stderr


def json_handler():
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter())
    return handler


def install(app):
    """JSON on the root logger (unless gunicorn.conf.py already put it there), and the request line."""
    root = logging.getLogger()
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        root.addHandler(json_handler())
    request_log.setLevel(logging.INFO)
    app.before_request(start_request)
    app.after_request(log_request)


def start_request():
    g.request_started = time.perf_counter()
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if ACCEPTED_REQUEST_ID.match(sent) else uuid.uuid4().hex


def log_request(response):
    if "request_id" not in g:  # a before_request hook that ran earlier answered by itself
        start_request()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    user = g.get("_login_user")  # only if the request loaded it: logging must not cost a query
    fields = {
        "method": request.method,
        "path": redact(request.path),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
        "user_id": getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None,
        "remote_addr": request.remote_addr,
        "request_id": g.request_id,
    }
    if "fault_reference" in g:  # the reference an unexpected error showed the user (app/faults.py)
        fields["reference"] = g.fault_reference
    request_log.info("", extra={"fields": fields})
    return response
