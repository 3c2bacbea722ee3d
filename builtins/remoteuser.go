package builtins

import (
	"context"
	"net/http"
	"slices"
	"sync"
)

// The authenticated user of a request is WSGI's REMOTE_USER (and Paste's
// REMOTE_USER_TOKENS, the roles). WSGI's environ is one mutable dict, so a
// filter deep in the stack sets REMOTE_USER and an outer one (translogger)
// reads it after the response. Here the request carries a mutable slot in its
// context: the first filter that needs one adds it, and every filter inside
// writes to the same slot, so outer filters see what inner ones set.

type remoteUserKey struct{}

type remoteUserSlot struct {
	mu     sync.Mutex
	set    bool
	user   string
	tokens []string
}

type remoteUserInfo struct {
	user   string
	tokens []string
}

// withRemoteUserSlot returns r when it already carries a slot, else a shallow
// copy of r with an empty one.
func withRemoteUserSlot(r *http.Request) (*http.Request, *remoteUserSlot) {
	if s, ok := r.Context().Value(remoteUserKey{}).(*remoteUserSlot); ok {
		return r, s
	}
	s := &remoteUserSlot{}
	return r.WithContext(context.WithValue(r.Context(), remoteUserKey{}, s)), s
}

func (s *remoteUserSlot) get() remoteUserInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return remoteUserInfo{s.user, slices.Clone(s.tokens)}
}

// RemoteUser returns the authenticated user name of the request (WSGI's
// REMOTE_USER) as a filter such as Paste#auth_basic or Paste#grantip set it,
// or "" when none did. Outer filters see the name an inner filter set, as
// they would in WSGI's shared environ.
func RemoteUser(r *http.Request) string {
	if s, ok := r.Context().Value(remoteUserKey{}).(*remoteUserSlot); ok {
		return s.get().user
	}
	return ""
}

// RemoteUserTokens returns the roles granted to the request (Paste's
// REMOTE_USER_TOKENS), as Paste#grantip sets them; nil when none.
func RemoteUserTokens(r *http.Request) []string {
	if s, ok := r.Context().Value(remoteUserKey{}).(*remoteUserSlot); ok {
		return s.get().tokens
	}
	return nil
}

// hasRemoteUser reports whether some filter set REMOTE_USER (even to "").
func hasRemoteUser(r *http.Request) bool {
	if s, ok := r.Context().Value(remoteUserKey{}).(*remoteUserSlot); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.set && s.user != ""
	}
	return false
}

// setRemoteUser records user as REMOTE_USER of the request, in the slot an
// outer filter added or a new one; it returns the request to pass on.
func setRemoteUser(r *http.Request, user string) *http.Request {
	r, s := withRemoteUserSlot(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set, s.user = true, user
	return r
}

// updateRemoteUser lets f change REMOTE_USER and its tokens under the lock.
func updateRemoteUser(r *http.Request, f func(user *string, set *bool, tokens *[]string)) *http.Request {
	r, s := withRemoteUserSlot(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.user, &s.set, &s.tokens)
	return r
}
