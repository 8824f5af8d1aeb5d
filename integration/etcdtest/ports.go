package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// maxAttempts bounds how often a server is started on new ports after
// another process took one of the chosen ports first.
const maxAttempts = 5

// freePorts returns n distinct loopback ports that were free a moment ago.
// A port can be taken by someone else before the server binds it; callers
// retry on "address already in use" (see addrInUse).
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("etcdtest: find a free port: %w", err)
		}
		// Keep the listener open until all ports are chosen so that the
		// kernel does not hand out the same port twice.
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// addrInUse reports whether err (or a server log) says that a port was
// taken.
func addrInUse(err error) bool {
	return err != nil && (errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use"))
}
