"""What the office hands out from a verified results folder: the ``report`` and the
``letters``."""
