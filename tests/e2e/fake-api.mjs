// A scripted stand-in for the Anthropic Messages API on 127.0.0.1, for driving the real
// Claude Code CLI offline (ANTHROPIC_BASE_URL=http://127.0.0.1:<port>).
//
//   POST /v1/messages               the model: answered by `respond(body)` (streaming SSE
//                                   when the request asks for it, else one JSON message)
//   POST /v1/messages/count_tokens  {"input_tokens": N}, N estimated from the body size
//   GET  anything                   {}
//   anything else                   {} with status 200
//
// Every request is kept (method, path, parsed body) in `requests`, in arrival order, and
// appended to `logFile` as JSON lines when one is given.  No npm dependencies.
//
// Library use (tests/e2e/run.mjs):
//   const api = await startFakeApi({ respond: (body) => ({ content: [...], stop_reason }) });
//   api.port; api.requests; await api.close();
// Command line (manual runs, scripts/bench-hooks.sh): model requests that carry tools get
// the replies of a JSON file in order (each {"text"} or {"tool_use": {"name", "input"}},
// the last one repeated), or a fixed text; other requests (side queries) get that text.
//   node tests/e2e/fake-api.mjs [--port N] [--log FILE] [--reply TEXT] [--replies FILE]
// prints "port N" on stdout once listening, and stops on SIGINT or SIGTERM.

import http from "node:http";
import fs from "node:fs";
import { fileURLToPath } from "node:url";

let msgSeq = 0;

/** The message object a reply becomes (as the non-streaming API returns it). */
export function makeMessage(reply, model) {
    msgSeq += 1;
    return {
        id: `msg_fake_${String(msgSeq).padStart(6, "0")}`,
        type: "message",
        role: "assistant",
        model: model || "claude-fake",
        content: reply.content,
        stop_reason: reply.stop_reason || "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 20 },
    };
}

/** The SSE events of a message, as the streaming API sends them. */
export function sseEvents(message) {
    const ev = [];
    const start = { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } };
    ev.push(["message_start", { type: "message_start", message: start }]);
    message.content.forEach((block, index) => {
        if (block.type === "tool_use") {
            ev.push(["content_block_start", { type: "content_block_start", index,
                content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }]);
            ev.push(["content_block_delta", { type: "content_block_delta", index,
                delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input ?? {}) } }]);
        } else {
            ev.push(["content_block_start", { type: "content_block_start", index,
                content_block: { type: "text", text: "" } }]);
            ev.push(["content_block_delta", { type: "content_block_delta", index,
                delta: { type: "text_delta", text: block.text ?? "" } }]);
        }
        ev.push(["content_block_stop", { type: "content_block_stop", index }]);
    });
    ev.push(["message_delta", { type: "message_delta",
        delta: { stop_reason: message.stop_reason, stop_sequence: null },
        usage: { output_tokens: message.usage.output_tokens } }]);
    ev.push(["message_stop", { type: "message_stop" }]);
    return ev.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
}

/** A text reply. */
export function textReply(text) {
    return { content: [{ type: "text", text }], stop_reason: "end_turn" };
}

/**
 * Starts the server.  respond(body, request) returns {content, stop_reason} (or a Promise
 * of it); it defaults to a fixed text.  Resolves once listening.
 */
export function startFakeApi({ respond, port = 0, logFile = null } = {}) {
    const requests = [];
    const reply = respond || (() => textReply("ok"));
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", async () => {
            const raw = Buffer.concat(chunks).toString("utf8");
            let body = null;
            try {
                body = raw ? JSON.parse(raw) : null;
            } catch {
                body = { unparsed: raw.slice(0, 2000) };
            }
            const path = (req.url || "").split("?")[0];
            const entry = { at: Date.now(), method: req.method, path, url: req.url, body };
            requests.push(entry);
            if (logFile) fs.appendFileSync(logFile, JSON.stringify(entry) + "\n");
            const json = (status, obj) => {
                res.writeHead(status, { "content-type": "application/json", "request-id": "req_fake" });
                res.end(JSON.stringify(obj));
            };
            try {
                if (req.method !== "POST") return json(200, {});
                if (path.endsWith("/count_tokens")) {
                    return json(200, { input_tokens: Math.max(1, Math.round(raw.length / 4)) });
                }
                if (!path.endsWith("/v1/messages")) return json(200, {});
                const r = await reply(body, entry);
                entry.reply = r;
                const message = makeMessage(r, body && body.model);
                if (body && body.stream) {
                    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache",
                        "request-id": "req_fake" });
                    res.end(sseEvents(message));
                } else {
                    json(200, message);
                }
            } catch (e) {
                json(500, { type: "error", error: { type: "api_error", message: String(e && e.message) } });
            }
        });
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
            resolve({
                port: server.address().port,
                requests,
                close: () => new Promise((r) => {
                    server.closeAllConnections?.();
                    server.close(() => r());
                }),
            });
        });
    });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
    const args = process.argv.slice(2);
    const opt = (name, dflt) => {
        const i = args.indexOf(name);
        return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
    };
    const text = opt("--reply", "ok");
    const file = opt("--replies", null);
    const replies = file ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
    let next = 0;
    let seq = 0;
    const respond = (body) => {
        if (!replies.length || !(body && Array.isArray(body.tools) && body.tools.length)) return textReply(text);
        const r = replies[Math.min(next++, replies.length - 1)];
        if (!r.tool_use) return textReply(r.text ?? text);
        seq++;
        return { stop_reason: "tool_use", content: [{ type: "tool_use", id: `toolu_cli_${seq}`,
            name: r.tool_use.name, input: r.tool_use.input || {} }] };
    };
    const api = await startFakeApi({ port: Number(opt("--port", "0")), logFile: opt("--log", null), respond });
    process.stdout.write(`port ${api.port}\n`);
    const stop = async () => {
        await api.close();
        process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}
