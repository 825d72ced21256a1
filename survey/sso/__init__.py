"""Single sign-on: the municipality's identity provider (SAML 2.0 or OpenID Connect) says who
the user is and what they may do; `mapping` turns that into roles per team, `provision` into a
user. Nothing here decides access: survey.access does, from the memberships provisioned."""
