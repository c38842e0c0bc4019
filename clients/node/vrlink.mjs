// Reference Node.js client of the vr-edge-agent VR link (protocol version 1).
//
// Frames are a 4-byte big-endian payload length, then one msgpack map with a
// string "type". The full specification is docs/vr-protocol.md.
//
//   const link = await VrLinkClient.connect({ path: "/run/edge-agent/vr.sock", client: "my-app/1.0" });
//   link.on("adaptation", (a) => scene.apply(a));
//   await link.request({ type: "session_start", session_id: "s1", protocol_id: "p1", scene_id: "beach" });
//   setInterval(() => { if (!link.activeAdaptation()) scene.neutral(); }, 100);

import net from "node:net";
import { EventEmitter } from "node:events";
import { encode, decode } from "@msgpack/msgpack";

export const PROTOCOL_VERSIONS = [1];
export const DEFAULT_MAX_FRAME = 65536;

/** One frame for `message` (a plain object with a `type`). */
export function encodeFrame(message) {
  const payload = encode(message, { ignoreUndefined: true });
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

/** Splits a byte stream into decoded frames; `push` returns [{message} | {error, fatal}]. */
export class FrameDecoder {
  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.maxFrame = maxFrame;
    this.buffer = Buffer.alloc(0);
    this.failed = false;
  }

  push(chunk) {
    if (this.failed) return [];
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const out = [];
    while (this.buffer.length >= 4) {
      const n = this.buffer.readUInt32BE(0);
      if (n > this.maxFrame) {
        // Not a length we can trust: the stream is out of step, give up on it.
        this.failed = true;
        out.push({ error: `frame length ${n} exceeds ${this.maxFrame}`, fatal: true });
        break;
      }
      if (this.buffer.length < 4 + n) break;
      const payload = this.buffer.subarray(4, 4 + n);
      this.buffer = this.buffer.subarray(4 + n);
      try {
        out.push({ message: decode(payload) });
      } catch (err) {
        out.push({ error: `bad frame: ${err.message}`, fatal: false });
      }
    }
    return out;
  }
}

/**
 * A connected, welcomed link. Events: "adaptation", "status", "heartbeat",
 * "error-frame" (an error frame from the agent), "quiet" (no frame for three
 * heartbeat intervals: the agent is gone or stuck), "close".
 */
export class VrLinkClient extends EventEmitter {
  /** Connect ({path} or {host, port, token}), send the hello, resolve with the client once welcomed. */
  static connect({ path, host, port, token, client = "vr-edge-agent-node/0.1.0", capabilities = ["adaptation", "status", "events"], timeoutMs = 5000 }) {
    return new Promise((resolve, reject) => {
      const socket = path ? net.createConnection({ path }) : net.createConnection({ host, port });
      const link = new VrLinkClient(socket);
      let settled = false;
      const timer = setTimeout(() => fail(new Error("no welcome within " + timeoutMs + " ms")), timeoutMs);
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once("error", fail);
      socket.once("close", () => fail(new Error("the agent closed the link before the welcome")));
      link.once("handshake", (msg) => {
        if (msg.type === "welcome") {
          settled = true;
          clearTimeout(timer);
          socket.off("error", fail);
          link._welcomed(msg);
          resolve(link);
        } else {
          fail(Object.assign(new Error(`${msg.code}: ${msg.message}`), { code: msg.code }));
        }
      });
      socket.once("connect", () => {
        link.send({ type: "hello", versions: PROTOCOL_VERSIONS, client, capabilities, token });
      });
    });
  }

  constructor(socket) {
    super();
    this.socket = socket;
    this.decoder = new FrameDecoder();
    this.welcome = null;
    this.current = null; // latest adaptation
    this.expiresAt = 0; // when it stops holding (ms, performance.now())
    this.nextId = 1;
    this.pending = new Map(); // request id -> {resolve, reject}
    this.lastFrameAt = performance.now();
    socket.on("data", (chunk) => this._onData(chunk));
    socket.on("close", () => this._onClose());
    socket.on("error", (err) => this.emit("socket-error", err));
  }

  send(message) {
    this.socket.write(encodeFrame(message));
  }

  /**
   * Send an event with a fresh id; resolves with the ack (the agent has recorded it), rejects with the
   * agent's error. "busy" is retried with the same id after the agent's `retry_after_s`, so the event is
   * recorded once however often it is sent. A lost link rejects: send the event again with the same id
   * after reconnecting (`request(message, {id})`).
   */
  async request(message, { id = this.nextId++, busyRetries = 20 } = {}) {
    const frame = { ...message, id, t_app: message.t_app ?? performance.now() / 1000 };
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          this.send(frame);
        });
      } catch (err) {
        if (err.code !== "busy" || attempt >= busyRetries) throw err;
        await new Promise((r) => setTimeout(r, (err.retryAfterS ?? 0.1) * 1000));
      }
    }
  }

  /** The adaptation to apply now, or null: neutral, because its time-to-live ran out. */
  activeAdaptation() {
    return performance.now() < this.expiresAt ? this.current : null;
  }

  close() {
    this.socket.end();
  }

  _welcomed(welcome) {
    this.welcome = welcome;
    this.decoder.maxFrame = welcome.max_frame;
    const intervalMs = welcome.heartbeat_s * 1000;
    this.heartbeatTimer = setInterval(() => {
      this.send({ type: "heartbeat", t: performance.now() / 1000 });
      if (performance.now() - this.lastFrameAt > 3 * intervalMs) this.emit("quiet");
    }, intervalMs);
  }

  _onData(chunk) {
    this.lastFrameAt = performance.now();
    for (const item of this.decoder.push(chunk)) {
      if (item.error) {
        this.emit("protocol-error", item.error);
        if (item.fatal) this.socket.destroy();
        continue;
      }
      this._dispatch(item.message);
    }
  }

  _dispatch(msg) {
    if (msg === null || typeof msg !== "object" || typeof msg.type !== "string") return;
    if (!this.welcome) {
      if (msg.type === "welcome" || msg.type === "error") this.emit("handshake", msg);
      return;
    }
    switch (msg.type) {
      case "adaptation":
        this.current = msg;
        this.expiresAt = performance.now() + msg.ttl_s * 1000; // counted from arrival, on our clock
        this.emit("adaptation", msg);
        break;
      case "ack":
        this.pending.get(msg.id)?.resolve(msg);
        this.pending.delete(msg.id);
        break;
      case "error": {
        const waiting = msg.id != null && this.pending.get(msg.id);
        if (waiting) {
          this.pending.delete(msg.id);
          const err = new Error(`${msg.code}: ${msg.message}`);
          waiting.reject(Object.assign(err, { code: msg.code, retryAfterS: msg.retry_after_s }));
        }
        this.emit("error-frame", msg);
        break;
      }
      case "status":
      case "heartbeat":
        this.emit(msg.type, msg);
        break;
      default:
        break; // unknown types are ignored: newer agents may send more
    }
  }

  _onClose() {
    clearInterval(this.heartbeatTimer);
    for (const { reject } of this.pending.values()) reject(new Error("link closed"));
    this.pending.clear();
    this.emit("close");
  }
}
