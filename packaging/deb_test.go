package packaging

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const (
	trusteeUser  = "daoli-trustee"
	trusteeState = "/var/lib/daoli-trustee"
	trusteeUnit  = "/usr/lib/systemd/system/daoli-trustee.service"
	trusteeWants = "/etc/systemd/system/multi-user.target.wants/daoli-trustee.service"
)

// debFiles is every file and directory each package must hold, with its mode: nothing
// more, nothing less.
var debFiles = map[string]map[string]string{
	"daoli": {
		"/usr/bin/daoli": "-rwxr-xr-x",
		"/usr/share/applications/cloud.daoli.app.desktop":            "-rw-r--r--",
		"/usr/share/icons/hicolor/512x512/apps/cloud.daoli.app.png":  "-rw-r--r--",
		"/usr/share/icons/hicolor/scalable/apps/cloud.daoli.app.svg": "-rw-r--r--",
		"/usr/share/metainfo/cloud.daoli.app.metainfo.xml":           "-rw-r--r--",
	},
	"daoli-trustee": {
		"/usr/bin/daoli-trustee": "-rwxr-xr-x",
		trusteeUnit:              "-rw-r--r--",
		"/usr/share/doc/daoli-trustee/operators.md": "-rw-r--r--",
		"/etc/daoli-trustee/":                       "drwxr-xr-x",
	},
}

// TestDebPackages builds the packages with packaging/package.sh (what make package
// runs), checks what they hold, installs both into a throwaway root (an overlay over
// this machine's root, in a mount and network namespace of its own, where systemd is
// not running), checks the installed files and the unit, starts the trustee the way
// the unit does, removes and purges both, and wants nothing left behind. It also runs
// the packaged daoli to see that it has none of the test binary's flags.
func TestDebPackages(t *testing.T) {
	t.Parallel()
	need(t, "dpkg", "dpkg-deb", "dpkg-query", "ldd", "objdump", "xz", "tar", "unshare", "mount", "chroot", "ip",
		"setpriv", "useradd", "deb-systemd-helper", "systemd-analyze", "desktop-file-validate", "appstreamcli")
	if os.Geteuid() != 0 {
		t.Fatal("this test installs packages into an overlay root with unshare, mount and chroot, which takes root; run it as root")
	}
	trackInputs(t)

	work := t.TempDir()
	out := filepath.Join(work, "out")
	// Two things are changed from make package: the release binaries are the ones the
	// other tests run too, built once; and the compression level, as xz -6 of the
	// tarball costs half a minute, xz -0 three seconds.
	command(t, []string{"XZ_OPT=-0", "DAOLI_RELEASE_BIN=" + releaseBinaries(t)}, "packaging/package.sh", out)
	version := releaseVersion(t)
	deb := func(name string) string { return filepath.Join(out, fmt.Sprintf("%s_%s_amd64.deb", name, version)) }
	for _, name := range []string{"daoli", "daoli-trustee"} {
		fi, err := os.Stat(deb(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", filepath.Base(deb(name)), fi.Size())
		checkDebFiles(t, deb(name), debFiles[name])
		if got := debField(t, deb(name), "Version"); got != version {
			t.Errorf("%s: Version %q, want %q", name, got, version)
		}
	}
	checkAppDepends(t, filepath.Join(out, "bin", "daoli"), debField(t, deb("daoli"), "Depends"))
	checkTarball(t, filepath.Join(out, "daoli-"+version+"-linux-amd64.tar.xz"))

	root := newThrowawayRoot(t, work)
	root.run(t, "dpkg --install /run/test/out/daoli-trustee_*.deb /run/test/out/daoli_*.deb")
	t.Run("release flags", func(t *testing.T) { checkReleaseFlags(t, filepath.Join(out, "bin", "daoli")) })
	t.Run("installed", func(t *testing.T) { checkInstalled(t, root) })
	t.Run("validators", func(t *testing.T) { checkValidators(t, root, version) })
	t.Run("start", func(t *testing.T) { checkStart(t, root, work, filepath.Join(out, "bin", "daoli-trustee")) })

	// remove keeps the trustee's identity, so that a reinstall brings it back.
	root.run(t, "dpkg --remove daoli daoli-trustee")
	for _, p := range []string{"/usr/bin/daoli", "/usr/bin/daoli-trustee", trusteeUnit} {
		if root.exists(p) {
			t.Errorf("%s is still there after dpkg --remove", p)
		}
	}
	for _, p := range []string{trusteeState + "/key.json", trusteeState + "/config.json"} {
		if !root.exists(p) {
			t.Errorf("dpkg --remove deleted %s; only purge may", p)
		}
	}
	if _, ok := root.user(t, trusteeUser); !ok {
		t.Errorf("dpkg --remove deleted the user %s; only purge may", trusteeUser)
	}

	root.run(t, "dpkg --purge daoli daoli-trustee")
	checkNothingLeft(t, root)
}

func releaseVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "node", "version", "version.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const Release = "([^"]+)"$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no Release in node/version/version.go")
	}
	return string(m[1])
}

func debField(t *testing.T, deb, field string) string {
	t.Helper()
	return strings.TrimSpace(command(t, nil, "dpkg-deb", "--field", deb, field))
}

// checkDebFiles compares the files a package holds with want (the parent directories
// dpkg-deb lists are left out).
func checkDebFiles(t *testing.T, deb string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(command(t, nil, "dpkg-deb", "--contents", deb)), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("%s: cannot read the listing line %q", deb, line)
		}
		mode, name := f[0], strings.TrimPrefix(f[5], ".")
		if f[1] != "root/root" {
			t.Errorf("%s: %s belongs to %s, want root/root", filepath.Base(deb), name, f[1])
		}
		got[name] = mode
	}
	for name, mode := range want {
		if got[name] != mode {
			t.Errorf("%s: %s has mode %q, want %q", filepath.Base(deb), name, got[name], mode)
		}
	}
	for name, mode := range got {
		if _, ok := want[name]; !ok && !(strings.HasPrefix(mode, "d") && isParent(name, want)) {
			t.Errorf("%s holds %s, which it should not", filepath.Base(deb), name)
		}
	}
}

