# Pretty-prints one JSON document per input line, for people reading a demo.
# A string value under the key "text" that itself holds JSON (an MCP tool result)
# is decoded and printed as nested JSON too.  POSIX awk (mawk, gawk, busybox).
#   awk -f scripts/json-pretty.awk [-v prefix="  "] file

function pad(d,    s) {
    s = prefix
    while (d-- > 0) s = s "  "
    return s
}

# Decodes the escapes of a JSON string body (no quotes); \uXXXX stays escaped,
# which keeps it valid when the result is read again as JSON.
function unesc(s,    out, i, n, c) {
    out = ""
    n = length(s)
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (c == "\\") {
            i++
            c = substr(s, i, 1)
            if (c == "n") c = "\n"
            else if (c == "t") c = "\t"
            else if (c == "r") c = "\r"
            else if (c == "b") c = "\b"
            else if (c == "f") c = "\f"
            else if (c == "u") c = "\\u"
        }
        out = out c
    }
    return out
}

function nextchar(s, i, n,    c) {
    while (i <= n) {
        c = substr(s, i, 1)
        if (c != " " && c != "\t" && c != "\n" && c != "\r") return c
        i++
    }
    return ""
}

function pp(s, depth,    out, i, n, c, j, tok, body, key, inner, first) {
    out = ""
    n = length(s)
    key = ""
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (c == " " || c == "\t" || c == "\n" || c == "\r") continue
        if (c == "{" || c == "[") {
            j = i + 1
            while (j <= n && substr(s, j, 1) ~ /[ \t\r\n]/) j++
            if (substr(s, j, 1) == (c == "{" ? "}" : "]")) {
                out = out c substr(s, j, 1)
                i = j
                continue
            }
            depth++
            out = out c "\n" pad(depth)
        } else if (c == "}" || c == "]") {
            depth--
            out = out "\n" pad(depth) c
        } else if (c == ",") {
            out = out ",\n" pad(depth)
        } else if (c == ":") {
            out = out ": "
        } else if (c == "\"") {
            j = i + 1
            while (j <= n) {
                c = substr(s, j, 1)
                if (c == "\\") j += 2
                else if (c == "\"") break
                else j++
            }
            tok = substr(s, i, j - i + 1)
            body = substr(s, i + 1, j - i - 1)
            i = j
            if (nextchar(s, i + 1, n) == ":") {
                key = body
                out = out tok
                continue
            }
            inner = unesc(body)
            first = nextchar(inner, 1, length(inner))
            if (key == "text" && (first == "{" || first == "[")) out = out pp(inner, depth)
            else out = out tok
            key = ""
        } else {
            out = out c
        }
    }
    return out
}

{ print pad(0) pp($0, 0) }
