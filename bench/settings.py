"""authq's settings for `make bench`: the product's, plus two trivial views to measure
against and a header with each response's server time and query count."""

from authq.settings import *  # noqa: F403
from authq.settings import MIDDLEWARE

# Measure the product as it runs in production: no debug bookkeeping of queries.
DEBUG = False
ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.ServerTiming", *MIDDLEWARE]
