"""master-data without its RED metrics middleware (see the package's docstring)."""

from benchmarks.uninstrumented import without_red_middleware

if __name__ == "__main__":
    without_red_middleware("master-data")
