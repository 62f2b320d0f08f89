"""Schemathesis hooks for Relay Console's contract test.

Authentication: a superuser signs in with its password and the access token is renewed
whenever the API answers 401 (the run itself signs out, changes passwords, revokes tokens
...). The sign-in comes from its own address (X-Real-IP, believed from loopback) so that
the login attempts the run makes with random credentials cannot throttle it.
"""

import datetime
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


# A password the policy takes: long enough and not guessable (what a person would type).
STRONG = "caballo correcto grapa bateria {}"


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Values a client would give where the document cannot say everything:

    - Creating an API token asks for the caller's password again: give it the real one,
      wherever the generated body has a valid password field. Random passwords would count
      as failed sign-ins and throttle the test's own account.
    - A new password must also not be guessable (zxcvbn, docs/security.md), which no
      schema expresses: a schema-valid generated one is replaced by a passphrase.
    - A report covers at most 366 days from the year 2000 to tomorrow: schema-valid dates
      outside that become one recent day.
    Invalid values (wrong type, too long, missing) are left as generated, so refusals are
    still tested."""
    operation = case.operation
    method, path = operation.method.upper(), operation.path
    body = case.body
    if not isinstance(body, dict):
        return
    if method == "POST" and path == "/api/v1/tokens":
        if isinstance(body.get("password"), str) and 1 <= len(body["password"]) <= 1024:
            body["password"] = PASSWORD
    if (method, path) in {("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/{id}")}:
        if isinstance(body.get("password"), str) and 12 <= len(body["password"]) <= 1024:
            body["password"] = STRONG.format(len(body["password"]))
    if (method, path) == ("POST", "/api/v1/auth/password"):
        if isinstance(body.get("new_password"), str) and 12 <= len(body["new_password"]) <= 1024:
            body["new_password"] = STRONG.format(len(body["new_password"]))
    if (method, path) == ("POST", "/api/v1/reports"):
        dates = [body.get("start_date"), body.get("end_date")]
        if all(isinstance(d, str) and len(d) == 10 for d in dates):
            try:
                first, last = sorted(datetime.date.fromisoformat(d) for d in dates)
            except ValueError:
                return
            if first.year < 2000 or (last - first).days >= 366 or last > datetime.date.today():
                body["start_date"] = body["end_date"] = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


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
