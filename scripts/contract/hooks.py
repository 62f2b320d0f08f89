"""Schemathesis hooks for Relay Console's contract test.

Authentication: a superuser signs in with its password and the access token is renewed
whenever the API answers 401 (the run itself signs out, changes passwords, revokes tokens
...). The sign-in comes from its own address (X-Real-IP, believed from loopback) so that
the login attempts the run makes with random credentials cannot throttle it.
"""

import os

import requests
import schemathesis

BASE = os.environ["RELAY_BASE"]
USERNAME = os.environ["RELAY_USERNAME"]
PASSWORD = os.environ["RELAY_PASSWORD"]


@schemathesis.auth(refresh_interval=60)
class SignIn:
    def get(self, case, ctx):
        answer = requests.post(
            f"{BASE}/api/v1/auth/login",
            json={"username": USERNAME, "password": PASSWORD},
            headers={"X-Real-IP": "10.255.255.1"},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Creating an API token asks for the caller's password again: give it the real one
    (as a client would), wherever the generated body has a valid password field. Random
    passwords would count as failed sign-ins and throttle the test's own account."""
    operation = case.operation
    if operation.method.upper() != "POST" or operation.path != "/api/v1/tokens":
        return
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("password"), str) and 1 <= len(body["password"]) <= 1024:
        body["password"] = PASSWORD


@schemathesis.hook
def filter_body(ctx, body):
    """A `null`, an empty list or object, or a field without a name cannot travel in a
    multipart form (no part is sent for it), so a generated form body holding one is not the
    request that reaches the server: skip it rather than judge the server by a field it never
    received."""
    operation = ctx.operation
    if operation is None or not isinstance(body, dict):
        return True
    media_types = (operation.definition.raw.get("requestBody") or {}).get("content", {})
    if "multipart/form-data" not in media_types:
        return True
    return all(name != "" and value not in (None, [], {}) for name, value in body.items())
