package nemesis

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Net is a bridge and the network namespaces on it, one per node. The host keeps an
// address on the bridge only to read the nodes' status; every rule the nemesis sets
// lives inside a namespace and dies with it.
type Net struct {
	id     string
	bridge string
	prefix string // first three octets of the /24
	hostIP string

	mu    sync.Mutex
	hosts []*Host
}

// Host is one node's network namespace.
type Host struct {
	Name string
	NS   string
	IP   string
	veth string
}

// CheckPrivileges reports why this process cannot run the harness, or nil.
func CheckPrivileges() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	for _, tool := range []struct{ cmd, pkg string }{{"ip", "iproute2"}, {"iptables", "iptables"}, {"mount", "mount"}} {
		if _, err := exec.LookPath(tool.cmd); err != nil {
			return fmt.Errorf("%w: %s (apt-get install %s, or packaging/build-deps.sh test)", ErrMissingTool, tool.cmd, tool.pkg)
		}
	}
	return nil
}

// run runs a command and returns its error with its output.
func run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// NewNet makes the bridge of run id (a few letters and digits) on the /24 10.231.sub.0.
func NewNet(id string, sub int) (*Net, error) {
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	n := &Net{id: id, bridge: "nmb" + id, prefix: fmt.Sprintf("10.231.%d", sub)}
	n.hostIP = n.prefix + ".1"
	if len(n.bridge) > 15 {
		return nil, fmt.Errorf("%w: run id %q too long", ErrBadConfig, id)
	}
	// A bridge left by a run that died before its teardown goes first.
	n.removeStale()
	if err := run("ip", "link", "add", "name", n.bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"addr", "add", n.hostIP + "/24", "dev", n.bridge},
		{"link", "set", n.bridge, "up"},
	} {
		if err := run("ip", args...); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// removeStale deletes the bridge and namespaces of an earlier run with this id.
func (n *Net) removeStale() {
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "nm"+n.id+"-") {
				run("ip", "netns", "del", f[0])
			}
		}
	}
	if exec.Command("ip", "link", "show", n.bridge).Run() == nil {
		run("ip", "link", "del", n.bridge)
	}
}

// Leftovers lists what of run id is still on the machine: namespaces, links and
// mounts; none after a teardown.
func Leftovers(id string) []string {
	var left []string
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "nm"+id+"-") {
				left = append(left, "namespace "+f[0])
			}
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 1 && (strings.HasPrefix(f[1], "nmb"+id) || strings.HasPrefix(f[1], "nmv"+id+"-")) {
				left = append(left, "link "+strings.TrimSuffix(f[1], ":"))
			}
		}
	}
	return left
}

// HostIP is the host's address on the bridge.
func (n *Net) HostIP() string { return n.hostIP }

