package builtins

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

// statusApp answers with status, a header naming it, and a body; it first
// reads n bytes of the request body (-1: all) and appends what it read.
func statusApp(name string, status int, n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if n < 0 {
			body, _ = io.ReadAll(r.Body)
		} else if n > 0 {
			body = make([]byte, n)
			k, _ := io.ReadFull(r.Body, body)
			body = body[:k]
		}
		w.Header().Set("X-App", name)
		w.Header().Set("X-"+name, "1")
		w.WriteHeader(status)
		io.WriteString(w, name+":")
		w.Write(body)
	})
}

func buildCascade(t *testing.T, apps map[string]http.Handler, kv ...string) (http.Handler, *fakeLoader) {
	t.Helper()
	l := &fakeLoader{apps: apps}
	h, err := CascadeFactory(l, settings("DEFAULT", "g", "1"), settings("composite:main", kv...))
	if err != nil {
		t.Fatalf("CascadeFactory: %v", err)
	}
	return h, l
}

func TestCascadeOrderAndCatch(t *testing.T) {
	apps := map[string]http.Handler{
		"a404": statusApp("a404", 404, 0), "b500": statusApp("b500", 500, 0),
		"c200": statusApp("c200", 200, 0), "d404": statusApp("d404", 404, 0),
	}
	for _, tc := range []struct {
		name     string
		kv       []string
		loads    []string
		status   int
		body     string
		absentHd string
	}{
		{"default catch 404", []string{"app1", "a404", "app2", "c200"}, []string{"a404", "c200"}, 200, "c200:", "X-A404"},
		{"500 not caught by default", []string{"app1", "b500", "app2", "c200"}, []string{"b500", "c200"}, 500, "b500:", "X-C200"},
		{"catch list", []string{"catch", "404 500", "app1", "b500", "app2", "a404", "app3", "c200"}, []string{"b500", "a404", "c200"}, 200, "c200:", "X-B500"},
		{"last failure used", []string{"app1", "a404", "app2", "d404"}, []string{"a404", "d404"}, 404, "d404:", "X-A404"},
		{"numeric key order", []string{"app10", "c200", "app2", "a404", "app1", "b500", "catch", "500 404"}, []string{"c200", "a404", "b500"}, 200, "c200:", "X-A404"},
		{"empty catch", []string{"catch", "", "app1", "a404", "app2", "c200"}, []string{"a404", "c200"}, 404, "a404:", "X-C200"},
		{"single app", []string{"app", "a404"}, []string{"a404"}, 404, "a404:", ""},
		{"named keys", []string{"app_static", "a404", "app_main", "c200"}, []string{"a404", "c200"}, 200, "c200:", "X-A404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, l := buildCascade(t, apps, tc.kv...)
			if !reflect.DeepEqual(l.names(), tc.loads) {
				t.Errorf("loads %v, want %v", l.names(), tc.loads)
			}
			for _, ld := range l.loads {
				if ld.global["g"] != "1" {
					t.Errorf("child %s did not get the global settings", ld.name)
				}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req{host: str("h"), path: "/"}.build(t))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			if tc.absentHd != "" && rec.Header().Get(tc.absentHd) != "" {
				t.Errorf("header %s of a skipped app leaked", tc.absentHd)
			}
		})
	}
}

func TestCascadeImplicitStatus(t *testing.T) {
	silent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Silent", "1") })
	writer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	early := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusNotFound)
	})
	apps := map[string]http.Handler{"silent": silent, "writer": writer, "early": early, "ok": statusApp("ok", 201, 0)}

	h, _ := buildCascade(t, apps, "app1", "silent", "app2", "ok")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req{host: str("h"), path: "/"}.build(t))
	if rec.Code != 200 || rec.Header().Get("X-Silent") != "1" {
		t.Errorf("silent app: %d %v", rec.Code, rec.Header())
	}
	h, _ = buildCascade(t, apps, "catch", "200", "app1", "silent", "app2", "writer", "app3", "ok")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req{host: str("h"), path: "/"}.build(t))
	if rec.Code != 201 || rec.Header().Get("X-Silent") != "" {
		t.Errorf("catch 200: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	h, _ = buildCascade(t, apps, "app1", "early", "app2", "ok")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req{host: str("h"), path: "/"}.build(t))
	if rec.Code != 201 {
		t.Errorf("early hints: %d", rec.Code)
	}
}

func TestCascadeStreamsPassedResponse(t *testing.T) {
	flushed := false
	streamer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "part1")
		w.(http.Flusher).Flush()
		flushed = true
		io.WriteString(w, "part2")
	})
	h, _ := buildCascade(t, map[string]http.Handler{"s": streamer}, "app1", "s", "app2", "other")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req{host: str("h"), path: "/"}.build(t))
	if !flushed || !rec.Flushed || rec.Body.String() != "part1part2" || rec.Code != 200 {
		t.Errorf("flushed %v %v, body %q, code %d", flushed, rec.Flushed, rec.Body.String(), rec.Code)
	}
}

