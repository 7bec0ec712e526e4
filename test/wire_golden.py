"""What the SDK sends for each of the 68 operations of 0.291, recorded as a golden file.

``test/data/wire_0291.json`` was written by this script from the SDK generated from the
0.291-era spec alone (``kenar-openapi.json``, before the generator took a current spec and a
baseline).  ``test/test_wire.py::test_0291_operations_send_what_they_sent`` replays every
recorded call (same arguments, the body built from the 0.291 class name, the same answer)
against the SDK of today and wants an identical record: what the 0.291 SDK sent is the contract.

Regenerate only to change that contract on purpose, from the baseline-era code::

    git worktree add --detach /tmp/sdk-0291 3558e64   # the last commit generated from kenar-openapi.json alone
    cd /tmp/sdk-0291 && PYTHONPATH=. python test/wire_golden.py   # then copy test/data/wire_0291.json over

Running it on today's code writes the calls of the current table (with the four new operations),
which is not the 0.291 contract: the script refuses unless the table has exactly the 68.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "wire_0291.json"
#: headers whose value is part of the contract (User-Agent carries the version: its shape only)
HEADERS = ("Accept", "Authorization", "Content-Length", "Content-Type", "X-API-Key")


def _calls() -> List[Dict[str, Any]]:
    """One call per operation of the table, with the arguments test_operations builds."""
    sys.path.insert(0, str(HERE))
    from test_operations import answer_for, build_arguments

    from kenar_api_client._op_table import OPERATIONS
    from kenar_api_client.testing import sample_value

    if len(OPERATIONS) != 68:
        raise SystemExit(
            f"the table has {len(OPERATIONS)} operations, not 0.291's 68: record from the baseline-era code"
        )
    calls = []
    for name in sorted(OPERATIONS):
        op = OPERATIONS[name]
        args, kwargs, _ = build_arguments(op)
        body = op.body_param
        body_class = body.type if body is not None and body.type != "object" else None
        if body_class is not None:  # every field of the body set, not just the required ones
            full = sample_value(op.body_model())
            args = [full if i == len(args) - 1 and body.required else a for i, a in enumerate(args)]
            kwargs = {k: full if k == body.name else v for k, v in kwargs.items()}
        calls.append(
            {
                "api": op.api,
                "method": name,
                "args": [_plain(a) for a in args],
                "kwargs": {k: _plain(v) for k, v in kwargs.items()},
                "body_param": body.name if body is not None else None,
                "body_class": body_class,
                "answer": answer_for(op),
            }
        )
    return calls


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


def _argument(call: Dict[str, Any], name: Optional[str], value: Any) -> Any:
    """A recorded argument as a 0.291 program passes it: the body as an instance of its 0.291 class."""
    import kenar_api_client

    if name is not None and name == call["body_param"] and call["body_class"] is not None:
        return getattr(kenar_api_client, call["body_class"]).from_dict(value)
    return value


def perform(call: Dict[str, Any], server: Any, client: Any) -> Dict[str, Any]:
    """Make one recorded call against ``server`` and describe what went over the wire and came back."""
    import inspect

    import kenar_api_client

    api = getattr(kenar_api_client, call["api"])(client)
    method = getattr(api, call["method"])
    positional = [p for p in inspect.signature(method).parameters][: len(call["args"])]
    args = [_argument(call, name, value) for name, value in zip(positional, call["args"])]
    kwargs = {k: _argument(call, k, v) for k, v in call["kwargs"].items()}
    server.reset()
    server.respond(call["method"], json=call["answer"])
    result = method(*args, **kwargs)
    assert len(server.requests) == 1, f"{call['method']} sent {len(server.requests)} requests"
    req = server.requests[0]
    agent = req.headers.get("User-Agent") or ""
    return {
        "method": req.method,
        "path": req.path,
        "query": req.raw_query,
        "headers": {h: req.headers[h] for h in HEADERS if h in req.headers},
        "user_agent": agent.replace(kenar_api_client.__version__, "{version}"),
        "body": req.body.decode("utf-8"),
        "result_type": type(result).__name__,
        "result": result if isinstance(result, dict) else json.loads(result.to_json()),
    }


def record() -> Dict[str, Any]:
    from kenar_api_client import ApiClient
    from kenar_api_client.testing import MockKenarServer

    entries = []
    with MockKenarServer(api_key="test-api-key", access_token="test-access-token") as server:
        config = server.configuration()
        config.retries = 0
        with ApiClient(config) as client:
            for call in _calls():
                entries.append({"call": call, "sent": perform(call, server, client)})
    return {"operations": entries}


def main() -> int:
    data = record()
    # keys not sorted: the order of a free-form body's keys is part of what is sent
    GOLDEN.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(data['operations'])} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
