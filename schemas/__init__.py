"""The event contract: Avro schemas (``avro/*.avsc``), their codec, events and identifiers."""
