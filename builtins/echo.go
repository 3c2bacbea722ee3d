package builtins

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/environ"
)

var echoKeys = []string{"max_body"}

// echoReport is the JSON document gowaitress#echo answers with.
type echoReport struct {
	Method     string      `json:"method"`
	Path       string      `json:"path"`     // r.URL.Path, decoded, without the script name
	RawPath    string      `json:"raw_path"` // the path as sent (escaped)
	RawQuery   string      `json:"raw_query"`
	ScriptName string      `json:"script_name"`
	Scheme     string      `json:"scheme"`
	Host       string      `json:"host"`
	ServerName string      `json:"server_name"`
	ServerPort string      `json:"server_port"`
	RemoteAddr string      `json:"remote_addr"`
	RemoteUser string      `json:"remote_user,omitempty"`
	Proto      string      `json:"proto"`
	Headers    http.Header `json:"headers"`
	BodyLength int64       `json:"body_length"`
	BodyCapped bool        `json:"body_truncated,omitempty"`
}

// EchoFactory is the app factory registered as "gowaitress#echo": it answers
// every request with 200 and a JSON description of the request as the
// application sees it — method, path (decoded and as sent), raw query,
// script name, scheme, Host, server name and port, client address, the
// REMOTE_USER a filter set, protocol, headers and the length of the body — to
// check what proxies, urlmap and prefix filters pass on. It is a diagnostic
// tool: it shows every request header (cookies and Authorization included)
// back to the client, so do not mount it where others can reach it.
//
// Settings:
//
//   - max_body (byte size, default 10M): the body is read and counted up to
//     this many bytes, then reading stops and body_truncated is true.
func EchoFactory(global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("gowaitress#echo", local, echoKeys); err != nil {
		return nil, err
	}
	g := config.NewGetter(local)
	maxBody := g.ByteSizeRange("max_body", 10<<20, 0, 1<<40)
	if err := g.Err(); err != nil {
		return nil, err
	}
	return echoApp{maxBody: maxBody}, nil
}

type echoApp struct{ maxBody int64 }

func (e echoApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, e.maxBody+1))
	rep := requestFacts(r)
	rep.BodyLength = n
	if n > e.maxBody {
		rep.BodyLength, rep.BodyCapped = e.maxBody, true
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rep)
}

// requestFacts describes r as an application sees it (for gowaitress#echo).
func requestFacts(r *http.Request) echoReport {
	h := r.Header
	if h == nil {
		h = http.Header{}
	}
	return echoReport{
		Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		ScriptName: environ.ScriptName(r), Scheme: environ.Scheme(r), Host: r.Host,
		ServerName: environ.ServerName(r), ServerPort: environ.ServerPort(r),
		RemoteAddr: r.RemoteAddr, RemoteUser: RemoteUser(r), Proto: r.Proto, Headers: h,
	}
}
