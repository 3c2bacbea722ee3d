package server

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowaitress/gowaitress/environ"
)

// latin1 maps each byte of s to the rune with the same value.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

var (
	watchMu     sync.Mutex
	watchResult = "none"
)

// probeApp is the probe application of testdata/conformance/http/README.md.
func probeApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		do := q.Get("do")
		var body []byte
		if do != "noread" {
			body, _ = io.ReadAll(r.Body)
		}
		switch do {
		case "", "echo", "noread":
			host, port, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host, port = r.RemoteAddr, ""
			}
			hdrs := map[string][]string{}
			for k, vs := range r.Header {
				if k == "Host" || k == "Content-Length" {
					continue
				}
				var l []string
				for _, v := range vs {
					l = append(l, latin1(v))
				}
				hdrs[latin1(k)] = l
			}
			proto := r.Proto
			out, _ := json.Marshal(map[string]any{
				"method": latin1(r.Method), "path": latin1(r.URL.Path), "script_name": environ.ScriptName(r),
				"query": latin1(r.URL.RawQuery), "request_uri": latin1(r.RequestURI), "proto": proto,
				"host": latin1(r.Host), "remote_addr": host, "remote_port": port,
				"scheme": environ.Scheme(r), "server_name": environ.ServerName(r), "server_port": environ.ServerPort(r),
				"headers": hdrs, "body": latin1(string(body)), "content_length": r.ContentLength,
			})
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(out)))
			w.Write(out)
		case "len":
			s := strconv.Itoa(len(body))
			w.Header().Set("Content-Length", strconv.Itoa(len(s)))
			io.WriteString(w, s)
		case "gen":
			n := 3
			if v := q.Get("n"); v != "" {
				n, _ = strconv.Atoi(v)
			}
			w.Header().Set("Content-Type", "text/plain")
			for i := 0; i < n; i++ {
				io.WriteString(w, "chunk"+strconv.Itoa(i)+";")
				w.(http.Flusher).Flush()
			}
		case "cl":
			w.Header().Set("Content-Type", "text/plain")
			w.Header()["Content-Length"] = []string{q.Get("cl")}
			if b := q.Get("body"); b != "" {
				io.WriteString(w, b)
			}
		case "status":
			w.Header().Set("Content-Type", "text/plain")
			if q.Has("cl") {
				w.Header()["Content-Length"] = []string{q.Get("cl")}
			}
			code, _ := strconv.Atoi(q.Get("code"))
			w.WriteHeader(code)
			if b := q.Get("body"); b != "" {
				io.WriteString(w, b)
			}
		case "hdr":
			w.Header().Set("Content-Length", "3")
			w.Header()[q.Get("name")] = []string{q.Get("value")}
			io.WriteString(w, "hdr")
		case "multi":
			h := w.Header()
			h["x-api-KEY"] = []string{"v"}
			h.Add("Set-Cookie", "b=2")
			h["WWW-Authenticate"] = []string{"Basic"}
			h.Add("Set-Cookie", "a=1")
			h["ETag"] = []string{`"e"`}
			h["a-header"] = []string{"a"}
			h.Set("Content-Length", "5")
			io.WriteString(w, "multi")
		case "raise_before":
			panic(msgOr(q.Get("msg")))
		case "raise_after_header":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(200)
			panic(msgOr(q.Get("msg")))
		case "raise_after":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "abc")
			w.(http.Flusher).Flush()
			panic(msgOr(q.Get("msg")))
		case "big":
			n, _ := strconv.Atoi(q.Get("n"))
			w.Header().Set("Content-Type", "application/octet-stream")
			if q.Get("cl") == "1" {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			chunk := []byte(strings.Repeat("x", 65536))
			for n > 0 {
				k := min(n, len(chunk))
				w.Write(chunk[:k])
				n -= k
			}
		case "sleep":
			f, _ := strconv.ParseFloat(q.Get("s"), 64)
			time.Sleep(time.Duration(f * float64(time.Second)))
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "slept")
		case "watch":
			f, _ := strconv.ParseFloat(q.Get("s"), 64)
			watchMu.Lock()
			watchResult = "pending"
			watchMu.Unlock()
			res := "still-connected"
			select {
			case <-r.Context().Done():
				res = "disconnected"
			case <-time.After(time.Duration(f * float64(time.Second))):
			}
			watchMu.Lock()
			watchResult = res
			watchMu.Unlock()
			w.Header().Set("Content-Length", strconv.Itoa(len(res)))
			io.WriteString(w, res)
		case "watch_result":
			watchMu.Lock()
			res := watchResult
			watchMu.Unlock()
			w.Header().Set("Content-Length", strconv.Itoa(len(res)))
			io.WriteString(w, res)
		default:
			http.NotFound(w, r)
		}
	})
}

func msgOr(m string) string {
	if m == "" {
		return "probe panic"
	}
	return m
}