func isParent(dir string, files map[string]string) bool {
	for f := range files {
		if strings.HasPrefix(f, dir) {
			return true
		}
	}
	return false
}

// checkAppDepends wants the package of every library the app links against among the
// daoli package's dependencies. The package is the one that holds the file the loader
// resolves the library to (ldd), not any file of that name: with libc6-i386 installed
// (clang and Wine bring it), /lib32/libm.so.6 is one too.
func checkAppDepends(t *testing.T, bin, depends string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, err := f.ImportedLibraries()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range strings.Split(depends, ",") {
		names = append(names, strings.Fields(d)[0])
	}
	loaded := resolvedLibraries(command(t, nil, "ldd", bin))
	for _, lib := range libs {
		path, ok := loaded[lib]
		if !ok {
			t.Errorf("daoli links %s, which the loader does not find (ldd %s)", lib, bin)
			continue
		}
		pkg, err := packageOwning(path)
		if err != nil {
			t.Errorf("daoli links %s (%s): %v", lib, path, err)
			continue
		}
		t.Logf("daoli links %s: %s, from %s", lib, path, pkg)
		if !slices.Contains(names, pkg) {
			t.Errorf("daoli links %s, %s from %s, which is not in its Depends (%s)", lib, path, pkg, depends)
		}
	}
}

// resolvedLibraries reads ldd's lines "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6
// (0x…)" into library → path.
func resolvedLibraries(ldd string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(ldd, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			m[f[0]] = f[2]
		case len(f) == 2 && strings.HasPrefix(f[0], "/"):
			// The dynamic loader, which a binary may name as a library too (wgpu-
			// native's does): "/lib64/ld-linux-x86-64.so.2 (0x…)".
			m[filepath.Base(f[0])] = f[0]
		}
	}
	return m
}

