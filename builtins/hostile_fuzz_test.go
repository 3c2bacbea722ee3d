package builtins

import (
	"net/url"
	"strings"
	"testing"
)

// The static path check never lets a ".." or dot segment, a backslash, NUL or
// an absolute path through, whatever the request target.
func FuzzStaticRelPath(f *testing.F) {
	for _, s := range []string{"/a", "/../x", "/%2e%2e/x", "/a%2Fb", "/.well-known/x", "//a", "/a/./b", "/a\\b", "/%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		rel, ok := staticRelPath(u)
		if !ok {
			return
		}
		if strings.HasPrefix(rel, "/") || strings.ContainsAny(rel, "\\\x00") {
			t.Fatalf("%q -> %q", target, rel)
		}
		for _, seg := range strings.Split(rel, "/") {
			if seg == ".." || (strings.HasPrefix(seg, ".") && seg != "." && seg != ".well-known") {
				t.Fatalf("%q -> %q", target, rel)
			}
		}
	})
}

// Header parsers never panic on hostile input.
func FuzzHeaderParsers(f *testing.F) {
	for _, s := range []string{"gzip;q=0.5", "bytes=0-1,2-3", "*;q=0", "bytes=-5", ";;q==", "bytes=9223372036854775807-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = acceptsGzip([]string{s})
		_ = acceptsCoding([]string{s}, "br")
		_ = sensibleRange(s, 100)
		_ = sensibleRange(s, 0)
		_ = validHostPort(s)
		_, _ = parseAddrPattern(s, true)
	})
}
