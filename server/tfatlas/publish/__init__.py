"""The open-data release: published data, files and tables, the DCAT-AP.de catalogue, writing it."""
