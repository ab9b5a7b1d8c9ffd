"""A synthetic practice for demos and benchmarks (`manage.py seed_demo`, demo.build.seed).

Every person is invented: patients and providers get made-up compound surnames
("Birch-Lark"), phone numbers in the fictional 555-01xx range and example.com
addresses. A seed always gives the same practice for the same as_of; dates are
relative to as_of, so a fresh seed always has fresh gaps for the scan. The first
patients are a fixed showcase (catalogue.SHOWCASE), one situation each; the rest are
drawn from the catalogue's weights. 50,000 patients (about a million appointments)
are written with COPY in well under a minute.

An app of its own above the records: it writes every app's tables, and none imports it.
"""
