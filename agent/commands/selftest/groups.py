"""The self-test's "decides from" step: which sensor groups the streamed sensors feed that the model reads, and
where that is weak.

The model decides from every group it reads that streams and passes its quality gate. A model update may read
fewer groups than the packaged model, so a sensor it does not read is named, and the step fails when nothing
else streams. The packaged model's figures are of the kinds of sensor the agent reads, a chest ECG lead and
wrist pulses and skin conductance, except EEG's: EEGMAT's recordings had eye, muscle and cardiac artifacts
removed before release, and a consumer headband's EEG alone read much of a calm minute as *elevated*
(``models/distress/distress.md``, "Known limits"). A heart or a skin beside the EEG has figures behind it, so
EEG alone is warned about, not refused.
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
    """One step from what the sensors' and the model's checks found (``ctx.feeds``, ``ctx.model_groups``); none
    when no sensor streamed or the model did not load (their own steps say why)."""
    if ctx.model_groups is None:
        return []
    fed = {g: [device for device, groups in ctx.feeds.items() if g in groups] for g in GROUPS}
    read = [g for g in GROUPS if fed[g] and g in ctx.model_groups]
    unread = "; ".join(f"{SENSOR_WORDS[g]} ({', '.join(fed[g])}) streams, but the model does not read it"
                       for g in GROUPS if fed[g] and g not in ctx.model_groups)
    if not read and not unread:
        return []
    if not read:
        wanted = ", ".join(SENSOR_WORDS[g] for g in ctx.model_groups)
        return [Step("decides from", "fail", "nothing", unread,
                     f"pair a sensor the model reads ({wanted}), or install a model that reads these")]
    figure = ", ".join(f"{SENSOR_WORDS[g]} ({', '.join(fed[g])})" for g in read)
    if read == ["eeg"]:
        return [Step("decides from", "warn", figure, "; ".join(filter(None, (EEG_ALONE, unread))), EEG_ALONE_FIX)]
    return [Step("decides from", "pass", figure, unread or "the sensor groups that streamed without failing")]
