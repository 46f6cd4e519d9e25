"""A fake ServiceNow instance speaking the Table API (contracts.md §5).

    GET    /api/now/table/{table}?sysparm_query=&sysparm_fields=&sysparm_limit=&sysparm_offset=
           &sysparm_display_value=false|true|all&sysparm_exclude_reference_link=
    GET    /api/now/table/{table}/{sys_id}
    POST   /api/now/table/{table}                -> 201 {"result": {... "sys_id", "number"}}
    PATCH  /api/now/table/{table}/{sys_id}       -> 200 (PUT too)
    POST   /oauth_token.do  grant_type=client_credentials

Encoded queries: conditions joined by ``^`` (AND) and ``^OR`` (OR with the
condition before it), blocks by ``^NQ``; operators ``= != < <= > >= IN NOT IN
LIKE NOT LIKE STARTSWITH ENDSWITH ISEMPTY ISNOTEMPTY BETWEEN``; ``ORDERBY`` /
``ORDERBYDESC``; dot-walked fields (``cmdb_ci.name``) in queries and in
``sysparm_fields``. Like a real instance, every value is a string, string
comparisons ignore case, dates are stored as UTC ``YYYY-MM-DD HH:MM:SS``, and a
reference field holds a sys_id. Unlike one, a condition it cannot parse is a
400 (a real instance may silently ignore it), so tests catch bad queries.
Paging answers ``X-Total-Count`` and a ``Link`` header with first/prev/next/last.
"""

from __future__ import annotations

import base64
import itertools
import re
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

from .threaded import FakeService, Reply, Request

#: Reference fields of the tables the project uses: field -> referenced table.
REFERENCES: dict[str, dict[str, str]] = {
    "change_request": {"cmdb_ci": "cmdb_ci", "assignment_group": "sys_user_group", "assigned_to": "sys_user",
                       "requested_by": "sys_user"},
    "incident": {"cmdb_ci": "cmdb_ci", "assignment_group": "sys_user_group", "assigned_to": "sys_user",
                 "caller_id": "sys_user"},
    "cmdb_ci_computer": {"assigned_to": "sys_user", "managed_by": "sys_user", "owned_by": "sys_user",
                         "support_group": "sys_user_group", "assignment_group": "sys_user_group"},
    "sys_user": {"manager": "sys_user", "department": "cmn_department"},
}
#: Number prefixes of task tables (a POST gets the next number).
NUMBER_PREFIXES = {"incident": "INC", "change_request": "CHG", "problem": "PRB", "sc_task": "SCTASK"}
#: The field a reference shows as its display value.
DISPLAY_FIELDS = {"sys_user": "name", "sys_user_group": "name", "cmn_department": "name"}

_CONDITION = re.compile(
    r"^([a-z0-9_.]+?)(NOT IN|IN|NOT LIKE|LIKE|STARTSWITH|ENDSWITH|ISNOTEMPTY|ISEMPTY|BETWEEN|!=|<=|>=|=|<|>)(.*)$",
    re.S)
_DATE_GENERATE = re.compile(r"javascript:gs\.dateGenerate\('(\d{4}-\d\d-\d\d)','(\d\d:\d\d:\d\d)'\)")


class BadQuery(ValueError):
    pass


