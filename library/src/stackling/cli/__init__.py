"""``stackling-manage``: the operator's command line on the controller."""
