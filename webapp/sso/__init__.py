"""Sign-in: OpenID Connect and LDAP/AD backends with group mapping, and login throttling."""