// packageOwning names the package dpkg records for path. The loader may name a file
// by a spelling dpkg does not record: /lib/x86_64-linux-gnu/libGL.so.1 where the
// package installed /usr/lib/… (merged /usr makes /lib a link to usr/lib), or a link
// the package did not ship; so the other spelling, then the file the link leads to,
// are tried too.
func packageOwning(path string) (string, error) {
	candidates := []string{path}
	if rest, ok := strings.CutPrefix(path, "/usr/"); ok {
		candidates = append(candidates, "/"+rest)
	} else {
		candidates = append(candidates, "/usr"+path)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		candidates = append(candidates, real)
		if rest, ok := strings.CutPrefix(real, "/usr/"); ok {
			candidates = append(candidates, "/"+rest)
		}
	}
	for _, c := range candidates {
		out, err := exec.Command("dpkg-query", "--search", c).Output()
		if err != nil {
			continue // "no path found matching pattern"
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		owner, _, ok := strings.Cut(line, ": ")
		if !ok {
			return "", fmt.Errorf("dpkg-query --search %s: cannot read %q", c, line)
		}
		pkg, _, _ := strings.Cut(owner, ":") // libc6:amd64
		return pkg, nil
	}
	return "", fmt.Errorf("no package holds it (tried %s)", strings.Join(candidates, ", "))
}

// checkTarball wants fyne's tarball to hold the binary, the desktop entry, the icon and
// its Makefile.
func checkTarball(t *testing.T, tarball string) {
	t.Helper()
	list := command(t, nil, "tar", "-tJf", tarball)
	for _, re := range []string{`(?m)/Makefile$`, `(?m)/bin/daoli$`, `(?m)/share/applications/cloud\.daoli\.app\.desktop$`, `(?m)/share/pixmaps/cloud\.daoli\.app\.png$`} {
		if !regexp.MustCompile(re).MatchString(list) {
			t.Errorf("%s: nothing matches %s in\n%s", filepath.Base(tarball), re, list)
		}
	}
}

// throwawayRoot is an overlay over this machine's root: what packages write lands in
// upper, which the tests read. Each run mounts it afresh in new mount and network
// namespaces, with its own /dev, /proc and an empty /run (so systemd is not running
// there, whatever runs here), and the test's directory at /run/test.
type throwawayRoot struct {
	work, upper string
}

func newThrowawayRoot(t *testing.T, work string) *throwawayRoot {
	r := &throwawayRoot{work: work, upper: filepath.Join(work, "upper")}
	for _, d := range []string{"upper", "ovl", "merged"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The overlay's lower layer is the root file system alone; the test's directory
	// may be on another (a tmpfs /tmp), so it is bound in.
	return r
}

const enterRoot = `set -e
m=$1/merged
mount -t overlay overlay -o lowerdir=/,upperdir=$1/upper,workdir=$1/ovl "$m"
mount --rbind /dev "$m/dev"
mount -t proc proc "$m/proc"
mount -t sysfs -o ro sysfs "$m/sys"
mount -t tmpfs tmpfs "$m/run"
mkdir "$m/run/test"
mount --bind "$1" "$m/run/test"
ip link set lo up
shift
exec chroot "$m" /bin/sh -ec "$@"
`

// run runs script with sh inside the root and returns its output.
func (r *throwawayRoot) run(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("unshare", append([]string{"--mount", "--net", "--propagation", "private", "--", "sh", "-c", enterRoot, "sh", r.work, script, "sh"}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in the throwaway root: %s: %v\n%s", script, err, tail(string(b)))
	}
	return string(b)
}

// path is where a file of the root is, once written there.
func (r *throwawayRoot) path(p string) string { return filepath.Join(r.upper, p) }

func (r *throwawayRoot) exists(p string) bool {
	_, err := os.Lstat(r.path(p))
	return err == nil
}

// user looks a user up in the root's /etc/passwd.
func (r *throwawayRoot) user(t *testing.T, name string) (uid int, ok bool) {
	t.Helper()
	data, err := os.ReadFile(r.path("/etc/passwd"))
	if os.IsNotExist(err) {
		data, err = os.ReadFile("/etc/passwd")
	}
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) > 2 && f[0] == name {
			uid, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("/etc/passwd: %q", sc.Text())
			}
			return uid, true
		}
	}
	return 0, false
}

