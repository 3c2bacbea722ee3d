package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listenAddr is one resolved TCP address to listen on.
type listenAddr struct {
	ip   netip.Addr
	port int
}

// resolveListen parses and resolves listen entries as waitress does (§3.1):
// split at the last colon unless the port part holds "]", strip brackets,
// "*" is the wildcard, port names are services, results de-duplicated
// (except port 0).
func resolveListen(entries []string, defPort string, ipv4, ipv6 bool) ([]listenAddr, error) {
	var out []listenAddr
	seen := map[listenAddr]bool{}
	for _, e := range entries {
		host, port := e, defPort
		if i := strings.LastIndexByte(e, ':'); i >= 0 {
			host, port = e[:i], e[i+1:]
			if strings.Contains(port, "]") {
				host, port = e, defPort
			}
		}
		if strings.Contains(host, "[") && strings.Contains(host, "]") {
			host = strings.Trim(host, "[]")
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			p, err = net.DefaultResolver.LookupPort(context.Background(), "tcp", port)
			if err != nil {
				return nil, fmt.Errorf("listen %s: Invalid host/port specified.", e)
			}
		}
		var ips []netip.Addr
		switch {
		case host == "*" || host == "":
			if ipv4 {
				ips = append(ips, netip.IPv4Unspecified())
			}
			if ipv6 {
				ips = append(ips, netip.IPv6Unspecified())
			}
		default:
			if a, err := netip.ParseAddr(host); err == nil {
				ips = []netip.Addr{a}
			} else {
				addrs, err := net.DefaultResolver.LookupIPAddr(context.Background(), host)
				if err != nil {
					return nil, fmt.Errorf("listen %s: Invalid host/port specified.", e)
				}
				for _, a := range addrs {
					if na, ok := netip.AddrFromSlice(a.IP); ok {
						ips = append(ips, na.WithZone(a.Zone))
					}
				}
			}
		}
		n := 0
		for _, ip := range ips {
			ip4 := ip.Unmap().Is4()
			if ip4 && !ipv4 || !ip4 && !ipv6 {
				continue
			}
			if ip4 {
				ip = ip.Unmap()
			}
			la := listenAddr{ip, p}
			key := listenAddr{ip.WithZone(""), p}
			n++
			if p != 0 && seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, la)
		}
		if n == 0 {
			return nil, fmt.Errorf("listen %s: Invalid host/port specified.", e)
		}
	}
	return out, nil
}

// listenTCP creates a listening TCP socket itself so that backlog reaches
// listen(2): SO_REUSEADDR, IPV6_V6ONLY for IPv6, bind, listen(backlog).
func listenTCP(a listenAddr, backlog int) (net.Listener, error) {
	family := syscall.AF_INET
	var sa syscall.Sockaddr
	if a.ip.Is4() {
		sa = &syscall.SockaddrInet4{Port: a.port, Addr: a.ip.As4()}
	} else {
		family = syscall.AF_INET6
		s6 := &syscall.SockaddrInet6{Port: a.port, Addr: a.ip.As16()}
		if z := a.ip.Zone(); z != "" {
			if ifi, err := net.InterfaceByName(z); err == nil {
				s6.ZoneId = uint32(ifi.Index)
			}
		}
		sa = s6
	}
	name := net.JoinHostPort(a.ip.String(), strconv.Itoa(a.port))
	fd, err := sysSocket(family, syscall.SOCK_STREAM, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("listen %s: socket: %w", name, err)
	}
	fail := func(op string, err error) (net.Listener, error) {
		syscall.Close(fd)
		return nil, fmt.Errorf("listen %s: %s: %w", name, op, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if family == syscall.AF_INET6 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	return fileListener(fd, name)
}

func fileListener(fd int, name string) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), name)
	l, err := net.FileListener(f) // dups the descriptor
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", name, err)
	}
	return l, nil
}

