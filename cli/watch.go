package cli

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/gowaitress/gowaitress/pastedeploy"
)

// pserveKeys are the keys of the [pserve] section. watch_files and
// ignore_files are for --reload; open_url (pserve --browser) is accepted and
// ignored.
var pserveKeys = []string{"watch_files", "ignore_files", "open_url"}

// readPserveSection reads [pserve] as pserve does on every start, so a broken
// value there is fatal; unknown keys are warned about, not refused, so files
// written for pserve keep loading. It returns the watch_files patterns
// (relative ones joined to the config file's directory) and the
// ignore_files patterns.
func readPserveSection(path string, vars map[string]string, log *zap.Logger) (watch, ignore []string, err error) {
	ps, err := pastedeploy.SectionSettings(path, "pserve", pastedeploy.WithVars(vars))
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Dir(absPath(path))
	for k, v := range ps.Local.All() {
		switch k {
		case "watch_files":
			for _, entry := range lines(v.Raw) {
				if strings.Contains(entry, ":") {
					log.Warn("watch_files: asset specs (package:path) have no meaning in Go; entry ignored",
						zap.String("entry", entry), zap.String("where", v.Origin.String()))
					continue
				}
				if !filepath.IsAbs(entry) {
					entry = filepath.Join(dir, entry)
				}
				watch = append(watch, entry)
			}
		case "ignore_files":
			ignore = append(ignore, lines(v.Raw)...)
		default:
			if !slices.Contains(pserveKeys, k) {
				log.Warn("unknown [pserve] setting ignored", zap.String("key", k), zap.String("where", v.Origin.String()))
			}
		}
	}
	return watch, ignore, nil
}

// lines returns the non-empty lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// watcher polls files every interval and reports the first one that changed
// (size, modification time or content), appeared or disappeared.
type watcher struct {
	files    []string // plain paths (the config files)
	patterns []string // watch_files globs ("**" crosses directories)
	ignore   []*regexp.Regexp
	paths    []string // what was watched at the start, for -vv
	changes  chan string
	quit     chan struct{}
}

type fileState struct {
	exists bool
	size   int64
	mtime  time.Time
	sum    [32]byte
}

// newWatcher polls the files and patterns every interval. base, when not
// nil, holds states taken earlier (before a reload read the files): a path
// in it is compared with that state, so that an edit made since is seen.
func newWatcher(files, patterns, ignore []string, interval time.Duration, base map[string]fileState) *watcher {
	w := &watcher{files: files, patterns: patterns, changes: make(chan string, 1), quit: make(chan struct{})}
	for _, p := range ignore {
		w.ignore = append(w.ignore, fnmatch(p))
	}
	before := w.snapshot()
	for p := range before {
		if st, ok := base[p]; ok {
			before[p] = st
		}
	}
	for p := range before {
		w.paths = append(w.paths, p)
	}
	slices.Sort(w.paths)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-w.quit:
				return
			case <-t.C:
			}
			now := w.snapshot()
			if p, changed := diff(before, now); changed {
				select {
				case w.changes <- p:
				default:
				}
			}
			before = now
		}
	}()
	return w
}

func (w *watcher) stop() { close(w.quit) }

// snapshot states every watched path.
func (w *watcher) snapshot() map[string]fileState {
	out := map[string]fileState{}
	add := func(p string) {
		for _, re := range w.ignore {
			if re.MatchString(p) {
				return
			}
		}
		out[p] = stat(p)
	}
	for _, f := range w.files {
		add(f)
	}
	for _, pat := range w.patterns {
		for _, p := range glob(pat) {
			add(p)
		}
	}
	return out
}

func stat(p string) fileState {
	fi, err := os.Stat(p)
	if err != nil {
		return fileState{}
	}
	st := fileState{exists: true, size: fi.Size(), mtime: fi.ModTime()}
	if fi.Mode().IsRegular() {
		if data, err := os.ReadFile(p); err == nil {
			st.sum = sha256.Sum256(data)
		}
	}
	return st
}

// diff returns a path whose state differs between the snapshots.
func diff(a, b map[string]fileState) (string, bool) {
	for p, s := range b {
		if a[p] != s {
			return p, true
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			return p, true
		}
	}
	return "", false
}

// glob expands a watch_files pattern: "*", "?" and "[...]" within a path
// segment, "**" across directories. A pattern without them is the path.
func glob(pattern string) []string {
	if !strings.ContainsAny(pattern, "*?[") {
		return []string{pattern}
	}
	if !strings.Contains(pattern, "**") {
		m, _ := filepath.Glob(pattern)
		return m
	}
	root := pattern[:strings.Index(pattern, "**")]
	root = root[:strings.LastIndexByte(root, '/')+1]
	re := globRegexp(pattern)
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && re.MatchString(p) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// globRegexp compiles a glob where "**/" matches any number of directories
// and "*" anything within a segment.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case strings.HasPrefix(pattern[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(pattern[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// fnmatch compiles a shell pattern as Python's fnmatch does: "*" matches
// anything, "/" included; "?" one character; "[...]" a set.
func fnmatch(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			if j := strings.IndexByte(pattern[i+1:], ']'); j >= 0 {
				set := pattern[i+1 : i+1+j]
				if strings.HasPrefix(set, "!") {
					set = "^" + set[1:]
				}
				b.WriteString("[" + strings.ReplaceAll(set, `\`, `\\`) + "]")
				i += j + 1
				continue
			}
			b.WriteString(`\[`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile("^" + regexp.QuoteMeta(pattern) + "$")
	}
	return re
}