func checkInstalled(t *testing.T, r *throwawayRoot) {
	uid, ok := r.user(t, trusteeUser)
	if !ok {
		t.Fatalf("no user %s after the install", trusteeUser)
	}
	if uid >= 1000 {
		t.Errorf("%s has uid %d, want a system uid (below 1000)", trusteeUser, uid)
	}
	passwd, _ := os.ReadFile(r.path("/etc/passwd"))
	if !regexp.MustCompile(`(?m)^daoli-trustee:x:\d+:\d+:[^:]*:/var/lib/daoli-trustee:/usr/sbin/nologin$`).Match(passwd) {
		t.Errorf("the %s entry of /etc/passwd lacks its home or its nologin shell", trusteeUser)
	}
	owned := map[string]fs.FileMode{
		trusteeState:                  fs.ModeDir | 0o700,
		trusteeState + "/key.json":    0o600,
		trusteeState + "/config.json": 0o600,
	}
	for p, mode := range owned {
		fi, err := os.Stat(r.path(p))
		if err != nil {
			t.Errorf("after the install: %v", err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), mode)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
			t.Errorf("%s belongs to uid %d, want %s (%d)", p, st.Uid, trusteeUser, uid)
		}
	}
	var cfg struct {
		KeyFile     string `json:"key_file"`
		NetworkFile string `json:"network_file"`
		Metrics     string `json:"metrics"`
	}
	data, err := os.ReadFile(r.path(trusteeState + "/config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	if cfg.KeyFile != "key.json" || cfg.NetworkFile != "/etc/daoli-trustee/network.json" || cfg.Metrics != "127.0.0.1:9740" {
		t.Errorf("config.json made at install: %s", data)
	}
	// Enabled although systemd is not running: deb-systemd-helper made the link.
	// (deb-systemd-helper names the unit under /lib on systems where /lib is /usr/lib.)
	if dst, err := os.Readlink(r.path(trusteeWants)); err != nil || (dst != trusteeUnit && dst != strings.TrimPrefix(trusteeUnit, "/usr")) {
		t.Errorf("the unit is not enabled: %s -> %q (%v)", trusteeWants, dst, err)
	}
}

func checkValidators(t *testing.T, r *throwawayRoot, version string) {
	// The unit as systemd reads it, in the root where its binary and user exist.
	if out := r.run(t, "systemd-analyze verify "+trusteeUnit); strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %s", out)
	}
	sec := r.run(t, "systemd-analyze security --offline=true "+trusteeUnit+" | tail -1")
	m := regexp.MustCompile(`exposure level for daoli-trustee.service: ([0-9.]+)`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("systemd-analyze security said %q", sec)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
	if x, _ := strconv.ParseFloat(m[1], 64); x > 2 {
		t.Errorf("the unit's exposure level is %s, want 2.0 or less (systemd-analyze security)", m[1])
	}
	r.run(t, "desktop-file-validate /usr/share/applications/cloud.daoli.app.desktop")
	r.run(t, "appstreamcli validate --no-net /usr/share/metainfo/cloud.daoli.app.metainfo.xml")
	for bin, want := range map[string]string{"daoli": "daoli " + version, "daoli-trustee": "daoli-trustee " + version} {
		if got := r.run(t, "/usr/bin/"+bin+" --version"); !strings.HasPrefix(got, want) {
			t.Errorf("%s --version = %q, want %q…", bin, got, want)
		}
	}
}

// startTrustee runs the unit's ExecStart as the unit's user with the unit's umask,
// in the root's own network namespace, until the trustee certifies height 2 and serves
// its metrics at the address the package configured; then stops it with SIGTERM, as
// systemctl stop does.
const startTrustee = `
install -m 0644 /run/test/devnet/network.json /etc/daoli-trustee/network.json
install -m 0600 -o daoli-trustee -g daoli-trustee /run/test/devnet/trustee-0/key.json /var/lib/daoli-trustee/key.json
cd /var/lib/daoli-trustee
setpriv --reuid=daoli-trustee --regid=daoli-trustee --init-groups --no-new-privs \
	sh -c 'umask 0077; exec "$@"' sh "$@" 2>/run/test/trustee.log &
pid=$!
i=0
until grep -qs 'msg="block certified".* height=2 ' /run/test/trustee.log; do
	i=$((i+1))
	if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
		echo "no height 2 within a minute"; kill $pid 2>/dev/null || true; exit 1
	fi
	sleep 0.1
done
bash -c 'exec 3<>/dev/tcp/127.0.0.1/9740; printf "GET /metrics HTTP/1.0\r\n\r\n" >&3; cat <&3' > /run/test/metrics.txt
stat -c %U /proc/$pid
kill -TERM $pid
wait $pid
`

