"""idsync as a SCIM 2.0 / 1.1 service provider. IdPs push into the inbox (storage), and the inbox
is a Source for reconciliation; a source only reads, so provisioning each accepted write into the
targets is the service layer's (`idsync.service.provisioning`)."""
