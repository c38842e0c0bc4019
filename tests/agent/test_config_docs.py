"""docs/configuration.md documents every section and key the models accept, and cannot drift from them."""

from __future__ import annotations

import re

from agent.base.driver import Registry
from agent.config import FileConfig
from agent.config import docs as config_docs


def test_the_reference_in_the_docs_is_what_the_models_generate():
    text = config_docs.DOC.read_text(encoding="utf-8")
    assert config_docs.BEGIN in text and config_docs.END in text
    assert text == config_docs.render(text), "run: python -m agent.config.docs --write"


def test_every_key_has_words_and_no_stale_words_remain():
    missing, stale = config_docs.undocumented()
    assert missing == [] and stale == []


def test_every_section_and_driver_has_a_table():
    text = config_docs.DOC.read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+ `\[([^\]]+)\]`", text, re.M))
    assert {"sync", "sync.broker", "sync.broker.tls", "outbox", "vrlink", "vrlink.tcp"} <= headings
    assert {name for name in FileConfig.model_fields if name != "devices"} <= headings
    for driver in Registry().names():
        assert f'`driver = "{driver}"`' in text
    assert "| `stressor_s` |" in text and "| `password_file` |" in text
