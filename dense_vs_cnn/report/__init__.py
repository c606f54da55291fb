"""The Markdown report a pull-request reviewer reads: template, figures, words per language."""
