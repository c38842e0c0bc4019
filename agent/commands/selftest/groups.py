"""The self-test's "decides from" step: which sensor groups the streamed sensors feed, and where that is weak.

The model decides from every group that streams and passes its quality gate. Its figures are of the kinds
of sensor the agent reads, a chest ECG lead and wrist pulses and skin conductance, except EEG's: EEGMAT's
recordings had eye, muscle and cardiac artifacts removed before release, and a consumer headband's EEG
alone read much of a calm minute as *elevated* (``models/distress/distress.md``, "Known limits"). A heart
or a skin beside the EEG has figures behind it, so EEG alone is warned about, not refused.
"""

from __future__ import annotations

from agent.commands.selftest.step import Context, Step
from agent.core.feature_specs import GROUPS
from agent.core.reasons import SENSOR_WORDS

EEG_ALONE = ("EEG alone: the model's EEG figures come from lab recordings cleaned of eye and muscle artifacts, and a "
             "consumer headband's EEG alone read much of a calm minute as elevated (model card, Known limits)")
EEG_ALONE_FIX = ("add a chest strap or a skin conductance band, so that the heart or the skin votes beside the EEG: "
                 "edge-agent provision --sensor ...")


async def check_groups(ctx: Context) -> list[Step]:
    """One step from what the sensors' check found (``ctx.feeds``); none when no sensor streamed."""
    fed = {g: [device for device, groups in ctx.feeds.items() if g in groups] for g in GROUPS}
    groups = [g for g in GROUPS if fed[g]]
    if not groups:
        return []  # each sensor's own step already says why it gives nothing
    figure = ", ".join(f"{SENSOR_WORDS[g]} ({', '.join(fed[g])})" for g in groups)
    if groups == ["eeg"]:
        return [Step("decides from", "warn", figure, EEG_ALONE, EEG_ALONE_FIX)]
    return [Step("decides from", "pass", figure, "the sensor groups that streamed without failing")]
