"""The distress model: trained heads (``distress/*.onnx``) with their model cards, and the
training and evaluation code that made them (``python -m models.train``)."""
