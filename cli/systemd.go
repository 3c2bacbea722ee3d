package cli

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// notifier tells systemd about the service's state (sd_notify) when it runs
// the command with NOTIFY_SOCKET set (Type=notify or notify-reload units):
// READY=1 once serving, RELOADING=1 at the start of a reload and READY=1 at
// its end, STOPPING=1 when a stop begins. Without NOTIFY_SOCKET it does
// nothing.
type notifier struct{ addr *net.UnixAddr }

func newNotifier() *notifier {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return &notifier{}
	}
	if path[0] == '@' { // abstract socket
		path = "\x00" + path[1:]
	}
	return &notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

func (n *notifier) notify(state string) {
	if n.addr == nil {
		return
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(state))
}

func (n *notifier) ready()    { n.notify("READY=1") }
func (n *notifier) stopping() { n.notify("STOPPING=1") }
func (n *notifier) reloading() {
	n.notify("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(monotonicMicros(), 10))
}

// readyWhenListening sends READY=1 once srv has bound its listeners (servers
// that can tell; others are taken to be ready once Serve has started).
func (n *notifier) readyWhenListening(srv any) {
	if n.addr == nil {
		return
	}
	if a, ok := srv.(interface {
		Addrs(context.Context) ([]net.Addr, error)
	}); ok {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := a.Addrs(ctx); err == nil {
				n.ready()
			}
		}()
		return
	}
	n.ready()
}
