"""creditflow: a city's public credit information platform on Kafka, faust and Redis."""

__version__ = "0.1.0"
