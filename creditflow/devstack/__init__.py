"""The local stack of ``creditflow stack``: Apache Kafka (KRaft) and Redis as plain processes.

Everything lives under ``settings.devstack_dir``: jars, data, logs and pid files.
"""