// AddHost makes a namespace with a veth pair on the bridge and the next address.
func (n *Net) AddHost(name string) (*Host, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	i := len(n.hosts)
	if i > 250 {
		return nil, fmt.Errorf("%w: more than 250 hosts", ErrBadConfig)
	}
	h := &Host{Name: name, NS: fmt.Sprintf("nm%s-%d", n.id, i), IP: fmt.Sprintf("%s.%d", n.prefix, i+2), veth: fmt.Sprintf("nmv%s-%d", n.id, i)}
	if len(h.veth) > 15 {
		return nil, fmt.Errorf("%w: run id %q too long", ErrBadConfig, n.id)
	}
	if err := run("ip", "netns", "add", h.NS); err != nil {
		return nil, err
	}
	n.hosts = append(n.hosts, h)
	for _, args := range [][]string{
		{"link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		{"link", "set", h.veth, "master", n.bridge},
		{"link", "set", h.veth, "up"},
		{"-n", h.NS, "addr", "add", h.IP + "/24", "dev", "eth0"},
		{"-n", h.NS, "link", "set", "eth0", "up"},
		{"-n", h.NS, "link", "set", "lo", "up"},
	} {
		if err := run("ip", args...); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Rules replaces the iptables rules of h's namespace by rules, each the arguments
// of one `iptables -A`.
func (h *Host) Rules(rules [][]string) error {
	var errs []error
	for _, chain := range []string{"INPUT", "OUTPUT"} {
		if err := run("ip", "netns", "exec", h.NS, "iptables", "-w", "-F", chain); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range rules {
		if err := run("ip", append([]string{"netns", "exec", h.NS, "iptables", "-w", "-A"}, r...)...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Command is a command run inside h's namespace. `ip netns exec` execs the program,
// so the process's PID is the program's own and signals reach it.
func (h *Host) Command(bin string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, bin}, args...)...)
}

// Close deletes every namespace (their veth pairs and rules with them) and the bridge.
func (n *Net) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for _, h := range n.hosts {
		// The veth first: deleting it removes both ends at once, where a namespace's
		// own devices go only when the kernel gets round to the namespace.
		if err := run("ip", "link", "del", h.veth); err != nil {
			errs = append(errs, err)
		}
		if err := run("ip", "netns", "del", h.NS); err != nil {
			errs = append(errs, err)
		}
	}
	n.hosts = nil
	if err := run("ip", "link", "del", n.bridge); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// CleanAll removes what any run left behind when it could not tear down (a harness
// killed with SIGKILL, a test binary stopped at its timeout): every process in a
// namespace named nm<id>-<n>, those namespaces, the links nmb<id> and nmv<id>-<n>, and
// the tmpfs mounts named "nemesis". It returns what it removed. Runs in progress are
// removed too: call it only when none is. Given ids, it removes only those runs'
// namespaces and links (and no mounts).
func CleanAll(ids ...string) ([]string, error) {
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	var done []string
	var errs []error
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || !isRunName(f[0], "nm", true) || !wanted(f[0], "nm", ids) {
				continue
			}
			if pids, err := exec.Command("ip", "netns", "pids", f[0]).Output(); err == nil {
				for _, p := range strings.Fields(string(pids)) {
					run("kill", "-KILL", p)
				}
			}
			if err := run("ip", "netns", "del", f[0]); err != nil {
				errs = append(errs, err)
				continue
			}
			done = append(done, "namespace "+f[0])
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if (isRunName(name, "nmb", false) && wanted(name, "nmb", ids)) || (isRunName(name, "nmv", true) && wanted(name, "nmv", ids)) {
				if err := run("ip", "link", "del", name); err != nil {
					// A veth goes with its namespace, which the kernel may only just
					// have got round to.
					if exec.Command("ip", "link", "show", name).Run() == nil {
						errs = append(errs, err)
					}
					continue
				}
				done = append(done, "link "+name)
			}
		}
	}
	if mounts, err := os.ReadFile("/proc/self/mounts"); err == nil && len(ids) == 0 {
		for _, line := range strings.Split(string(mounts), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[0] == "nemesis" && f[2] == "tmpfs" {
				if err := run("umount", f[1]); err != nil {
					errs = append(errs, err)
					continue
				}
				done = append(done, "mount "+f[1])
			}
		}
	}
	return done, errors.Join(errs...)
}

// wanted reports whether the run name (prefix, then the id) is of one of ids; any
// with none.
func wanted(name, prefix string, ids []string) bool {
	if len(ids) == 0 {
		return true
	}
	for _, id := range ids {
		if strings.HasPrefix(name, prefix+id) {
			return true
		}
	}
	return false
}

// isRunName reports whether name is prefix, a run id of four hex digits and, with
// indexed, "-" and a number: the names NewNet and AddHost give.
func isRunName(name, prefix string, indexed bool) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || len(rest) < 4 {
		return false
	}
	for _, c := range rest[:4] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	rest = rest[4:]
	if !indexed {
		return rest == ""
	}
	n, ok := strings.CutPrefix(rest, "-")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
