"""`serve --api-processes N` hands its settings to the API processes through the
environment; every setting must come back as it went (a list of CORS origins came back
as a Python repr, and no API process could start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stillmotion.config import Settings
from stillmotion.server import export_settings


def test_every_setting_survives_the_trip_through_the_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"STILLMOTION_{name.upper()}", raising=False)
    sent = Settings(data_dir=tmp_path, cors_origins=["https://app.example", "http://b:3000"],
                    workers=3, allow_private_urls=True, storage_url="s3://bucket/prefix")
    with monkeypatch.context() as env:
        for name in Settings.model_fields:  # export_settings writes os.environ directly
            env.setenv(f"STILLMOTION_{name.upper()}", "")
            env.delenv(f"STILLMOTION_{name.upper()}")
        export_settings(sent)
        received = Settings()
    assert received.model_dump() == sent.model_dump()
