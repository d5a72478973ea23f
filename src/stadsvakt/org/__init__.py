"""Organisation model: municipalities (tenants), organisation units and sites."""
