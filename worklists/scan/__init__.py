"""The authorization gap scan: what ../shared/spec/gap-detection.md calls the contract.

- `evaluate`: the pure part: the facts of an order and what the scan decides from them.
- `rules`: the payer rules, loaded once per version and matched as the spec says.
- `load`: reading the facts of a chunk of orders (plain SQL, a fixed number of queries).
- `apply`: bringing an order's work items in line with its findings (one transaction).
- `runs`: the full scan, in one process (the command) or in chunks over Celery workers
  (the beat); one at a time.
- `counts`: the queue overview's counts, kept by a trigger, read and compacted here.
- `visit_check`: the scheduler's question, one more visit on a day, decided by the walk.

See docs/scan.md for the choices where the spec is silent.
"""
