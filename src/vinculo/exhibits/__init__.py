"""Forensic exhibits: lab results, tablet/package/press profiles, and attachments (photos and PDFs)
stored by content hash under the node home, shared with their record over TAXII."""