// dupListener returns a listener on a new descriptor of l's socket (so
// that closing l later leaves the socket open) and applies backlog to the
// socket with listen(2), which Linux allows on a listening socket.
func dupListener(l net.Listener, name string, backlog int) (net.Listener, error) {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("listen %s: cannot take over a %T", name, l)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", name, err)
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		nfd = int(r)
	}); err != nil {
		return nil, fmt.Errorf("listen %s: %w", name, err)
	}
	if derr != nil {
		return nil, fmt.Errorf("listen %s: dup: %w", name, derr)
	}
	if err := syscall.Listen(nfd, backlog); err != nil {
		syscall.Close(nfd)
		return nil, fmt.Errorf("listen %s: listen: %w", name, err)
	}
	nl, err := fileListener(nfd, name)
	if err != nil {
		return nil, err
	}
	if ul, ok := nl.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // removed by the server, only if still ours
	}
	return nl, nil
}

// errUnixInUse is returned when a live server already listens on the path.
var errUnixInUse = errors.New("in use by another process")

// listenUnix listens on a Unix socket path (§11): a stale socket file is
// replaced, a live one or a non-socket file refused; the file gets perms
// right after bind, before the server accepts.
func listenUnix(path string, perms os.FileMode, backlog int) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("unix_socket %s: not a socket; refusing to replace it", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("unix_socket %s: %w", path, errUnixInUse)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("unix_socket %s: %w", path, err)
		}
	}
	fd, err := sysSocket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, fmt.Errorf("unix_socket %s: socket: %w", path, err)
	}
	fail := func(op string, err error) (net.Listener, error) {
		syscall.Close(fd)
		return nil, fmt.Errorf("unix_socket %s: %s: %w", path, op, err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		return fail("bind", err)
	}
	if err := os.Chmod(path, perms); err != nil {
		os.Remove(path)
		return fail("chmod", err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		os.Remove(path)
		return fail("listen", err)
	}
	l, err := fileListener(fd, path)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // removed by the server, only if still ours
	}
	return l, nil
}

// inheritedFDs returns the descriptors named by the sockets option.
func inheritedFDs(o *Options) ([]int, error) {
	if !o.SystemdSockets {
		return o.Sockets, nil
	}
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil, errors.New("sockets = systemd: LISTEN_PID is not this process (not started by systemd socket activation?)")
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, errors.New("sockets = systemd: LISTEN_FDS names no descriptors")
	}
	fds := make([]int, n)
	for i := range fds {
		fds[i] = 3 + i
	}
	return fds, nil
}

// listenInherited turns inherited descriptors into listeners: each must be
// a stream socket; INET and UNIX may not be mixed; listen(backlog) is
// called again.
func listenInherited(fds []int, backlog int) ([]net.Listener, error) {
	var ls []net.Listener
	closeAll := func() {
		for _, l := range ls {
			l.Close()
		}
	}
	hasInet, hasUnix := false, false
	for _, fd := range fds {
		typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
		if err != nil || typ != syscall.SOCK_STREAM {
			closeAll()
			return nil, fmt.Errorf("sockets %d: Only Internet or UNIX stream sockets may be used.", fd)
		}
		sa, err := syscall.Getsockname(fd)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("sockets %d: %w", fd, err)
		}
		switch sa.(type) {
		case *syscall.SockaddrInet4, *syscall.SockaddrInet6:
			hasInet = true
		case *syscall.SockaddrUnix:
			hasUnix = true
		default:
			closeAll()
			return nil, fmt.Errorf("sockets %d: Only Internet or UNIX stream sockets may be used.", fd)
		}
		if hasInet && hasUnix {
			closeAll()
			return nil, errors.New("sockets: Internet and UNIX sockets may not be mixed.")
		}
		if err := syscall.Listen(fd, backlog); err != nil {
			closeAll()
			return nil, fmt.Errorf("sockets %d: listen: %w", fd, err)
		}
		l, err := fileListener(fd, "fd"+strconv.Itoa(fd))
		if err != nil {
			closeAll()
			return nil, err
		}
		syscall.Close(fd) // the listener holds its own duplicate
		ls = append(ls, l)
	}
	return ls, nil
}

// servingURL is the "Serving on" form of a listener address: IPv6 hosts
// always in brackets, unix:PATH for Unix sockets.
func servingURL(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return "http://" + net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
	case *net.UnixAddr:
		return "http://unix:" + a.Name
	}
	return "http://" + a.String()
}
