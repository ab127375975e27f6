"""The ground floor: settings and the answering policy, read by every package above and importing none of them."""

from config.policy import Policy, load_policy
from config.settings import DEFAULT_MODEL, MULTILINGUAL_DEFAULT, PROJECT_DIR, Settings

__all__ = ["DEFAULT_MODEL", "MULTILINGUAL_DEFAULT", "PROJECT_DIR", "Policy", "Settings", "load_policy"]
