"""The translators' workflow: UI catalogs, translator workbooks, coverage."""
