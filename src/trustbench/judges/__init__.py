"""Per-response judges: refusal and the answer parsers shared by tasks."""

from .parsers import find_emails, parse_choice, parse_support_refute, parse_yes_no
from .refusal import COMPLIANCE, REFUSAL, RefusalJudge, RuleRefusalJudge, default_refusal_judge

__all__ = [
    "COMPLIANCE",
    "REFUSAL",
    "RefusalJudge",
    "RuleRefusalJudge",
    "default_refusal_judge",
    "find_emails",
    "parse_choice",
    "parse_support_refute",
    "parse_yes_no",
]
