"""Tooling for the book as a whole (outside the course_lib package): run from the repository root."""
