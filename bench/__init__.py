"""Load tests run by `make bench`; not shipped with the package."""
