from domains.ar.first import First


class Second(First):
    pass
