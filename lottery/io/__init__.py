"""Reading, validating and writing files. Nothing outside this package touches a CSV."""
