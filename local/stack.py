"""`make run`: the whole system on this machine, no AWS account.

Starts moto (one request at a time) on MOTO_PORT, creates the tables and queues from the
shared definitions, seeds the booking window, runs the background worker (scheduled jobs and
the queue consumers that `chalice local` does not run), serves the API with
`chalice local` on PORT and the web app (web/dist, `make web`) on WEB_PORT. Ctrl-C or SIGTERM
stops everything it started.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "STAGE": "local",
    "RESOURCE_PREFIX": "infopass-local",
}


def wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {url}")
        time.sleep(0.2)


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


class Stack:
    def __init__(self, host: str, api_port: int, moto_port: int, env: dict[str, str],
                 web_port: int = 8080) -> None:
        self.host, self.api_port, self.moto_port, self.web_port = host, api_port, moto_port, web_port
        self.env = env
        self.children: list[subprocess.Popen] = []
        self.names: dict[int, str] = {}  # pid -> the part it is (moto, worker, API, web app)
        self.web_served = False

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        # Own process group each, so stopping the stack reaches grandchildren too.
        child = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True)
        self.children.append(child)
        self.names[child.pid] = name
        return child

    def start(self) -> None:
        for name, port in (("API", self.api_port), ("moto", self.moto_port)):
            if not port_free(self.host, port):
                raise SystemExit(f"port {port} for {name} is in use; set "
                                 f"{'PORT' if name == 'API' else 'MOTO_PORT'} to another port")
        moto_url = f"http://{self.host}:{self.moto_port}"
        self.spawn("moto", sys.executable, "-m", "local.moto_server", "--host", self.host,
                   "--port", str(self.moto_port))
        wait_for(f"{moto_url}/moto-api/data.json", 30)
        self.env["AWS_ENDPOINT_URL"] = moto_url
        provisioned = subprocess.run(
            [sys.executable, "-m", "local.provision"], cwd=ROOT, env=self.env,
            check=True, capture_output=True, text=True).stdout
        import json
        urls = json.loads(provisioned.strip().splitlines()[-1])
        self.env["NOTICES_QUEUE_URL"] = urls["notices"]
        self.spawn("the worker", sys.executable, "-m", "local.worker")
        self.spawn("the API", sys.executable, "-m", "local.api", "--stage", "local",
                   "--host", self.host, "--port", str(self.api_port), "--no-autoreload")
        wait_for(f"http://{self.host}:{self.api_port}/v1/health", 60)
        self.web_served = self.serve_web()

    def serve_web(self) -> bool:
        """The web app is optional to the API: a stack without a build (`make web`) or whose
        web port is taken (another stack, e.g. the e2e tests') still serves the API."""
        if not (ROOT / "web" / "dist" / "index.html").exists():
            print("web app not built (make web): not served", file=sys.stderr)
            return False
        if not port_free(self.host, self.web_port):
            print(f"port {self.web_port} for the web app is in use (WEB_PORT): not served",
                  file=sys.stderr)
            return False
        self.spawn("the web app", sys.executable, "-m", "local.web", "--host", self.host,
                   "--port", str(self.web_port), "--api", f"http://{self.host}:{self.api_port}")
        wait_for(f"http://{self.host}:{self.web_port}/config.json", 30)
        return True

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)

    def watch(self, every: float = 0.5) -> int:
        """Returns 1 once any part has exited, naming it: the others cannot work without it,
        so the caller stops them all rather than serve a half-dead stack."""
        while True:
            for child in self.children:
                if child.poll() is not None:
                    print(f"\nThe local stack stopped: {self.names.get(child.pid, child.args)} "
                          f"exited with code {child.returncode}. Every part is stopped and "
                          "moto's data is gone; `make run` starts a fresh stack.",
                          file=sys.stderr, flush=True)
                    return 1
            time.sleep(every)


def main() -> int:
    host = "127.0.0.1"
    env = {**os.environ, **LOCAL_ENV, "PYTHONUNBUFFERED": "1"}
    stack = Stack(host, int(os.environ.get("PORT", 8000)), int(os.environ.get("MOTO_PORT", 5000)), env,
                  int(os.environ.get("WEB_PORT", 8080)))

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        stack.start()
        web = f"  web app                http://{host}:{stack.web_port}/\n" if stack.web_served else ""
        print("\nInfoPass local stack is ready:\n" + web +
              f"  API (chalice local)    http://{host}:{stack.api_port}/v1/health\n"
              f"  AWS (moto, serialized) http://{host}:{stack.moto_port}  "
              f"(state: /moto-api/data.json)\n"
              "  worker                 scheduled jobs and queue consumers\n"
              "Ctrl-C stops everything.\n", flush=True)
        return stack.watch()
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
