"""Stand-in for the real markers module: the checker reads marker names and never imports this."""


def _mark(obj):
    return obj


local_read = live = sync_job = local_port = live_port = _mark


def local_read(func):
    return func
