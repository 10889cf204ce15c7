"""Two identical app instances behind Debian's nginx, on one port (`make cluster`).

    python deploy/cluster/run.py [--port 8080] [--instances 2] [--no-build]

Builds the frontend once (`reflex export --frontend-only`, with PUBLIC_URL the nginx port),
then starts the instances as Reflex's production server does (granian, the compiled frontend
mounted on the backend's port: frontend and backend on one port each) and nginx in front of
them, with its config, pid, logs and temp files under var/cluster/. Every instance uses the
same PostgreSQL and Redis (DATABASE_URL, REDIS_URL, ...): nothing else is shared, and no
stickiness is configured (docs/operations.md). Ctrl-C stops everything.

tests/browser/test_browser_cluster.py uses `Cluster` below with the e2e app's build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "cluster"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_config(lb_port: int, ports: list[int], prefix: Path) -> str:
    """Round robin over the instances, no stickiness (page state is in Redis); websocket
    upgrade on /_event with hour-long timeouts; the client's address and scheme forwarded;
    `X-Upstream` names the instance that answered (also on the websocket's 101)."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
    forwarded = """
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            add_header X-Upstream $upstream_addr always;"""
    return f"""# Written by deploy/cluster/run.py; nginx -p {prefix} -c nginx.conf
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    client_max_body_size 6m;  # MAX_UPLOAD_BYTES (5 MiB) and the form around it

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    upstream cospace {{
{servers}
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{lb_port};
        proxy_http_version 1.1;
        # An instance that is down: the request goes to the next one.
        proxy_next_upstream error timeout http_502 http_503;
        proxy_connect_timeout 2s;

        location /_event {{
            proxy_pass http://cospace;{forwarded}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_buffering off;
        }}

        location / {{
            proxy_pass http://cospace;{forwarded}
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def rebase_build(source: Path, web_dir: Path, old_origin: str, new_origin: str) -> None:
    """A copy of a compiled frontend (`<web>/build/client`) whose baked backend URL is
    `new_origin` instead of `old_origin`: the same build served behind another address. The
    precompressed copies are dropped (they hold the old URL); the server compresses nothing
    then, which a local check does not mind."""
    target = web_dir / "build" / "client"
    shutil.rmtree(web_dir, ignore_errors=True)
    shutil.copytree(source, target)
    old_hosts = [old_origin, old_origin.replace("127.0.0.1", "localhost")]
    for path in target.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix in (".gz", ".br", ".zst"):
            path.unlink()
            continue
        if path.suffix not in (".js", ".html", ".json", ".mjs", ".txt", ".css", ".map"):
            continue
        data = path.read_bytes()
        new = data
        for old in old_hosts:
            new = new.replace(old.encode(), new_origin.encode())
            new = new.replace(old.replace("http", "ws", 1).encode(), new_origin.replace("http", "ws", 1).encode())
        if new != data:
            path.write_bytes(new)


@dataclass
class Cluster:
    """nginx on `lb_port` in front of one app instance per port in `ports`."""

    env: dict[str, str]  # the app's settings (DATABASE_URL, REDIS_URL, ...) for every instance
    lb_port: int
    ports: list[int]
    var: Path = VAR
    web_dir: Path | None = None  # REFLEX_WEB_WORKDIR of the build to serve (default .web)
    workers: int = 1  # granian processes per instance
    procs: dict[int, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    def instance_env(self, port: int) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env["PATH"] = f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:{env['PATH']}"
        env.update({
            "PYTHONPATH": str(ROOT),
            "PUBLIC_URL": self.url,  # what the browser talks to: nginx
            "PORT": str(port),
            "INSTANCE_ID": f"instance-{port}",
            # Each instance its own metrics folder: Prometheus scrapes each instance.
            "PROMETHEUS_MULTIPROC_DIR": str(self.var / f"metrics-{port}"),
            "GRANIAN_WORKERS": str(self.workers),
            "REFLEX_ENV_MODE": "prod",
            "REFLEX_SKIP_COMPILE": "true",
            "REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true",
        })
        if self.web_dir is not None:
            env["REFLEX_WEB_WORKDIR"] = str(self.web_dir)
        return env

    def start_instance(self, port: int) -> None:
        """One instance: Reflex's production backend with the compiled frontend mounted,
        as `reflex run --env prod` serves it, on its own port."""
        log = open(self.var / f"instance-{port}.log", "a")
        shutil.rmtree(self.var / f"metrics-{port}", ignore_errors=True)
        (self.var / f"metrics-{port}").mkdir(parents=True)
        code = ("from reflex.utils import exec; "
                f"exec.run_backend_prod('127.0.0.1', {port}, mount_frontend_compiled_app=True)")
        self.procs[port] = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=self.instance_env(port),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill_instance(self, port: int, sig: int = signal.SIGKILL) -> None:
        """Ends an instance at once, all its processes (as a crash or a lost node would)."""
        proc = self.procs.pop(port)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=20)

    def wait_ready(self, port: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs.get(port)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"instance on {port} exited, see {self.var / f'instance-{port}.log'}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/ready", timeout=3).status_code == 200 \
                        and httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"instance on {port} did not become ready")

    def start_nginx(self) -> None:
        prefix = self.var / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        (prefix / "nginx.conf").write_text(nginx_config(self.lb_port, self.ports, prefix))
        self.nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            cwd=ROOT, stdout=open(prefix / "stdout.log", "a"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def start(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)
        for port in self.ports:
            self.start_instance(port)
        self.start_nginx()
        for port in self.ports:
            self.wait_ready(port)
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/ready", timeout=3).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx does not answer, see {self.var / 'nginx'}")
            time.sleep(0.3)

    def stop(self) -> None:
        for port in list(self.procs):
            self.kill_instance(port, signal.SIGTERM)
        if self.nginx is not None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
            self.nginx = None


def build_frontend(public_url: str) -> None:
    """The frontend, compiled once for the nginx address (.web/build/client)."""
    env = {**os.environ, "PUBLIC_URL": public_url, "PYTHONPATH": str(ROOT)}
    subprocess.run([str(ROOT / ".venv" / "bin" / "reflex"), "export", "--frontend-only", "--no-zip",
                    "--env", "prod"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "8080")),
                        help="nginx's port (the address to open)")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GRANIAN_WORKERS", "2")),
                        help="server processes per instance")
    parser.add_argument("--no-build", action="store_true", help="serve the existing build")
    args = parser.parse_args()
    ports = [args.port + 1 + i for i in range(args.instances)]
    url = f"http://127.0.0.1:{args.port}"
    if not args.no_build:
        build_frontend(url)
    cluster = Cluster(env={}, lb_port=args.port, ports=ports, workers=args.workers)
    stop = lambda *_: (_ for _ in ()).throw(KeyboardInterrupt)  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    try:
        cluster.start()
        print(f"\nCoSpace on {url} (nginx) -> instances on {', '.join(map(str, ports))}; "
              f"logs in {VAR}. Ctrl-C stops.", flush=True)
        while True:
            for port, proc in list(cluster.procs.items()):
                if proc.poll() is not None:
                    print(f"instance on {port} exited ({proc.returncode}); restarting", flush=True)
                    cluster.procs.pop(port)
                    cluster.start_instance(port)
            time.sleep(2)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
