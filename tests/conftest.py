"""Suite-wide fixtures.

Starting a mesh configures qnb's JSON logging (our handler, ``propagate=False``); undo it after
every test so a later test's ``caplog`` sees ``qnb`` records no matter which tests ran before.
"""

import pytest


@pytest.fixture(autouse=True)
def _reset_qnb_logging():
    yield
    from qnb.observability import reset_logging
    reset_logging()
