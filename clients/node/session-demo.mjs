#!/usr/bin/env node
// A scripted therapy session against a running agent, used by the test suite
// and handy by hand:
//
//   node session-demo.mjs --socket /run/edge-agent/vr.sock --adaptations 3
//
// It prints one JSON line per thing that happens, waits for the given number
// of adaptations, then reports a session: start, pain rating before, a
// marker, pain rating after, end. Every report waits for the agent's ack.
// Exit status 0 means every step was acknowledged.

import { parseArgs } from "node:util";
import { VrLinkClient } from "./vrlink.mjs";

const { values: args } = parseArgs({
  options: {
    socket: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    token: { type: "string" },
    adaptations: { type: "string", default: "3" },
    session: { type: "string", default: "demo-session" },
  },
});

const print = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

async function main() {
  const target = args.socket ? { path: args.socket } : { host: args.host, port: Number(args.port), token: args.token };
  const link = await VrLinkClient.connect({ ...target, client: "session-demo/0.1.0" });
  print({ event: "welcome", welcome: link.welcome });

  const wanted = Number(args.adaptations);
  let seen = 0;
  const adaptations = new Promise((resolve) => {
    if (wanted === 0) resolve();
    link.on("adaptation", (a) => {
      print({ event: "adaptation", seq: a.seq, level: a.level, distress: a.distress, ttl_s: a.ttl_s, reasons: a.reasons });
      if (++seen === wanted) resolve();
    });
  });
  link.on("status", (s) => print({ event: "status", quality: s.quality, sensors: s.sensors.length }));
  link.on("error-frame", (e) => print({ event: "error", code: e.code, message: e.message }));
  await adaptations;

  const session_id = args.session;
  const steps = [
    { type: "session_start", session_id, protocol_id: "graded-exposure-v2", scene_id: "beach" },
    { type: "pain_rating", session_id, nrs: 6, phase: "before" },
    { type: "marker", session_id, label: "scene-change", scene_id: "forest", value: 2.5 },
    { type: "pain_rating", session_id, nrs: 3, phase: "after" },
    { type: "session_end", session_id, reason: "completed" },
  ];
  for (const step of steps) {
    const ack = await link.request(step);
    print({ event: "ack", id: ack.id, ref: ack.ref });
  }
  print({ event: "done", active: link.activeAdaptation() !== null });
  link.close();
}

main().catch((err) => {
  process.stderr.write(`session-demo: ${err.message}\n`);
  process.exit(1);
});
