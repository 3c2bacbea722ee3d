package builtins

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

var authBasicKeys = []string{"htpasswd", "realm", "authfunc"}

const (
	authMaxHeader   = 4096 // longer Authorization headers are refused unread
	authMaxPassword = 72   // bcrypt's limit: longer passwords would be truncated
	authCacheSize   = 1024
)

// AuthBasicFactory is the filter-app factory registered as
// "Paste#auth_basic" (egg:Paste#auth_basic, Paste's make_basic): HTTP Basic
// authentication (RFC 7617) against an htpasswd file.
//
// Settings:
//
//   - htpasswd (required): the password file, "user:hash" lines as written by
//     Apache's `htpasswd -B`; blank lines and lines starting with "#" are
//     skipped. Every hash must be bcrypt ($2y$, $2a$ or $2b$); any other kind
//     (crypt, $apr1$ MD5, {SHA}, plain text) is refused when the filter is
//     loaded, naming the file and line. A relative path is taken from the
//     configuration file's directory (global "here"). The file is read once,
//     when the filter is loaded; reload the server to pick up changes.
//   - realm (default "Restricted"): the realm of the WWW-Authenticate
//     challenge.
//   - authfunc: Paste's Python callback; refused with an error (use htpasswd).
//
// A request with valid credentials goes on with the user name as REMOTE_USER
// (see RemoteUser; Paste#translogger logs it). Any other request — no
// Authorization header, several, another scheme, one longer than 4096 bytes,
// malformed base64, no colon, a user name or password that is not UTF-8 or
// holds control characters, a password longer than bcrypt's 72 bytes, an
// unknown user or a wrong password — is answered 401 with
// `WWW-Authenticate: Basic realm="...", charset="UTF-8"`. An unknown user
// costs a bcrypt comparison against a dummy hash, so response times do not
// tell which users exist. Successful checks are remembered (by a salted
// SHA-256 of the credentials, at most 1024 of them) so that a browser's
// repeated requests do not each cost a bcrypt comparison.
func AuthBasicFactory(next http.Handler, global, local *config.Settings) (http.Handler, error) {
	if err := checkKeys("Paste#auth_basic", local, authBasicKeys); err != nil {
		return nil, err
	}
	if v, ok := local.Get("authfunc"); ok {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "authfunc", v,
			"authfunc names a Python callable, which gowaitress cannot call; use htpasswd = /path/to/file with bcrypt entries (htpasswd -B)")
	}
	g := config.NewGetter(local)
	g.Require("htpasswd")
	if err := g.Err(); err != nil {
		return nil, err
	}
	realm := "Restricted"
	if v, ok := local.Get("realm"); ok {
		realm = strings.TrimSpace(v.Raw)
		for _, c := range []byte(realm) {
			if c < 0x20 || c == 0x7f {
				return nil, settingError(pastedeploy.ErrInvalidSetting, "realm", v, "the realm may not contain control characters")
			}
		}
	}
	v, _ := local.Get("htpasswd")
	file := strings.TrimSpace(v.Raw)
	if !filepath.IsAbs(file) && global != nil {
		if here, ok := global.Lookup("here"); ok && here != "" {
			file = filepath.Join(here, file)
		}
	}
	users, cost, err := loadHtpasswd(file)
	if err != nil {
		return nil, settingError(pastedeploy.ErrInvalidSetting, "htpasswd", v, "%v", err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("gowaitress dummy password"), cost)
	if err != nil {
		return nil, err
	}
	a := &authBasic{next: next, users: users, dummy: dummy, cache: map[[32]byte]string{},
		challenge: `Basic realm="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(realm) + `", charset="UTF-8"`}
	_, _ = rand.Read(a.salt[:])
	return a, nil
}

// loadHtpasswd reads user:bcrypt-hash lines; cost is the highest bcrypt cost
// found (bcrypt.DefaultCost for an empty file), for the dummy hash.
func loadHtpasswd(file string) (map[string][]byte, int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, 0, err
	}
	users := map[string][]byte{}
	cost := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		user, hash, ok := strings.Cut(t, ":")
		if !ok || user == "" {
			return nil, 0, fmt.Errorf("%s:%d: want user:hash", file, n)
		}
		if _, dup := users[user]; dup {
			return nil, 0, fmt.Errorf("%s:%d: user %q appears twice", file, n, user)
		}
		if !strings.HasPrefix(hash, "$2y$") && !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") {
			kind := "crypt or plain text"
			switch {
			case strings.HasPrefix(hash, "$apr1$"):
				kind = "Apache MD5 ($apr1$)"
			case strings.HasPrefix(hash, "{SHA}"):
				kind = "SHA-1 ({SHA})"
			case strings.HasPrefix(hash, "$1$"):
				kind = "MD5-crypt ($1$)"
			case strings.HasPrefix(hash, "$5$"), strings.HasPrefix(hash, "$6$"):
				kind = "SHA-crypt"
			}
			return nil, 0, fmt.Errorf("%s:%d: user %q: %s hashes are not accepted, only bcrypt ($2y$, $2a$, $2b$); regenerate the entry with htpasswd -B", file, n, user, kind)
		}
		c, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, 0, fmt.Errorf("%s:%d: user %q: malformed bcrypt hash: %v", file, n, user, err)
		}
		cost = max(cost, c)
		users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %v", file, err)
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	return users, cost, nil
}

type authBasic struct {
	next      http.Handler
	users     map[string][]byte
	dummy     []byte
	challenge string
	salt      [16]byte

	mu    sync.Mutex
	cache map[[32]byte]string // salted hash of "user:password" → user, for checks that succeeded
}

func (a *authBasic) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, ok := a.check(r.Header.Values("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", a.challenge)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnauthorized)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte("401 Unauthorized\n"))
		}
		return
	}
	a.next.ServeHTTP(w, setRemoteUser(r, user))
}

// check returns the user whose credentials the Authorization values carry.
func (a *authBasic) check(values []string) (string, bool) {
	if len(values) != 1 || len(values[0]) > authMaxHeader {
		return "", false
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(tok))
	if err != nil {
		return "", false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || !utf8.ValidString(user) || !utf8.ValidString(pass) || hasControl(user) || hasControl(pass) {
		return "", false
	}
	key := sha256.Sum256(append(a.salt[:len(a.salt):len(a.salt)], raw...))
	a.mu.Lock()
	cached, hit := a.cache[key]
	a.mu.Unlock()
	if hit {
		return cached, true
	}
	hash, known := a.users[user]
	if !known || len(pass) > authMaxPassword {
		_ = bcrypt.CompareHashAndPassword(a.dummy, []byte(pass[:min(len(pass), authMaxPassword)]))
		return "", false
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil {
		return "", false
	}
	a.mu.Lock()
	if len(a.cache) >= authCacheSize {
		clear(a.cache)
	}
	a.cache[key] = user
	a.mu.Unlock()
	return user, true
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
