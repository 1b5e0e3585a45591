"""Cairn: push, pull and trace ML datasets and models in a Cairn registry (standard library only).

    from cairn import Registry, CairnError
    registry = Registry()   # CAIRN_URL and CAIRN_TOKEN, or Registry(url, token)
    v = registry.push("model.pkl", "acme/churn-model", kind="model", inputs=["acme/churn-data:latest"])
    registry.pull("acme/churn-data@1", "data/")

Every failure is a CairnError carrying the registry's `status`, `code`, `details` and `request_id`.
"""

from .client import CURRENT, Registry
from .errors import CairnError
from .models import Published, Pulled, Verified
from .run import Run
from .version import __version__

__all__ = ["CURRENT", "CairnError", "Published", "Pulled", "Registry", "Run", "Verified", "__version__"]
