"""The API's own services: service modules of the data-flow contract, as in the real tree."""
