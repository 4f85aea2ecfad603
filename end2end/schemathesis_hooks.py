"""schemathesis hooks for `end2end/tests/schemathesis.rs` (loaded through SCHEMATHESIS_HOOKS).

`POST /api/v1/events` takes NDJSON, which schemathesis cannot write by itself: a generated list is
sent one JSON value per line, anything else as its JSON text.
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list):
        return "".join(json.dumps(item) + "\n" for item in value).encode()
    return json.dumps(value).encode()