func checkStart(t *testing.T, r *throwawayRoot, work, trusteeBin string) {
	// A network of one trustee, whose key replaces the one made at install: what an
	// operator does to move a trustee (docs/operators.md).
	command(t, nil, trusteeBin, "devnet", "--trustees", "1", "--dir", filepath.Join(work, "devnet"))
	unit, err := os.ReadFile(r.path(trusteeUnit))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ExecStart=(.+)$`).FindSubmatch(unit)
	if m == nil {
		t.Fatal("the unit has no ExecStart")
	}
	out := r.run(t, startTrustee, strings.Fields(string(m[1]))...)
	log, _ := os.ReadFile(filepath.Join(work, "trustee.log"))
	if got := strings.TrimSpace(out); got != trusteeUser {
		t.Errorf("the trustee ran as %q, want %s\n%s", got, trusteeUser, log)
	}
	if !strings.Contains(string(log), `msg="trustee stopped"`) {
		t.Errorf("no clean stop after SIGTERM:\n%s", tail(string(log)))
	}
	metrics, _ := os.ReadFile(filepath.Join(work, "metrics.txt"))
	if !regexp.MustCompile(`(?m)^daoli_chain_height [1-9]`).Match(metrics) {
		t.Errorf("no certified height in the metrics at 127.0.0.1:9740:\n%s", tail(string(metrics)))
	}
	fi, err := os.Stat(r.path(trusteeState + "/data/chain.db"))
	if err != nil {
		t.Fatalf("the chain is not in the state directory: %v", err)
	}
	if uid, _ := r.user(t, trusteeUser); int(fi.Sys().(*syscall.Stat_t).Uid) != uid || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("chain.db: mode %v, uid %d; want the trustee's own, unreadable to others", fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid)
	}
}

// triggerCaches are rebuilt by other packages' dpkg triggers whenever a desktop entry
// or an icon comes or goes; they need not come back byte for byte, but must not
// mention Daoli any more.
var triggerCaches = map[string]bool{
	"/usr/share/applications/mimeinfo.cache":    true,
	"/usr/share/icons/hicolor/icon-theme.cache": true,
}

// same reports whether the file at path holds what this machine has at rel.
func same(path, rel string) bool {
	a, err1 := os.ReadFile(path)
	b, err2 := os.ReadFile(rel)
	return err1 == nil && err2 == nil && string(a) == string(b)
}

// checkNothingLeft walks what the packages wrote and wants nothing of theirs left: only
// dpkg's own records, the user files back as they were, and directories that this
// machine has anyway.
func checkNothingLeft(t *testing.T, r *throwawayRoot) {
	if _, ok := r.user(t, trusteeUser); ok {
		t.Errorf("the user %s survived the purge", trusteeUser)
	}
	status, err := os.ReadFile(r.path("/var/lib/dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(?m)^Package: daoli(-trustee)?$`).Match(status) {
		t.Error("dpkg still knows a daoli package after the purge")
	}
	// The account files are rewritten (so they are in upper) but must hold what they
	// held; useradd's backups (passwd- …) keep the previous version by design.
	for _, f := range []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"} {
		got, err1 := os.ReadFile(r.path(f))
		want, err2 := os.ReadFile(f)
		if err1 == nil && err2 == nil && string(got) != string(want) {
			t.Errorf("%s differs from before the install:\n%s", f, got)
		}
	}
	var left []string
	err = filepath.WalkDir(r.upper, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := "/" + strings.TrimPrefix(path, r.upper)
		rel = filepath.Clean(rel)
		switch {
		case rel == "/":
			return nil
		case strings.HasPrefix(rel, "/var/lib/dpkg/"), rel == "/var/log/dpkg.log", rel == "/etc/.pwd.lock",
			slices.Contains([]string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}, strings.TrimSuffix(rel, "-")):
			return nil
		case d.IsDir():
			// A directory copied up because something in it changed is fine if this
			// machine has it; one that only the packages made is left behind.
			if _, err := os.Lstat(rel); err != nil {
				left = append(left, rel+"/")
				return fs.SkipDir
			}
			return nil
		}
		if same(path, rel) {
			return nil // copied up, or rewritten, with the content it had
		}
		if data, err := os.ReadFile(path); err == nil && triggerCaches[rel] && !strings.Contains(string(data), "daoli") {
			return nil
		}
		left = append(left, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind after dpkg --purge:\n  %s", strings.Join(left, "\n  "))
	}
}
