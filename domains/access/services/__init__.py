"""The access domain's services (see ``domains.access``)."""
