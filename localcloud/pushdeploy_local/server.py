"""The local cloud as an HTTP endpoint: moto's server in-process, in front of a running `LocalCloud`.

Every AWS API the local cloud holds answers on `url` (the AWS CLI and boto3 work with `--endpoint-url`),
and the hooks stay installed: an execution started over HTTP runs the real handlers in-process, sleeps
on the virtual clock and deploys to the ECS/ALB model. Two paths are pushdeploy's own:

- `GET /_pushdeploy/health`: the state machine, the region and the virtual time (a readiness probe);
- `POST /_pushdeploy/push` `{"tag": ..., "behavior": {...}, "repository": ...}`: an image pushed to
  ECR and its "ECR Image Action" event delivered through the real rule to the Trigger, as after a
  `docker push`. It answers the digest and what the Trigger did.

Virtual time moves on its own (`TimeDriver`): nothing here waits for a client to advance it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.serving import BaseWSGIServer, make_server, select_address_family

from pushdeploy.models import REPOSITORY_PATTERN, TAG_PATTERN
from pushdeploy.requests import describe_validation_error
from pushdeploy_local.cloud import REGION, LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Behavior, Healthy, Push, Scenario

CONTROL_PREFIX = "/_pushdeploy/"
DEFAULT_PORT = 5000  # moto's own default

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TimeDriver:
    """Advances the local cloud's virtual clock from a background thread.

    The rule: whenever every interpreter thread is blocked (the clock's quiescence test) and an
    execution is running, time jumps to the earliest pending event, a Wait or Retry wake-up or the
    ECS model's next change, so a ten-minute rollout takes seconds. With no execution running, time
    moves with the wall clock (one virtual second per second, or `speed`), so tasks that drain or a
    service that keeps crashing go on at a human pace instead of spinning. `speed` also caps the pace
    while executions run (None: as fast as the world allows). Each advance happens under `world`,
    the lock every HTTP request holds, so no request sees the model halfway through a step.
    """

    IDLE_POLL_SECONDS = 0.02

    def __init__(self, cloud: LocalCloud, world: threading.RLock, speed: float | None = None) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive")
        self.cloud = cloud
        self.world = world
        self.speed = speed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pushdeploy-time-driver", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            try:
                self.cloud.clock.wait_quiescent(timeout=5)
            except TimeoutError:
                continue  # a handler is busy for real seconds: let it finish
            now = time.monotonic()
            elapsed, last = now - last, now
            try:
                with self.world:
                    moved = self._step(elapsed)
            except BaseException as exc:  # surfaced by /_pushdeploy/health and the server's exit
                self.error = exc
                raise
            if not moved:
                self._stop.wait(self.IDLE_POLL_SECONDS)

    def _step(self, real_elapsed: float) -> bool:
        """One advance; False when nothing was due."""
        cloud = self.cloud
        clock, model = cloud.clock, cloud.model
        due = [t for t in (clock.next_wakeup(), model.next_change_at()) if t is not None]
        busy = bool(running_executions(self.cloud))
        if busy and self.speed is None:
            if not due:
                return False  # an execution is finishing on its own thread
            clock.advance_to(min(due), cloud.step_world)
            return True
        allowed = clock.now + real_elapsed * (self.speed or 1.0)
        target = min([allowed, *due])
        if target <= clock.now:
            return False
        clock.advance_to(target, cloud.step_world)
        return target in due


def running_executions(cloud: LocalCloud) -> list[str]:
    """Every RUNNING execution of the deployer, however it was started (HTTP, Trigger, in-process)."""
    sfn = cloud.session.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=cloud.state_machine, statusFilter="RUNNING")
    return [e["executionArn"] for page in pages for e in page["executions"]]


class PushRequest(BaseModel):
    """The body of POST /_pushdeploy/push."""

    model_config = ConfigDict(extra="forbid")

    tag: str = Field(pattern=TAG_PATTERN)
    behavior: Behavior = Healthy()
    repository: str | None = Field(default=None, min_length=2, max_length=256, pattern=REPOSITORY_PATTERN)


class LocalServer:
    """`with LocalServer(scenario, port=0) as server:` serves the local cloud on `server.url`."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        speed: float | None = None,
        log_requests: bool = False,
        listening: socket.socket | None = None,
    ) -> None:
        """`listening`: a socket bound already (by a caller that wants a busy port to fail before the local
        cloud is even imported); else one on `host:port` is made when entered."""
        self.scenario = scenario
        self._listening = listening
        self.host = host
        self.port = port
        self.speed = speed
        self.log_requests = log_requests
        self.world = threading.RLock()
        self.cloud = LocalCloud(scenario)
        self._server: BaseWSGIServer | None = None
        self._serving: threading.Thread | None = None
        self._driver: TimeDriver | None = None
        self._pushes = 0

    @property
    def driver_error(self) -> BaseException | None:
        """What stopped the virtual clock, if it stopped."""
        return self._driver.error if self._driver else None

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def __enter__(self) -> LocalServer:
        # Listen first: a busy port is an OSError at once, not after the seconds it takes to build the world
        # (and not werkzeug's own message and exit, which binding through make_server would give).
        family = select_address_family(self.host, self.port)
        with self._listening or socket.create_server((self.host, self.port), family=family) as listening:
            self._server = make_server(
                self.host,
                self.port,
                self._application(),
                threaded=True,
                request_handler=_quiet_handler(self.log_requests),
                fd=listening.fileno(),  # werkzeug listens on a duplicate of it
            )
        try:
            self.cloud.__enter__()
        except BaseException:
            self._server.server_close()
            raise
        try:
            self._serving = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="pushdeploy-http", daemon=True
            )
            self._serving.start()
            self._driver = TimeDriver(self.cloud, self.world, self.speed)
            self._driver.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            if self._serving is not None:  # shutdown() waits for serve_forever, which must have started
                self._server.shutdown()
            self._server.server_close()
        if self._serving is not None:
            self._serving.join(timeout=10)
        if self._driver is not None:
            self._driver.stop()
        self.cloud.__exit__(None, None, None)

    # -- what the control paths do ---------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return {
            "ok": self.driver_error is None,
            "error": repr(self.driver_error) if self.driver_error else None,
            "region": REGION,
            "state_machine": self.cloud.state_machine,
            "virtual_time": self.cloud.clock.at(self.cloud.clock.now).isoformat(),
            "virtual_seconds": self.cloud.clock.now,
            "running_executions": len(running_executions(self.cloud)),
        }

    def push(self, request: PushRequest) -> dict[str, Any]:
        """An image into ECR, and its push event through EventBridge's rule to the Trigger."""
        push = Push(tag=request.tag, behavior=request.behavior, repository=request.repository)
        digest = self.cloud.push_image(push.repository_name, push.tag, push.behavior)
        self._pushes += 1
        answer = self.cloud.deliver(ecr_event(self.cloud, push, digest, self._pushes))
        return {"repository": push.repository_name, "tag": push.tag, "digest": digest, **answer}

    # -- WSGI ------------------------------------------------------------------------------------

    def _application(self) -> WsgiApp:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        moto_app = DomainDispatcherApplication(create_backend_app)

        def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            with self.world:
                if path.startswith(CONTROL_PREFIX):
                    return self._control(path.removeprefix(CONTROL_PREFIX), environ, start_response)
                # moto's answer is built while the lock is held; reading it afterwards is safe
                return list(moto_app(environ, start_response))

        return application

    def _control(self, action: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if action == "health" and method == "GET":
            return _json(start_response, "200 OK", self.health())
        if action == "push" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b"{}"
            try:
                request = PushRequest.model_validate_json(body)
            except ValidationError as exc:
                return _json(start_response, "400 Bad Request", {"error": describe_validation_error(exc)})
            try:
                return _json(start_response, "200 OK", self.push(request))
            except Exception as exc:  # the client gets the reason; the server goes on
                return _json(start_response, "500 Internal Server Error", {"error": f"{type(exc).__name__}: {exc}"})
        return _json(start_response, "404 Not Found", {"error": f"no such path: {CONTROL_PREFIX}{action} ({method})"})


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _quiet_handler(log_requests: bool) -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            if log_requests:
                super().log_request(*args, **kwargs)

    return Handler
