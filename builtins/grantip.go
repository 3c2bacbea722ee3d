package builtins

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/gowaitress/gowaitress/config"
	"github.com/gowaitress/gowaitress/internal/suggest"
	"github.com/gowaitress/gowaitress/pastedeploy"
)

var grantIPKeys = []string{"clobber_username", "allow", "deny"}

// GrantIPFactory is the filter-app factory registered as "Paste#grantip"
// (egg:Paste#grantip, Paste's make_grantip): it grants a user name and
// roles by client address, and (not in Paste) allows or denies requests by
// address.
//
// Settings:
//
//   - ADDRESS = USER[:ROLES] (any number): a request from ADDRESS gets USER
//     as REMOTE_USER (see RemoteUser) and ROLES, comma-separated, added to
//     its roles (Paste's REMOTE_USER_TOKENS, see RemoteUserTokens). ADDRESS is
//     an IPv4 address (127.0.0.1), a Paste-style wildcard with trailing
//     "*" octets (192.168.0.*, 10.*), or a CIDR range (10.0.0.0/8); an IPv6
//     address cannot be a key, because ":" separates keys from values in INI
//     files. USER "-" or empty grants no user; "__remove__" removes any user
//     an earlier filter set. ROLES "-" grants none; a role written "-name"
//     removes that role. When several entries match, the most specific (the
//     longest prefix) applies.
//   - clobber_username (strict boolean, default false, as in Paste): replace
//     a user name an earlier filter already set; by default it is kept.
//   - allow (list of addresses, wildcards or CIDR ranges, IPv6 included;
//     default: everyone): only clients in these ranges are served; others get
//     403 Forbidden.
//   - deny (same forms; default: no one): clients in these ranges get 403,
//     even when allow lists them too.
//
// The client address is that of r.RemoteAddr (the server's trusted-proxy
// handling or PasteDeploy#prefix may have set it from X-Forwarded-For); IPv4
// addresses mapped into IPv6 match their IPv4 forms. A client that has no IP
// address (a Unix socket) matches no entry, and is refused when allow is set.
//
// Unlike Paste, wildcard and CIDR entries work (Paste only matched exact
// addresses, although its documentation shows wildcards), and the user and
// roles are parsed as Paste documents them (Paste stored the raw value).
func GrantIPFactory(next http.Handler, global, local *config.Settings) (http.Handler, error) {
	f := &grantIP{next: next}
	g := config.NewGetter(local)
	f.clobber = g.Bool("clobber_username", false)
	var errs []error
	for _, k := range []string{"allow", "deny"} {
		v, ok := local.Get(k)
		if !ok {
			continue
		}
		var list []netip.Prefix
		for _, item := range config.ParseList(v.Raw) {
			p, err := parseAddrPattern(item, true)
			if err != nil {
				errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, k, v, "%q: %v", item, err))
				continue
			}
			list = append(list, p)
		}
		if k == "allow" {
			f.allow, f.hasAllow = list, true
		} else {
			f.deny = list
		}
	}
	seen := map[netip.Prefix]string{}
	for k, v := range local.All() {
		if slices.Contains(grantIPKeys, k) {
			continue
		}
		p, err := parseAddrPattern(k, false)
		if err != nil {
			errs = append(errs, settingError(pastedeploy.ErrUnknownSetting, k, v,
				"unknown setting for Paste#grantip%s: not clobber_username, allow or deny, and not an address: %v",
				suggest.DidYouMean(k, grantIPKeys), err))
			continue
		}
		if other, dup := seen[p]; dup {
			errs = append(errs, settingError(pastedeploy.ErrInvalidSetting, k, v, "the same addresses as %q", other))
			continue
		}
		seen[p] = k
		e := grantEntry{prefix: p}
		user, roles, _ := strings.Cut(v.Raw, ":")
		switch user = strings.TrimSpace(user); user {
		case "", "-":
		case "__remove__":
			e.remove = true
		default:
			e.user = user
		}
		if roles = strings.TrimSpace(roles); roles != "-" {
			for _, r := range strings.Split(roles, ",") {
				if r = strings.TrimSpace(r); r != "" && r != "-" {
					e.roles = append(e.roles, r)
				}
			}
		}
		f.grants = append(f.grants, e)
	}
	// Most specific first.
	slices.SortStableFunc(f.grants, func(a, b grantEntry) int { return b.prefix.Bits() - a.prefix.Bits() })
	errs = append(errs, g.Err())
	if err := config.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

type grantEntry struct {
	prefix netip.Prefix
	user   string
	remove bool
	roles  []string // "-x" removes x
}

type grantIP struct {
	next     http.Handler
	clobber  bool
	grants   []grantEntry
	allow    []netip.Prefix
	hasAllow bool
	deny     []netip.Prefix
}

// parseAddrPattern reads an address (a single-address prefix), a CIDR range
// or an IPv4 wildcard with trailing "*" octets.
func parseAddrPattern(s string, v6 bool) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "*") {
		parts := strings.Split(s, ".")
		if len(parts) > 4 {
			return netip.Prefix{}, errBadPattern
		}
		for len(parts) < 4 {
			parts = append(parts, "*")
		}
		bits, wild := 0, false
		for i, p := range parts {
			if p == "*" {
				wild = true
				parts[i] = "0"
				continue
			}
			if wild {
				return netip.Prefix{}, errBadPattern // "*" only at the end
			}
			bits += 8
		}
		a, err := netip.ParseAddr(strings.Join(parts, "."))
		if err != nil || !a.Is4() {
			return netip.Prefix{}, errBadPattern
		}
		return netip.PrefixFrom(a, bits), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, errBadPattern
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, errBadPattern
	}
	a = a.Unmap()
	if a.Is6() && !v6 {
		return netip.Prefix{}, errBadPattern
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

type patternError string

func (e patternError) Error() string { return string(e) }

const errBadPattern = patternError("want an IP address, a CIDR range such as 10.0.0.0/8, or a wildcard such as 192.168.0.*")

// clientAddr is the IP address of r.RemoteAddr, unmapped; ok is false when
// there is none.
func clientAddr(r *http.Request) (netip.Addr, bool) {
	h := r.RemoteAddr
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

func inAny(a netip.Addr, list []netip.Prefix) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (f *grantIP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := clientAddr(r)
	if ok && inAny(a, f.deny) || f.hasAllow && (!ok || !inAny(a, f.allow)) {
		http.Error(w, "403 Forbidden", http.StatusForbidden)
		return
	}
	if ok {
		for _, e := range f.grants {
			if !e.prefix.Contains(a) {
				continue
			}
			r = updateRemoteUser(r, func(user *string, set *bool, tokens *[]string) {
				switch {
				case e.remove:
					*user, *set = "", false
				case e.user != "" && (f.clobber || *user == ""):
					*user, *set = e.user, true
				}
				for _, role := range e.roles {
					if name, ok := strings.CutPrefix(role, "-"); ok {
						*tokens = slices.DeleteFunc(*tokens, func(t string) bool { return t == name })
					} else if !slices.Contains(*tokens, role) {
						*tokens = append(*tokens, role)
					}
				}
			})
			break
		}
	}
	f.next.ServeHTTP(w, r)
}
