"""The ``danang-sdi`` command line; library code never imports click."""
