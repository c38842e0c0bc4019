"""The config writer's output reads back as the same data (property test against tomllib)."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from agent.commands.provision.toml_writer import dumps

keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
scalars = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20))
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(keys, scalars, max_size=3).map(lambda d: [d]))
tables = st.recursive(st.dictionaries(keys, values, max_size=4),
                      lambda inner: st.dictionaries(keys, st.one_of(values, inner), max_size=4), max_leaves=12)


@given(tables)
def test_round_trip(data: dict) -> None:
    assert tomllib.loads(dumps(data)) == data


def test_a_config_reads_as_written() -> None:
    cfg = {"agent": {"state_dir": "/var/lib/edge-agent"},
           "sync": {"site": "clinic-a", "device": "h-1", "broker": {"host": "h", "port": 8883, "tls": {"ca_file": "/c"}}},
           "devices": {"chest-strap": {"driver": "sim-chest-strap", "faults": [{"kind": "dropout", "at_s": 1.0}]}}}
    text = dumps(cfg, header="hello")
    assert text.startswith("# hello\n") and "[sync.broker.tls]" in text
    assert tomllib.loads(text) == cfg