class FakeServiceNow(FakeService):
    """Tables of string-valued records; ``add(table, **fields)`` seeds one and returns its sys_id."""

    def __init__(self, *, username: str = "hunter", password: str = "s3cret", client_id: str = "",
                 client_secret: str = "", latency: float = 0.0, token_lifetime: int = 1800):
        super().__init__(latency=latency)
        self.username, self.password = username, password
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime = token_lifetime
        self.tables: dict[str, list[dict[str, str]]] = {}
        self._by_id: dict[str, dict[str, dict[str, str]]] = {}  # table -> sys_id -> record
        self.tokens: set[str] = set()
        self._numbers = itertools.count(10001)

    # -- seeding ----------------------------------------------------------------------------------

    def add(self, table: str, **fields: Any) -> str:
        record = {k: "" if v is None else str(v) for k, v in fields.items()}
        record.setdefault("sys_id", uuid.uuid4().hex)
        if table in NUMBER_PREFIXES:
            record.setdefault("number", f"{NUMBER_PREFIXES[table]}{next(self._numbers):07d}")
        self.tables.setdefault(table, []).append(record)
        self._by_id.setdefault(table, {})[record["sys_id"]] = record
        return record["sys_id"]

    def records(self, table: str) -> list[dict[str, str]]:
        """A table's records; ``cmdb_ci`` also holds every ``cmdb_ci_*`` table, as its children do."""
        if table == "cmdb_ci":
            return [r for name, rows in self.tables.items() if name.startswith("cmdb_ci") for r in rows]
        return self.tables.get(table, [])

    def find(self, table: str, sys_id: str) -> dict[str, str] | None:
        names = [t for t in self._by_id if t.startswith("cmdb_ci")] if table == "cmdb_ci" else [table]
        return next((self._by_id[t][sys_id] for t in names if sys_id in self._by_id.get(t, {})), None)

    def revoke_tokens(self) -> None:
        """Every issued OAuth token stops working (as when it expires early)."""
        self.tokens.clear()

    # -- the API ----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.path == "/oauth_token.do" and request.method == "POST":
            return self._token(request)
        if not self._authorised(request):
            return _error(401, "User Not Authenticated", "Required to provide Auth information")
        match = re.fullmatch(r"/api/now(?:/v\d+)?/table/([a-z0-9_]+)(?:/([0-9a-f]{32}))?", request.path)
        if not match:
            return _error(400, "Requested URI does not represent any resource", request.path)
        table, sys_id = match.groups()
        if request.method == "GET" and sys_id is None:
            return self._list(table, request)
        if request.method == "POST" and sys_id is None:
            return self._create(table, request)
        if sys_id is None:
            return _error(405, "Method not Supported", request.method)
        record = self.find(table, sys_id)
        if record is None:
            return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        if request.method == "GET":
            return Reply(200, {"result": self._render(table, record, request)})
        if request.method in ("PATCH", "PUT"):
            body = _json_body(request)
            if not isinstance(body, dict):
                return _error(400, "Exception while reading request", "The payload is not valid JSON.")
            record.update({k: "" if v is None else str(v) for k, v in body.items() if k != "sys_id"})
            return Reply(200, {"result": self._render(table, record, request)})
        return _error(405, "Method not Supported", request.method)

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if (form.get("grant_type") != "client_credentials" or not self.client_id
                or form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret):
            return Reply(401, {"error_description": "access_denied", "error": "server_error"})
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return Reply(200, {"access_token": token, "scope": "useraccount", "token_type": "Bearer",
                           "expires_in": self.token_lifetime})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[7:] in self.tokens
        if header.startswith("Basic ") and self.username:
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return (user, password) == (self.username, self.password)
        return False

    def _list(self, table: str, request: Request) -> Reply:
        try:
            matches, order = _compile(request.query.get("sysparm_query", ""), self._getter(table))
        except BadQuery as exc:
            return _error(400, "Invalid query", str(exc))
        rows = [r for r in self.records(table) if matches(r)]
        for field, descending in reversed(order):
            rows.sort(key=lambda r: _sort_key(self._getter(table)(r, field)), reverse=descending)
        limit = int(request.query.get("sysparm_limit") or 10000)
        offset = int(request.query.get("sysparm_offset") or 0)
        page = rows[offset:offset + limit]
        headers = {"X-Total-Count": str(len(rows))}
        links = self._links(table, request.query, offset, limit, len(rows))
        if links:
            headers["Link"] = links
        return Reply(200, {"result": [self._render(table, r, request) for r in page]}, headers)

    def _links(self, table: str, query: dict[str, str], offset: int, limit: int, total: int) -> str:
        def link(at: int, rel: str) -> str:
            return f'<{self.url}/api/now/table/{table}?{urlencode({**query, "sysparm_offset": at})}>;rel="{rel}"'

        last = max(0, (total - 1) // limit * limit)
        links = [link(0, "first")]
        if offset > 0:
            links.append(link(max(0, offset - limit), "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        links.append(link(last, "last"))
        return ",".join(links)

    def _create(self, table: str, request: Request) -> Reply:
        body = _json_body(request)
        if not isinstance(body, dict):
            return _error(400, "Exception while reading request", "The payload is not valid JSON.")
        fields = {k: v for k, v in body.items() if k not in ("sys_id", "number")}
        sys_id = self.add(table, **fields, sys_created_on="2026-12-03 12:00:00")
        return Reply(201, {"result": self._render(table, self.find(table, sys_id) or {}, request)},
                     {"Location": f"{self.url}/api/now/table/{table}/{sys_id}"})

    # -- values -----------------------------------------------------------------------------------

    def _getter(self, table: str) -> Callable[[dict[str, str], str], str]:
        """Reads a (possibly dot-walked) field of a record of ``table``."""

        def get(record: dict[str, str], path: str) -> str:
            current, current_table = record, table
            *hops, last = path.split(".")
            for hop in hops:
                target = REFERENCES.get(_base(current_table), {}).get(hop)
                referenced = self.find(target, current.get(hop, "")) if target else None
                if referenced is None:
                    return ""
                current, current_table = referenced, target
            return current.get(last, "")

        return get

    def _render(self, table: str, record: dict[str, str], request: Request) -> dict[str, Any]:
        fields = [f for f in request.query.get("sysparm_fields", "").split(",") if f] or list(record)
        display = request.query.get("sysparm_display_value", "false").lower()
        exclude_links = request.query.get("sysparm_exclude_reference_link", "false").lower() == "true"
        get = self._getter(table)
        out: dict[str, Any] = {}
        for field in fields:
            value = get(record, field)
            target = REFERENCES.get(_base(table), {}).get(field) if "." not in field else None
            if target is None or value == "":
                out[field] = value
                continue
            shown = self._display(target, value)
            link = f"{self.url}/api/now/table/{target}/{value}"
            if display == "true":
                out[field] = shown if exclude_links else {"display_value": shown, "link": link}
            elif display == "all":
                out[field] = {"display_value": shown, "value": value} | ({} if exclude_links else {"link": link})
            else:
                out[field] = value if exclude_links else {"link": link, "value": value}
        return out

    def _display(self, table: str, sys_id: str) -> str:
        record = self.find(table, sys_id) or {}
        return record.get(DISPLAY_FIELDS.get(table, "number" if table in NUMBER_PREFIXES else "name"), "")


def _base(table: str) -> str:
    return "cmdb_ci_computer" if table.startswith("cmdb_ci") else table


def _error(status: int, message: str, detail: str) -> Reply:
    return Reply(status, {"error": {"message": message, "detail": detail}, "status": "failure"})


def _json_body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        return None


def _sort_key(value: str) -> tuple[int, Any]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value.lower())


def _compile(query: str, get: Callable[[dict[str, str], str], str]
             ) -> tuple[Callable[[dict[str, str]], bool], list[tuple[str, bool]]]:
    """A predicate for an encoded query and its ORDERBY fields (field, descending)."""
    order: list[tuple[str, bool]] = []
    blocks: list[list[list[Callable[[dict[str, str]], bool]]]] = []
    for block in query.split("^NQ") if query else []:
        groups: list[list[Callable[[dict[str, str]], bool]]] = []
        for term in block.split("^"):
            if not term or term == "EQ":
                continue
            if term.startswith("ORDERBYDESC"):
                order.append((term[len("ORDERBYDESC"):], True))
            elif term.startswith("ORDERBY"):
                order.append((term[len("ORDERBY"):], False))
            elif term.startswith("OR") and groups:
                groups[-1].append(_condition(term[2:], get))
            else:
                groups.append([_condition(term, get)])
        blocks.append(groups)
    blocks = [b for b in blocks if b] or [[]]

    def matches(record: dict[str, str]) -> bool:
        return any(all(any(c(record) for c in group) for group in groups) for groups in blocks)

    return matches, order


def _condition(term: str, get: Callable[[dict[str, str], str], str]) -> Callable[[dict[str, str]], bool]:
    match = _CONDITION.match(term)
    if not match:
        raise BadQuery(f"cannot parse condition {term!r}")
    field, op, raw = match.groups()
    value = _DATE_GENERATE.sub(lambda m: f"{m.group(1)} {m.group(2)}", raw)
    wanted = value.lower()
    items = {v.strip().lower() for v in value.split(",")}

    def compare(actual: str) -> bool:
        a = actual.lower()
        if op == "=":
            return a == wanted
        if op == "!=":
            return a != wanted
        if op in ("<", "<=", ">", ">="):
            if a == "":
                return False
            left, right = _sort_key(a), _sort_key(wanted)
            if left[0] != right[0]:
                return False
            return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
        if op == "IN":
            return a in items
        if op == "NOT IN":
            return a not in items
        if op == "LIKE":
            return wanted in a
        if op == "NOT LIKE":
            return wanted not in a
        if op == "STARTSWITH":
            return a.startswith(wanted)
        if op == "ENDSWITH":
            return a.endswith(wanted)
        if op == "ISEMPTY":
            return a == ""
        if op == "ISNOTEMPTY":
            return a != ""
        low, _, high = wanted.partition("@")
        return low <= a <= high  # BETWEEN

    return lambda record: compare(get(record, field))
