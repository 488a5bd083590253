"""The department side: the publisher SDK and the file importer."""

from producers.publisher import Delivered, Delivery, DepartmentPublisher

__all__ = ["Delivered", "Delivery", "DepartmentPublisher"]
