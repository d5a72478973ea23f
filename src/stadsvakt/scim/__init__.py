"""SCIM 2.0 provisioning (RFC 7643/7644) of people and groups, on scim2-server."""
