package builtins

import (
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

// CascadeFactory is the composite factory registered as "Paste#cascade"
// (egg:Paste#cascade, Paste's make_cascade): it tries applications in turn
// until one answers with a status that is not caught.
//
// Settings:
//
//   - app1, app2, ... (every key starting with "app"): the applications (names
//     or URIs, as for `use`), at least one. They are loaded in file order,
//     with the composite's global settings, and tried in the order of their
//     keys, with runs of digits compared as numbers (app2 before app10;
//     Paste compares the keys as plain strings, which puts app10 first).
//   - catch (default "404"): the statuses, separated by whitespace, that make
//     the cascade try the next application. The last application's response
//     is always used.
//
// Any other key is an error. A tried application's response is held back
// until its status is known: a caught response is discarded, any other is
// passed on (and from then on streamed). The request body is recorded as the
// first application reads it (in memory, then in a temporary file above 1 MiB)
// so that each application can read it from the start.
func CascadeFactory(loader pastedeploy.Loader, global, local *config.Settings) (http.Handler, error) {
	type app struct{ key, name string }
	var (
		apps []app
		errs []error
	)
	c := &cascade{catch: map[int]bool{404: true}}
	for key, v := range local.All() {
		switch {
		case key == "catch":
			c.catch = map[int]bool{}
			for _, f := range strings.Fields(v.Raw) {
				n, err := config.ParseIntRange(f, 100, 599)
				if err != nil {
					errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, key, v,
						"want HTTP status codes (100 to 599) separated by spaces, got %q", v.Raw))
					break
				}
				c.catch[n] = true
			}
		case strings.HasPrefix(key, "app"):
			if strings.TrimSpace(v.Raw) == "" {
				errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, key, v,
					"names no application"))
				continue
			}
			apps = append(apps, app{key, v.Raw})
		default:
			errs = append(errs, settingError(pastedeploy.ErrUnknownSetting, key, v,
				"unknown setting for Paste#cascade: its settings are \"catch\" and the applications "+
					"app1, app2, ... (keys starting with \"app\")"))
		}
	}
	if len(apps) == 0 && len(errs) == 0 {
		errs = append(errs, &pastedeploy.Error{Kind: pastedeploy.ErrMissingSetting,
			Msg: "Paste#cascade needs at least one application (app1 = NAME)"})
	}
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	handlers := make(map[string]http.Handler, len(apps))
	for _, a := range apps {
		h, err := loader.GetApp(a.name, global)
		if err != nil {
			return nil, err
		}
		handlers[a.key] = h
	}
	slices.SortStableFunc(apps, func(a, b app) int { return naturalCompare(a.key, b.key) })
	for _, a := range apps {
		c.apps = append(c.apps, handlers[a.key])
	}
	return c, nil
}

type cascade struct {
	apps  []http.Handler
	catch map[int]bool
}

func (c *cascade) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(c.apps) == 1 {
		c.apps[0].ServeHTTP(w, r)
		return
	}
	var rec *bodyRecorder
	if r.Body != nil && r.Body != http.NoBody {
		rec = &bodyRecorder{src: r.Body}
		defer rec.cleanup()
	}
	try := func(h http.Handler, w http.ResponseWriter) {
		r2 := r.Clone(r.Context())
		if rec != nil {
			r2.Body = &replayReader{rec: rec}
		}
		h.ServeHTTP(w, r2)
	}
	for _, h := range c.apps[:len(c.apps)-1] {
		cw := &cascadeWriter{w: w, catch: c.catch, header: http.Header{}}
		try(h, cw)
		if !cw.decided {
			cw.decide(http.StatusOK)
		}
		if !cw.caught {
			return
		}
	}
	try(c.apps[len(c.apps)-1], w)
}

// cascadeWriter holds back a response until its status is known; then it
// either discards it (a caught status) or passes it on.
type cascadeWriter struct {
	w       http.ResponseWriter
	catch   map[int]bool
	header  http.Header
	decided bool
	caught  bool
}

func (cw *cascadeWriter) Header() http.Header {
	if cw.decided && !cw.caught {
		return cw.w.Header()
	}
	return cw.header
}

func (cw *cascadeWriter) decide(code int) {
	cw.decided = true
	cw.caught = cw.catch[code]
	if cw.caught {
		return
	}
	dst := cw.w.Header()
	for k, v := range cw.header {
		dst[k] = v
	}
	cw.w.WriteHeader(code)
}

func (cw *cascadeWriter) WriteHeader(code int) {
	if cw.decided {
		if !cw.caught {
			cw.w.WriteHeader(code) // net/http reports the superfluous call
		}
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		return // informational responses of an application that may yet be skipped are dropped
	}
	cw.decide(code)
}

func (cw *cascadeWriter) Write(p []byte) (int, error) {
	if !cw.decided {
		cw.decide(http.StatusOK)
	}
	if cw.caught {
		return len(p), nil
	}
	return cw.w.Write(p)
}

// Flush sends the status and headers if not yet done (a flush implies 200).
func (cw *cascadeWriter) Flush() {
	if !cw.decided {
		cw.decide(http.StatusOK)
	}
	if !cw.caught {
		_ = http.NewResponseController(cw.w).Flush()
	}
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (cw *cascadeWriter) Unwrap() http.ResponseWriter { return cw.w }

// memLimit is how much of a request body the cascade keeps in memory before
// it moves the recording to a temporary file.
const memLimit = 1 << 20

// bodyRecorder records a request body as it is read, so that it can be read
// again from the start by the next application.
type bodyRecorder struct {
	src  io.ReadCloser
	mem  []byte
	file *os.File
	size int64
	err  error // sticky error of src (io.EOF at the end)
}

func (b *bodyRecorder) cleanup() {
	if b.file != nil {
		name := b.file.Name()
		b.file.Close()
		os.Remove(name)
	}
}

func (b *bodyRecorder) store(p []byte) error {
	if b.file == nil && int64(len(b.mem))+int64(len(p)) > memLimit {
		f, err := os.CreateTemp("", "gowaitress-cascade-*")
		if err != nil {
			return err
		}
		b.file = f
		if _, err := f.Write(b.mem); err != nil {
			return err
		}
		b.mem = nil
	}
	if b.file != nil {
		_, err := b.file.WriteAt(p, b.size)
		return err
	}
	b.mem = append(b.mem, p...)
	return nil
}

func (b *bodyRecorder) readAt(p []byte, off int64) (int, error) {
	if b.file != nil {
		n, err := b.file.ReadAt(p[:min(int64(len(p)), b.size-off)], off)
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return n, err
	}
	return copy(p, b.mem[off:]), nil
}

// replayReader reads a recorded body from the start, then from the source.
type replayReader struct {
	rec *bodyRecorder
	off int64
}

func (r *replayReader) Read(p []byte) (int, error) {
	b := r.rec
	if len(p) == 0 {
		return 0, nil
	}
	if r.off < b.size {
		n, err := b.readAt(p, r.off)
		r.off += int64(n)
		return n, err
	}
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	if n > 0 {
		if serr := b.store(p[:n]); serr != nil {
			b.err = serr
			return 0, serr
		}
		b.size += int64(n)
		r.off += int64(n)
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (r *replayReader) Close() error { return nil }

// naturalCompare orders strings with runs of ASCII digits compared by value
// ("app2" < "app10"); equal values fall back to a byte-wise comparison.
func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if ca != cb {
			return cmpInt(int(ca), int(cb))
		}
		i++
		j++
	}
	if c := cmpInt(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
