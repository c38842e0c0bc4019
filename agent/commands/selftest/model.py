"""The self-test's model step: the configured model loads, fit the features, and answer in time."""

from __future__ import annotations

import time

import numpy as np

from agent.commands.selftest.step import Context, Step
from agent.core.features import FEATURE_NAMES, GROUPS, FeatureVector
from agent.core.signals.quality import QualityReport
from agent.errors import ModelError

RUNS = 200
BUDGET_MS = 5.0  # the whole tick's budget; one inference must be a small part of it


async def check_model(ctx: Context) -> list[Step]:
    from agent.core.model.runtime import DistressModel  # numpy and the model: loaded only when the check runs
    from agent.runtime.updates.hook import installed_model  # the installed model update, if any

    directory, where = installed_model(ctx.config)
    try:
        model = DistressModel.load(directory)
    except ModelError as exc:
        return [Step("model", "fail", str(where), str(exc), "reinstall the agent, or set [model] dir to a folder with one exported model")]
    ctx.model_groups = model.groups
    n = len(FEATURE_NAMES)
    clean = {g: QualityReport(1.0, ()) for g in GROUPS}
    fv = FeatureVector(0.0, np.zeros(n, np.float32), np.ones(n, bool), clean, dict.fromkeys(GROUPS), 0.5)
    # a fresh input each run: the model answers a repeated one from its cache, which would time nothing
    zs = np.random.default_rng(0).normal(size=(RUNS, n)).astype(np.float32)
    times = []
    for z in zs:
        started = time.perf_counter()
        model.infer(z, fv)
        times.append(time.perf_counter() - started)
    p99 = float(np.percentile(times, 99)) * 1000
    figure = f"p99 {p99:.2f} ms"
    detail = f"{model.version} ({where}): sensor groups {', '.join(model.groups)}; run by {model.engine}"
    differ = model.meta.settings_differ(ctx.config.top.features)
    if differ:
        return [Step("model", "warn", figure, f"{detail}; trained with other feature settings: " + "; ".join(differ),
                     "remove those settings from the config, or install a model trained with them")]
    if p99 > BUDGET_MS:
        return [Step("model", "warn", figure, detail, "the machine is overloaded or too slow for the 5 ms tick budget")]
    return [Step("model", "pass", figure, detail)]
