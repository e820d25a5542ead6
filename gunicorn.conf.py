"""gunicorn settings for LEC in production: `gunicorn -c gunicorn.conf.py run:app`.

Every value can be changed from the environment (README, "Production deployment"). The app keeps
no state in its processes (signed cookie sessions, rate-limit counts in Redis when REDIS_URL is
set, uploads in the database), so any worker on any host may answer any request."""

import multiprocessing
import os

# Where to listen. Behind a load balancer on another machine, HOST=0.0.0.0.
bind = "%s:%s" % (os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8080"))

# Processes × threads. The work is mostly waiting on PostgreSQL, so each worker runs a few threads
# (the gthread worker); credential sheets and imports use the CPU, so workers follow the cores.
# config.py's LEC_DB_POOL_SIZE matches the threads: every worker has its own connection pool.
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else multiprocessing.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY", str(cores * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Restart each worker now and then, at different times, so slow leaks cannot build up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# With threads the timeout catches a worker that stopped answering its master, not a slow request:
# a country-wide credential sheet takes about 40 s and must not be killed. The load balancer's own
# timeout for a response must be longer than the slowest page. graceful_timeout: on a restart or
# deploy, requests in flight get this long to finish. keepalive: behind a load balancer, longer than
# its idle timeout for connections to the app (otherwise it may reuse one gunicorn just closed).
proxies = int(os.environ.get("LEC_PROXY_COUNT", "0"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75" if proxies else "5"))

# X-Forwarded-For and -Proto are read by the app (ProxyFix, LEC_PROXY_COUNT hops) for the client's
# address and https. With no proxy in front nobody may set them; with proxies, gunicorn accepts the
# scheme headers from any peer, so the app hosts must be reachable from the load balancer only
# (or set FORWARDED_ALLOW_IPS to its addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or ("*" if proxies else "")

# Load the app once in the master and fork it: workers share its memory, and a broken release
# fails at start instead of in every worker. The database pool must not cross the fork (two
# processes on one connection corrupt it), so each worker drops what it inherited in post_fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"


def post_fork(server, worker):
    if not server.cfg.preload_app:
        return
    from app import db

    with server.app.wsgi().app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)  # forget the parent's connections without closing them


# Logs: JSON lines on stderr (app/logs.py), gunicorn's own included. The app writes one line per
# request, which is the access log (with the user and the request id, and activation codes
# removed from paths), so gunicorn's access log stays off. LEC_JSON_LOGS=0 for plain text.
os.environ.setdefault("LEC_JSON_LOGS", "1")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = None
errorlog = "-"
if os.environ["LEC_JSON_LOGS"] == "1":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "app.logs.StderrHandler", "formatter": "json"}},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }

# The control socket (gunicornc) is not used; several gunicorns on one host would share its path.
control_socket_disable = True
proc_name = "lec"
