"""Bytes in and out: image intake, safe URL fetch, output sizing, the MP4 writer."""
