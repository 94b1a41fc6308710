// Serves the bare git repositories under one folder over git's smart HTTP protocol on
// 127.0.0.1, through `git http-backend` (CGI), so that `claude plugin marketplace add
// http://127.0.0.1:<port>/<name>.git` clones it as it would a hosted repository (Claude
// Code clones shallowly, which git's dumb HTTP transport cannot serve).  No npm deps.
//
//   const srv = await startGitHttp(rootFolder); srv.port; await srv.close();

import http from "node:http";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";

export function startGitHttp(root) {
    const execPath = spawnSync("git", ["--exec-path"], { encoding: "utf8" }).stdout.trim();
    const backend = path.join(execPath, "git-http-backend");
    const server = http.createServer((req, res) => {
        const [pathInfo, query = ""] = (req.url || "/").split("?");
        const env = {
            PATH: process.env.PATH,
            GIT_PROJECT_ROOT: root,
            GIT_HTTP_EXPORT_ALL: "1",
            PATH_INFO: decodeURIComponent(pathInfo),
            QUERY_STRING: query,
            REQUEST_METHOD: req.method,
            CONTENT_TYPE: req.headers["content-type"] || "",
            REMOTE_ADDR: "127.0.0.1",
            GIT_PROTOCOL: req.headers["git-protocol"] || "",
            HTTP_CONTENT_ENCODING: req.headers["content-encoding"] || "",
        };
        const cgi = spawn(backend, [], { env, stdio: ["pipe", "pipe", "ignore"] });
        req.pipe(cgi.stdin);
        let head = Buffer.alloc(0);
        let headersDone = false;
        cgi.stdout.on("data", (chunk) => {
            if (headersDone) return res.write(chunk);
            head = Buffer.concat([head, chunk]);
            let sep = head.indexOf("\r\n\r\n");
            let sepLen = 4;
            if (sep < 0) {
                sep = head.indexOf("\n\n");
                sepLen = 2;
            }
            if (sep < 0) return;
            headersDone = true;
            let status = 200;
            const headers = {};
            for (const line of head.subarray(0, sep).toString("latin1").split(/\r?\n/)) {
                const i = line.indexOf(":");
                if (i < 0) continue;
                const k = line.slice(0, i).trim();
                const v = line.slice(i + 1).trim();
                if (k.toLowerCase() === "status") status = parseInt(v, 10) || 200;
                else headers[k] = v;
            }
            res.writeHead(status, headers);
            res.write(head.subarray(sep + sepLen));
        });
        cgi.on("close", () => {
            if (!headersDone) res.writeHead(500);
            res.end();
        });
        cgi.on("error", () => {
            if (!res.headersSent) res.writeHead(500);
            res.end();
        });
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () =>
            resolve({
                port: server.address().port,
                close: () => new Promise((r) => {
                    server.closeAllConnections?.();
                    server.close(() => r());
                }),
            }));
    });
}
