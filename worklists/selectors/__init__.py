"""The read side of the pages: one module per page, each gathering what its page shows.

A selector takes ids, records and a day, and returns data (records, rows, counts). It
never writes: no service call that changes data, no audit row. The view that renders
the page records what it shows (patients.audit) itself, once, from what the selector
returned. tests/views/test_selectors_read_only.py runs each one in a read-only
transaction.
"""
