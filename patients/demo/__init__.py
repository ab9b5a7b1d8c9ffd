"""A synthetic practice for demos and benchmarks (`manage.py seed_demo`).

Every person is invented: patients and providers get made-up compound surnames
("Birch-Lark"), phone numbers in the fictional 555-01xx range and example.com
addresses. A seed always gives the same practice for the same as_of; dates are
relative to as_of, so a fresh seed always has fresh gaps for the scan. The first
patients are a fixed showcase (catalogue.SHOWCASE), one situation each; the rest are
drawn from the catalogue's weights. 50,000 patients (about a million appointments)
are written with COPY in well under a minute.
"""

from __future__ import annotations

from patients.demo.build import CHUNK_PATIENTS, DEFAULT_PASSWORD, PASSWORD_ENV, Summary, seed

__all__ = ["CHUNK_PATIENTS", "DEFAULT_PASSWORD", "PASSWORD_ENV", "Summary", "seed"]
