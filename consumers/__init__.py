"""The department side of notices: the subscriber SDK."""

from consumers.seen import SeenIds
from consumers.subscriber import DepartmentSubscriber, Notice, SubscribeError

__all__ = ["DepartmentSubscriber", "Notice", "SeenIds", "SubscribeError"]