func TestCascadeReplaysBody(t *testing.T) {
	for _, size := range []int{0, 10, memLimit - 1, memLimit + 12345} {
		body := strings.Repeat("0123456789abcdef", size/16+1)[:size]
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		apps := map[string]http.Handler{
			"partial": statusApp("partial", 404, 7),
			"all404":  statusApp("all404", 404, -1),
			"none":    statusApp("none", 404, 0),
			"final":   statusApp("final", 200, -1),
		}
		h, _ := buildCascade(t, apps, "app1", "partial", "app2", "none", "app3", "all404", "app4", "final")
		rec := httptest.NewRecorder()
		r := req{method: http.MethodPost, host: str("h"), path: "/", body: body}.build(t)
		if size == 0 {
			r.Body = http.NoBody
		}
		h.ServeHTTP(rec, r)
		if got := rec.Body.String(); got != "final:"+body {
			t.Errorf("size %d: final app got %d bytes (want %d)", size, len(got)-6, size)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("size %d: temporary files left: %v", size, ents)
		}
	}
}

func TestCascadeDoesNotChangeRequest(t *testing.T) {
	mutator := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Mutated", "1")
		r.URL.Path = "/changed"
		w.WriteHeader(404)
	})
	var seen *http.Request
	last := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r })
	h, _ := buildCascade(t, map[string]http.Handler{"m": mutator, "l": last}, "app1", "m", "app2", "l")
	r := req{host: str("h"), path: "/orig"}.build(t)
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen.Header.Get("X-Mutated") != "" || seen.URL.Path != "/orig" || r.URL.Path != "/orig" {
		t.Errorf("mutation leaked: %v %q", seen.Header, seen.URL.Path)
	}
}

func TestCascadeSettingErrors(t *testing.T) {
	for _, tc := range []struct {
		kv       []string
		kind     error
		contains []string
	}{
		{[]string{"app1", "a", "bogus", "b"}, pastedeploy.ErrUnknownSetting, []string{"bogus", "catch", "app1"}},
		{[]string{"app1", "a", "catch", "404 nope"}, pastedeploy.ErrInvalidSetting, []string{"catch", `"404 nope"`}},
		{[]string{"app1", "a", "catch", "99"}, pastedeploy.ErrInvalidSetting, []string{"catch"}},
		{[]string{"app1", "a", "catch", "404,500"}, pastedeploy.ErrInvalidSetting, []string{"catch"}},
		{[]string{"app1", " "}, pastedeploy.ErrInvalidSetting, []string{"app1", "names no application"}},
		{[]string{"catch", "404"}, pastedeploy.ErrMissingSetting, []string{"at least one application"}},
		{nil, pastedeploy.ErrMissingSetting, []string{"at least one application"}},
	} {
		t.Run(strings.Join(tc.kv, "="), func(t *testing.T) {
			l := &fakeLoader{}
			_, err := CascadeFactory(l, nil, settings("composite:main", tc.kv...))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if len(l.loads) != 0 {
				t.Errorf("loaded %v despite the error", l.names())
			}
		})
	}
	l := &fakeLoader{missing: map[string]bool{"x": true}}
	if _, err := CascadeFactory(l, nil, settings("composite:main", "app1", "a", "app2", "x")); !errors.Is(err, pastedeploy.ErrMissingSection) {
		t.Errorf("loader error: %v", err)
	}
}

func TestNaturalCompare(t *testing.T) {
	keys := []string{"app10", "app", "app2", "app1", "app01", "app_b", "app_a", "app1a", "app100", "app9z"}
	want := []string{"app", "app01", "app1", "app1a", "app2", "app9z", "app10", "app100", "app_a", "app_b"}
	got := append([]string(nil), keys...)
	sortStrings(got, naturalCompare)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if naturalCompare("app1", "app1") != 0 || naturalCompare("a", "b") >= 0 {
		t.Error("basic comparisons")
	}
}

func sortStrings(s []string, cmp func(a, b string) int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && cmp(s[j-1], s[j]) > 0; j-- {
			s[j-1], s[j] = s[j], s[j-1]
		}
	}
}

func TestCascadeWriterEdges(t *testing.T) {
	caughtFlush := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Caught", "1")
		w.WriteHeader(404)
		w.(http.Flusher).Flush()
		w.WriteHeader(200) // after the decision: ignored
		w.Write([]byte("dropped"))
		if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("ResponseController through Unwrap: %v", err)
		}
	})
	passing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-A", "1")
		w.WriteHeader(201)
		w.Header().Set("X-Late", "1") // the real header map from now on
		w.WriteHeader(500)            // superfluous, passed on
		w.Write([]byte("ok"))
		w.(http.Flusher).Flush()
	})
	h, _ := buildCascade(t, map[string]http.Handler{"c": caughtFlush, "p": passing}, "app1", "c", "app2", "p", "app3", "never")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req{host: str("h"), path: "/"}.build(t))
	res := rec.Result()
	if res.StatusCode != 201 || res.Header.Get("X-A") != "1" || res.Header.Get("X-Caught") != "" || rec.Body.String() != "ok" || !rec.Flushed {
		t.Errorf("got %d %v %q flushed=%v", res.StatusCode, res.Header, rec.Body.String(), rec.Flushed)
	}
	if rec.Header().Get("X-Late") != "1" {
		t.Error("header set after WriteHeader did not reach the real header map")
	}
	// The replay reader's Close is a no-op that leaves the body readable.
	rr := &replayReader{rec: &bodyRecorder{src: io.NopCloser(strings.NewReader("abc"))}}
	if err := rr.Close(); err != nil {
		t.Error(err)
	}
	if b, _ := io.ReadAll(rr); string(b) != "abc" {
		t.Errorf("read %q", b)
	}
}
