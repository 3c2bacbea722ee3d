package suggest

import "testing"

var options = []string{
	"host", "port", "listen", "ipv4", "ipv6", "threads", "trusted_proxy", "trusted_proxy_count",
	"url_prefix", "url_scheme", "ident", "backlog", "recv_bytes", "send_bytes", "connection_limit",
	"unix_socket", "unix_socket_perms", "channel_timeout", "cleanup_interval",
}

func TestNearest(t *testing.T) {
	for _, c := range []struct {
		name       string
		candidates []string
		want       string
	}{
		{"therads", options, "threads"},  // transposition
		{"thread", options, "threads"},   // deletion
		{"threadss", options, "threads"}, // insertion
		{"threats", options, "threads"},  // substitution
		{"prot", options, "port"},        // transposition in a short name: limit 1, counts as one edit
		{"hots", options, "host"},        // same
		{"THREADS", options, "threads"},  // case-insensitive
		{"Threads", []string{"threads"}, "threads"},
		{"unix_socket_perm", options, "unix_socket_perms"},
		{"url_prefx", options, "url_prefix"},
		{"chanel_timeout", options, "channel_timeout"},
		{"colour", options, ""}, // far from everything
		{"database_url", options, ""},
		{"xyz", options, ""},
		{"threads", options, ""}, // an exact match is not a suggestion
		{"threads", []string{"threads", "thread"}, "thread"},
		{"pot", []string{"port", "pot"}, "port"}, // exact match skipped, the next nearest given
		{"a", []string{"b"}, "b"},                // the limit is at least one edit
		{"ab", []string{"cd"}, ""},               // two edits in a short name are too many
		{"x", nil, ""},
		{"", []string{"a"}, "a"},
		{"", []string{"ab"}, ""},
		{"ab", []string{"ac", "aa"}, "aa"}, // ties go to the alphabetically first
		{"ab", []string{"aa", "ac"}, "aa"}, // whatever the candidates' order
		{"trusted_proxy_cont", options, "trusted_proxy_count"},
		{"tpyo", []string{"typo"}, "typo"},
	} {
		if got := Nearest(c.name, c.candidates); got != c.want {
			t.Errorf("Nearest(%q, %q) = %q, want %q", c.name, c.candidates, got, c.want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	if got := DidYouMean("therads", options); got != ` (did you mean "threads"?)` {
		t.Errorf("got %q", got)
	}
	if got := DidYouMean("colour", options); got != "" {
		t.Errorf("got %q, want nothing for a far name", got)
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"ab", "ba", 1}, // transposition is one edit, not two
		{"prot", "port", 1},
		{"abcd", "badc", 2},   // two transpositions
		{"ca", "abc", 3},      // optimal string alignment: no edits of transposed pairs
		{"héllo", "hello", 1}, // runes, not bytes
		{"日本", "本日", 1},
		{"flaw", "lawn", 2},
	} {
		if got := distance(c.a, c.b); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := distance(c.b, c.a); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d (symmetry)", c.b, c.a, got, c.want)
		}
	}
}
