"""pytest wiring for the exchangelib conformance tests against the Impersync EWS simulator.

The simulator base URL comes from IMPERSYNC_SIM_URL (e.g. http://127.0.0.1:8080). Without it the run
aborts with a usage error (non-zero exit status) instead of silently passing or skipping.
"""

import os

import pytest


def pytest_configure(config):
    if not os.environ.get("IMPERSYNC_SIM_URL", "").strip():
        raise pytest.UsageError(
            "IMPERSYNC_SIM_URL is not set. Start the Impersync simulator and export "
            "IMPERSYNC_SIM_URL=http://127.0.0.1:<port> before running the client conformance tests."
        )


@pytest.fixture(autouse=True)
def _isolate():
    from exchangelib.protocol import close_connections

    import simclient

    # exchangelib caches Protocol objects (with their Configuration, retry policy and pooled sessions)
    # per (endpoint, credentials); drop the cache so each test runs with exactly the config it builds.
    close_connections()
    simclient.control("POST", "/_sim/reset")
    simclient.clear_sent()
    yield
    close_connections()
    simclient.control("DELETE", "/_sim/faults")
