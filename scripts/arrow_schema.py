"""Arrow types of scriptorium's JSONL files, from the JSON Schemas in schema/.

Arrow's JSON reader infers each column's type from the values it sees first: a column whose
first values are all `[]` or `null` (`rtl_runs` of a file that starts with left-to-right text,
`dup_of` without `[dedup] action = "mark"`) becomes `list<null>` or `null`, and a later value
then fails to convert. Reading with the explicit schema avoids that:

    import pyarrow.json as pj
    from arrow_schema import arrow_schema, read_jsonl
    table = read_jsonl("processed/segments.jsonl", "segments")

    import datasets
    from arrow_schema import features
    ds = datasets.load_dataset("json", data_files=[...], features=features("segments"))

`metadata` of documents.jsonl (any JSON object, or null) is left to inference by the reader;
`datasets` needs a type for it (`free_form={"metadata": pa.struct([...])}`).
"""
import json
import os

import pyarrow as pa

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema")


def _types(node):
    t = node.get("type")
    if t is None and "enum" in node:
        return ["string"]
    return t if isinstance(t, list) else [t]


def _arrow(node):
    types = [t for t in _types(node) if t != "null"]
    if types == ["string"]:
        return pa.string()
    if types == ["integer"]:
        return pa.int64()
    if types == ["number"]:
        return pa.float64()
    if types == ["boolean"]:
        return pa.bool_()
    if types == ["array"]:
        return pa.list_(_arrow(node["items"]))
    if types == ["object"] and "properties" in node:
        return pa.struct([(k, _arrow(v)) for k, v in node["properties"].items()])
    return None  # free-form: inferred


def arrow_schema(name, free_form=None):
    """The Arrow schema of `schema/NAME.schema.json`. Free-form fields (`metadata`) take their
    type from the dict `free_form`, and are left out (to inference) when it has none."""
    with open(os.path.join(SCHEMA_DIR, f"{name}.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    fields = []
    for key, node in schema["properties"].items():
        t = _arrow(node)
        if t is None:
            t = (free_form or {}).get(key)
        if t is not None:
            fields.append(pa.field(key, t, nullable="null" in _types(node)))
    return pa.schema(fields)


def read_jsonl(path, name):
    """A JSONL output file read with its explicit schema."""
    import pyarrow.json as pj

    opts = pj.ParseOptions(explicit_schema=arrow_schema(name), unexpected_field_behavior="infer")
    return pj.read_json(path, parse_options=opts)


def features(name, free_form=None):
    """The `datasets.Features` of an output file. `datasets` needs every column typed:
    free-form fields are strings (all `null` for plain files) unless `free_form` types them."""
    import datasets

    free = {"metadata": pa.string()}
    free.update(free_form or {})
    return datasets.Features.from_arrow_schema(arrow_schema(name, free))
