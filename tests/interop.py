"""Loads the outputs of two runs together with pyarrow (and Hugging Face `datasets` when it is
installed), as corpus builders do. Run by tests/interop.rs: argv = the two output folders, the
first with right-to-left text and marked duplicates, the second without either.

- the same columns, in the same order, in both runs' files;
- JSONL read with the explicit schema of scripts/arrow_schema.py: one Arrow schema for both
  runs, in either order, and `datasets.load_dataset` with its features, in either order;
- JSONL inferred (no schema): concatenated with type promotion;
- Parquet (when the runs wrote it): one schema, in either order, also for `datasets`.
"""
import os
import sys

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from arrow_schema import features, read_jsonl  # noqa: E402

a, b = sys.argv[1], sys.argv[2]


def nonempty(path):
    return os.path.exists(path) and os.path.getsize(path) > 0


for name in ["segments", "documents", "duplicates"]:
    paths = [f"{d}/{name}.jsonl" for d in (a, b)]
    if not all(nonempty(p) for p in paths):
        continue  # segments.jsonl of a Parquet run; a run without duplicates
    inferred = [pj.read_json(p) for p in paths]
    assert inferred[0].column_names == inferred[1].column_names, f"{name}: columns differ"
    pa.concat_tables(inferred, promote_options="default")
    for order in (paths, paths[::-1]):
        typed = [read_jsonl(p, name) for p in order]
        assert typed[0].schema == typed[1].schema, f"{name}: schemas differ"
        t = pa.concat_tables(typed)
    print(f"{name}.jsonl: {t.num_rows} rows, {t.num_columns} columns, one schema")

reports = [pj.read_json(f"{d}/report.json") for d in (a, b)]
pa.concat_tables(reports, promote_options="default")
print("report.json: both runs together")

parquet = [f"{d}/segments.parquet" for d in (a, b)]
if all(os.path.exists(p) for p in parquet):
    tables = [pq.read_table(p) for p in parquet]
    assert tables[0].schema == tables[1].schema, "parquet schemas differ"
    t = pa.concat_tables(tables)
    print(f"segments.parquet: {t.num_rows} rows, one schema")

try:
    import datasets
except ImportError:
    print("datasets not installed: skipped")
    sys.exit(0)

datasets.disable_progress_bars()
if all(os.path.exists(p) for p in parquet):
    for order in (parquet, parquet[::-1]):
        ds = datasets.load_dataset("parquet", data_files=order, split="train")
    print(f"datasets segments.parquet: {ds.num_rows} rows")
for name in ["segments", "documents"]:
    files = [f"{d}/{name}.jsonl" for d in (a, b)]
    if not all(nonempty(f) for f in files):
        continue
    for order in (files, files[::-1]):
        ds = datasets.load_dataset("json", data_files=order, features=features(name), split="train")
    print(f"datasets {name}.jsonl: {ds.num_rows} rows, {len(ds.column_names)} columns")
