"""nginx in front of app servers on loopback, configured by deploy/nginx.conf itself: for tests and benchmarks.

nginx_config() rewrites the shipped file for 127.0.0.1 (its replica groups for the given ports, one
plain-HTTP listen port, logs and temporary files in a scratch folder, Streamlit's static files from
this Python's streamlit package); start_proxy() runs Debian's nginx (apt-get install nginx) on it.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.common import REPO, free_port, stop_server

NGINX = Path("/usr/sbin/nginx")
DEPLOYED_CONFIG = REPO / "deploy" / "nginx.conf"
ACCESS_LOG = "access.log"  # in the scratch folder, in deploy/nginx.conf's `catdog` log format
PROXY_START_S = 10

UPSTREAMS = re.compile(r"upstream catdog_\d+ \{[^}]*\}")  # the public replicas' groups, not catdog_teacher
DRAW = re.compile(r'(split_clients "\$\{request_id\}" \$catdog_drawn \{)([^}]*)(\})')
COOKIE_MAP = re.compile(r"(map \$cookie_catdog_replica \$catdog_public \{)([^}]*)(\})")
COOKIE_MAP_REPLICA = re.compile(r"^\s*\d+\s+catdog_\d+;.*\n", re.MULTILINE)


def nginx_config(replica_ports: list[int], listen_port: int, scratch: Path) -> str:
    """deploy/nginx.conf rewritten for loopback: these replica ports, this listen port, temp/log/pid paths in scratch,
    no TLS, no `user www-data` (its workers run as whoever starts it)."""
    shipped = DEPLOYED_CONFIG.read_text()
    shipped_ports = [int(port) for port in re.findall(r"^\s*(\d+)\s+catdog_\1;", _body(COOKIE_MAP, shipped), re.M)]
    if _replica_parts(shipped) != _replica_parts(_with_replicas(shipped, shipped_ports)):
        raise ValueError(f"{DEPLOYED_CONFIG}'s replica groups are not in the form bench/proxy.py rewrites")
    site = _with_replicas(shipped, replica_ports)
    site = _replace_once(r"server \{\s*listen 80;[^}]*\}\n\n", "", site)  # the redirect to HTTPS
    site = _replace_once(r"listen 443 ssl;", f"listen 127.0.0.1:{listen_port};", site)
    site = _replace_once(r"\s*ssl_certificate .*\n\s*ssl_certificate_key .*\n", "\n", site)
    site = _replace_once(r"access_log \S+ catdog;", f"access_log {scratch / ACCESS_LOG} catdog;", site)
    site = _replace_once(r"root \S+/streamlit/static;", f"root {streamlit_static()};", site)
    temp = scratch / "temp"
    # Started as root, nginx would run its workers as nobody, who cannot read a root-only home's packages.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"# Written by bench/proxy.py from {DEPLOYED_CONFIG}, for 127.0.0.1 only.\n"
        f"{user}worker_processes 1;\npid {scratch / 'nginx.pid'};\nerror_log stderr;\n"
        "events {\n    worker_connections 1024;\n}\n\nhttp {\n"
        "include /etc/nginx/mime.types;\ndefault_type application/octet-stream;\nsendfile on;\n"
        + "".join(f"{kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"\n{site}}}\n"
    )


def start_proxy(replica_ports: list[int], scratch: Path) -> tuple[subprocess.Popen, int]:
    """nginx in the foreground (`-g 'daemon off;'`, `-p scratch`) on a free 127.0.0.1 port; returns (process, port)
    once it answers. The replicas need not be up yet. Its errors go to scratch/nginx.log, its requests to
    scratch/access.log."""
    (scratch / "temp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = scratch / "nginx.conf"
    config.write_text(nginx_config(replica_ports, port, scratch))
    log_path = scratch / "nginx.log"
    command = [str(NGINX), "-p", str(scratch), "-c", str(config), "-e", "stderr", "-g", "daemon off;"]
    with open(log_path, "wb") as log:
        proxy = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + PROXY_START_S
    while not _answers(port):
        if proxy.poll() is not None or time.monotonic() > deadline:
            stop_proxy(proxy)
            raise RuntimeError(f"nginx did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    return proxy, port


def stop_proxy(proxy: subprocess.Popen) -> None:
    """SIGTERM, nginx's fast shutdown (SIGQUIT would wait for every open websocket), then its workers if need be."""
    stop_server(proxy)


def streamlit_static() -> Path:
    """The static folder (index.html, static/js, …) of the streamlit package this Python runs, as the replicas do."""
    return Path(importlib.util.find_spec("streamlit").submodule_search_locations[0]) / "static"


def _answers(port: int) -> bool:
    """Whether nginx itself answers: /_stcore/metrics is its own 404, whatever the replicas' state."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics", timeout=2)
    except urllib.error.HTTPError as error:
        return error.code == 404
    except OSError:
        return False
    return False


def _with_replicas(config: str, ports: list[int]) -> str:
    """The config with one upstream group, one share of new visitors and one cookie value per port."""
    groups = [
        f"upstream catdog_{port} {{\n    server 127.0.0.1:{port};\n"
        + "".join(f"    server 127.0.0.1:{other} backup;\n" for other in ports if other != port)
        + "}"
        for port in ports
    ]
    blocks = UPSTREAMS.findall(config)
    if not blocks:
        raise ValueError(f"no `upstream catdog_PORT` group in {DEPLOYED_CONFIG}")
    config = config.replace(blocks[0], "\n\n".join(groups), 1)
    for block in blocks[1:]:
        config = config.replace(f"{block}\n\n", "", 1)
    share = math.floor(10000 / len(ports)) / 100  # nginx reads two decimals; the last port gets the rest (*)
    draw = "".join(f"    {share:g}% catdog_{port};\n" for port in ports[:-1]) + f"    *   catdog_{ports[-1]};\n"
    config = _replace_once(DRAW.pattern, lambda found: f"{found[1]}\n{draw}{found[3]}", config)
    cookie = "".join(f"    {port} catdog_{port};\n" for port in ports)
    return _replace_once(
        COOKIE_MAP.pattern, lambda found: f"{found[1]}{COOKIE_MAP_REPLICA.sub('', found[2])}{cookie}{found[3]}", config
    )


def _replica_parts(config: str) -> list[str]:
    """The groups, the draw and the cookie values, comments and spacing left out: what _with_replicas writes."""
    parts = [*UPSTREAMS.findall(config), _body(DRAW, config), _body(COOKIE_MAP, config)]
    return [" ".join(re.sub(r"#.*", "", part).split()) for part in parts]


def _body(block: re.Pattern, config: str) -> str:
    found = block.search(config)
    if found is None:
        raise ValueError(f"{DEPLOYED_CONFIG} has no `{block.pattern}`")
    return found[2]


def _replace_once(pattern: str, replacement, text: str) -> str:
    """re.sub that must match exactly once: a change to deploy/nginx.conf that breaks a rewrite fails loudly."""
    result, count = re.subn(pattern, replacement, text)
    if count != 1:
        raise ValueError(f"{DEPLOYED_CONFIG}: `{pattern}` matched {count} times, not once")
    return result
